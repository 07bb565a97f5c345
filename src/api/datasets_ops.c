/* SPDX-License-Identifier: MIT
 * The datasets area's JSON rows (see datasets_ops.h): requests decoded and
 * checked here, the rows kept by store/datasets.h, manifests validated and
 * made canonical by domain/data_manifest.h, profiles by
 * domain/data_profile.h. Also the data root the server installs, and the
 * two checks that keep the generic artifact routes out of its datasets/. */
#include "api/datasets_ops.h"
#include "api/codec.h"
#include "api/types.h"
#include "artifacts/repo.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/artifact_uri.h"
#include "domain/data_manifest.h"
#include "domain/data_profile.h"
#include "store/datasets.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/banned.h"

#define RESERVED_DIR "datasets"

/* ---------- the data root ---------- */

static const struct api_data_root *root;

void api_datasets_set_root(const struct api_data_root *r)
{
    root = r;
}

const struct api_data_root *api_datasets_root(void)
{
    return root;
}

/* Appends the components of path (relative ones after base's) to out as
 * "/a/b", "." dropped and ".." taking one back (never above "/"): the
 * lexical form both sides of a comparison are put in. */
static void collapse(const char *base, const char *path, struct sbuf *out)
{
    const char *parts[2] = {path[0] == '/' || !base ? NULL : base, path};
    sbuf_setlen(out, 0);
    for (int k = 0; k < 2; k++) {
        for (const char *p = parts[k]; p && *p;) {
            size_t n = strcspn(p, "/");
            if (n == 2 && p[0] == '.' && p[1] == '.') {
                char *slash = strrchr(out->buf, '/');
                sbuf_setlen(out, slash ? (size_t)(slash - out->buf) : 0);
            } else if (n && !(n == 1 && p[0] == '.')) {
                sbuf_addch(out, '/');
                sbuf_add(out, p, n);
            }
            p += n;
            while (*p == '/')
                p++;
        }
    }
}

/* 1 when the collapsed path (relative to a root, "/a/b" form) is the root's
 * reserved directory or lies below it. Compared without case: a file system
 * that ignores case would reach the same directory. */
static int under_reserved(const char *collapsed)
{
    size_t n = strlen(RESERVED_DIR);
    const char *p = collapsed[0] == '/' ? collapsed + 1 : collapsed;
    return !strncasecmp(p, RESERVED_DIR, n) && (p[n] == '\0' || p[n] == '/');
}

/* 1 when collapsed ("/a/b") is dir or below it; *rest gets what follows. */
static int below(const char *collapsed, const char *dir, const char **rest)
{
    size_t n = strlen(dir);
    if (strncmp(collapsed, dir, n) || (collapsed[n] != '\0' && collapsed[n] != '/'))
        return 0;
    *rest = collapsed + n;
    return 1;
}

static int refuse_location(const char *location, struct ferr *err)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "artifact_location '%.200s' lies in the datasets/ area of the data root, "
                    "which is reserved for dataset versions (ferry data): choose another location",
                    location);
}

int api_datasets_location_check(const char *location, struct ferr *err)
{
    const struct api_data_root *r = root;
    if (!r || !r->repo || !location || !*location)
        return 0;
    const char *proxied = artifact_uri_proxied_path(location);
    struct sbuf a = SBUF_INIT, b = SBUF_INIT;
    char *dir = NULL, cwd[4096];
    int reserved = 0;
    if (proxied) {
        collapse(NULL, proxied, &a);
        reserved = r->proxied && under_reserved(a.buf);
    } else if (r->dir && artifact_repo_local_dir(location, &dir, err) == 1 &&
               getcwd(cwd, sizeof(cwd))) {
        const char *rest;
        collapse(cwd, r->dir, &b);
        collapse(cwd, dir, &a);
        reserved = below(a.buf, b.buf, &rest) && under_reserved(rest);
    }
    free(dir);
    sbuf_release(&a);
    sbuf_release(&b);
    return reserved ? refuse_location(location, err) : 0;
}

int api_datasets_reserved(const struct artifact_repo *repo, const char *path, struct ferr *err)
{
    const struct api_data_root *r = root;
    struct sbuf a = SBUF_INIT;
    const char *rest = NULL;
    int reserved = 0;
    if (!r || !repo || !path)
        return 0;
    collapse(NULL, path, &a);
    if (repo == r->repo)
        reserved = under_reserved(a.buf);
    else if (repo == r->via && r->via_rel) {
        struct sbuf pre = SBUF_INIT;
        collapse(NULL, r->via_rel, &pre);
        reserved = below(a.buf, pre.buf, &rest) && under_reserved(rest);
        sbuf_release(&pre);
    }
    sbuf_release(&a);
    if (!reserved)
        return 0;
    return ferr_set(err, FERR_PERMISSION_DENIED,
                    "'%.200s' lies in the datasets/ area of the artifact destination, which only "
                    "the datasets API reads and writes (/api/2.0/ferry/datasets/...)",
                    path);
}

