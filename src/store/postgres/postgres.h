/* SPDX-License-Identifier: MIT
 * The PostgreSQL backend of the store: every area on one PostgreSQL
 * database, shared by any number of ferry servers (replicas). store_open
 * picks it for postgresql:// and postgres:// URIs; ferry db uses the
 * migration entry point. */
#ifndef FERRY_STORE_POSTGRES_POSTGRES_H
#define FERRY_STORE_POSTGRES_POSTGRES_H

#include "base/ferr.h"
#include "store/store.h"

/* 1 when uri names a PostgreSQL database (postgresql://, postgres://, or
 * MLflow's postgresql+<driver>://). */
int store_uri_is_postgres(const char *uri);

/* The URI as libpq takes it (MLflow's postgresql+driver:// becomes
 * postgresql://). A new string; it may hold a password: never print it. */
char *store_postgres_conninfo(const char *uri);

/* Opens the database uri names (creating and migrating the schema as
 * needed), as store_open does. libpq reads what the URI leaves out from
 * its environment (PGPASSWORD, PGSSLMODE, ...) and ~/.pgpass. */
int store_postgres_open(const char *uri, const struct store_opts *opts, struct store **out,
                        struct ferr *err) WARN_UNUSED;

/* Brings uri's schema to version to (0: this build's) without opening a
 * store; from/to_out get the versions before and after. */
int store_postgres_upgrade(const char *uri, int to, int *from_out, int *to_out,
                           struct ferr *err) WARN_UNUSED;

#endif
