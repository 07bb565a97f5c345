/* SPDX-License-Identifier: MIT
 * The PostgreSQL schema's versions and migrations (schema.c). */
#ifndef FERRY_STORE_POSTGRES_SCHEMA_H
#define FERRY_STORE_POSTGRES_SCHEMA_H

#include "base/ferr.h"

struct pg_conn;

/* The schema version this build creates and migrates to (equal to the
 * SQLite backend's: one number names one set of tables and meanings). */
int pg_schema_version(void);
/* Brings the database to this build's version under an advisory lock (so
 * servers starting together on an empty database migrate it once), each
 * migration in its own transaction with the version row. Refuses a
 * database whose recorded minimum compatible version is above this build.
 * to > 0 stops at that version (ferry db upgrade --to). from_out/to_out,
 * when not NULL, get the versions found and reached. */
int pg_migrate(struct pg_conn *c, int to, int *from_out, int *to_out, struct ferr *err);

#endif
