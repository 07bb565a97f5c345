/* SPDX-License-Identifier: MIT
 * The datasets area's front (store/datasets.h): argument checks, defaults,
 * page tokens, what a manifest says (digest, counts, objects), and gc's
 * decision (which rows no version names) once for both backends. The
 * backends (sqlite_datasets.c, pg_datasets.c) do the SQL and the
 * transactions. */
#include "store/datasets.h"
#include "store/backend.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/page_token.h"
#include "base/xalloc.h"
#include "domain/data_manifest.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AREA         "datasets"
#define PAGE_DEFAULT 100
#define GC_BATCH     10000
#define OBJECTS_PAGE 10000

/* ---------- helpers ---------- */

static int page_args(int64_t *max, const char *token, int64_t *offset, struct ferr *err)
{
    if (*max == 0)
        *max = PAGE_DEFAULT;
    if (*max < 1 || *max > DATA_LIST_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "max_results must be between 1 and %d, got %lld", DATA_LIST_MAX,
                        (long long)*max);
    *offset = 0;
    if (token && *token && page_token_decode(token, offset, err))
        return -1;
    return 0;
}

static int check_version_num(int64_t version, struct ferr *err)
{
    if (version < 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid version %lld: versions are numbers >= 1", (long long)version);
    return 0;
}

static int check_text(const char *what, const char *s, size_t max, struct ferr *err)
{
    size_t n = s ? strlen(s) : 0;
    if (n > max)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%s is %zu bytes long: at most %zu are allowed", what, n, max);
    return 0;
}

static int check_digests(const char (*d)[DATA_DIGEST_LEN + 1], size_t n, struct ferr *err)
{
    if (n > DATA_OBJECTS_CALL_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%zu digests in one call: at most %d are allowed", n,
                        DATA_OBJECTS_CALL_MAX);
    for (size_t i = 0; i < n; i++)
        if (!data_digest_valid(d[i]))
            return data_validate_digest(d[i], "object digest", err);
    return 0;
}

/* ---------- datasets ---------- */

int store_datasets_list(struct store *s, const char *name_contains, int64_t max,
                        const char *page_token, struct dataset_info_list *out, struct ferr *err)
{
    int64_t off;
    memset(out, 0, sizeof(*out));
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (page_args(&max, page_token, &off, err))
        return -1;
    if (name_contains && !*name_contains)
        name_contains = NULL;
    if (check_text("name filter", name_contains, DATASET_NAME_MAX, err))
        return -1;
    if (s->datasets->list(s, name_contains, off, max + 1, out, err))
        return -1;
    if (out->n > (size_t)max) {
        dataset_info_release(&out->v[--out->n]);
        page_token_encode(off + max, &out->next_page_token);
    }
    return 0;
}

int store_dataset_get(struct store *s, const char *name, struct dataset_info *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (data_validate_name(name, err))
        return -1;
    return s->datasets->get(s, name, out, err);
}

int store_dataset_delete(struct store *s, const char *name, struct ferr *err)
{
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (data_validate_name(name, err))
        return -1;
    return s->datasets->dataset_delete(s, name, ftime_now_ms(), err);
}

/* ---------- versions ---------- */

int store_data_versions_list(struct store *s, const char *name, int64_t max, const char *page_token,
                             struct data_version_list *out, struct ferr *err)
{
    int64_t off;
    memset(out, 0, sizeof(*out));
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (data_validate_name(name, err) || page_args(&max, page_token, &off, err))
        return -1;
    if (s->datasets->versions(s, name, off, max + 1, out, err))
        return -1;
    if (out->n > (size_t)max) {
        data_version_release(&out->v[--out->n]);
        page_token_encode(off + max, &out->next_page_token);
    }
    return 0;
}

int store_data_version_get(struct store *s, const struct data_ref *ref, int with_manifest,
                           struct data_version *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (data_validate_name(ref->name, err))
        return -1;
    if (ref->kind == DATA_REF_VERSION && check_version_num(ref->version, err))
        return -1;
    if (ref->kind == DATA_REF_ALIAS && data_validate_alias(ref->alias, err))
        return -1;
    return s->datasets->version_get(s, ref, with_manifest, out, err);
}

int store_data_version_get_num(struct store *s, const char *name, int64_t version,
                               int with_manifest, struct data_version *out, struct ferr *err)
{
    struct data_ref ref = {(char *)name, DATA_REF_VERSION, version, NULL, NULL};
    return store_data_version_get(s, &ref, with_manifest, out, err);
}

/* What a manifest text says, as the store needs it. */
struct manifest_facts {
    char digest[DATA_DIGEST_LEN + 1];
    int64_t file_count, size_bytes;
    struct data_object_ref *objects; /* distinct, sorted by digest */
    size_t nobjects;
};

static void facts_release(struct manifest_facts *f)
{
    free(f->objects);
    memset(f, 0, sizeof(*f));
}

/* Parses text as a manifest (domain/data_manifest.h validates it) and
 * refuses one that is not canonical: the digest names the canonical text,
 * so a version stored under another text would never verify. */
static int manifest_facts(const char *text, struct manifest_facts *out, struct ferr *err)
{
    struct data_manifest m;
    struct sbuf canon = SBUF_INIT;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (data_manifest_parse(text, strlen(text), &m, err))
        goto out;
    data_manifest_canonical(&m, &canon);
    if (canon.len != strlen(text) || memcmp(canon.buf, text, canon.len)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "the manifest is not in canonical form (compact JSON, keys sorted, entries "
                 "sorted by path)");
        goto out;
    }
    data_manifest_digest(&m, out->digest);
    out->file_count = (int64_t)m.nfiles;
    out->size_bytes = data_manifest_size(&m);
    data_manifest_objects(&m, &out->objects, &out->nobjects);
    rc = 0;
out:
    data_manifest_release(&m);
    sbuf_release(&canon);
    return rc;
}