/* Writes through the network need a data root (a server without one says
 * why); in-process callers find their own. */
static int need_root(const struct api_env *env, struct ferr *err)
{
    const struct api_data_root *r = root;
    if (!env->remote || !r || r->repo)
        return 0;
    return ferr_set(err, FERR_NOT_IMPLEMENTED, "%s",
                    r->why_not ? r->why_not : "this server keeps no datasets");
}

/* ---------- entity shapes ---------- */

/* A stored JSON text as a value (NULL when absent or unparsable). */
static json_t *text_json(const char *text)
{
    return text ? json_loads(text, 0, NULL) : NULL;
}

json_t *api_data_version_to_json(const struct data_version *v)
{
    json_t *aliases = json_array();
    for (size_t i = 0; i < v->aliases.n; i++)
        json_array_append_new(aliases, json_string(v->aliases.v[i].key));
    json_t *j = json_pack(
        "{s:s, s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:o, s:b}", "name", codec_or_empty(v->name),
        "version", (json_int_t)v->version, "digest", codec_or_empty(v->digest), "message",
        codec_or_empty(v->message), "author", codec_or_empty(v->author), "created_ms",
        (json_int_t)v->created_ms, "file_count", (json_int_t)v->file_count, "size_bytes",
        (json_int_t)v->size_bytes, "tags", codec_kv_list_to_json(&v->tags), "aliases", aliases,
        "has_profile", v->profile != NULL);
    json_t *m = text_json(v->manifest), *p = text_json(v->profile);
    if (m)
        json_object_set_new(j, "manifest", m);
    if (p)
        json_object_set_new(j, "profile", p);
    return j;
}

static int version_from_json(json_t *j, struct data_version *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    json_t *aliases = json_object_get(j, "aliases"), *a, *m = json_object_get(j, "manifest"),
           *p = json_object_get(j, "profile");
    size_t i;
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "name")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed dataset version");
    if (codec_kv_list_from_json(json_object_get(j, "tags"), "tags", &out->tags, err))
        return -1;
    out->name = codec_str_field(j, "name");
    out->version = codec_int_field(j, "version");
    out->digest = codec_str_field(j, "digest");
    out->message = codec_str_field(j, "message");
    out->author = codec_str_field(j, "author");
    out->created_ms = codec_int_field(j, "created_ms");
    out->file_count = codec_int_field(j, "file_count");
    out->size_bytes = codec_int_field(j, "size_bytes");
    json_array_foreach(aliases, i, a)
    {
        if (json_is_string(a))
            kv_list_add(&out->aliases, json_string_value(a), "");
    }
    if (json_is_object(p))
        out->profile = fjson_dumps(p, JSON_COMPACT);
    if (json_is_object(m)) {
        /* the canonical text again, from the manifest's model: a caller
         * checks its digest against the version's */
        struct data_manifest dm;
        struct sbuf text = SBUF_INIT;
        if (data_manifest_from_json(m, &dm, err)) {
            data_manifest_release(&dm);
            data_version_release(out);
            return -1;
        }
        data_manifest_canonical(&dm, &text);
        data_manifest_release(&dm);
        out->manifest = sbuf_detach(&text, NULL);
    }
    return 0;
}

json_t *api_dataset_info_to_json(const struct dataset_info *d)
{
    json_t *aliases = json_array();
    for (size_t i = 0; i < d->aliases.n; i++) {
        int64_t v = 0;
        if (fjson_parse_int64(codec_or_empty(d->aliases.v[i].value), &v))
            v = 0;
        json_array_append_new(aliases, json_pack("{s:s, s:I}", "alias", d->aliases.v[i].key,
                                                 "version", (json_int_t)v));
    }
    return json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "name", codec_or_empty(d->name),
                     "created_ms", (json_int_t)d->created_ms, "updated_ms",
                     (json_int_t)d->updated_ms, "latest_version", (json_int_t)d->latest_version,
                     "last_version", (json_int_t)d->last_version, "version_count",
                     (json_int_t)d->version_count, "total_size_bytes",
                     (json_int_t)d->total_size_bytes, "aliases", aliases);
}

