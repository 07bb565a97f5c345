/* SPDX-License-Identifier: MIT
 * libFuzzer target: opaque page tokens. The input (a NUL-terminated copy)
 * is decoded as a token; a token that decodes must give an offset of zero
 * or more that survives encode then decode unchanged, and one that does
 * not must fail with INVALID_PARAMETER_VALUE and a message. The first
 * eight bytes, read as an offset, must survive the round trip too. Nothing
 * may crash, leak or trip UBSan. */
#include "fuzz_input.h"
#include "base/page_token.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* decode(encode(offset)) == offset, for any offset of zero or more. */
static void round_trip(int64_t offset)
{
    struct ferr err = FERR_INIT;
    char *token = NULL;
    int64_t back = -1;
    page_token_encode(offset, &token);
    if (!token || page_token_decode(token, &back, &err) || back != offset)
        abort();
    free(token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ferr err = FERR_INIT;
    int64_t offset = -1;
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    if (page_token_decode(s, &offset, &err)) {
        if (err.code != FERR_INVALID_PARAMETER_VALUE || !err.msg[0])
            abort();
    } else {
        if (offset < 0)
            abort();
        round_trip(offset);
    }
    if (size >= sizeof(offset)) {
        memcpy(&offset, data, sizeof(offset));
        if (offset >= 0)
            round_trip(offset);
    }
    free(s);
    return 0;
}
