/* SPDX-License-Identifier: MIT
 * The SQLite schema and its forward migrations. For the SQLite backend, and
 * for tests of the SQL the shared builders write (store/search_sql.h). */
#ifndef FERRY_STORE_SQLITE_SCHEMA_H
#define FERRY_STORE_SQLITE_SCHEMA_H

#include "base/ferr.h"
#include <sqlite3.h>

/* The version this build creates and migrates to. */
#define SCHEMA_VERSION 14

/* Brings db to SCHEMA_VERSION, one migration per transaction. A database
 * newer than this build is refused (never downgraded). from_out, when not
 * NULL, gets the version found. */
int schema_migrate(sqlite3 *db, int *from_out, struct ferr *err) WARN_UNUSED;

#endif
