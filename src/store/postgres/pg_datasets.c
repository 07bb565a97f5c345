/* SPDX-License-Identifier: MIT
 * Datasets in the PostgreSQL backend (store/datasets.h's contract): the
 * tables of schema version 10.
 *
 * A version create locks the dataset's row (made first when new: INSERT
 * ... ON CONFLICT DO NOTHING, then SELECT ... FOR UPDATE), so creates of
 * one dataset on any replica follow one another, and under READ COMMITTED
 * the second one's statements see the first one's version: the same
 * content is answered with it. Its objects are touched by one UPDATE per
 * 10,000 digests (digest = ANY($1)); an object gc deletes concurrently is
 * either deleted first (the UPDATE misses it: the create is refused) or
 * touched first (gc's DELETE re-checks touched_ms after the row lock and
 * keeps it).
 *
 * Batches never cost a round trip per digest: have, put, locate and gc
 * send arrays of up to BATCH digests (text arrays, '{d1,d2,...}': digests
 * and pack ids are hex, nothing to quote). Where a statement also filters
 * on touched_ms, the array is joined (unnest) rather than tested with
 * digest = ANY(...): the planner may otherwise scan the touched_ms index
 * and test each row against the whole array (measured: 2 s for 10,000
 * digests on 100,000 rows, against 0.2 s joined). */
#include "store/postgres/pg_int.h"
#include "store/datasets.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define BATCH          10000
#define TOUCH_SLACK_MS 60000 /* as in sqlite_datasets.c */

/* ---------- helpers ---------- */

static int no_dataset(const char *name, struct ferr *err)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "dataset '%s' not found", name);
}

static int no_version(const char *name, int64_t version, struct ferr *err)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "version %lld of dataset '%s' not found",
                    (long long)version, name);
}

/* '{a,b,c}' of digests [from, to). */
static void digest_array(struct sbuf *sb, const char (*d)[DATA_DIGEST_LEN + 1], size_t from,
                         size_t to)
{
    sbuf_reset(sb);
    sbuf_grow(sb, (to - from) * (DATA_DIGEST_LEN + 1) + 2);
    sbuf_addch(sb, '{');
    for (size_t i = from; i < to; i++) {
        if (i > from)
            sbuf_addch(sb, ',');
        sbuf_add(sb, d[i], DATA_DIGEST_LEN);
    }
    sbuf_addch(sb, '}');
}

/* Runs a one-row query and hands back the result (NULL on failure). */
static PGresult *run1(struct pg_conn *c, const char *sql, const struct pg_args *a, const char *what,
                      struct ferr *err)
{
    return pg_run(c, sql, a, what, err);
}

/* Input positions sorted by digest, to map result rows back to them. */
struct pos {
    const char *d;
    size_t i;
};

struct by_digest {
    struct pos *v;
    size_t n;
};

static int cmp_pos(const void *a, const void *b)
{
    return memcmp(((const struct pos *)a)->d, ((const struct pos *)b)->d, DATA_DIGEST_LEN);
}

static void by_digest_init(struct by_digest *b, const char (*d)[DATA_DIGEST_LEN + 1], size_t n)
{
    b->n = n;
    b->v = xmalloc((n ? n : 1) * sizeof(*b->v));
    for (size_t i = 0; i < n; i++) {
        b->v[i].d = d[i];
        b->v[i].i = i;
    }
    qsort(b->v, n, sizeof(*b->v), cmp_pos);
}

/* Calls fn for each input position whose digest is digest. */
static void by_digest_each(const struct by_digest *b, const char *digest,
                           void (*fn)(void *arg, size_t pos), void *arg)
{
    size_t lo = 0, hi = b->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(b->v[mid].d, digest, DATA_DIGEST_LEN) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < b->n && !memcmp(b->v[lo].d, digest, DATA_DIGEST_LEN); lo++)
        fn(arg, b->v[lo].i);
}

/* ---------- datasets ---------- */

/* Every dataset column list the readers share: name, created, updated,
 * last, count, latest, total, aliases ("a=1,b=2"). */
#define DATASET_COLS                                                                               \
    "s.name, s.created_ms, s.updated_ms, s.last_version, "                                         \
    "(SELECT count(*) FROM data_versions v WHERE v.name = s.name), "                               \
    "(SELECT coalesce(max(version), 0) FROM data_versions v WHERE v.name = s.name), "              \
    "(SELECT coalesce(sum(size_bytes), 0) FROM data_versions v WHERE v.name = s.name), "           \
    "(SELECT string_agg(a.alias || '=' || a.version, ',' ORDER BY a.alias) FROM data_aliases a "   \
    "  WHERE a.name = s.name)"

/* "a=1,b=2" into l (aliases hold no ',' nor '='). */
static void split_pairs(const char *s, struct kv_list *l, int with_values)
{
    while (s && *s) {
        size_t n = strcspn(s, ",");
        char *item = xstrndup(s, n);
        char *eq = with_values ? strchr(item, '=') : NULL;
        if (eq)
            *eq = 0;
        kv_list_add(l, item, eq ? eq + 1 : "");
        free(item);
        s += n + (s[n] == ',');
    }
}

static void load_dataset(const PGresult *r, int i, struct dataset_info *d)
{
    memset(d, 0, sizeof(*d));
    d->name = pg_get_str(r, i, 0);
    d->created_ms = pg_get_int(r, i, 1);
    d->updated_ms = pg_get_int(r, i, 2);
    d->last_version = pg_get_int(r, i, 3);
    d->version_count = pg_get_int(r, i, 4);
    d->latest_version = pg_get_int(r, i, 5);
    d->total_size_bytes = pg_get_int(r, i, 6);
    split_pairs(pg_get_ref(r, i, 7), &d->aliases, 1);
}