static int check_profile(const char *profile, struct ferr *err)
{
    if (!profile)
        return 0;
    if (check_text("the profile", profile, DATA_PROFILE_MAX, err))
        return -1;
    json_error_t je;
    json_t *j = json_loads(profile, JSON_REJECT_DUPLICATES, &je);
    int ok = j && json_is_object(j);
    json_decref(j);
    if (!ok)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the profile is not a JSON object");
    return 0;
}

static int check_new_version(const struct data_version_new *nv, struct ferr *err)
{
    if (data_validate_name(nv->name, err))
        return -1;
    if (!nv->manifest || !*nv->manifest)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a version needs a manifest");
    if (check_text("the message", nv->message, DATA_MESSAGE_MAX, err) ||
        check_text("the author", nv->author, DATA_AUTHOR_MAX, err) ||
        check_profile(nv->profile, err))
        return -1;
    if (nv->tags) {
        if (nv->tags->n > DATA_VERSION_TAGS_MAX)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "%zu tags given: at most %d are allowed", nv->tags->n,
                            DATA_VERSION_TAGS_MAX);
        for (size_t i = 0; i < nv->tags->n; i++)
            if (data_validate_tag(nv->tags->v[i].key, nv->tags->v[i].value, err))
                return -1;
    }
    return 0;
}

int store_data_version_create(struct store *s, const struct data_version_new *nv,
                              struct data_version *out, int *created, struct ferr *err)
{
    struct data_version tmp;
    struct manifest_facts f;
    if (created)
        *created = 0;
    if (out)
        memset(out, 0, sizeof(*out));
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (check_new_version(nv, err) || manifest_facts(nv->manifest, &f, err))
        return -1;
    struct data_version_row row = {
        .name = nv->name,
        .digest = f.digest,
        .manifest = nv->manifest,
        .message = nv->message ? nv->message : "",
        .author = nv->author ? nv->author : "",
        .profile = nv->profile,
        .file_count = f.file_count,
        .size_bytes = f.size_bytes,
        .created_ms = ftime_now_ms(),
        .tags = nv->tags,
    };
    int made = 0;
    memset(&tmp, 0, sizeof(tmp));
    int rc = s->datasets->version_create(s, &row, f.objects, f.nobjects, &tmp, &made, err);
    facts_release(&f);
    if (rc)
        return -1;
    if (created)
        *created = made;
    if (out)
        *out = tmp;
    else
        data_version_release(&tmp);
    return 0;
}

