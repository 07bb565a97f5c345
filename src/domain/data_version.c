/* SPDX-License-Identifier: MIT
 * Dataset names, aliases, digests and data: URIs; the release functions of
 * the version structs. No I/O. */
#include "domain/data_version.h"

#include "base/utf8.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

static int is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

int data_validate_name(const char *name, struct ferr *err)
{
    if (!name || !*name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "dataset name cannot be empty");
    size_t n = strlen(name);
    if (n > DATASET_NAME_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "dataset name '%.100s...' is %zu bytes long: at most %d are allowed", name,
                        n, DATASET_NAME_MAX);
    if (!is_alnum(name[0]))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid dataset name '%.100s': it must start with a letter or a digit",
                        name);
    for (size_t i = 1; i < n; i++)
        if (!is_alnum(name[i]) && name[i] != '.' && name[i] != '_' && name[i] != '-')
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid dataset name '%.100s': names may contain only letters, "
                            "digits, '.', '_' and '-'",
                            name);
    return 0;
}

/* "v12" / "V12": reads as a version number. */
static int looks_like_version(const char *s)
{
    if ((s[0] != 'v' && s[0] != 'V') || !s[1])
        return 0;
    for (size_t i = 1; s[i]; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

int data_validate_alias(const char *alias, struct ferr *err)
{
    if (!alias || !*alias)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "alias name cannot be empty");
    size_t n = strlen(alias);
    if (n > DATA_ALIAS_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "alias '%.100s...' is %zu bytes long: at most %d are allowed", alias, n,
                        DATA_ALIAS_MAX);
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(alias[i]) && alias[i] != '_' && alias[i] != '-')
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid alias '%.100s': aliases may contain only letters, digits, "
                            "'_' and '-'",
                            alias);
    if (!strcasecmp(alias, "latest"))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%s' is reserved and cannot be used as an alias", alias);
    if (looks_like_version(alias))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "alias '%.100s' reads as a version number (v<digits>) and cannot be used",
                        alias);
    return 0;
}

static int hex_exact(const char *s, size_t len)
{
    size_t i = 0;
    for (; s[i] && i <= len; i++)
        if (!is_lower_hex(s[i]))
            return 0;
    return i == len;
}

int data_validate_digest(const char *digest, const char *what, struct ferr *err)
{
    if (!what)
        what = "digest";
    if (!digest || !hex_exact(digest, DATA_DIGEST_LEN))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid %s '%.100s': a digest is 64 lowercase hex digits (SHA-256)", what,
                        digest ? digest : "");
    return 0;
}

int data_validate_pack_id(const char *id, struct ferr *err)
{
    if (!id || !hex_exact(id, DATA_PACK_ID_LEN))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid pack id '%.100s': a pack id is 32 lowercase hex digits",
                        id ? id : "");
    return 0;
}

int data_validate_tag(const char *key, const char *value, struct ferr *err)
{
    if (!key || !*key)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "tag key cannot be empty");
    size_t n = strlen(key);
    if (n > DATA_TAG_KEY_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "tag key '%.100s...' is %zu bytes long: at most %d are allowed", key, n,
                        DATA_TAG_KEY_MAX);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "tag key '%.100s' contains a control character", key);
    if (!utf8_valid(key))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "tag key is not valid UTF-8");
    if (value) {
        size_t vn = strlen(value);
        if (vn > DATA_TAG_VALUE_MAX)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "value of tag '%.100s' is %zu bytes long: at most %d are allowed", key,
                            vn, DATA_TAG_VALUE_MAX);
        if (!utf8_valid(value))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "value of tag '%.100s' is not valid UTF-8", key);
    }
    return 0;
}

/* ---------- references ---------- */

void data_ref_release(struct data_ref *r)
{
    if (!r)
        return;
    free(r->name);
    free(r->alias);
    free(r->path);
    r->name = r->alias = r->path = NULL;
    r->kind = DATA_REF_LATEST;
    r->version = 0;
}

int data_uri_is(const char *s)
{
    return s && !strncmp(s, "data:", 5);
}

/* A decimal version >= 1, optionally "v"-prefixed, of n bytes. */
static int parse_version(const char *s, size_t n, int64_t *out)
{
    if (n && (s[0] == 'v' || s[0] == 'V')) {
        s++;
        n--;
    }
    if (!n || n > 18)
        return -1;
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1)
        return -1;
    *out = v;
    return 0;
}

/* Checks a path inside a version (trailing '/' already dropped). */
static int check_path(const char *uri, const char *p, struct ferr *err)
{
    size_t n = strlen(p);
    if (n > DATA_PATH_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid data URI '%.100s': the path inside the version is longer than "
                        "%d bytes",
                        uri, DATA_PATH_MAX);
    if (!utf8_valid(p))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid data URI '%.100s': the path is not valid UTF-8", uri);
    const char *c = p;
    while (1) {
        const char *e = strchr(c, '/');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        if (len == 0)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid data URI '%.100s': the path has an empty component", uri);
        if ((len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid data URI '%.100s': bad path component '%.*s'", uri, (int)len,
                            c);
        if (!e)
            break;
        c = e + 1;
    }
    return 0;
}

static int uri_fail(struct data_ref *out, struct ferr *err, const char *uri, const char *why)
{
    data_ref_release(out);
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "invalid data URI '%.200s': %s (use data:/NAME/VERSION, data:/NAME@ALIAS or "
                    "data:/NAME/latest, optionally followed by /PATH)",
                    uri, why);
}