static int pg_ds_list(struct store *s, const char *name_contains, int64_t offset, int64_t limit,
                      struct dataset_info_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " DATASET_COLS " FROM data_sets s WHERE s.deleted = 0 "
                              "AND ($1::text IS NULL OR strpos(s.name, $1) > 0) "
                              "ORDER BY s.name LIMIT $2 OFFSET $3";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name_contains);
    pg_args_int(&a, limit);
    pg_args_int(&a, offset);
    PGresult *r = pg_run(c, sql, &a, "listing datasets", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    for (int i = 0; i < n; i++)
        load_dataset(r, i, &out->v[out->n++]);
    PQclear(r);
    return 0;
}

static int pg_ds_get(struct store *s, const char *name, struct dataset_info *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT " DATASET_COLS " FROM data_sets s WHERE s.name = $1 AND s.deleted = 0";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading a dataset", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int rc = PQntuples(r) ? 0 : no_dataset(name, err);
    if (!rc)
        load_dataset(r, 0, out);
    PQclear(r);
    return rc;
}

/* ---------- versions ---------- */

/* name, version, digest, file_count, size_bytes, message, author,
 * created_ms, tags (a JSON object), aliases ("a,b") */
#define VERSION_COLS                                                                               \
    "v.name, v.version, v.digest, v.file_count, v.size_bytes, v.message, v.author, "               \
    "v.created_ms, "                                                                               \
    "(SELECT json_object_agg(t.key, t.value ORDER BY t.key)::text FROM data_version_tags t "       \
    "  WHERE t.name = v.name AND t.version = v.version), "                                         \
    "(SELECT string_agg(a.alias, ',' ORDER BY a.alias) FROM data_aliases a "                       \
    "  WHERE a.name = v.name AND a.version = v.version)"

static void load_version(const PGresult *r, int i, struct data_version *v)
{
    memset(v, 0, sizeof(*v));
    v->name = pg_get_str(r, i, 0);
    v->version = pg_get_int(r, i, 1);
    v->digest = pg_get_str(r, i, 2);
    v->file_count = pg_get_int(r, i, 3);
    v->size_bytes = pg_get_int(r, i, 4);
    v->message = pg_get_str(r, i, 5);
    v->author = pg_get_str(r, i, 6);
    v->created_ms = pg_get_int(r, i, 7);
    if (!pg_get_null(r, i, 8)) {
        json_error_t je;
        json_t *j = json_loads(pg_get_ref(r, i, 8), 0, &je);
        const char *k;
        json_t *val;
        json_object_foreach(j, k, val) kv_list_add(&v->tags, k, json_string_value(val));
        json_decref(j);
    }
    split_pairs(pg_get_ref(r, i, 9), &v->aliases, 0);
}

/* 0 with *found 0 when the dataset is absent or deleted. */
static int dataset_exists(struct pg_conn *c, const char *name, int *found, struct ferr *err)
{
    static const char sql[] = "SELECT 1 FROM data_sets WHERE name = $1 AND deleted = 0";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = run1(c, sql, &a, "reading a dataset", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *found = PQntuples(r) > 0;
    PQclear(r);
    return 0;
}

static int dataset_must_exist(struct pg_conn *c, const char *name, struct ferr *err)
{
    int found;
    if (dataset_exists(c, name, &found, err))
        return -1;
    return found ? 0 : no_dataset(name, err);
}

static int pg_ds_versions(struct store *s, const char *name, int64_t offset, int64_t limit,
                          struct data_version_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " VERSION_COLS " FROM data_versions v WHERE v.name = $1 "
                              "ORDER BY v.version DESC LIMIT $2 OFFSET $3";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    PGresult *r = NULL;
    if (!dataset_must_exist(c, name, err)) {
        struct pg_args a = PG_ARGS_INIT;
        pg_args_text(&a, name);
        pg_args_int(&a, limit);
        pg_args_int(&a, offset);
        r = pg_run(c, sql, &a, "listing versions", err);
        pg_args_release(&a);
    }
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    for (int i = 0; i < n; i++)
        load_version(r, i, &out->v[out->n++]);
    PQclear(r);
    return 0;
}

/* The whole version (name, number) on c; *found 0 when absent. */
static int read_version(struct pg_conn *c, const char *name, int64_t version, int with_manifest,
                        struct data_version *out, int *found, struct ferr *err)
{
    static const char sql[] = "SELECT " VERSION_COLS ", x.profile FROM data_versions v "
                              "JOIN data_version_content x ON x.name = v.name AND "
                              "x.version = v.version WHERE v.name = $1 AND v.version = $2";
    static const char with[] = "SELECT " VERSION_COLS ", x.profile, x.manifest FROM "
                               "data_versions v JOIN data_version_content x ON x.name = v.name "
                               "AND x.version = v.version WHERE v.name = $1 AND v.version = $2";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    pg_args_int(&a, version);
    PGresult *r = pg_run(c, with_manifest ? with : sql, &a, "reading a version", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *found = PQntuples(r) > 0;
    if (*found) {
        load_version(r, 0, out);
        out->profile = pg_get_str_or_null(r, 0, 10);
        if (with_manifest)
            out->manifest = pg_get_str(r, 0, 11);
    }
    PQclear(r);
    return 0;
}

static int resolve_ref(struct pg_conn *c, const struct data_ref *ref, int64_t *version,
                       struct ferr *err)
{
    static const char by_alias[] =
        "SELECT version FROM data_aliases WHERE name = $1 AND alias = $2";
    static const char latest[] = "SELECT max(version) FROM data_versions WHERE name = $1";
    if (dataset_must_exist(c, ref->name, err))
        return -1;
    if (ref->kind == DATA_REF_VERSION) {
        *version = ref->version;
        return 0;
    }
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ref->name);
    if (ref->kind == DATA_REF_ALIAS)
        pg_args_text(&a, ref->alias);
    PGresult *r =
        pg_run(c, ref->kind == DATA_REF_ALIAS ? by_alias : latest, &a, "resolving a version", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0 && !pg_get_null(r, 0, 0);
    if (found)
        *version = pg_get_int(r, 0, 0);
    PQclear(r);
    if (found)
        return 0;
    if (ref->kind == DATA_REF_ALIAS)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "alias '%s' of dataset '%s' not found",
                        ref->alias, ref->name);
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "dataset '%s' has no versions", ref->name);
}