static int info_from_json(json_t *j, struct dataset_info *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    json_t *a;
    size_t i;
    if (!json_is_object(j) || !json_is_string(json_object_get(j, "name")))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed dataset");
    out->name = codec_str_field(j, "name");
    out->created_ms = codec_int_field(j, "created_ms");
    out->updated_ms = codec_int_field(j, "updated_ms");
    out->latest_version = codec_int_field(j, "latest_version");
    out->last_version = codec_int_field(j, "last_version");
    out->version_count = codec_int_field(j, "version_count");
    out->total_size_bytes = codec_int_field(j, "total_size_bytes");
    json_array_foreach(json_object_get(j, "aliases"), i, a)
    {
        char num[24];
        const char *alias = json_string_value(json_object_get(a, "alias"));
        if (!alias)
            continue;
        snprintf(num, sizeof(num), "%lld", (long long)codec_int_field(a, "version"));
        kv_list_add(&out->aliases, alias, num);
    }
    return 0;
}

/* A JSON value as it is (an object or an array). */
static json_t *json_to(const struct api_json *v)
{
    return v->j ? json_incref(v->j) : json_object();
}

static int json_from(json_t *j, struct api_json *out, struct ferr *err)
{
    (void)err;
    out->j = j ? json_incref(j) : NULL;
    return 0;
}

static void json_release(struct api_json *v)
{
    json_decref(v->j);
    v->j = NULL;
}

#define TYPE(id, T, to, from, rel) API_TYPE_OF(static, id##_type, #id, T, to, from, rel, NULL)

TYPE(data_version, struct data_version, api_data_version_to_json, version_from_json,
     data_version_release);
TYPE(dataset_info, struct dataset_info, api_dataset_info_to_json, info_from_json,
     dataset_info_release);
TYPE(json_value, struct api_json, json_to, json_from, json_release);

/* ---------- a version reference: a string, or a number ---------- */

static int spec_decode(json_t *in, const struct api_field *f, void *dst, struct ferr *err)
{
    json_t *v = json_object_get(in, f->name);
    *(const char **)dst = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_integer(v)) { /* kept in the request as its text, borrowed like a string */
        char num[24];
        snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
        json_object_set_new(in, f->name, json_string(num));
        v = json_object_get(in, f->name);
    }
    if (!json_is_string(v))
        return fjson_invalid(err, f->name, v);
    *(const char **)dst = json_string_value(v);
    return 0;
}

static void spec_encode(json_t *out, const struct api_field *f, const void *src)
{
    const char *s = *(const char *const *)src;
    if (s)
        json_object_set_new(out, f->name, json_string(s));
}

static const struct api_custom spec_field = {spec_decode, spec_encode, NULL};

/* ---------- messages ---------- */

#define F_SPEC(T, m, nm) F_CUSTOM(T, m, nm, &spec_field)

