/* SPDX-License-Identifier: MIT */
#include "base/b64.h"

#include <openssl/evp.h>
#include <string.h>

void b64_encode(struct sbuf *out, const void *data, size_t n)
{
    size_t need = 4 * ((n + 2) / 3);
    sbuf_grow(out, need);
    int w = EVP_EncodeBlock((unsigned char *)out->buf + out->len, data, (int)n);
    sbuf_setlen(out, out->len + (size_t)w);
}

int b64_decode(struct sbuf *out, const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n % 4 || n > (1u << 20))
        return -1;
    sbuf_grow(out, n);
    int w = EVP_DecodeBlock((unsigned char *)out->buf + out->len, (const unsigned char *)s, (int)n);
    if (w < 0)
        return -1;
    /* EVP_DecodeBlock counts padding bytes as zeros; drop them. */
    size_t pad = (s[n - 1] == '=') + (s[n - 2] == '=');
    sbuf_setlen(out, out->len + (size_t)w - pad);
    return 0;
}
