/* SPDX-License-Identifier: MIT
 * Not yet written: the area is NOT_IMPLEMENTED on PostgreSQL. */
#include "store/postgres/pg_int.h"

const struct store_tracking_ops pg_tracking = {0};