static const struct api_field list_fields[] = {
    F_INT(struct rq_datasets_list, max_results, "max_results", AF_OMIT_EMPTY, 0),
    F_STR(struct rq_datasets_list, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_req = API_MSG(struct rq_datasets_list, list_fields);
static const struct api_field list_resp_fields[] = {
    F_LIST(struct dataset_info_list, v, n, alloc, "datasets", 0, &dataset_info_type),
    F_STR(struct dataset_info_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg list_resp = API_MSG(struct dataset_info_list, list_resp_fields);

static const struct api_field name_fields[] = {
    F_STR(struct rq_dataset_name, name, "name", AF_NONEMPTY),
};
static const struct api_msg name_req = API_MSG(struct rq_dataset_name, name_fields);
static const struct api_field dataset_fields[] = {
    F_OBJ(struct rs_dataset, dataset, "dataset", 0, &dataset_info_type),
};
static const struct api_msg dataset_resp = API_MSG(struct rs_dataset, dataset_fields);

static const struct api_field versions_fields[] = {
    F_STR(struct rq_dataset_versions, name, "name", AF_NONEMPTY),
    F_INT(struct rq_dataset_versions, max_results, "max_results", AF_OMIT_EMPTY, 0),
    F_STR(struct rq_dataset_versions, page_token, "page_token", AF_OMIT_EMPTY),
};
static const struct api_msg versions_req = API_MSG(struct rq_dataset_versions, versions_fields);
static const struct api_field versions_resp_fields[] = {
    F_LIST(struct data_version_list, v, n, alloc, "dataset_versions", 0, &data_version_type),
    F_STR(struct data_version_list, next_page_token, "next_page_token", AF_OMIT_EMPTY),
};
static const struct api_msg versions_resp = API_MSG(struct data_version_list, versions_resp_fields);

static const struct api_field ref_fields[] = {
    F_STR(struct rq_dataset_ref, name, "name", AF_NONEMPTY),
    F_SPEC(struct rq_dataset_ref, version, "version"),
    F_STR(struct rq_dataset_ref, alias, "alias", AF_OMIT_EMPTY),
    F_BOOL(struct rq_dataset_ref, with_manifest, "with_manifest", AF_OMIT_EMPTY),
};
static const struct api_msg ref_req = API_MSG(struct rq_dataset_ref, ref_fields);
static const struct api_field version_fields[] = {
    F_OBJ(struct rs_dataset_version, dataset_version, "dataset_version", 0, &data_version_type),
};
static const struct api_msg version_resp = API_MSG(struct rs_dataset_version, version_fields);

static const struct api_field create_fields[] = {
    F_STR(struct rq_dataset_create, name, "name", AF_NONEMPTY),
    F_CUSTOM(struct rq_dataset_create, manifest, "manifest", &api_object_field),
    F_STR(struct rq_dataset_create, digest, "digest", AF_OMIT_EMPTY),
    F_STR(struct rq_dataset_create, message, "message", AF_OMIT_EMPTY),
    F_KV(struct rq_dataset_create, tags, "tags", AF_OMIT_EMPTY),
    F_CUSTOM(struct rq_dataset_create, profile, "profile", &api_object_field),
    F_STR(struct rq_dataset_create, author, "author", AF_OMIT_EMPTY),
};
static const struct api_msg create_req = API_MSG(struct rq_dataset_create, create_fields);
static const struct api_field create_resp_fields[] = {
    F_OBJ(struct rs_dataset_create, dataset_version, "dataset_version", 0, &data_version_type),
    F_BOOL(struct rs_dataset_create, created, "created", 0),
};
static const struct api_msg create_resp = API_MSG(struct rs_dataset_create, create_resp_fields);

static const struct api_field alias_fields[] = {
    F_STR(struct rq_dataset_alias, name, "name", AF_NONEMPTY),
    F_STR(struct rq_dataset_alias, alias, "alias", AF_NONEMPTY),
    F_SPEC(struct rq_dataset_alias, version, "version"),
};
static const struct api_msg alias_req = API_MSG(struct rq_dataset_alias, alias_fields);

static const struct api_field tag_fields[] = {
    F_STR(struct rq_dataset_tag, name, "name", AF_NONEMPTY),
    F_SPEC(struct rq_dataset_tag, version, "version"),
    F_STR(struct rq_dataset_tag, key, "key", AF_NONEMPTY),
    F_STR(struct rq_dataset_tag, value, "value", 0),
};
static const struct api_msg tag_req = API_MSG(struct rq_dataset_tag, tag_fields);

static const struct api_field profile_fields[] = {
    F_OBJ(struct rs_dataset_profile, profile, "profile", 0, &json_value_type),
};
static const struct api_msg profile_resp = API_MSG(struct rs_dataset_profile, profile_fields);

static const struct api_field diff_fields[] = {
    F_STR(struct rq_dataset_diff, name, "name", AF_NONEMPTY),
    F_SPEC(struct rq_dataset_diff, from, "from"),
    F_SPEC(struct rq_dataset_diff, to, "to"),
};
static const struct api_msg diff_req = API_MSG(struct rq_dataset_diff, diff_fields);
static const struct api_field diff_resp_fields[] = {
    F_OBJ(struct rs_dataset_diff, diff, "diff", 0, &json_value_type),
};
static const struct api_msg diff_resp = API_MSG(struct rs_dataset_diff, diff_resp_fields);

static const struct api_field runs_resp_fields[] = {
    F_OBJ(struct rs_dataset_runs, runs, "runs", 0, &json_value_type),
};
static const struct api_msg runs_resp = API_MSG(struct rs_dataset_runs, runs_resp_fields);

static const struct api_field missing_fields[] = {
    F_STRS(struct rq_objects_missing, digests, n, "digests", AF_REQUIRED),
};
static const struct api_msg missing_req = API_MSG(struct rq_objects_missing, missing_fields);
static const struct api_field missing_resp_fields[] = {
    F_OBJ(struct rs_objects_missing, missing, "missing", 0, &json_value_type),
};
static const struct api_msg missing_resp = API_MSG(struct rs_objects_missing, missing_resp_fields);

/* ---------- what the rows do ---------- */

static int check_page(int64_t max, struct ferr *err)
{
    if (max < 0 || max > DATASETS_PAGE_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'max_results': expected 1 to %d",
                        DATASETS_PAGE_MAX);
    return 0;
}

/* The reference a request's version and alias make (both absent: latest). */
static int ref_of(const char *name, const char *version, const char *alias, struct data_ref *out,
                  struct ferr *err)
{
    if (version && *version && alias && *alias)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "give the version as 'version' or as 'alias', not both");
    if (alias && *alias) {
        if (data_ref_from_spec(name, alias, out, err))
            return -1;
        if (out->kind != DATA_REF_ALIAS) {
            data_ref_release(out);
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid alias '%.100s': an alias is not 'latest' nor a version",
                            alias);
        }
        return 0;
    }
    return data_ref_from_spec(name, version && *version ? version : "latest", out, err);
}

/* The number of the version a reference names. */
static int version_number(struct store *s, const char *name, const char *spec, int64_t *out,
                          struct ferr *err)
{
    struct data_ref ref = DATA_REF_INIT;
    struct data_version v;
    memset(&v, 0, sizeof(v));
    if (!spec || !*spec)
        return fjson_missing(err, "version");
    if (ref_of(name, spec, NULL, &ref, err))
        return -1;
    int rc = 0;
    if (ref.kind == DATA_REF_VERSION) {
        *out = ref.version;
    } else if (!(rc = store_data_version_get(s, &ref, 0, &v, err))) {
        *out = v.version;
        data_version_release(&v);
    }
    data_ref_release(&ref);
    return rc;
}

static int x_list(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    struct rq_datasets_list *q = req;
    if (check_page(q->max_results, err))
        return -1;
    return store_datasets_list(env->store, NULL, q->max_results, q->page_token, resp, err);
}

static int x_get(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)op;
    const char *name = ((struct rq_dataset_name *)req)->name;
    if (data_validate_name(name, err))
        return -1;
    return store_dataset_get(env->store, name, &((struct rs_dataset *)resp)->dataset, err);
}

static int x_versions(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                      struct ferr *err)
{
    (void)op;
    struct rq_dataset_versions *q = req;
    if (data_validate_name(q->name, err) || check_page(q->max_results, err))
        return -1;
    return store_data_versions_list(env->store, q->name, q->max_results, q->page_token, resp, err);
}

static int x_version_get(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    (void)op;
    struct rq_dataset_ref *q = req;
    struct data_ref ref = DATA_REF_INIT;
    if (ref_of(q->name, q->version, q->alias, &ref, err))
        return -1;
    int rc = store_data_version_get(env->store, &ref, q->with_manifest,
                                    &((struct rs_dataset_version *)resp)->dataset_version, err);
    data_ref_release(&ref);
    return rc;
}

/* The profile as stored: validated, compact. NULL when none. */
static int profile_text(json_t *profile, char **out, struct ferr *err)
{
    *out = NULL;
    if (!profile)
        return 0;
    if (data_profile_validate(profile, err))
        return -1;
    *out = fjson_dumps(profile, JSON_COMPACT);
    return 0;
}

static int x_version_create(const struct api_env *env, const struct api_op *op, void *req,
                            void *resp, struct ferr *err)
{
    (void)op;
    struct rq_dataset_create *q = req;
    struct rs_dataset_create *r = resp;
    struct data_manifest m;
    struct sbuf text = SBUF_INIT;
    char digest[65], *profile = NULL;
    unsigned char raw[EVP_MAX_MD_SIZE];
    int rc = -1;
    data_manifest_init(&m);
    if (need_root(env, err) || data_validate_name(q->name, err))
        goto out;
    if (!q->manifest) {
        fjson_missing(err, "manifest");
        goto out;
    }
    if (data_manifest_from_json(q->manifest, &m, err) || profile_text(q->profile, &profile, err))
        goto out;
    data_manifest_canonical(&m, &text);
    if (!EVP_Digest(text.buf, text.len, raw, NULL, EVP_sha256(), NULL)) {
        ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
        goto out;
    }
    data_digest_from_raw(raw, digest); /* data_manifest_digest, on the text at hand */
    if (q->digest && strcmp(q->digest, digest)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "the manifest does not match its digest '%.64s' (its content hashes to '%s'): "
                 "it was changed on its way, nothing was created",
                 q->digest, digest);
        goto out;
    }
    struct data_version_new nv = {
        q->name,
        text.buf,
        q->message,
        /* who: the checked identity, else what the client says */
        env->authenticated && env->user ? env->user : codec_or_empty(q->author),
        &q->tags,
        profile,
    };
    rc = store_data_version_create(env->store, &nv, &r->dataset_version, &r->created, err);
out:
    data_manifest_release(&m);
    sbuf_release(&text);
    free(profile);
    return rc;
}

