/* SPDX-License-Identifier: MIT */
#include "base/page_token.h"
#include "base/b64.h"
#include "base/sbuf.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>

#include "base/banned.h"

void page_token_encode(int64_t offset, char **out)
{
    char raw[64];
    int n = snprintf(raw, sizeof(raw), "{\"offset\": %" PRId64 "}", offset);
    struct sbuf sb = SBUF_INIT;
    b64_encode(&sb, raw, (size_t)n);
    *out = sbuf_detach(&sb, NULL);
}

int page_token_decode(const char *token, int64_t *offset, struct ferr *err)
{
    struct sbuf raw = SBUF_INIT;
    json_t *j = NULL;
    int rc = -1;
    if (b64_decode(&raw, token))
        goto out;
    j = json_loadb(raw.buf, raw.len, 0, NULL);
    json_t *o = j ? json_object_get(j, "offset") : NULL;
    if (!json_is_integer(o) || json_integer_value(o) < 0)
        goto out;
    *offset = json_integer_value(o);
    rc = 0;
out:
    if (rc)
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid page_token '%.60s'", token);
    json_decref(j);
    sbuf_release(&raw);
    return rc;
}