int store_data_version_delete(struct store *s, const char *name, int64_t version, struct ferr *err)
{
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (data_validate_name(name, err) || check_version_num(version, err))
        return -1;
    return s->datasets->version_delete(s, name, version, ftime_now_ms(), err);
}

/* ---------- aliases and tags ---------- */

int store_data_alias_set(struct store *s, const char *name, const char *alias, int64_t version,
                         struct ferr *err)
{
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (data_validate_name(name, err) || data_validate_alias(alias, err) ||
        check_version_num(version, err))
        return -1;
    return s->datasets->alias_set(s, name, alias, version, ftime_now_ms(), err);
}

int store_data_alias_delete(struct store *s, const char *name, const char *alias, struct ferr *err)
{
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (data_validate_name(name, err) || data_validate_alias(alias, err))
        return -1;
    return s->datasets->alias_delete(s, name, alias, ftime_now_ms(), err);
}

int store_data_version_tag_set(struct store *s, const char *name, int64_t version, const char *key,
                               const char *value, struct ferr *err)
{
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (!value)
        value = "";
    if (data_validate_name(name, err) || check_version_num(version, err) ||
        data_validate_tag(key, value, err))
        return -1;
    return s->datasets->tag_set(s, name, version, key, value, ftime_now_ms(), err);
}

int store_data_version_tag_delete(struct store *s, const char *name, int64_t version,
                                  const char *key, struct ferr *err)
{
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (data_validate_name(name, err) || check_version_num(version, err) ||
        data_validate_tag(key, NULL, err))
        return -1;
    return s->datasets->tag_set(s, name, version, key, NULL, ftime_now_ms(), err);
}

/* ---------- runs ---------- */

int store_data_version_runs(struct store *s, const char *name, int64_t version, int64_t max,
                            const char *page_token, struct data_run_use_list *out, struct ferr *err)
{
    int64_t off;
    memset(out, 0, sizeof(*out));
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (data_validate_name(name, err) || check_version_num(version, err) ||
        page_args(&max, page_token, &off, err))
        return -1;
    char *uri = data_uri_format(name, version);
    int rc = s->datasets->runs(s, uri, off, max + 1, out, err);
    free(uri);
    if (rc)
        return -1;
    if (out->n > (size_t)max) {
        struct data_run_use *u = &out->v[--out->n];
        free(u->run_id);
        free(u->experiment_id);
        free(u->run_name);
        free(u->status);
        free(u->context);
        page_token_encode(off + max, &out->next_page_token);
    }
    return 0;
}

/* ---------- objects ---------- */

int store_data_objects_have(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                            unsigned char *present, struct ferr *err)
{
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (check_digests(digests, n, err))
        return -1;
    memset(present, 0, n);
    if (!n)
        return 0;
    return s->datasets->objects_have(s, digests, n, ftime_now_ms(), present, err);
}

int store_data_objects_put(struct store *s, const struct data_object *objs, size_t n,
                           int64_t *added, struct ferr *err)
{
    if (added)
        *added = 0;
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (n > DATA_OBJECTS_CALL_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%zu objects in one call: at most %d are allowed", n,
                        DATA_OBJECTS_CALL_MAX);
    for (size_t i = 0; i < n; i++) {
        const struct data_object *o = &objs[i];
        if (data_validate_digest(o->digest, "object digest", err))
            return -1;
        if (o->pack[0] && data_validate_pack_id(o->pack, err))
            return -1;
        if (o->size < 0 || o->offset < 0 || (!o->pack[0] && o->offset))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "object '%s': bad size %lld or offset %lld", o->digest,
                            (long long)o->size, (long long)o->offset);
    }
    int64_t got = 0;
    if (n && s->datasets->objects_put(s, objs, n, ftime_now_ms(), &got, err))
        return -1;
    if (added)
        *added = got;
    return 0;
}