static int x_version_delete(const struct api_env *env, const struct api_op *op, void *req,
                            void *resp, struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_dataset_ref *q = req;
    int64_t n;
    if (data_validate_name(q->name, err) ||
        version_number(env->store, q->name, q->alias && *q->alias ? q->alias : q->version, &n, err))
        return -1;
    return store_data_version_delete(env->store, q->name, n, err);
}

static int x_delete(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                    struct ferr *err)
{
    (void)op;
    (void)resp;
    const char *name = ((struct rq_dataset_name *)req)->name;
    if (data_validate_name(name, err))
        return -1;
    return store_dataset_delete(env->store, name, err);
}

static int x_alias_set(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                       struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_dataset_alias *q = req;
    int64_t n;
    if (data_validate_name(q->name, err) || data_validate_alias(q->alias, err) ||
        version_number(env->store, q->name, q->version, &n, err))
        return -1;
    return store_data_alias_set(env->store, q->name, q->alias, n, err);
}

static int x_alias_delete(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                          struct ferr *err)
{
    (void)op;
    (void)resp;
    struct rq_dataset_alias *q = req;
    if (data_validate_name(q->name, err) || data_validate_alias(q->alias, err))
        return -1;
    return store_data_alias_delete(env->store, q->name, q->alias, err);
}

