/* SPDX-License-Identifier: MIT
 * libFuzzer target: store URIs as they reach messages and logs. For any
 * input, store_uri_redacted returns a string and store_uri_sqlite_path
 * returns NULL, "ferry.db" or a tail of the input. A password put into a
 * URI around the input, as user info (scheme://u:SECRET@<input>) or as a
 * parameter (scheme://h/db?<input>&password=SECRET, <input> without '#'),
 * never shows in the redacted form. Nothing may crash, leak or trip UBSan. */
#include "fuzz_input.h"
#include "store/uri.h"
#include "base/sbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SECRET "Qz7pw0rdSECRET"

static void hidden(const struct sbuf *uri)
{
    char *shown = store_uri_redacted(uri->buf);
    if (!shown || strstr(shown, SECRET))
        abort();
    free(shown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    if (strstr(s, SECRET)) { /* the input may not bring the secret itself */
        free(s);
        return 0;
    }
    char *shown = store_uri_redacted(s);
    if (!shown)
        abort();
    free(shown);
    const char *path = store_uri_sqlite_path(s);
    if (path && strcmp(path, "ferry.db") && (path < s || path > s + strlen(s)))
        abort();

    struct sbuf uri = SBUF_INIT;
    sbuf_addf(&uri, "postgresql://u:" SECRET "@%s", s);
    hidden(&uri);
    if (!strchr(s, '#')) {
        sbuf_reset(&uri);
        sbuf_addf(&uri, "postgresql://h/db?%s&password=" SECRET, s);
        hidden(&uri);
        sbuf_reset(&uri);
        sbuf_addf(&uri, "postgres://h/db?password=" SECRET "&%s", s);
        hidden(&uri);
    }
    sbuf_release(&uri);
    free(s);
    return 0;
}
