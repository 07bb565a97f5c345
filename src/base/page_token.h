/* SPDX-License-Identifier: MIT
 * Opaque page tokens as MLflow's SQL store makes them: base64 of
 * {"offset": N}. Clients only hand them back. */
#ifndef FERRY_BASE_PAGE_TOKEN_H
#define FERRY_BASE_PAGE_TOKEN_H

#include "base/ferr.h"

#include <stdint.h>

/* *out gets a new string. */
void page_token_encode(int64_t offset, char **out);
/* 0, or -1 with INVALID_PARAMETER_VALUE for a token this code did not make. */
int page_token_decode(const char *token, int64_t *offset, struct ferr *err) WARN_UNUSED;

#endif