static int x_tag(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                 struct ferr *err)
{
    (void)resp;
    struct rq_dataset_tag *q = req;
    int del = op->arg != 0;
    int64_t n;
    if (data_validate_name(q->name, err) ||
        data_validate_tag(q->key, del ? NULL : codec_or_empty(q->value), err) ||
        version_number(env->store, q->name, q->version, &n, err))
        return -1;
    if (del)
        return store_data_version_tag_delete(env->store, q->name, n, q->key, err);
    return store_data_version_tag_set(env->store, q->name, n, q->key, codec_or_empty(q->value),
                                      err);
}

/* The version a reference names, with or without its manifest. */
static int get_ref(const struct api_env *env, const char *name, const char *version,
                   const char *alias, int with_manifest, struct data_version *out, struct ferr *err)
{
    struct data_ref ref = DATA_REF_INIT;
    memset(out, 0, sizeof(*out));
    if (ref_of(name, version, alias, &ref, err))
        return -1;
    int rc = store_data_version_get(env->store, &ref, with_manifest, out, err);
    data_ref_release(&ref);
    return rc;
}

static int x_profile(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    (void)op;
    struct rq_dataset_ref *q = req;
    struct data_version v;
    if (get_ref(env, q->name, q->version, q->alias, 0, &v, err))
        return -1;
    json_t *p = text_json(v.profile);
    ((struct rs_dataset_profile *)resp)->profile.j = p ? p : json_object();
    data_version_release(&v);
    return 0;
}

static const char *const kind_names[] = {"none", "file", "dir", "link"};

/* One entry of a diff as its JSON. */
static json_t *diff_entry_json(const struct data_diff_entry *e)
{
    json_t *j = json_pack("{s:s}", "path", e->path);
    switch (e->change) {
    case DATA_ADDED:
        json_object_set_new(j, "kind", json_string(kind_names[e->new_kind]));
        json_object_set_new(j, "size", json_integer(e->new_size));
        break;
    case DATA_REMOVED:
        json_object_set_new(j, "kind", json_string(kind_names[e->old_kind]));
        json_object_set_new(j, "size", json_integer(e->old_size));
        break;
    case DATA_CHANGED:
        json_object_set_new(j, "kind_before", json_string(kind_names[e->old_kind]));
        json_object_set_new(j, "kind_after", json_string(kind_names[e->new_kind]));
        json_object_set_new(j, "size_before", json_integer(e->old_size));
        json_object_set_new(j, "size_after", json_integer(e->new_size));
        if (e->old_exec != e->new_exec)
            json_object_set_new(j, "mode_before", json_string(e->old_exec ? "0755" : "0644"));
        if (e->old_exec != e->new_exec)
            json_object_set_new(j, "mode_after", json_string(e->new_exec ? "0755" : "0644"));
        break;
    }
    return j;
}

/* The CSV part: every file profiled in both versions (changed or not: a
 * file of the same bytes has the same profile, and says so). */
static json_t *csv_diff(json_t *pa, json_t *pb)
{
    json_t *out = json_array(), *files = json_object_get(pa, "files"), *fa;
    const char *path;
    json_object_foreach(files, path, fa)
    {
        json_t *fb = data_profile_file(pb, path);
        if (!fb)
            continue;
        json_t *d = data_profile_diff_file(fa, fb);
        json_object_set_new(d, "path", json_string(path));
        json_array_append_new(out, d);
    }
    return out;
}

static int diff_of(const struct data_version *a, const struct data_version *b, json_t **out,
                   struct ferr *err)
{
    struct data_manifest ma, mb;
    struct data_diff d = DATA_DIFF_INIT;
    int rc = -1;
    data_manifest_init(&ma);
    data_manifest_init(&mb);
    if (data_manifest_parse(a->manifest, strlen(a->manifest), &ma, err) ||
        data_manifest_parse(b->manifest, strlen(b->manifest), &mb, err))
        goto out;
    data_manifest_diff(&ma, &mb, &d);
    json_t *lists[3] = {json_array(), json_array(), json_array()};
    for (size_t i = 0; i < d.n; i++)
        json_array_append_new(lists[d.v[i].change], diff_entry_json(&d.v[i]));
    json_t *pa = text_json(a->profile), *pb = text_json(b->profile);
    int64_t entries = (int64_t)(ma.nfiles + ma.ndirs + ma.nlinks);
    *out =
        json_pack("{s:I, s:I, s:s, s:s, s:o, s:o, s:o, s:I, s:o}", "from", (json_int_t)a->version,
                  "to", (json_int_t)b->version, "digest_from", a->digest, "digest_to", b->digest,
                  "added", lists[DATA_ADDED], "removed", lists[DATA_REMOVED], "changed",
                  lists[DATA_CHANGED], "unchanged", (json_int_t)(entries - d.removed - d.changed),
                  "csv", pa && pb ? csv_diff(pa, pb) : json_array());
    json_decref(pa);
    json_decref(pb);
    rc = 0;
out:
    data_diff_release(&d);
    data_manifest_release(&ma);
    data_manifest_release(&mb);
    return rc;
}

