/* SPDX-License-Identifier: MIT
 * Secrets, on OpenSSL: password hashes (scrypt, memory-hard), random
 * tokens, digests for looking secrets up without storing them, and keyed
 * hashes for caches. Nothing here logs or keeps a secret it is given. */
#ifndef FERRY_BASE_SECRET_H
#define FERRY_BASE_SECRET_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <stddef.h>
#include <stdint.h>

/* A password's hash, self-describing so parameters can grow later:
 * "scrypt$<log2 N>$<r>$<p>$<salt, base64>$<hash, base64>". scrypt with
 * N = 2^15, r = 8, p = 1 costs 32 MiB and 0.2-0.5 s on a small VM, so a
 * caller verifies a password once and caches the outcome (server/guard.c).
 * INTERNAL_ERROR when OpenSSL fails. */
int secret_hash_password(const char *password, struct sbuf *out, struct ferr *err) WARN_UNUSED;
/* 1 when password matches stored (a secret_hash_password result), 0 when
 * it does not or stored is not such a hash. Time does not depend on where
 * the hashes differ. */
int secret_check_password(const char *password, const char *stored);

/* n random bytes from OpenSSL's CSPRNG; -1 (INTERNAL_ERROR) if it fails. */
int secret_random(void *buf, size_t n, struct ferr *err) WARN_UNUSED;
/* A new API token: "ferry_" and 43 base64url characters (256 random bits). */
int secret_new_token(struct sbuf *out, struct ferr *err) WARN_UNUSED;
/* SHA-256 of data as 64 lower-case hex digits (hex: 65 bytes). Tokens
 * carry 256 random bits, so a plain digest is what is stored and looked
 * up; no KDF is needed for them. */
void secret_sha256_hex(const void *data, size_t n, char hex[65]);
/* HMAC-SHA256 under one key, for hot paths: the key is set up once
 * (OpenSSL 3's one-shot HMAC() looks the algorithm up on every call, twice
 * the cost). Thread-safe. */
struct secret_mac;
struct secret_mac *secret_mac_new(const unsigned char key[32], struct ferr *err);
/* mac: 32 bytes; -1 if OpenSSL fails. */
int secret_mac_compute(const struct secret_mac *m, const void *data, size_t n,
                       unsigned char mac[32]) WARN_UNUSED;
void secret_mac_free(struct secret_mac *m);
/* Whether a and b (n bytes) are equal, in time independent of the data. */
int secret_equal(const void *a, const void *b, size_t n);

#endif
