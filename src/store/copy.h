/* SPDX-License-Identifier: MIT
 * Moving a whole ferry store from the embedded SQLite default to a
 * PostgreSQL database (`ferry db copy`), and bringing a store's schema up
 * to this build (`ferry db upgrade`). */
#ifndef FERRY_STORE_COPY_H
#define FERRY_STORE_COPY_H

#include "base/ferr.h"

#include <stddef.h>
#include <stdint.h>

#define STORE_COPY_MAX_TABLES 64

struct store_copy_report {
    size_t ntables;
    struct {
        const char *table; /* static */
        int64_t rows;      /* copied, and counted again in the target */
    } t[STORE_COPY_MAX_TABLES];
};

/* Copies every table of the ferry SQLite store from_uri into the
 * PostgreSQL database to_uri, rows and ids as they are (run ids, experiment
 * ids, version numbers, users, tokens), in one target transaction that
 * commits only when every table's row count in the target equals the
 * source's. The source is first brought to this build's schema (as opening
 * it would); the target gets the schema if it has none and must hold no
 * data (only the Default experiment a server creates): INVALID_STATE
 * otherwise. The source is read in one read transaction: a server writing
 * to it meanwhile does not tear the copy (stop it anyway, or its later
 * writes stay behind). */
int store_copy(const char *from_uri, const char *to_uri, struct store_copy_report *out,
               struct ferr *err);

/* Migrates the store uri names to this build's schema version (to > 0:
 * stop at version to, PostgreSQL only) without serving it. */
int store_upgrade(const char *uri, int to, int *from_out, int *to_out, struct ferr *err);

#endif