static int x_diff(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    struct rq_dataset_diff *q = req;
    struct data_version a, b;
    memset(&b, 0, sizeof(b));
    if (!q->from || !*q->from)
        return fjson_missing(err, "from");
    if (!q->to || !*q->to)
        return fjson_missing(err, "to");
    if (get_ref(env, q->name, q->from, NULL, 1, &a, err))
        return -1;
    int rc = get_ref(env, q->name, q->to, NULL, 1, &b, err) ||
                     diff_of(&a, &b, &((struct rs_dataset_diff *)resp)->diff.j, err)
                 ? -1
                 : 0;
    data_version_release(&a);
    data_version_release(&b);
    return rc;
}

static json_t *run_use_json(const struct data_run_use *u)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "run_id", codec_or_empty(u->run_id),
                     "experiment_id", codec_or_empty(u->experiment_id), "run_name",
                     codec_or_empty(u->run_name), "status", codec_or_empty(u->status), "start_time",
                     (json_int_t)u->start_time, "context", codec_or_empty(u->context));
}

/* Every run of the version (pages of the store's, up to a bound). */
#define RUNS_MAX_PAGES 10

static int x_runs(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                  struct ferr *err)
{
    (void)op;
    struct rq_dataset_ref *q = req;
    struct data_version v;
    char *token = NULL;
    int rc = 0;
    if (get_ref(env, q->name, q->version, q->alias, 0, &v, err))
        return -1;
    json_t *runs = json_array();
    for (int page = 0; !rc && page < RUNS_MAX_PAGES; page++) {
        struct data_run_use_list l;
        memset(&l, 0, sizeof(l));
        rc = store_data_version_runs(env->store, v.name, v.version, DATASETS_PAGE_MAX, token, &l,
                                     err);
        for (size_t i = 0; !rc && i < l.n; i++)
            json_array_append_new(runs, run_use_json(&l.v[i]));
        free(token);
        token = l.next_page_token;
        l.next_page_token = NULL;
        data_run_use_list_release(&l);
        if (!token)
            break;
    }
    free(token);
    data_version_release(&v);
    if (rc)
        json_decref(runs);
    else
        ((struct rs_dataset_runs *)resp)->runs.j = runs;
    return rc;
}

/* Which objects are stored. Only a caller who may add touches them (gc
 * then spares them for an hour: an add names its objects so); a reader's
 * question (a remote verify) leaves the rows as they are, so it cannot
 * keep garbage alive. */
static int objects_present(const struct api_env *env, const char (*digests)[65], size_t n,
                           unsigned char *present, struct ferr *err)
{
    if (!env->authenticated || env->is_admin)
        return store_data_objects_have(env->store, digests, n, present, err);
    struct data_object *o = xcalloc(n, sizeof(*o));
    int rc = store_data_objects_locate(env->store, digests, n, o, NULL, err);
    for (size_t i = 0; !rc && i < n; i++)
        present[i] = o[i].digest[0] != '\0';
    free(o);
    return rc;
}

static int x_missing(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    (void)op;
    struct rq_objects_missing *q = req;
    if (need_root(env, err))
        return -1;
    if (q->n > DATASETS_MISSING_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "too many digests (%zu): at most %d in one request", q->n,
                        DATASETS_MISSING_MAX);
    char(*digests)[65] = xcalloc(q->n + 1, sizeof(*digests));
    for (size_t i = 0; i < q->n; i++) {
        if (data_validate_digest(q->digests[i], "object digest", err)) {
            free(digests);
            return -1;
        }
        memcpy(digests[i], q->digests[i], 65);
    }
    unsigned char *present = xcalloc(q->n + 1, 1);
    int rc = q->n ? objects_present(env, (const char(*)[65])digests, q->n, present, err) : 0;
    free(digests);
    if (!rc) {
        json_t *missing = json_array();
        for (size_t i = 0; i < q->n; i++)
            if (!present[i])
                json_array_append_new(missing, json_string(q->digests[i]));
        ((struct rs_objects_missing *)resp)->missing.j = missing;
    }
    free(present);
    return rc;
}