static int pg_ds_version_get(struct store *s, const struct data_ref *ref, int with_manifest,
                             struct data_version *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    /* One snapshot: the alias and the version it names agree. */
    struct pg_conn *c = pg_snapshot_get(pg, err);
    if (!c)
        return -1;
    int64_t v = 0;
    int found = 0;
    int rc = resolve_ref(c, ref, &v, err);
    if (!rc)
        rc = read_version(c, ref->name, v, with_manifest, out, &found, err);
    if (!rc && !found)
        rc = no_version(ref->name, v, err);
    pg_snapshot_put(pg, c);
    return rc;
}

/* ---------- creating a version ---------- */

struct create_arg {
    const struct data_version_row *row;
    const struct data_object_ref *objects;
    size_t nobjects;
    struct data_version *out;
    int *created;
};

/* The first object (in digest order) without a row, for the message. */
static int first_missing(struct pg_conn *c, const struct sbuf *arr, struct ferr *err)
{
    static const char sql[] = "SELECT d FROM unnest($1::text[]) d WHERE NOT EXISTS "
                              "(SELECT 1 FROM data_objects o WHERE o.digest = d) ORDER BY d "
                              "LIMIT 1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, arr->buf);
    PGresult *r = pg_run(c, sql, &a, "finding a missing object", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    char *d = PQntuples(r) ? pg_get_str(r, 0, 0) : xstrdup("?");
    PQclear(r);
    ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
             "object '%s' is not stored: upload it before creating the version", d);
    free(d);
    return -1;
}

static int touch_objects(struct pg_conn *c, const struct data_object_ref *objs, size_t n,
                         int64_t now_ms, struct ferr *err)
{
    static const char sql[] =
        "UPDATE data_objects SET touched_ms = $2 WHERE digest = ANY($1::text[])";
    struct sbuf arr = SBUF_INIT;
    int rc = 0;
    for (size_t from = 0; from < n && !rc; from += BATCH) {
        size_t to = from + BATCH < n ? from + BATCH : n;
        sbuf_reset(&arr);
        sbuf_addch(&arr, '{');
        for (size_t i = from; i < to; i++) {
            if (i > from)
                sbuf_addch(&arr, ',');
            sbuf_add(&arr, objs[i].digest, DATA_DIGEST_LEN);
        }
        sbuf_addch(&arr, '}');
        struct pg_args a = PG_ARGS_INIT;
        pg_args_text(&a, arr.buf);
        pg_args_int(&a, now_ms);
        PGresult *r = pg_run(c, sql, &a, "touching objects", err);
        pg_args_release(&a);
        if (!r) {
            rc = -1;
            break;
        }
        int64_t got = pg_affected(r);
        PQclear(r);
        if (got < (int64_t)(to - from))
            rc = first_missing(c, &arr, err);
    }
    sbuf_release(&arr);
    return rc;
}

static int insert_version(struct pg_conn *c, const struct data_version_row *row, int64_t version,
                          struct ferr *err)
{
    static const char ver[] = "INSERT INTO data_versions (name, version, digest, file_count, "
                              "size_bytes, message, author, created_ms) "
                              "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    static const char content[] = "INSERT INTO data_version_content (name, version, profile, "
                                  "manifest) VALUES ($1, $2, $3, $4)";
    static const char tag[] = "INSERT INTO data_version_tags (name, version, key, value) "
                              "VALUES ($1, $2, $3, $4) ON CONFLICT (name, version, key) "
                              "DO UPDATE SET value = excluded.value";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, row->name);
    pg_args_int(&a, version);
    pg_args_text(&a, row->digest);
    pg_args_int(&a, row->file_count);
    pg_args_int(&a, row->size_bytes);
    pg_args_text(&a, row->message);
    pg_args_text(&a, row->author);
    pg_args_int(&a, row->created_ms);
    int rc = pg_do(c, ver, &a, "inserting a version", err);
    if (!rc) {
        pg_args_clear(&a);
        pg_args_text(&a, row->name);
        pg_args_int(&a, version);
        pg_args_text(&a, row->profile);
        pg_args_text(&a, row->manifest);
        rc = pg_do(c, content, &a, "inserting a manifest", err);
    }
    for (size_t i = 0; !rc && row->tags && i < row->tags->n; i++) {
        pg_args_clear(&a);
        pg_args_text(&a, row->name);
        pg_args_int(&a, version);
        pg_args_text(&a, row->tags->v[i].key);
        pg_args_text(&a, row->tags->v[i].value ? row->tags->v[i].value : "");
        rc = pg_do(c, tag, &a, "inserting a version tag", err);
    }
    pg_args_release(&a);
    return rc;
}

/* A dataset event into the events stream (store/datasets.h), in the
 * change's transaction; payload is taken (freed). */
