/* SPDX-License-Identifier: MIT
 * Not yet written: the area is NOT_IMPLEMENTED on PostgreSQL. */
#include "store/postgres/pg_int.h"

const struct store_import_ops pg_import = {0};