/* ---------- rows ---------- */

#define ROW(nm, m, call_, fl, max, rq, rs, fn, a, acc)                                             \
    {                                                                                              \
        .name = nm, .root = "/api/2.0/ferry", .path = nm, .methods = m, .call = call_,             \
        .flags = fl, .max_body = max, .req = rq, .resp = rs, .exec = fn, .arg = a, .res = {        \
            acc,                                                                                   \
            LOC_NONE,                                                                              \
            NULL                                                                                   \
        }                                                                                          \
    }
#define READ_ROW(nm, rq, rs, fn)                                                                   \
    ROW(nm, HTTP_GET, HTTP_GET, OP_IDEMPOTENT, API_BODY_SMALL, rq, rs, fn, 0, ACCESS_READ)
/* Changes: EDIT on no particular resource, as the deployments' changes. */
#define EDIT_ROW(nm, rq, rs, fn, a)                                                                \
    ROW(nm, HTTP_POST, HTTP_POST, 0, API_BODY_SMALL, rq, rs, fn, a, ACCESS_EDIT)

const struct api_op api_datasets_list = READ_ROW("datasets/list", &list_req, &list_resp, x_list);
const struct api_op api_datasets_get = READ_ROW("datasets/get", &name_req, &dataset_resp, x_get);
const struct api_op api_datasets_versions =
    READ_ROW("datasets/versions", &versions_req, &versions_resp, x_versions);
const struct api_op api_datasets_version_get =
    READ_ROW("datasets/versions/get", &ref_req, &version_resp, x_version_get);
/* A resend of the same content answers the version it made (created
 * false): safe to retry. A manifest is many small objects: 100,000 files
 * (13 MB) take 6 bytes of parse memory a byte. */
const struct api_op api_datasets_version_create = {
    .name = "datasets/versions/create",
    .root = "/api/2.0/ferry",
    .path = "datasets/versions/create",
    .methods = HTTP_POST,
    .call = HTTP_POST,
    .flags = OP_IDEMPOTENT,
    .max_body = DATASETS_CREATE_BODY_MAX,
    .req = &create_req,
    .resp = &create_resp,
    .exec = x_version_create,
    .res = {ACCESS_EDIT, LOC_NONE, NULL},
    .body_cost = 8,
};
const struct api_op api_datasets_version_delete =
    EDIT_ROW("datasets/versions/delete", &ref_req, NULL, x_version_delete, 0);
const struct api_op api_datasets_delete = EDIT_ROW("datasets/delete", &name_req, NULL, x_delete, 0);
const struct api_op api_datasets_alias_set =
    EDIT_ROW("datasets/aliases/set", &alias_req, NULL, x_alias_set, 0);
const struct api_op api_datasets_alias_delete =
    EDIT_ROW("datasets/aliases/delete", &alias_req, NULL, x_alias_delete, 0);
const struct api_op api_datasets_tag_set = EDIT_ROW("datasets/tags/set", &tag_req, NULL, x_tag, 0);
const struct api_op api_datasets_tag_delete =
    EDIT_ROW("datasets/tags/delete", &tag_req, NULL, x_tag, 1);
const struct api_op api_datasets_profile =
    READ_ROW("datasets/profile", &ref_req, &profile_resp, x_profile);
const struct api_op api_datasets_diff = READ_ROW("datasets/diff", &diff_req, &diff_resp, x_diff);
const struct api_op api_datasets_runs = READ_ROW("datasets/runs", &ref_req, &runs_resp, x_runs);
/* A read: anyone signed in may ask (a remote verify does); only a caller
 * who may add touches the rows (objects_present). Safe to resend. */
const struct api_op api_datasets_objects_missing =
    ROW("datasets/objects/missing", HTTP_POST, HTTP_POST, OP_IDEMPOTENT, DATASETS_MISSING_BODY_MAX,
        &missing_req, &missing_resp, x_missing, 0, ACCESS_READ);

static const struct api_op *const datasets_ops[] = {
    &api_datasets_list,
    &api_datasets_get,
    &api_datasets_versions,
    &api_datasets_version_get,
    &api_datasets_version_create,
    &api_datasets_version_delete,
    &api_datasets_delete,
    &api_datasets_alias_set,
    &api_datasets_alias_delete,
    &api_datasets_tag_set,
    &api_datasets_tag_delete,
    &api_datasets_profile,
    &api_datasets_diff,
    &api_datasets_runs,
    &api_datasets_objects_missing,
};
const struct api_area api_datasets_area = {"datasets", datasets_ops,
                                           sizeof(datasets_ops) / sizeof(*datasets_ops)};
