/* SPDX-License-Identifier: MIT */
#include "domain/auth.h"
#include "base/b64.h"

#include <openssl/crypto.h>
#include <strings.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char *const perm_names[PERM_COUNT] = {"NO_PERMISSIONS", "READ", "USE", "EDIT",
                                                   "MANAGE"};

const char *perm_name(enum perm p)
{
    return (unsigned)p < PERM_COUNT ? perm_names[p] : "NO_PERMISSIONS";
}

int perm_parse(const char *s, enum perm *out, struct ferr *err)
{
    for (int i = 0; s && i < PERM_COUNT; i++) {
        if (!strcmp(s, perm_names[i])) {
            *out = (enum perm)i;
            return 0;
        }
    }
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "Invalid permission '%.100s'. Valid permissions are: ('READ', 'USE', 'EDIT', "
                    "'MANAGE', 'NO_PERMISSIONS')",
                    s ? s : "None");
}

static const char *const kind_names[RES_KIND_COUNT] = {"experiment", "registered_model"};

const char *res_kind_name(enum res_kind k)
{
    return (unsigned)k < RES_KIND_COUNT ? kind_names[k] : "?";
}

int token_scopes_parse(const char *s, struct token_scopes *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s || !*s || !strcmp(s, "*")) {
        for (int k = 0; k < RES_KIND_COUNT; k++)
            out->max[k] = PERM_MANAGE;
        out->admin = 1;
        return 0;
    }
    while (*s) {
        size_t n = strcspn(s, ",");
        char item[64];
        if (n == 0 || n >= sizeof(item))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid token scope list '%.100s': want items like "
                            "'experiment:EDIT', '*:READ' or 'admin', separated by ','",
                            s);
        memcpy(item, s, n);
        item[n] = '\0';
        s += n + (s[n] == ',');
        if (!strcmp(item, "admin")) {
            out->admin = 1;
            continue;
        }
        char *colon = strrchr(item, ':');
        enum perm p;
        if (!colon)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid token scope '%s': want KIND:PERMISSION", item);
        *colon = '\0';
        if (perm_parse(colon + 1, &p, err))
            return -1;
        char *slash = strchr(item, '/');
        if (slash) { /* KIND/KEY:PERMISSION: one resource */
            *slash = '\0';
            int k = 0;
            while (k < RES_KIND_COUNT && strcmp(item, kind_names[k]))
                k++;
            if (k == RES_KIND_COUNT || !slash[1] ||
                strlen(slash + 1) >= sizeof(out->grants[0].key) || out->ngrants == SCOPE_MAX_GRANTS)
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "invalid token scope '%s/%.80s': want KIND/KEY:PERMISSION with a "
                                "known kind and a key of 1 to 63 characters, at most %d such",
                                item, slash + 1, SCOPE_MAX_GRANTS);
            struct scope_grant *g = &out->grants[out->ngrants++];
            g->kind = (enum res_kind)k;
            snprintf(g->key, sizeof(g->key), "%s", slash + 1);
            g->max = p;
            continue;
        }
        int found = 0;
        for (int k = 0; k < RES_KIND_COUNT; k++) {
            if (!strcmp(item, "*") || !strcmp(item, kind_names[k])) {
                out->max[k] = p > out->max[k] ? p : out->max[k];
                found = 1;
            }
        }
        if (!found)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid token scope: unknown resource kind '%.60s' (known: "
                            "experiment, registered_model, *)",
                            item);
    }
    return 0;
}

enum perm token_scopes_max(const struct token_scopes *sc, enum res_kind kind, const char *key)
{
    enum perm m = sc->max[kind];
    for (size_t i = 0; key && i < sc->ngrants; i++)
        if (sc->grants[i].kind == kind && !strcmp(sc->grants[i].key, key) && sc->grants[i].max > m)
            m = sc->grants[i].max;
    return m;
}

void token_scopes_format(const struct token_scopes *sc, struct sbuf *out)
{
    const char *sep = "";
    if (sc->admin) { /* with grants too: they never made "admin" go without saying */
        int all = !sc->ngrants;
        for (int k = 0; k < RES_KIND_COUNT; k++)
            all = all && sc->max[k] == PERM_MANAGE;
        if (all) {
            sbuf_addstr(out, "*");
            return;
        }
        sbuf_addstr(out, "admin");
        sep = ",";
    }
    for (int k = 0; k < RES_KIND_COUNT; k++) {
        sbuf_addf(out, "%s%s:%s", sep, kind_names[k], perm_name(sc->max[k]));
        sep = ",";
    }
    for (size_t i = 0; i < sc->ngrants; i++)
        sbuf_addf(out, ",%s/%s:%s", kind_names[sc->grants[i].kind], sc->grants[i].key,
                  perm_name(sc->grants[i].max));
}

void auth_header_parse(const char *h, struct auth_header *out)
{
    memset(out, 0, sizeof(*out));
    if (!h || !*h)
        return;
    out->scheme = AUTH_MALFORMED;
    if (!strncasecmp(h, "Bearer ", 7)) {
        const char *t = h + 7 + strspn(h + 7, " ");
        if (*t) {
            out->scheme = AUTH_BEARER;
            out->token = t;
        }
        return;
    }
    if (strncasecmp(h, "Basic ", 6))
        return;
    const char *b = h + 6 + strspn(h + 6, " ");
    char *colon;
    if (b64_decode(&out->user, b) || memchr(out->user.buf, '\0', out->user.len) ||
        !(colon = memchr(out->user.buf, ':', out->user.len))) {
        auth_header_release(out);
        out->scheme = AUTH_MALFORMED;
        return;
    }
    *colon = '\0';
    out->password = colon + 1;
    out->scheme = AUTH_BASIC;
}

void auth_header_release(struct auth_header *a)
{
    if (a->user.buf)
        OPENSSL_cleanse(a->user.buf, a->user.len);
    sbuf_release(&a->user);
    a->password = NULL;
    a->token = NULL;
}

int auth_canonical_id(const char *id, char *out, size_t size)
{
    size_t n = id ? strlen(id) : 0;
    if (!n || n > 18 || strspn(id, "0123456789") != n)
        return -1;
    snprintf(out, size, "%lld", strtoll(id, NULL, 10));
    return 0;
}

void resource_perm_list_release(struct resource_perm_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].key);
        free(l->v[i].user);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void user_release(struct user *u)
{
    free(u->username);
    resource_perm_list_release(&u->experiment_perms);
    resource_perm_list_release(&u->model_perms);
    memset(u, 0, sizeof(*u));
}

void user_list_release(struct user_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        user_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void token_info_release(struct token_info *t)
{
    free(t->id);
    free(t->user);
    free(t->name);
    free(t->scopes);
    memset(t, 0, sizeof(*t));
}

void token_info_list_release(struct token_info_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        token_info_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}