int store_data_objects_locate(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                              struct data_object *out, size_t *missing, struct ferr *err)
{
    if (missing)
        *missing = 0;
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (check_digests(digests, n, err))
        return -1;
    memset(out, 0, n * sizeof(*out));
    if (n && s->datasets->objects_locate(s, digests, n, out, err)) {
        memset(out, 0, n * sizeof(*out));
        return -1;
    }
    if (missing)
        for (size_t i = 0; i < n; i++)
            *missing += !out[i].digest[0];
    return 0;
}

int store_data_objects_list(struct store *s, const char *after, int64_t limit,
                            struct data_object_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    if (limit < 1 || limit > DATA_OBJECTS_CALL_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "limit must be between 1 and %d",
                        DATA_OBJECTS_CALL_MAX);
    if (after && *after && data_validate_digest(after, "digest to list after", err))
        return -1;
    return s->datasets->objects_list(s, after ? after : "", limit, out, err);
}

int store_data_packs_list(struct store *s, struct data_pack_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    return s->datasets->packs(s, out, err);
}

/* ---------- gc ---------- */

/* The digests every existing version names, sorted and distinct. */
struct live_set {
    char (*v)[DATA_DIGEST_LEN + 1];
    size_t n, alloc;
};

static int cmp_digest(const void *a, const void *b)
{
    return memcmp(a, b, DATA_DIGEST_LEN);
}

static int add_manifest(void *arg, const char *name, int64_t version, const char *manifest,
                        struct ferr *err)
{
    struct live_set *live = arg;
    struct data_manifest m;
    if (data_manifest_parse(manifest, strlen(manifest), &m, err)) {
        data_manifest_release(&m);
        struct ferr why = *err;
        return ferr_set(err, FERR_INTERNAL_ERROR,
                        "gc stopped: the stored manifest of %s version %lld does not parse (%s)",
                        name, (long long)version, why.msg);
    }
    struct data_object_ref *objs = NULL;
    size_t n = 0;
    data_manifest_objects(&m, &objs, &n);
    data_manifest_release(&m);
    ALLOC_GROW(live->v, live->n + n, live->alloc);
    for (size_t i = 0; i < n; i++)
        memcpy(live->v[live->n++], objs[i].digest, DATA_DIGEST_LEN + 1);
    free(objs);
    return 0;
}

static void live_finish(struct live_set *live)
{
    if (!live->n)
        return;
    qsort(live->v, live->n, sizeof(*live->v), cmp_digest);
    size_t w = 1;
    for (size_t i = 1; i < live->n; i++)
        if (memcmp(live->v[i], live->v[w - 1], DATA_DIGEST_LEN))
            memcpy(live->v[w++], live->v[i], DATA_DIGEST_LEN + 1);
    live->n = w;
}

static int live_has(const struct live_set *live, const char *digest)
{
    return live->n && bsearch(digest, live->v, live->n, sizeof(*live->v), cmp_digest);
}

static void pack_add(struct data_pack_list *l, const char *id)
{
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
    memcpy(l->v[l->n++].id, id, DATA_PACK_ID_LEN + 1);
}

