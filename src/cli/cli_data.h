/* SPDX-License-Identifier: MIT
 * data: URIs where the CLI takes a path (issue 19): `ferry drift
 * data:/ref/3 data:/cur@prod/x.csv`, `ferry models predict -i data:/...`.
 * A data: argument is fetched into the data cache (data/data_fetch.h) from
 * the tracking URI's datasets (embedded or a ferry server) and the command
 * reads the local copy; any other argument is used as it is. */
#ifndef FERRY_CLI_CLI_DATA_H
#define FERRY_CLI_CLI_DATA_H

#include "base/ferr.h"
#include "base/sbuf.h"

/* out gets the local path for arg (replacing its contents): arg itself,
 * or for a data: URI the fetched copy's path (a version of one file: that
 * file). Errors are the fetch's (data/data_fetch.h); nothing is printed. */
int cli_local_path(const char *arg, struct sbuf *out, struct ferr *err) WARN_UNUSED;

#endif
