/* SPDX-License-Identifier: MIT
 * Identifiers: run ids (32 lower-case hex digits, as MLflow's uuid4().hex) and
 * generated run names ("<adjective>-<noun>-<number>", the shape MLflow uses). */
#ifndef FERRY_BASE_IDS_H
#define FERRY_BASE_IDS_H

#include "base/sbuf.h"

#define RUN_ID_LEN 32

/* Fills out with a new random run id and a NUL (out must hold 33 bytes).
 * Uses OpenSSL's CSPRNG; aborts if it cannot be seeded. */
void ids_new_run_id(char out[RUN_ID_LEN + 1]);
/* Appends a new random run name to sb. */
void ids_new_run_name(struct sbuf *sb);
/* A request id: a UUIDv7 (RFC 9562; 36 characters), so ids sort by time
 * (ms) and are unique without coordination. out must hold 37 bytes. */
#define REQUEST_ID_LEN 36
void ids_new_request_id(char out[REQUEST_ID_LEN + 1]);
/* 1 when s is exactly 32 hex digits. */
int ids_is_run_id(const char *s);

#endif
