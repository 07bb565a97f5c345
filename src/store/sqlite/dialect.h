/* SPDX-License-Identifier: MIT
 * SQLite's words for the shared SQL builders (store/sql_dialect.h). For the
 * SQLite backend, and for tests of the SQL the builders write. */
#ifndef FERRY_STORE_SQLITE_DIALECT_H
#define FERRY_STORE_SQLITE_DIALECT_H

#include "store/sql_dialect.h"

extern const struct sql_dialect sqlite_dialect;

#endif
