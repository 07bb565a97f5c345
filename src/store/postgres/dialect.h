/* SPDX-License-Identifier: MIT
 * The dialect the shared SQL builders write for PostgreSQL (dialect.c). */
#ifndef FERRY_STORE_POSTGRES_DIALECT_H
#define FERRY_STORE_POSTGRES_DIALECT_H

#include "store/sql_dialect.h"

/* $n placeholders, LIKE/ILIKE with backslash escapes, NULLS FIRST/LAST. */
extern const struct sql_dialect pg_dialect;

#endif
