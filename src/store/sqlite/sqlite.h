/* SPDX-License-Identifier: MIT
 * The SQLite backend of the store: every area (tracking, metrics, registry,
 * gc) on one SQLite file in WAL mode. store_open picks it for sqlite:// URIs
 * and plain paths; nothing else calls it. */
#ifndef FERRY_STORE_SQLITE_SQLITE_H
#define FERRY_STORE_SQLITE_SQLITE_H

#include "base/ferr.h"
#include "store/store.h"

/* Opens (creating and migrating as needed) the database file at path, as
 * store_open does. */
int store_sqlite_open(const char *path, const struct store_opts *opts, struct store **out,
                      struct ferr *err) WARN_UNUSED;

#endif
