/* SPDX-License-Identifier: MIT
 * Not yet written: the area is NOT_IMPLEMENTED on PostgreSQL. */
#include "store/postgres/pg_int.h"

const struct store_logged_model_ops pg_logged_models = {0};
