/* SPDX-License-Identifier: MIT
 * Base64 (OpenSSL's EVP codec), used for opaque page tokens. */
#ifndef FERRY_BASE_B64_H
#define FERRY_BASE_B64_H

#include "base/sbuf.h"
#include <stddef.h>

void b64_encode(struct sbuf *out, const void *data, size_t n);
/* Decodes s into out; returns -1 when s is not valid base64. */
int b64_decode(struct sbuf *out, const char *s) __attribute__((warn_unused_result));

#endif