static int put_event(struct pg_conn *c, const char *kind, const char *name, const char *user,
                     char *payload, int64_t now_ms, struct ferr *err)
{
    static const char sql[] = "INSERT INTO events (time_ms, kind, subject, user_id, payload) "
                              "VALUES ($1, $2, $3, $4, $5)";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, now_ms);
    pg_args_text(&a, kind);
    pg_args_text(&a, name);
    pg_args_text(&a, user ? user : "");
    pg_args_text(&a, payload);
    int rc = pg_do(c, sql, &a, "writing a dataset's event", err);
    pg_args_release(&a);
    free(payload);
    return rc;
}

static int do_create(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char make[] = "INSERT INTO data_sets (name, created_ms, updated_ms, "
                               "last_version, deleted) VALUES ($1, $2, $2, 0, 1) "
                               "ON CONFLICT (name) DO NOTHING";
    static const char lock[] =
        "SELECT last_version, deleted FROM data_sets WHERE name = $1 FOR UPDATE";
    static const char latest[] = "SELECT version, digest FROM data_versions WHERE name = $1 "
                                 "ORDER BY version DESC LIMIT 1";
    static const char bump[] = "UPDATE data_sets SET last_version = $3, updated_ms = $2, "
                               "created_ms = CASE WHEN deleted = 1 THEN $2 ELSE created_ms END, "
                               "deleted = 0 WHERE name = $1";
    struct create_arg *ca = arg;
    const struct data_version_row *row = ca->row;
    int found;
    data_version_release(ca->out);
    *ca->created = 0;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, row->name);
    pg_args_int(&a, row->created_ms);
    if (pg_do(c, make, &a, "making a dataset", err))
        goto fail;
    pg_args_clear(&a);
    pg_args_text(&a, row->name);
    PGresult *r = pg_run(c, lock, &a, "locking a dataset", err);
    if (!r)
        goto fail;
    int64_t last = PQntuples(r) ? pg_get_int(r, 0, 0) : 0;
    int deleted = PQntuples(r) ? (int)pg_get_int(r, 0, 1) : 1;
    PQclear(r);
    if (!deleted) {
        if (!(r = pg_run(c, latest, &a, "reading the latest version", err)))
            goto fail;
        int same = PQntuples(r) && !strcmp(pg_get_ref(r, 0, 1), row->digest);
        int64_t v = PQntuples(r) ? pg_get_int(r, 0, 0) : 0;
        PQclear(r);
        if (same) {
            pg_args_release(&a);
            return read_version(c, row->name, v, 0, ca->out, &found, err);
        }
    }
    if (touch_objects(c, ca->objects, ca->nobjects, row->created_ms, err))
        goto fail;
    pg_args_clear(&a);
    pg_args_text(&a, row->name);
    pg_args_int(&a, row->created_ms);
    pg_args_int(&a, last + 1);
    if (pg_do(c, bump, &a, "writing a dataset", err) || insert_version(c, row, last + 1, err) ||
        put_event(c, DATA_EVENT_VERSION_CREATED, row->name, row->author,
                  data_event_version_payload(row->name, last + 1, row->digest), row->created_ms,
                  err) ||
        read_version(c, row->name, last + 1, 0, ca->out, &found, err))
        goto fail;
    pg_args_release(&a);
    *ca->created = 1;
    return 0;
fail:
    pg_args_release(&a);
    data_version_release(ca->out);
    return -1;
}

static int pg_ds_version_create(struct store *s, const struct data_version_row *row,
                                const struct data_object_ref *objects, size_t nobjects,
                                struct data_version *out, int *created, struct ferr *err)
{
    struct create_arg a = {row, objects, nobjects, out, created};
    int rc = pg_write((struct pg *)s, do_create, &a, err);
    if (rc) {
        data_version_release(out);
        *created = 0;
    }
    return rc;
}

/* ---------- deleting, aliases, tags ---------- */

struct change_arg {
    const char *name, *alias, *key, *value;
    int64_t version, now_ms;
};

/* The dataset's row locked; RESOURCE_DOES_NOT_EXIST without it. */
static int lock_dataset(struct pg_conn *c, const char *name, struct ferr *err)
{
    static const char sql[] = "SELECT 1 FROM data_sets WHERE name = $1 AND deleted = 0 FOR UPDATE";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "locking a dataset", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found ? 0 : no_dataset(name, err);
}

