/* SPDX-License-Identifier: MIT
 * Not yet written: the area is NOT_IMPLEMENTED on PostgreSQL. */
#include "store/postgres/pg_int.h"

const struct store_registry_ops pg_registry = {0};