int data_uri_parse(const char *uri, struct data_ref *out, struct ferr *err)
{
    data_ref_release(out);
    if (!data_uri_is(uri))
        return uri_fail(out, err, uri ? uri : "", "it does not start with 'data:'");
    const char *p = uri + 5;
    if (p[0] != '/')
        return uri_fail(out, err, uri, "'data:' must be followed by '/'");
    if (p[1] == '/')
        return uri_fail(out, err, uri, "it has no dataset name (data:// is not a form)");
    p++;
    size_t nl = strcspn(p, "/@");
    if (!nl)
        return uri_fail(out, err, uri, "it has no dataset name");
    out->name = xstrndup(p, nl);
    if (data_validate_name(out->name, err)) {
        struct ferr why = *err;
        data_ref_release(out);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid data URI '%.200s': %s", uri,
                        why.msg);
    }
    p += nl;
    const char *rest;
    if (*p == '@') {
        p++;
        size_t al = strcspn(p, "/");
        if (!al)
            return uri_fail(out, err, uri, "the alias after '@' is empty");
        out->kind = DATA_REF_ALIAS;
        out->alias = xstrndup(p, al);
        if (data_validate_alias(out->alias, err)) {
            struct ferr why = *err;
            data_ref_release(out);
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid data URI '%.200s': %s", uri,
                            why.msg);
        }
        rest = p + al;
    } else if (*p == '/') {
        p++;
        size_t vl = strcspn(p, "/");
        if (!vl)
            return uri_fail(out, err, uri, "it has no version");
        if (vl == 6 && !strncmp(p, "latest", 6)) {
            out->kind = DATA_REF_LATEST;
        } else if (!parse_version(p, vl, &out->version)) {
            out->kind = DATA_REF_VERSION;
        } else {
            return uri_fail(out, err, uri, "the version is not a number >= 1 nor 'latest'");
        }
        rest = p + vl;
    } else {
        return uri_fail(out, err, uri, "it has no version");
    }
    if (*rest == '/') {
        rest++;
        size_t pl = strlen(rest);
        while (pl && rest[pl - 1] == '/')
            pl--;
        if (pl) {
            out->path = xstrndup(rest, pl);
            if (check_path(uri, out->path, err)) {
                data_ref_release(out);
                return -1;
            }
        }
    }
    return 0;
}

int data_ref_from_spec(const char *name, const char *spec, struct data_ref *out, struct ferr *err)
{
    data_ref_release(out);
    if (data_validate_name(name, err))
        return -1;
    if (!spec || !*spec)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a version is required: a number, an alias or 'latest'");
    int64_t v;
    if (!strcmp(spec, "latest")) {
        out->kind = DATA_REF_LATEST;
    } else if (!parse_version(spec, strlen(spec), &v)) {
        out->kind = DATA_REF_VERSION;
        out->version = v;
    } else if ((spec[0] >= '0' && spec[0] <= '9') || spec[0] == '-') {
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid version '%.100s': versions are numbers >= 1", spec);
    } else {
        if (data_validate_alias(spec, err))
            return -1;
        out->kind = DATA_REF_ALIAS;
        out->alias = xstrdup(spec);
    }
    out->name = xstrdup(name);
    return 0;
}

char *data_uri_format(const char *name, int64_t version)
{
    size_t n = strlen(name) + 32;
    char *s = xmalloc(n);
    snprintf(s, n, "data:/%s/%lld", name, (long long)version);
    return s;
}

/* ---------- structs ---------- */

void data_version_release(struct data_version *v)
{
    if (!v)
        return;
    free(v->name);
    free(v->digest);
    free(v->message);
    free(v->author);
    kv_list_release(&v->tags);
    kv_list_release(&v->aliases);
    free(v->profile);
    free(v->manifest);
    memset(v, 0, sizeof(*v));
}

void data_version_list_release(struct data_version_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        data_version_release(&l->v[i]);
    free(l->v);
    free(l->next_page_token);
    memset(l, 0, sizeof(*l));
}

void dataset_info_release(struct dataset_info *d)
{
    if (!d)
        return;
    free(d->name);
    kv_list_release(&d->aliases);
    memset(d, 0, sizeof(*d));
}

void dataset_info_list_release(struct dataset_info_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        dataset_info_release(&l->v[i]);
    free(l->v);
    free(l->next_page_token);
    memset(l, 0, sizeof(*l));
}

void data_object_list_release(struct data_object_list *l)
{
    if (!l)
        return;
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void data_object_list_add(struct data_object_list *l, const struct data_object *o)
{
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    l->v[l->n++] = *o;
}

void data_pack_list_release(struct data_pack_list *l)
{
    if (!l)
        return;
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void data_run_use_list_release(struct data_run_use_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].run_id);
        free(l->v[i].experiment_id);
        free(l->v[i].run_name);
        free(l->v[i].status);
        free(l->v[i].context);
    }
    free(l->v);
    free(l->next_page_token);
    memset(l, 0, sizeof(*l));
}
