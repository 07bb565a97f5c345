/* SPDX-License-Identifier: MIT
 * libFuzzer target: what a client puts in front of the permission check.
 * The input (a NUL-terminated copy) is read as an Authorization header, as
 * a token's scope list and as a permission name. A Basic credential that
 * parses must be a name without ':' and the rest of the decoded pair; a
 * Bearer token must point into the header, non-empty; scopes that parse
 * must format to a list that parses to the same scopes. Nothing may crash,
 * leak or trip UBSan. */
#include "fuzz_input.h"
#include "base/b64.h"
#include "domain/auth.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void header(const char *s)
{
    struct auth_header a;
    auth_header_parse(s, &a);
    switch (a.scheme) {
    case AUTH_NONE:
        if (*s)
            abort();
        break;
    case AUTH_BEARER:
        if (!a.token || !*a.token || a.token < s || a.token > s + strlen(s))
            abort();
        break;
    case AUTH_BASIC: {
        /* the decoded pair is "user:password" exactly */
        if (!a.user.buf || strchr(a.user.buf, ':') || a.password != a.user.buf +
                                                                       strlen(a.user.buf) + 1)
            abort();
        struct sbuf again = SBUF_INIT, pair = SBUF_INIT;
        sbuf_addf(&pair, "%s:%s", a.user.buf, a.password);
        b64_encode(&again, pair.buf, pair.len);
        struct auth_header b;
        struct sbuf h = SBUF_INIT;
        sbuf_addf(&h, "Basic %s", again.buf);
        auth_header_parse(h.buf, &b);
        if (b.scheme != AUTH_BASIC || strcmp(b.user.buf, a.user.buf) ||
            strcmp(b.password, a.password))
            abort();
        auth_header_release(&b);
        sbuf_release(&h);
        sbuf_release(&again);
        sbuf_release(&pair);
        break;
    }
    case AUTH_MALFORMED:
        if (a.user.len || a.password || a.token)
            abort();
        break;
    }
    auth_header_release(&a);
}

static void scopes(const char *s)
{
    struct token_scopes sc, back;
    struct ferr err = FERR_INIT;
    struct sbuf out = SBUF_INIT;
    if (token_scopes_parse(s, &sc, &err)) {
        if (err.code != FERR_INVALID_PARAMETER_VALUE || !err.msg[0])
            abort();
        return;
    }
    token_scopes_format(&sc, &out);
    if (token_scopes_parse(out.buf, &back, &err) || memcmp(&sc, &back, sizeof(sc)))
        abort();
    sbuf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    struct ferr err = FERR_INIT;
    enum perm p;
    header(s);
    scopes(s);
    if (!perm_parse(s, &p, &err) && strcmp(perm_name(p), s))
        abort();
    free(s);
    return 0;
}
