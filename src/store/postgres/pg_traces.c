/* SPDX-License-Identifier: MIT
 * Not yet written: the area is NOT_IMPLEMENTED on PostgreSQL. */
#include "store/postgres/pg_int.h"

const struct store_traces_ops pg_traces = {0};