static int version_must_exist(struct pg_conn *c, const char *name, int64_t version,
                              struct ferr *err)
{
    static const char sql[] = "SELECT 1 FROM data_versions WHERE name = $1 AND version = $2";
    if (lock_dataset(c, name, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    pg_args_int(&a, version);
    PGresult *r = pg_run(c, sql, &a, "reading a version", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found ? 0 : no_version(name, version, err);
}

static int touch_dataset(struct pg_conn *c, const char *name, int64_t now_ms, struct ferr *err)
{
    static const char sql[] = "UPDATE data_sets SET updated_ms = $2 WHERE name = $1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    pg_args_int(&a, now_ms);
    int rc = pg_do(c, sql, &a, "updating a dataset", err);
    pg_args_release(&a);
    return rc;
}

/* Runs sql with ($1 name, $2 version or alias, ...) as a; *n its rows. */
static int change_rows(struct pg_conn *c, const char *sql, const struct pg_args *a, int64_t *n,
                       const char *what, struct ferr *err)
{
    PGresult *r = pg_run(c, sql, a, what, err);
    if (!r)
        return -1;
    *n = pg_affected(r);
    PQclear(r);
    return 0;
}

static int do_version_delete(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "DELETE FROM data_versions WHERE name = $1 AND version = $2";
    struct change_arg *ca = arg;
    int64_t n;
    if (version_must_exist(c, ca->name, ca->version, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ca->name);
    pg_args_int(&a, ca->version);
    int rc = change_rows(c, sql, &a, &n, "deleting a version", err);
    pg_args_release(&a);
    return rc ? -1 : touch_dataset(c, ca->name, ca->now_ms, err);
}

static int pg_ds_version_delete(struct store *s, const char *name, int64_t version, int64_t now_ms,
                                struct ferr *err)
{
    struct change_arg a = {name, NULL, NULL, NULL, version, now_ms};
    return pg_write((struct pg *)s, do_version_delete, &a, err);
}

static int do_dataset_delete(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char versions[] = "DELETE FROM data_versions WHERE name = $1";
    static const char hide[] = "UPDATE data_sets SET deleted = 1, updated_ms = $2 WHERE name = $1";
    struct change_arg *ca = arg;
    if (lock_dataset(c, ca->name, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ca->name);
    int rc = pg_do(c, versions, &a, "deleting versions", err);
    pg_args_int(&a, ca->now_ms);
    if (!rc)
        rc = pg_do(c, hide, &a, "deleting a dataset", err);
    pg_args_release(&a);
    return rc;
}

static int pg_ds_dataset_delete(struct store *s, const char *name, int64_t now_ms, struct ferr *err)
{
    struct change_arg a = {name, NULL, NULL, NULL, 0, now_ms};
    return pg_write((struct pg *)s, do_dataset_delete, &a, err);
}

static int do_alias_set(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "INSERT INTO data_aliases (name, alias, version) "
                              "VALUES ($1, $2, $3) ON CONFLICT (name, alias) "
                              "DO UPDATE SET version = excluded.version";
    static const char cur[] = "SELECT version FROM data_aliases WHERE name = $1 AND alias = $2";
    struct change_arg *ca = arg;
    /* version_must_exist locks the dataset's row: alias moves follow one another */
    if (version_must_exist(c, ca->name, ca->version, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ca->name);
    pg_args_text(&a, ca->alias);
    PGresult *r = pg_run(c, cur, &a, "reading an alias", err);
    if (!r) {
        pg_args_release(&a);
        return -1;
    }
    int moved = PQntuples(r) != 1 || pg_get_int(r, 0, 0) != ca->version;
    PQclear(r);
    pg_args_int(&a, ca->version);
    int rc = pg_do(c, sql, &a, "setting an alias", err);
    pg_args_release(&a);
    if (rc == 0 && moved)
        rc = put_event(c, DATA_EVENT_ALIAS_SET, ca->name, "",
                       data_event_alias_payload(ca->name, ca->alias, ca->version), ca->now_ms, err);
    return rc ? -1 : touch_dataset(c, ca->name, ca->now_ms, err);
}

static int pg_ds_alias_set(struct store *s, const char *name, const char *alias, int64_t version,
                           int64_t now_ms, struct ferr *err)
{
    struct change_arg a = {name, alias, NULL, NULL, version, now_ms};
    return pg_write((struct pg *)s, do_alias_set, &a, err);
}

static int do_alias_delete(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "DELETE FROM data_aliases WHERE name = $1 AND alias = $2";
    struct change_arg *ca = arg;
    int64_t n;
    if (lock_dataset(c, ca->name, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ca->name);
    pg_args_text(&a, ca->alias);
    int rc = change_rows(c, sql, &a, &n, "deleting an alias", err);
    pg_args_release(&a);
    if (rc)
        return -1;
    if (!n)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "alias '%s' of dataset '%s' not found",
                        ca->alias, ca->name);
    return touch_dataset(c, ca->name, ca->now_ms, err);
}

static int pg_ds_alias_delete(struct store *s, const char *name, const char *alias, int64_t now_ms,
                              struct ferr *err)
{
    struct change_arg a = {name, alias, NULL, NULL, 0, now_ms};
    return pg_write((struct pg *)s, do_alias_delete, &a, err);
}

static int do_tag(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char set[] = "INSERT INTO data_version_tags (name, version, key, value) "
                              "VALUES ($1, $2, $3, $4) ON CONFLICT (name, version, key) "
                              "DO UPDATE SET value = excluded.value";
    static const char del[] =
        "DELETE FROM data_version_tags WHERE name = $1 AND version = $2 AND key = $3";
    struct change_arg *ca = arg;
    int64_t n = 0;
    if (version_must_exist(c, ca->name, ca->version, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ca->name);
    pg_args_int(&a, ca->version);
    pg_args_text(&a, ca->key);
    if (ca->value)
        pg_args_text(&a, ca->value);
    int rc = change_rows(c, ca->value ? set : del, &a, &n, "writing a version tag", err);
    pg_args_release(&a);
    if (rc)
        return -1;
    if (!ca->value && !n)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "tag '%s' of version %lld of dataset '%s' not found", ca->key,
                        (long long)ca->version, ca->name);
    return touch_dataset(c, ca->name, ca->now_ms, err);
}

static int pg_ds_tag_set(struct store *s, const char *name, int64_t version, const char *key,
                         const char *value, int64_t now_ms, struct ferr *err)
{
    struct change_arg a = {name, NULL, key, value, version, now_ms};
    return pg_write((struct pg *)s, do_tag, &a, err);
}

/* ---------- runs ---------- */

static int pg_ds_runs(struct store *s, const char *source_uri, int64_t offset, int64_t limit,
                      struct data_run_use_list *out, struct ferr *err)
{
    /* left(source, 256) first: the index (schema version 10) is on it. */
    static const char sql[] =
        "SELECT r.run_uuid, r.experiment_id, r.name, r.status, coalesce(r.start_time, 0), "
        "  coalesce((SELECT t.value FROM input_tags t WHERE t.run = i.run "
        "    AND t.dataset = i.dataset AND t.key = 'mlflow.data.context'), '') "
        "FROM datasets d JOIN run_inputs i ON i.dataset = d.id JOIN runs r ON r.id = i.run "
        "WHERE left(d.source, 256) IN (left($1, 256), left($2, 256), left($3, 256)) "
        "  AND d.source IN ($1, $2, $3) "
        "ORDER BY r.start_time DESC NULLS LAST, r.id DESC LIMIT $4 OFFSET $5";
    struct pg *pg = (struct pg *)s;
    struct sbuf j1 = SBUF_INIT, j2 = SBUF_INIT;
    sbuf_addf(&j1, "{\"uri\": \"%s\"}", source_uri);
    sbuf_addf(&j2, "{\"uri\":\"%s\"}", source_uri);
    struct pg_conn *c = pg_reader_get(pg, err);
    PGresult *r = NULL;
    if (c) {
        struct pg_args a = PG_ARGS_INIT;
        pg_args_text(&a, source_uri);
        pg_args_text(&a, j1.buf);
        pg_args_text(&a, j2.buf);
        pg_args_int(&a, limit);
        pg_args_int(&a, offset);
        r = pg_run(c, sql, &a, "finding the runs of a version", err);
        pg_args_release(&a);
        pg_reader_put(pg, c);
    }
    sbuf_release(&j1);
    sbuf_release(&j2);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    for (int i = 0; i < n; i++) {
        struct data_run_use *u = &out->v[out->n++];
        u->run_id = pg_get_str(r, i, 0);
        u->experiment_id = pg_get_str(r, i, 1);
        u->run_name = pg_get_str(r, i, 2);
        u->status = pg_get_str(r, i, 3);
        u->start_time = pg_get_int(r, i, 4);
        u->context = pg_get_str(r, i, 5);
    }
    PQclear(r);
    return 0;
}

/* ---------- objects ---------- */

struct have_arg {
    const char (*digests)[DATA_DIGEST_LEN + 1];
    size_t n;
    int64_t now_ms;
    unsigned char *present;
    struct by_digest bd;
};

static void mark_present(void *arg, size_t pos)
{
    ((unsigned char *)arg)[pos] = 1;
}

static int do_have(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    /* The rows this UPDATE touched, and those touched within the slack
     * (the snapshot's: gc never deletes such a young row). A row another
     * writer touched meanwhile may be missed: reported absent, it is
     * uploaded again, which is harmless; never the other way round. */
    static const char sql[] =
        "WITH t AS (UPDATE data_objects o SET touched_ms = $2 FROM unnest($1::text[]) AS d(digest) "
        "  WHERE o.digest = d.digest AND o.touched_ms < $3 RETURNING o.digest) "
        "SELECT digest FROM t UNION ALL "
        "SELECT o.digest FROM unnest($1::text[]) AS d(digest) JOIN data_objects o "
        "  ON o.digest = d.digest WHERE o.touched_ms >= $3";
    struct have_arg *ha = arg;
    struct sbuf arr = SBUF_INIT;
    int rc = 0;
    memset(ha->present, 0, ha->n);
    for (size_t from = 0; from < ha->n && !rc; from += BATCH) {
        size_t to = from + BATCH < ha->n ? from + BATCH : ha->n;
        digest_array(&arr, ha->digests, from, to);
        struct pg_args a = PG_ARGS_INIT;
        pg_args_text(&a, arr.buf);
        pg_args_int(&a, ha->now_ms);
        pg_args_int(&a, ha->now_ms - TOUCH_SLACK_MS);
        PGresult *r = pg_run(c, sql, &a, "looking objects up", err);
        pg_args_release(&a);
        if (!r) {
            rc = -1;
            break;
        }
        for (int i = 0, n = PQntuples(r); i < n; i++)
            by_digest_each(&ha->bd, pg_get_ref(r, i, 0), mark_present, ha->present);
        PQclear(r);
    }
    sbuf_release(&arr);
    return rc;
}

static int pg_ds_objects_have(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                              int64_t now_ms, unsigned char *present, struct ferr *err)
{
    struct have_arg a = {digests, n, now_ms, present, {NULL, 0}};
    by_digest_init(&a.bd, digests, n);
    int rc = pg_write((struct pg *)s, do_have, &a, err);
    free(a.bd.v);
    if (rc)
        memset(present, 0, n);
    return rc;
}

struct put_arg {
    const struct data_object *objs;
    size_t n;
    int64_t now_ms;
    int64_t added;
};

static int do_put(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char ins[] =
        "INSERT INTO data_objects (digest, size, pack, off, touched_ms) "
        "SELECT d, sz, p, o, $5 FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[]) "
        "  AS u(d, sz, p, o) ON CONFLICT (digest) DO NOTHING";
    static const char touch[] = "UPDATE data_objects o SET touched_ms = $2 "
                                "FROM unnest($1::text[]) AS d(digest) "
                                "WHERE o.digest = d.digest AND o.touched_ms < $3";
    struct put_arg *pa = arg;
    struct sbuf d = SBUF_INIT, sz = SBUF_INIT, p = SBUF_INIT, o = SBUF_INIT;
    int rc = 0;
    pa->added = 0;
    for (size_t from = 0; from < pa->n && !rc; from += BATCH) {
        size_t to = from + BATCH < pa->n ? from + BATCH : pa->n;
        sbuf_reset(&d);
        sbuf_reset(&sz);
        sbuf_reset(&p);
        sbuf_reset(&o);
        for (size_t i = from; i < to; i++) {
            const struct data_object *x = &pa->objs[i];
            const char *sep = i > from ? "," : "{";
            sbuf_addf(&d, "%s%s", sep, x->digest);
            sbuf_addf(&sz, "%s%lld", sep, (long long)x->size);
            sbuf_addf(&p, "%s%s", sep, x->pack[0] ? x->pack : "NULL");
            sbuf_addf(&o, "%s%lld", sep, (long long)x->offset);
        }
        sbuf_addch(&d, '}');
        sbuf_addch(&sz, '}');
        sbuf_addch(&p, '}');
        sbuf_addch(&o, '}');
        struct pg_args a = PG_ARGS_INIT;
        pg_args_text(&a, d.buf);
        pg_args_text(&a, sz.buf);
        pg_args_text(&a, p.buf);
        pg_args_text(&a, o.buf);
        pg_args_int(&a, pa->now_ms);
        PGresult *r = pg_run(c, ins, &a, "recording objects", err);
        if (r) {
            pa->added += pg_affected(r);
            PQclear(r);
            pg_args_clear(&a);
            pg_args_text(&a, d.buf);
            pg_args_int(&a, pa->now_ms);
            pg_args_int(&a, pa->now_ms - TOUCH_SLACK_MS);
            rc = pg_do(c, touch, &a, "touching objects", err);
        } else {
            rc = -1;
        }
        pg_args_release(&a);
    }
    sbuf_release(&d);
    sbuf_release(&sz);
    sbuf_release(&p);
    sbuf_release(&o);
    return rc;
}

static int pg_ds_objects_put(struct store *s, const struct data_object *objs, size_t n,
                             int64_t now_ms, int64_t *added, struct ferr *err)
{
    struct put_arg a = {objs, n, now_ms, 0};
    int rc = pg_write((struct pg *)s, do_put, &a, err);
    *added = rc ? 0 : a.added;
    return rc;
}

#define OBJECT_COLS "digest, size, pack, off, touched_ms"

static void load_object(const PGresult *r, int i, struct data_object *o)
{
    memset(o, 0, sizeof(*o));
    snprintf(o->digest, sizeof(o->digest), "%s", pg_get_ref(r, i, 0));
    o->size = pg_get_int(r, i, 1);
    snprintf(o->pack, sizeof(o->pack), "%s", pg_get_ref(r, i, 2));
    o->offset = pg_get_int(r, i, 3);
    o->touched_ms = pg_get_int(r, i, 4);
}

struct locate_fill {
    struct data_object *out;
    const struct data_object *row;
};

static void fill_one(void *arg, size_t pos)
{
    struct locate_fill *f = arg;
    f->out[pos] = *f->row;
}

static int pg_ds_objects_locate(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1],
                                size_t n, struct data_object *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT " OBJECT_COLS " FROM data_objects WHERE digest = ANY($1::text[])";
    struct pg *pg = (struct pg *)s;
    struct by_digest bd;
    struct sbuf arr = SBUF_INIT;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    by_digest_init(&bd, digests, n);
    int rc = 0;
    for (size_t from = 0; from < n && !rc; from += BATCH) {
        size_t to = from + BATCH < n ? from + BATCH : n;
        digest_array(&arr, digests, from, to);
        struct pg_args a = PG_ARGS_INIT;
        pg_args_text(&a, arr.buf);
        PGresult *r = pg_run(c, sql, &a, "locating objects", err);
        pg_args_release(&a);
        if (!r) {
            rc = -1;
            break;
        }
        for (int i = 0, k = PQntuples(r); i < k; i++) {
            struct data_object row;
            load_object(r, i, &row);
            struct locate_fill f = {out, &row};
            by_digest_each(&bd, row.digest, fill_one, &f);
        }
        PQclear(r);
    }
    pg_reader_put(pg, c);
    free(bd.v);
    sbuf_release(&arr);
    return rc;
}

/* Appends the rows of sql ($1 an integer, $2 text, $3 the limit). */
static int object_rows(struct pg *pg, const char *sql, int64_t x, const char *after, int64_t limit,
                       struct data_object_list *out, struct ferr *err)
{
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, x);
    pg_args_text(&a, after);
    pg_args_int(&a, limit);
    PGresult *r = pg_run(c, sql, &a, "listing objects", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int n = PQntuples(r);
    ALLOC_GROW(out->v, out->n + (size_t)n, out->alloc);
    for (int i = 0; i < n; i++)
        load_object(r, i, &out->v[out->n++]);
    PQclear(r);
    return 0;
}

static int pg_ds_objects_list(struct store *s, const char *after, int64_t limit,
                              struct data_object_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " OBJECT_COLS " FROM data_objects "
                              "WHERE $1::bigint = $1 AND digest > $2 ORDER BY digest LIMIT $3";
    return object_rows((struct pg *)s, sql, 0, after, limit, out, err);
}

static int pg_ds_gc_candidates(struct store *s, int64_t cutoff_ms, const char *after, int64_t limit,
                               struct data_object_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " OBJECT_COLS " FROM data_objects "
                              "WHERE touched_ms < $1 AND digest > $2 ORDER BY digest LIMIT $3";
    return object_rows((struct pg *)s, sql, cutoff_ms, after, limit, out, err);
}

static int pg_ds_packs(struct store *s, struct data_pack_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT pack, count(*), sum(size) FROM data_objects "
                              "WHERE pack IS NOT NULL GROUP BY pack ORDER BY pack";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    PGresult *r = pg_run(c, sql, NULL, "listing packs", err);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    for (int i = 0; i < n; i++) {
        struct data_pack *p = &out->v[out->n++];
        snprintf(p->id, sizeof(p->id), "%s", pg_get_ref(r, i, 0));
        p->objects = pg_get_int(r, i, 1);
        p->bytes = pg_get_int(r, i, 2);
    }
    PQclear(r);
    return 0;
}

struct manifest_walk {
    data_manifest_fn fn;
    void *arg;
    int rc;
    struct ferr err;
};

static void manifest_row(void *arg, const PGresult *r, int row)
{
    struct manifest_walk *w = arg;
    if (w->rc)
        return;
    /* binary cells: text is its bytes (libpq adds the NUL), the version an int8 */
    w->rc =
        w->fn(w->arg, PQgetvalue(r, row, 0), pg_bin_int(r, row, 1), PQgetvalue(r, row, 2), &w->err);
}

static int pg_ds_manifests(struct store *s, data_manifest_fn fn, void *arg, struct ferr *err)
{
    static const char sql[] = "SELECT name, version, manifest FROM data_version_content";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct manifest_walk w = {fn, arg, 0, FERR_INIT};
    int rc = pg_run_rows(c, sql, NULL, manifest_row, &w, "reading manifests", err);
    pg_reader_put(pg, c);
    if (!rc && w.rc) {
        *err = w.err;
        rc = -1;
    }
    return rc;
}

struct gc_arg {
    const char (*digests)[DATA_DIGEST_LEN + 1];
    size_t n;
    int64_t cutoff_ms;
    struct data_object_list *deleted;
    struct data_pack_list *packs;
    size_t deleted0, packs0; /* their lengths before: a retried run starts there */
};

static int orphan_packs(struct pg_conn *c, struct gc_arg *ga, struct ferr *err)
{
    static const char sql[] = "SELECT p FROM unnest($1::text[]) p WHERE NOT EXISTS "
                              "(SELECT 1 FROM data_objects o WHERE o.pack = p)";
    struct sbuf arr = SBUF_INIT;
    int any = 0;
    sbuf_addch(&arr, '{');
    for (size_t i = ga->deleted0; i < ga->deleted->n; i++) {
        const char *p = ga->deleted->v[i].pack;
        if (!p[0])
            continue;
        sbuf_addf(&arr, "%s%s", any ? "," : "", p);
        any = 1;
    }
    sbuf_addch(&arr, '}');
    int rc = 0;
    if (any) {
        struct pg_args a = PG_ARGS_INIT;
        pg_args_text(&a, arr.buf);
        PGresult *r = pg_run(c, sql, &a, "checking packs", err);
        pg_args_release(&a);
        if (!r) {
            rc = -1;
        } else {
            for (int i = 0, n = PQntuples(r); i < n; i++) {
                const char *id = pg_get_ref(r, i, 0);
                int seen = 0;
                for (size_t j = ga->packs0; j < ga->packs->n && !seen; j++)
                    seen = !strcmp(ga->packs->v[j].id, id);
                if (seen)
                    continue;
                ALLOC_GROW(ga->packs->v, ga->packs->n + 1, ga->packs->alloc);
                struct data_pack *pk = &ga->packs->v[ga->packs->n++];
                memset(pk, 0, sizeof(*pk));
                snprintf(pk->id, sizeof(pk->id), "%s", id);
            }
            PQclear(r);
        }
    }
    sbuf_release(&arr);
    return rc;
}

static int do_gc_delete(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "DELETE FROM data_objects o USING unnest($1::text[]) AS d(digest) "
                              "WHERE o.digest = d.digest AND o.touched_ms < $2 RETURNING "
                              "o.digest, o.size, o.pack, o.off, o.touched_ms";
    struct gc_arg *ga = arg;
    struct sbuf arr = SBUF_INIT;
    ga->deleted->n = ga->deleted0;
    ga->packs->n = ga->packs0;
    int rc = 0;
    for (size_t from = 0; from < ga->n && !rc; from += BATCH) {
        size_t to = from + BATCH < ga->n ? from + BATCH : ga->n;
        digest_array(&arr, ga->digests, from, to);
        struct pg_args a = PG_ARGS_INIT;
        pg_args_text(&a, arr.buf);
        pg_args_int(&a, ga->cutoff_ms);
        PGresult *r = pg_run(c, sql, &a, "deleting objects", err);
        pg_args_release(&a);
        if (!r) {
            rc = -1;
            break;
        }
        for (int i = 0, n = PQntuples(r); i < n; i++) {
            struct data_object o;
            load_object(r, i, &o);
            data_object_list_add(ga->deleted, &o);
        }
        PQclear(r);
    }
    sbuf_release(&arr);
    return rc ? -1 : orphan_packs(c, ga, err);
}

static int pg_ds_gc_delete(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                           int64_t cutoff_ms, struct data_object_list *deleted,
                           struct data_pack_list *packs, struct ferr *err)
{
    struct gc_arg a = {digests, n, cutoff_ms, deleted, packs, deleted->n, packs->n};
    int rc = pg_write((struct pg *)s, do_gc_delete, &a, err);
    if (rc) {
        deleted->n = a.deleted0;
        packs->n = a.packs0;
    }
    return rc;
}

const struct store_dataset_ops pg_datasets = {
    .list = pg_ds_list,
    .get = pg_ds_get,
    .dataset_delete = pg_ds_dataset_delete,
    .versions = pg_ds_versions,
    .version_get = pg_ds_version_get,
    .version_create = pg_ds_version_create,
    .version_delete = pg_ds_version_delete,
    .alias_set = pg_ds_alias_set,
    .alias_delete = pg_ds_alias_delete,
    .tag_set = pg_ds_tag_set,
    .runs = pg_ds_runs,
    .objects_have = pg_ds_objects_have,
    .objects_put = pg_ds_objects_put,
    .objects_locate = pg_ds_objects_locate,
    .objects_list = pg_ds_objects_list,
    .packs = pg_ds_packs,
    .manifests = pg_ds_manifests,
    .gc_candidates = pg_ds_gc_candidates,
    .gc_delete = pg_ds_gc_delete,
};