static int cmp_pack(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Dry run: the packs all of whose rows are in gone. */
static int packs_emptied(struct store *s, const struct data_object_list *gone,
                         struct data_pack_list *packs, struct ferr *err)
{
    struct data_pack_list all;
    memset(&all, 0, sizeof(all));
    if (s->datasets->packs(s, &all, err))
        return -1;
    char(*ids)[DATA_PACK_ID_LEN + 1] = xmalloc((gone->n ? gone->n : 1) * sizeof(*ids));
    size_t n = 0;
    for (size_t j = 0; j < gone->n; j++)
        if (gone->v[j].pack[0])
            memcpy(ids[n++], gone->v[j].pack, DATA_PACK_ID_LEN + 1);
    qsort(ids, n, sizeof(*ids), cmp_pack);
    for (size_t i = 0, j = 0; i < all.n; i++) {
        while (j < n && strcmp(ids[j], all.v[i].id) < 0)
            j++;
        size_t k = j;
        while (k < n && !strcmp(ids[k], all.v[i].id))
            k++;
        if (k > j && (int64_t)(k - j) >= all.v[i].objects)
            pack_add(packs, all.v[i].id);
        j = k;
    }
    free(ids);
    data_pack_list_release(&all);
    return 0;
}

/* One page of candidates: those no version names are deleted (or, dry,
 * listed). */
static int gc_page(struct store *s, const struct live_set *live,
                   const struct data_object_list *cand, int64_t cutoff_ms, int dry_run,
                   struct data_object_list *deleted, struct data_pack_list *packs, struct ferr *err)
{
    char(*dead)[DATA_DIGEST_LEN + 1] = xmalloc((cand->n ? cand->n : 1) * sizeof(*dead));
    size_t nd = 0;
    for (size_t i = 0; i < cand->n; i++) {
        if (live_has(live, cand->v[i].digest))
            continue;
        if (dry_run)
            data_object_list_add(deleted, &cand->v[i]);
        else
            memcpy(dead[nd++], cand->v[i].digest, DATA_DIGEST_LEN + 1);
    }
    int rc = 0;
    if (nd)
        rc = s->datasets->gc_delete(s, (const char(*)[DATA_DIGEST_LEN + 1]) dead, nd, cutoff_ms,
                                    deleted, packs, err);
    free(dead);
    return rc;
}

int store_data_gc(struct store *s, int64_t cutoff_ms, int dry_run, struct data_object_list *deleted,
                  struct data_pack_list *packs, struct ferr *err)
{
    struct data_object_list gone, cand;
    struct data_pack_list emptied;
    struct live_set live = {NULL, 0, 0};
    char after[DATA_DIGEST_LEN + 1] = "";
    int rc = -1;
    memset(&gone, 0, sizeof(gone));
    memset(&cand, 0, sizeof(cand));
    memset(&emptied, 0, sizeof(emptied));
    if (deleted)
        memset(deleted, 0, sizeof(*deleted));
    if (packs)
        memset(packs, 0, sizeof(*packs));
    if (!s->datasets)
        return store_lacks(s, AREA, err);
    /* The manifests first: an object a version created after this read
     * names was touched by that create, so the DELETE's touched_ms check
     * keeps it. */
    if (s->datasets->manifests(s, add_manifest, &live, err))
        goto out;
    live_finish(&live);
    for (;;) {
        data_object_list_release(&cand);
        if (s->datasets->gc_candidates(s, cutoff_ms, after, GC_BATCH, &cand, err))
            goto out;
        if (gc_page(s, &live, &cand, cutoff_ms, dry_run, &gone, &emptied, err))
            goto out;
        if (cand.n < GC_BATCH)
            break;
        memcpy(after, cand.v[cand.n - 1].digest, DATA_DIGEST_LEN + 1);
    }
    if (dry_run && packs_emptied(s, &gone, &emptied, err))
        goto out;
    rc = 0;
out:
    free(live.v);
    data_object_list_release(&cand);
    if (rc || !deleted)
        data_object_list_release(&gone);
    else
        *deleted = gone;
    if (rc || !packs)
        data_pack_list_release(&emptied);
    else
        *packs = emptied;
    return rc;
}

/* ---------- the events' payloads ---------- */

static char *data_uri(const char *name, int64_t version)
{
    size_t n = strlen(name) + 32;
    char *uri = xmalloc(n);
    snprintf(uri, n, "data:/%s/%lld", name, (long long)version);
    return uri;
}

static char *payload_text(json_t *p)
{
    if (!p)
        abort(); /* out of memory, as base/xalloc.h answers it */
    char *s = fjson_dumps(p, JSON_COMPACT);
    json_decref(p);
    return s;
}

char *data_event_version_payload(const char *name, int64_t version, const char *digest)
{
    char *uri = data_uri(name, version);
    json_t *p = json_pack("{s:s, s:I, s:s, s:s}", "name", name, "version", (json_int_t)version,
                          "uri", uri, "digest", digest ? digest : "");
    free(uri);
    return payload_text(p);
}

char *data_event_alias_payload(const char *name, const char *alias, int64_t version)
{
    char *uri = data_uri(name, version);
    json_t *p = json_pack("{s:s, s:s, s:I, s:s}", "name", name, "alias", alias, "version",
                          (json_int_t)version, "uri", uri);
    free(uri);
    return payload_text(p);
}
