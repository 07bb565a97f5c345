/* SPDX-License-Identifier: MIT
 * Datasets in the SQLite backend (store/datasets.h's contract): the tables
 * of schema.c's migration 10. Each change is one write transaction on the
 * writer connection (SQLite writes one at a time, across processes too),
 * so a version create reads the latest version, touches its objects and
 * takes counter+1 with nothing in between; two creates of the same content
 * run one after the other and the second finds the first's version. Reads
 * use a pooled reader. Batches (have, put, locate, gc) are one cached
 * statement stepped per digest, in-process: no round trips to batch away. */
#include "store/sqlite/sqlite_int.h"
#include "store/datasets.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* A row touched this recently is not rewritten by a touch (gc's margin is
 * an hour; this saves rewriting 100,000 rows on every repeated add). */
#define TOUCH_SLACK_MS 60000

#define VERSION_COLS "name, version, digest, file_count, size_bytes, message, author, created_ms"

static int step_done(struct sq_conn *c, sqlite3_stmt *st, const char *what, struct ferr *err)
{
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, what, err);
}

static void end_stmt(sqlite3_stmt *st)
{
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
}

static void bind_str(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static int no_dataset(const char *name, struct ferr *err)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "dataset '%s' not found", name);
}

static int no_version(const char *name, int64_t version, struct ferr *err)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "version %lld of dataset '%s' not found",
                    (long long)version, name);
}

/* *found: the dataset exists (and is not deleted); *last its counter. */
static int read_dataset(struct sq_conn *c, const char *name, int *found, int64_t *last,
                        int *deleted, struct ferr *err)
{
    static const char sql[] = "SELECT last_version, deleted FROM data_sets WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    bind_str(st, 1, name);
    int rc = sqlite3_step(st);
    *found = 0;
    if (last)
        *last = 0;
    if (deleted)
        *deleted = 0;
    if (rc == SQLITE_ROW) {
        *found = !sqlite3_column_int(st, 1);
        if (last)
            *last = sqlite3_column_int64(st, 0);
        if (deleted)
            *deleted = sqlite3_column_int(st, 1);
    }
    end_stmt(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_fail(c, "reading a dataset", err);
    return 0;
}

static int dataset_must_exist(struct sq_conn *c, const char *name, struct ferr *err)
{
    int found;
    if (read_dataset(c, name, &found, NULL, NULL, err))
        return -1;
    return found ? 0 : no_dataset(name, err);
}

static int version_exists(struct sq_conn *c, const char *name, int64_t version, int *found,
                          struct ferr *err)
{
    static const char sql[] = "SELECT 1 FROM data_versions WHERE name = ? AND version = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    bind_str(st, 1, name);
    sqlite3_bind_int64(st, 2, version);
    int rc = sqlite3_step(st);
    end_stmt(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_fail(c, "reading a version", err);
    *found = rc == SQLITE_ROW;
    return 0;
}

/* RESOURCE_DOES_NOT_EXIST naming the dataset or the version. */
static int version_must_exist(struct sq_conn *c, const char *name, int64_t version,
                              struct ferr *err)
{
    int found = 0;
    if (dataset_must_exist(c, name, err) || version_exists(c, name, version, &found, err))
        return -1;
    return found ? 0 : no_version(name, version, err);
}

static int touch_dataset(struct sq_conn *c, const char *name, int64_t now_ms, struct ferr *err)
{
    static const char sql[] = "UPDATE data_sets SET updated_ms = ? WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now_ms);
    bind_str(st, 2, name);
    return step_done(c, st, "updating a dataset", err);
}

/* ---------- reading datasets ---------- */

static int load_dataset_extra(struct sq_conn *c, struct dataset_info *d, struct ferr *err)
{
    static const char stats[] = "SELECT count(*), coalesce(max(version), 0), "
                                "coalesce(sum(size_bytes), 0) FROM data_versions WHERE name = ?";
    static const char aliases[] =
        "SELECT alias, version FROM data_aliases WHERE name = ? ORDER BY alias";
    sqlite3_stmt *st = sq_prep(c, stats, err);
    if (!st)
        return -1;
    bind_str(st, 1, d->name);
    if (sqlite3_step(st) != SQLITE_ROW) {
        end_stmt(st);
        return sq_fail(c, "counting versions", err);
    }
    d->version_count = sqlite3_column_int64(st, 0);
    d->latest_version = sqlite3_column_int64(st, 1);
    d->total_size_bytes = sqlite3_column_int64(st, 2);
    end_stmt(st);
    if (!(st = sq_prep(c, aliases, err)))
        return -1;
    bind_str(st, 1, d->name);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char num[24];
        snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(st, 1));
        kv_list_add(&d->aliases, (const char *)sqlite3_column_text(st, 0), num);
    }
    end_stmt(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading aliases", err);
}

static void load_dataset_row(sqlite3_stmt *st, struct dataset_info *d)
{
    memset(d, 0, sizeof(*d));
    d->name = sq_col_str(st, 0);
    d->created_ms = sqlite3_column_int64(st, 1);
    d->updated_ms = sqlite3_column_int64(st, 2);
    d->last_version = sqlite3_column_int64(st, 3);
}

static int sq_ds_list(struct store *s, const char *name_contains, int64_t offset, int64_t limit,
                      struct dataset_info_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT name, created_ms, updated_ms, last_version FROM data_sets "
                              "WHERE deleted = 0 AND (?1 IS NULL OR instr(name, ?1) > 0) ORDER BY "
                              "name LIMIT ?2 OFFSET ?3";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int ret = -1, rc;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        goto out;
    if (name_contains)
        bind_str(st, 1, name_contains);
    sqlite3_bind_int64(st, 2, limit);
    sqlite3_bind_int64(st, 3, offset);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        load_dataset_row(st, &out->v[out->n++]);
    }
    end_stmt(st);
    if (rc != SQLITE_DONE) {
        sq_fail(c, "listing datasets", err);
        goto out;
    }
    for (size_t i = 0; i < out->n; i++)
        if (load_dataset_extra(c, &out->v[i], err))
            goto out;
    ret = 0;
out:
    sq_reader_put(sq, c);
    if (ret)
        dataset_info_list_release(out);
    return ret;
}

static int sq_ds_get(struct store *s, const char *name, struct dataset_info *out, struct ferr *err)
{
    static const char sql[] = "SELECT name, created_ms, updated_ms, last_version FROM data_sets "
                              "WHERE name = ? AND deleted = 0";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int ret = -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        goto out;
    bind_str(st, 1, name);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        load_dataset_row(st, out);
    end_stmt(st);
    if (rc == SQLITE_DONE)
        no_dataset(name, err);
    else if (rc != SQLITE_ROW)
        sq_fail(c, "reading a dataset", err);
    else
        ret = load_dataset_extra(c, out, err);
out:
    sq_reader_put(sq, c);
    if (ret)
        dataset_info_release(out);
    return ret;
}

/* ---------- reading versions ---------- */

static void load_version_row(sqlite3_stmt *st, struct data_version *v)
{
    memset(v, 0, sizeof(*v));
    v->name = sq_col_str(st, 0);
    v->version = sqlite3_column_int64(st, 1);
    v->digest = sq_col_str(st, 2);
    v->file_count = sqlite3_column_int64(st, 3);
    v->size_bytes = sqlite3_column_int64(st, 4);
    v->message = sq_col_str(st, 5);
    v->author = sq_col_str(st, 6);
    v->created_ms = sqlite3_column_int64(st, 7);
}

/* Tags and aliases of v. */
static int load_version_extra(struct sq_conn *c, struct data_version *v, struct ferr *err)
{
    static const char tags[] = "SELECT key, value FROM data_version_tags "
                               "WHERE name = ? AND version = ? ORDER BY key";
    static const char aliases[] = "SELECT alias FROM data_aliases "
                                  "WHERE name = ? AND version = ? ORDER BY alias";
    sqlite3_stmt *st = sq_prep(c, tags, err);
    int rc;
    if (!st)
        return -1;
    bind_str(st, 1, v->name);
    sqlite3_bind_int64(st, 2, v->version);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(&v->tags, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1));
    end_stmt(st);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "reading version tags", err);
    if (!(st = sq_prep(c, aliases, err)))
        return -1;
    bind_str(st, 1, v->name);
    sqlite3_bind_int64(st, 2, v->version);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(&v->aliases, (const char *)sqlite3_column_text(st, 0), "");
    end_stmt(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading version aliases", err);
}

/* The profile, and the manifest when asked (profile is the column before
 * manifest: reading it does not walk the manifest's pages). */
static int load_version_content(struct sq_conn *c, struct data_version *v, int with_manifest,
                                struct ferr *err)
{
    static const char prof[] = "SELECT profile FROM data_version_content "
                               "WHERE name = ? AND version = ?";
    static const char both[] = "SELECT profile, manifest FROM data_version_content "
                               "WHERE name = ? AND version = ?";
    sqlite3_stmt *st = sq_prep(c, with_manifest ? both : prof, err);
    if (!st)
        return -1;
    bind_str(st, 1, v->name);
    sqlite3_bind_int64(st, 2, v->version);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        v->profile = sq_col_str_or_null(st, 0);
        if (with_manifest)
            v->manifest = sq_col_str(st, 1);
    }
    end_stmt(st);
    if (rc == SQLITE_DONE)
        return ferr_set(err, FERR_INTERNAL_ERROR, "version %lld of dataset '%s' has no manifest",
                        (long long)v->version, v->name);
    return rc == SQLITE_ROW ? 0 : sq_fail(c, "reading a manifest", err);
}

/* The whole version (name, number) into out; *found 0 when absent. */
static int load_version(struct sq_conn *c, const char *name, int64_t version, int with_manifest,
                        struct data_version *out, int *found, struct ferr *err)
{
    static const char sql[] =
        "SELECT " VERSION_COLS " FROM data_versions WHERE name = ? AND version = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    bind_str(st, 1, name);
    sqlite3_bind_int64(st, 2, version);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        load_version_row(st, out);
    end_stmt(st);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return sq_fail(c, "reading a version", err);
    if (load_version_extra(c, out, err) || load_version_content(c, out, with_manifest, err)) {
        data_version_release(out);
        return -1;
    }
    return 0;
}

static int sq_ds_versions(struct store *s, const char *name, int64_t offset, int64_t limit,
                          struct data_version_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " VERSION_COLS " FROM data_versions WHERE name = ? "
                              "ORDER BY version DESC LIMIT ? OFFSET ?";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int ret = -1, rc;
    sqlite3_stmt *st;
    if (dataset_must_exist(c, name, err) || !(st = sq_prep(c, sql, err)))
        goto out;
    bind_str(st, 1, name);
    sqlite3_bind_int64(st, 2, limit);
    sqlite3_bind_int64(st, 3, offset);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        load_version_row(st, &out->v[out->n++]);
    }
    end_stmt(st);
    if (rc != SQLITE_DONE) {
        sq_fail(c, "listing versions", err);
        goto out;
    }
    for (size_t i = 0; i < out->n; i++)
        if (load_version_extra(c, &out->v[i], err))
            goto out;
    ret = 0;
out:
    sq_reader_put(sq, c);
    if (ret)
        data_version_list_release(out);
    return ret;
}

/* The number ref names; RESOURCE_DOES_NOT_EXIST naming what is missing. */
static int resolve_ref(struct sq_conn *c, const struct data_ref *ref, int64_t *version,
                       struct ferr *err)
{
    static const char by_alias[] = "SELECT version FROM data_aliases WHERE name = ? AND alias = ?";
    static const char latest[] = "SELECT max(version) FROM data_versions WHERE name = ?";
    if (dataset_must_exist(c, ref->name, err))
        return -1;
    if (ref->kind == DATA_REF_VERSION) {
        *version = ref->version;
        return 0;
    }
    sqlite3_stmt *st = sq_prep(c, ref->kind == DATA_REF_ALIAS ? by_alias : latest, err);
    if (!st)
        return -1;
    bind_str(st, 1, ref->name);
    if (ref->kind == DATA_REF_ALIAS)
        bind_str(st, 2, ref->alias);
    int rc = sqlite3_step(st);
    int found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (found)
        *version = sqlite3_column_int64(st, 0);
    end_stmt(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_fail(c, "resolving a version", err);
    if (found)
        return 0;
    if (ref->kind == DATA_REF_ALIAS)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "alias '%s' of dataset '%s' not found",
                        ref->alias, ref->name);
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "dataset '%s' has no versions", ref->name);
}

static int sq_ds_version_get(struct store *s, const struct data_ref *ref, int with_manifest,
                             struct data_version *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t v = 0;
    int found = 0;
    int rc = resolve_ref(c, ref, &v, err);
    if (!rc)
        rc = load_version(c, ref->name, v, with_manifest, out, &found, err);
    if (!rc && !found)
        rc = no_version(ref->name, v, err);
    sq_reader_put(sq, c);
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

/* Every object gets touched; the first without a row fails the create. */
static int touch_objects(struct sq_conn *c, const struct data_object_ref *objs, size_t n,
                         int64_t now_ms, struct ferr *err)
{
    static const char sql[] = "UPDATE data_objects SET touched_ms = ? WHERE digest = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    for (size_t i = 0; i < n; i++) {
        sqlite3_bind_int64(st, 1, now_ms);
        bind_str(st, 2, objs[i].digest);
        if (step_done(c, st, "touching an object", err))
            return -1;
        if (sqlite3_changes(c->db) == 0)
            return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                            "object '%s' is not stored: upload it before creating the version",
                            objs[i].digest);
    }
    return 0;
}

static int insert_version(struct sq_conn *c, const struct data_version_row *r, int64_t version,
                          struct ferr *err)
{
    static const char ver[] = "INSERT INTO data_versions (name, version, digest, file_count, "
                              "size_bytes, message, author, created_ms) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    static const char content[] = "INSERT INTO data_version_content (name, version, profile, "
                                  "manifest) VALUES (?, ?, ?, ?)";
    static const char tag[] =
        "INSERT OR REPLACE INTO data_version_tags (name, version, key, value) VALUES (?, ?, ?, ?)";
    sqlite3_stmt *st = sq_prep(c, ver, err);
    if (!st)
        return -1;
    bind_str(st, 1, r->name);
    sqlite3_bind_int64(st, 2, version);
    bind_str(st, 3, r->digest);
    sqlite3_bind_int64(st, 4, r->file_count);
    sqlite3_bind_int64(st, 5, r->size_bytes);
    bind_str(st, 6, r->message);
    bind_str(st, 7, r->author);
    sqlite3_bind_int64(st, 8, r->created_ms);
    if (step_done(c, st, "inserting a version", err) || !(st = sq_prep(c, content, err)))
        return -1;
    bind_str(st, 1, r->name);
    sqlite3_bind_int64(st, 2, version);
    if (r->profile)
        bind_str(st, 3, r->profile);
    bind_str(st, 4, r->manifest);
    if (step_done(c, st, "inserting a manifest", err))
        return -1;
    for (size_t i = 0; r->tags && i < r->tags->n; i++) {
        if (!(st = sq_prep(c, tag, err)))
            return -1;
        bind_str(st, 1, r->name);
        sqlite3_bind_int64(st, 2, version);
        bind_str(st, 3, r->tags->v[i].key);
        bind_str(st, 4, r->tags->v[i].value ? r->tags->v[i].value : "");
        if (step_done(c, st, "inserting a version tag", err))
            return -1;
    }
    return 0;
}

/* The dataset's row gets the new counter (created, or revived when it was
 * deleted). */
static int bump_dataset(struct sq_conn *c, const char *name, int exists, int deleted,
                        int64_t version, int64_t now_ms, struct ferr *err)
{
    static const char ins[] = "INSERT INTO data_sets (name, created_ms, updated_ms, "
                              "last_version, deleted) VALUES (?1, ?2, ?2, ?3, 0)";
    static const char upd[] = "UPDATE data_sets SET last_version = ?3, updated_ms = ?2, "
                              "created_ms = CASE WHEN deleted THEN ?2 ELSE created_ms END, "
                              "deleted = 0 WHERE name = ?1";
    (void)deleted;
    sqlite3_stmt *st = sq_prep(c, exists ? upd : ins, err);
    if (!st)
        return -1;
    bind_str(st, 1, name);
    sqlite3_bind_int64(st, 2, now_ms);
    sqlite3_bind_int64(st, 3, version);
    return step_done(c, st, "writing a dataset", err);
}

/* A dataset event into the events stream (store/datasets.h), in the
 * change's transaction; payload is taken (freed). */
static int put_event(struct sq_conn *c, const char *kind, const char *name, const char *user,
                     char *payload, int64_t now_ms, struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO events (time_ms, kind, subject, user_id, payload) VALUES (?, ?, ?, ?, ?)";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st) {
        free(payload);
        return -1;
    }
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, user ? user : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, payload, -1, free);
    return step_done(c, st, "writing a dataset's event", err);
}

static int do_create(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char latest[] = "SELECT version, digest FROM data_versions WHERE name = ? "
                                 "ORDER BY version DESC LIMIT 1";
    struct create_arg *a = arg;
    const struct data_version_row *r = a->row;
    int live, deleted, found;
    int64_t last;
    data_version_release(a->out);
    *a->created = 0;
    if (read_dataset(c, r->name, &live, &last, &deleted, err))
        return -1;
    int exists = live || deleted;
    if (live) {
        sqlite3_stmt *st = sq_prep(c, latest, err);
        if (!st)
            return -1;
        bind_str(st, 1, r->name);
        int rc = sqlite3_step(st);
        int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        int same = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 1), r->digest);
        end_stmt(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return sq_fail(c, "reading the latest version", err);
        if (same)
            return load_version(c, r->name, v, 0, a->out, &found, err);
    }
    if (touch_objects(c, a->objects, a->nobjects, r->created_ms, err) ||
        bump_dataset(c, r->name, exists, deleted, last + 1, r->created_ms, err) ||
        insert_version(c, r, last + 1, err) ||
        put_event(c, DATA_EVENT_VERSION_CREATED, r->name, r->author,
                  data_event_version_payload(r->name, last + 1, r->digest), r->created_ms, err) ||
        load_version(c, r->name, last + 1, 0, a->out, &found, err))
        return -1;
    *a->created = 1;
    return 0;
}

static int sq_ds_version_create(struct store *s, const struct data_version_row *row,
                                const struct data_object_ref *objects, size_t nobjects,
                                struct data_version *out, int *created, struct ferr *err)
{
    struct create_arg a = {row, objects, nobjects, out, created};
    int rc = sq_write((struct sq *)s, do_create, &a, err);
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

static int do_version_delete(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "DELETE FROM data_versions WHERE name = ? AND version = ?";
    struct change_arg *a = arg;
    if (version_must_exist(c, a->name, a->version, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    bind_str(st, 1, a->name);
    sqlite3_bind_int64(st, 2, a->version);
    if (step_done(c, st, "deleting a version", err))
        return -1;
    return touch_dataset(c, a->name, a->now_ms, err);
}

static int sq_ds_version_delete(struct store *s, const char *name, int64_t version, int64_t now_ms,
                                struct ferr *err)
{
    struct change_arg a = {name, NULL, NULL, NULL, version, now_ms};
    return sq_write((struct sq *)s, do_version_delete, &a, err);
}

static int do_dataset_delete(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char versions[] = "DELETE FROM data_versions WHERE name = ?";
    static const char hide[] = "UPDATE data_sets SET deleted = 1, updated_ms = ? WHERE name = ?";
    struct change_arg *a = arg;
    if (dataset_must_exist(c, a->name, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, versions, err);
    if (!st)
        return -1;
    bind_str(st, 1, a->name);
    if (step_done(c, st, "deleting versions", err) || !(st = sq_prep(c, hide, err)))
        return -1;
    sqlite3_bind_int64(st, 1, a->now_ms);
    bind_str(st, 2, a->name);
    return step_done(c, st, "deleting a dataset", err);
}

static int sq_ds_dataset_delete(struct store *s, const char *name, int64_t now_ms, struct ferr *err)
{
    struct change_arg a = {name, NULL, NULL, NULL, 0, now_ms};
    return sq_write((struct sq *)s, do_dataset_delete, &a, err);
}

static int do_alias_set(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "INSERT INTO data_aliases (name, alias, version) VALUES (?, ?, ?) "
                              "ON CONFLICT (name, alias) DO UPDATE SET version = excluded.version";
    static const char cur[] = "SELECT version FROM data_aliases WHERE name = ? AND alias = ?";
    struct change_arg *a = arg;
    if (version_must_exist(c, a->name, a->version, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, cur, err);
    if (!st)
        return -1;
    bind_str(st, 1, a->name);
    bind_str(st, 2, a->alias);
    int rc = sqlite3_step(st);
    int moved = rc != SQLITE_ROW || sqlite3_column_int64(st, 0) != a->version;
    end_stmt(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_fail(c, "reading an alias", err);
    if (!(st = sq_prep(c, sql, err)))
        return -1;
    bind_str(st, 1, a->name);
    bind_str(st, 2, a->alias);
    sqlite3_bind_int64(st, 3, a->version);
    if (step_done(c, st, "setting an alias", err))
        return -1;
    if (moved && put_event(c, DATA_EVENT_ALIAS_SET, a->name, "",
                           data_event_alias_payload(a->name, a->alias, a->version), a->now_ms, err))
        return -1;
    return touch_dataset(c, a->name, a->now_ms, err);
}

static int sq_ds_alias_set(struct store *s, const char *name, const char *alias, int64_t version,
                           int64_t now_ms, struct ferr *err)
{
    struct change_arg a = {name, alias, NULL, NULL, version, now_ms};
    return sq_write((struct sq *)s, do_alias_set, &a, err);
}

static int do_alias_delete(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "DELETE FROM data_aliases WHERE name = ? AND alias = ?";
    struct change_arg *a = arg;
    if (dataset_must_exist(c, a->name, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    bind_str(st, 1, a->name);
    bind_str(st, 2, a->alias);
    if (step_done(c, st, "deleting an alias", err))
        return -1;
    if (!sqlite3_changes(c->db))
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "alias '%s' of dataset '%s' not found",
                        a->alias, a->name);
    return touch_dataset(c, a->name, a->now_ms, err);
}

static int sq_ds_alias_delete(struct store *s, const char *name, const char *alias, int64_t now_ms,
                              struct ferr *err)
{
    struct change_arg a = {name, alias, NULL, NULL, 0, now_ms};
    return sq_write((struct sq *)s, do_alias_delete, &a, err);
}

static int do_tag(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char set[] = "INSERT OR REPLACE INTO data_version_tags (name, version, key, "
                              "value) VALUES (?, ?, ?, ?)";
    static const char del[] =
        "DELETE FROM data_version_tags WHERE name = ? AND version = ? AND key = ?";
    struct change_arg *a = arg;
    if (version_must_exist(c, a->name, a->version, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, a->value ? set : del, err);
    if (!st)
        return -1;
    bind_str(st, 1, a->name);
    sqlite3_bind_int64(st, 2, a->version);
    bind_str(st, 3, a->key);
    if (a->value)
        bind_str(st, 4, a->value);
    if (step_done(c, st, "writing a version tag", err))
        return -1;
    if (!a->value && !sqlite3_changes(c->db))
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "tag '%s' of version %lld of dataset '%s' not found", a->key,
                        (long long)a->version, a->name);
    return touch_dataset(c, a->name, a->now_ms, err);
}

static int sq_ds_tag_set(struct store *s, const char *name, int64_t version, const char *key,
                         const char *value, int64_t now_ms, struct ferr *err)
{
    struct change_arg a = {name, NULL, key, value, version, now_ms};
    return sq_write((struct sq *)s, do_tag, &a, err);
}

/* ---------- runs ---------- */

static int sq_ds_runs(struct store *s, const char *source_uri, int64_t offset, int64_t limit,
                      struct data_run_use_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT r.run_uuid, r.experiment_id, r.name, r.status, coalesce(r.start_time, 0), "
        "  coalesce((SELECT t.value FROM input_tags t WHERE t.run = i.run "
        "    AND t.dataset = i.dataset AND t.key = 'mlflow.data.context'), '') "
        "FROM datasets d JOIN run_inputs i ON i.dataset = d.id JOIN runs r ON r.id = i.run "
        "WHERE d.source IN (?1, ?2, ?3) "
        "ORDER BY r.start_time DESC, r.id DESC LIMIT ?4 OFFSET ?5";
    struct sq *sq = (struct sq *)s;
    struct sbuf j1 = SBUF_INIT, j2 = SBUF_INIT;
    sbuf_addf(&j1, "{\"uri\": \"%s\"}", source_uri);
    sbuf_addf(&j2, "{\"uri\":\"%s\"}", source_uri);
    struct sq_conn *c = sq_reader_get(sq, err);
    int ret = -1, rc;
    sqlite3_stmt *st;
    if (!c)
        goto done;
    if (!(st = sq_prep(c, sql, err)))
        goto out;
    bind_str(st, 1, source_uri);
    bind_str(st, 2, j1.buf);
    bind_str(st, 3, j2.buf);
    sqlite3_bind_int64(st, 4, limit);
    sqlite3_bind_int64(st, 5, offset);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        struct data_run_use *u = &out->v[out->n++];
        char num[24];
        snprintf(num, sizeof(num), "%lld", (long long)sqlite3_column_int64(st, 1));
        u->run_id = sq_col_str(st, 0);
        u->experiment_id = xstrdup(num);
        u->run_name = sq_col_str(st, 2);
        u->status = sq_col_str(st, 3);
        u->start_time = sqlite3_column_int64(st, 4);
        u->context = sq_col_str(st, 5);
    }
    end_stmt(st);
    ret = rc == SQLITE_DONE ? 0 : sq_fail(c, "finding the runs of a version", err);
out:
    sq_reader_put(sq, c);
done:
    sbuf_release(&j1);
    sbuf_release(&j2);
    if (ret)
        data_run_use_list_release(out);
    return ret;
}

/* ---------- objects ---------- */

struct have_arg {
    const char (*digests)[DATA_DIGEST_LEN + 1];
    size_t n;
    int64_t now_ms;
    unsigned char *present;
};

static int do_have(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sel[] = "SELECT touched_ms FROM data_objects WHERE digest = ?";
    static const char touch[] = "UPDATE data_objects SET touched_ms = ? WHERE digest = ?";
    struct have_arg *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        sqlite3_stmt *st = sq_prep(c, sel, err);
        if (!st)
            return -1;
        bind_str(st, 1, a->digests[i]);
        int rc = sqlite3_step(st);
        int64_t touched = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
        end_stmt(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return sq_fail(c, "looking objects up", err);
        a->present[i] = rc == SQLITE_ROW;
        if (rc != SQLITE_ROW || touched >= a->now_ms - TOUCH_SLACK_MS)
            continue;
        if (!(st = sq_prep(c, touch, err)))
            return -1;
        sqlite3_bind_int64(st, 1, a->now_ms);
        bind_str(st, 2, a->digests[i]);
        if (step_done(c, st, "touching an object", err))
            return -1;
    }
    return 0;
}

static int sq_ds_objects_have(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                              int64_t now_ms, unsigned char *present, struct ferr *err)
{
    struct have_arg a = {digests, n, now_ms, present};
    int rc = sq_write((struct sq *)s, do_have, &a, err);
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

static int do_put(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char ins[] = "INSERT INTO data_objects (digest, size, pack, off, touched_ms) "
                              "VALUES (?, ?, ?, ?, ?) ON CONFLICT (digest) DO NOTHING";
    static const char touch[] =
        "UPDATE data_objects SET touched_ms = ?1 WHERE digest = ?2 AND touched_ms < ?3";
    struct put_arg *a = arg;
    a->added = 0;
    for (size_t i = 0; i < a->n; i++) {
        const struct data_object *o = &a->objs[i];
        sqlite3_stmt *st = sq_prep(c, ins, err);
        if (!st)
            return -1;
        bind_str(st, 1, o->digest);
        sqlite3_bind_int64(st, 2, o->size);
        if (o->pack[0])
            bind_str(st, 3, o->pack);
        sqlite3_bind_int64(st, 4, o->offset);
        sqlite3_bind_int64(st, 5, a->now_ms);
        if (step_done(c, st, "recording an object", err))
            return -1;
        if (sqlite3_changes(c->db)) {
            a->added++;
            continue;
        }
        if (!(st = sq_prep(c, touch, err)))
            return -1;
        sqlite3_bind_int64(st, 1, a->now_ms);
        bind_str(st, 2, o->digest);
        sqlite3_bind_int64(st, 3, a->now_ms - TOUCH_SLACK_MS);
        if (step_done(c, st, "touching an object", err))
            return -1;
    }
    return 0;
}

static int sq_ds_objects_put(struct store *s, const struct data_object *objs, size_t n,
                             int64_t now_ms, int64_t *added, struct ferr *err)
{
    struct put_arg a = {objs, n, now_ms, 0};
    int rc = sq_write((struct sq *)s, do_put, &a, err);
    *added = rc ? 0 : a.added;
    return rc;
}

static void load_object(sqlite3_stmt *st, int col0, struct data_object *o)
{
    memset(o, 0, sizeof(*o));
    const unsigned char *d = sqlite3_column_text(st, col0);
    const unsigned char *p = sqlite3_column_text(st, col0 + 2);
    snprintf(o->digest, sizeof(o->digest), "%s", d ? (const char *)d : "");
    snprintf(o->pack, sizeof(o->pack), "%s", p ? (const char *)p : "");
    o->size = sqlite3_column_int64(st, col0 + 1);
    o->offset = sqlite3_column_int64(st, col0 + 3);
    o->touched_ms = sqlite3_column_int64(st, col0 + 4);
}

#define OBJECT_COLS "digest, size, pack, off, touched_ms"

static int sq_ds_objects_locate(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1],
                                size_t n, struct data_object *out, struct ferr *err)
{
    static const char sql[] = "SELECT " OBJECT_COLS " FROM data_objects WHERE digest = ?";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int ret = 0;
    for (size_t i = 0; i < n && !ret; i++) {
        sqlite3_stmt *st = sq_prep(c, sql, err);
        if (!st) {
            ret = -1;
            break;
        }
        bind_str(st, 1, digests[i]);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            load_object(st, 0, &out[i]);
        end_stmt(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            ret = sq_fail(c, "locating objects", err);
    }
    sq_reader_put(sq, c);
    return ret;
}

/* Runs sql (bound: ?1 an integer a, ?2 text b, ?3 an integer limit) and
 * appends the object rows. */
static int object_rows(struct sq *sq, const char *sql, int64_t a, const char *b, int64_t limit,
                       struct data_object_list *out, struct ferr *err)
{
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int ret = -1, rc;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (st) {
        sqlite3_bind_int64(st, 1, a);
        bind_str(st, 2, b);
        sqlite3_bind_int64(st, 3, limit);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            load_object(st, 0, &out->v[out->n++]);
        }
        end_stmt(st);
        ret = rc == SQLITE_DONE ? 0 : sq_fail(c, "listing objects", err);
    }
    sq_reader_put(sq, c);
    if (ret)
        data_object_list_release(out);
    return ret;
}

static int sq_ds_objects_list(struct store *s, const char *after, int64_t limit,
                              struct data_object_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " OBJECT_COLS " FROM data_objects "
                              "WHERE ?1 = ?1 AND digest > ?2 ORDER BY digest LIMIT ?3";
    return object_rows((struct sq *)s, sql, 0, after, limit, out, err);
}

static int sq_ds_gc_candidates(struct store *s, int64_t cutoff_ms, const char *after, int64_t limit,
                               struct data_object_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " OBJECT_COLS " FROM data_objects "
                              "WHERE touched_ms < ?1 AND digest > ?2 ORDER BY digest LIMIT ?3";
    return object_rows((struct sq *)s, sql, cutoff_ms, after, limit, out, err);
}

static int sq_ds_packs(struct store *s, struct data_pack_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT pack, count(*), sum(size) FROM data_objects "
                              "WHERE pack IS NOT NULL GROUP BY pack ORDER BY pack";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int ret = -1, rc;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (st) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            struct data_pack *p = &out->v[out->n++];
            memset(p, 0, sizeof(*p));
            snprintf(p->id, sizeof(p->id), "%s", (const char *)sqlite3_column_text(st, 0));
            p->objects = sqlite3_column_int64(st, 1);
            p->bytes = sqlite3_column_int64(st, 2);
        }
        end_stmt(st);
        ret = rc == SQLITE_DONE ? 0 : sq_fail(c, "listing packs", err);
    }
    sq_reader_put(sq, c);
    if (ret)
        data_pack_list_release(out);
    return ret;
}

static int sq_ds_manifests(struct store *s, data_manifest_fn fn, void *arg, struct ferr *err)
{
    static const char sql[] = "SELECT name, version, manifest FROM data_version_content";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int ret = -1, rc = SQLITE_DONE;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (st) {
        ret = 0;
        while (!ret && (rc = sqlite3_step(st)) == SQLITE_ROW)
            ret = fn(arg, (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                     (const char *)sqlite3_column_text(st, 2), err);
        end_stmt(st);
        if (!ret && rc != SQLITE_DONE)
            ret = sq_fail(c, "reading manifests", err);
    }
    sq_reader_put(sq, c);
    return ret;
}

struct gc_arg {
    const char (*digests)[DATA_DIGEST_LEN + 1];
    size_t n;
    int64_t cutoff_ms;
    struct data_object_list *deleted;
    struct data_pack_list *packs;
    size_t deleted0, packs0; /* their lengths before: a retried run starts there */
};

static int do_gc_delete(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char del[] = "DELETE FROM data_objects WHERE digest = ? AND touched_ms < ? "
                              "RETURNING " OBJECT_COLS;
    static const char used[] = "SELECT 1 FROM data_objects WHERE pack = ? LIMIT 1";
    struct gc_arg *a = arg;
    a->deleted->n = a->deleted0;
    a->packs->n = a->packs0;
    for (size_t i = 0; i < a->n; i++) {
        sqlite3_stmt *st = sq_prep(c, del, err);
        if (!st)
            return -1;
        bind_str(st, 1, a->digests[i]);
        sqlite3_bind_int64(st, 2, a->cutoff_ms);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            struct data_object o;
            load_object(st, 0, &o);
            data_object_list_add(a->deleted, &o);
            rc = sqlite3_step(st);
        }
        end_stmt(st);
        if (rc != SQLITE_DONE)
            return sq_fail(c, "deleting an object", err);
    }
    for (size_t i = a->deleted0; i < a->deleted->n; i++) {
        const char *pack = a->deleted->v[i].pack;
        int seen = 0;
        for (size_t j = a->packs0; j < a->packs->n && !seen; j++)
            seen = !strcmp(a->packs->v[j].id, pack);
        if (!pack[0] || seen)
            continue;
        sqlite3_stmt *st = sq_prep(c, used, err);
        if (!st)
            return -1;
        bind_str(st, 1, pack);
        int rc = sqlite3_step(st);
        end_stmt(st);
        if (rc == SQLITE_DONE) {
            ALLOC_GROW(a->packs->v, a->packs->n + 1, a->packs->alloc);
            struct data_pack *p = &a->packs->v[a->packs->n++];
            memset(p, 0, sizeof(*p));
            memcpy(p->id, pack, DATA_PACK_ID_LEN + 1);
        } else if (rc != SQLITE_ROW) {
            return sq_fail(c, "checking a pack", err);
        }
    }
    return 0;
}

static int sq_ds_gc_delete(struct store *s, const char (*digests)[DATA_DIGEST_LEN + 1], size_t n,
                           int64_t cutoff_ms, struct data_object_list *deleted,
                           struct data_pack_list *packs, struct ferr *err)
{
    struct gc_arg a = {digests, n, cutoff_ms, deleted, packs, deleted->n, packs->n};
    int rc = sq_write((struct sq *)s, do_gc_delete, &a, err);
    if (rc) {
        deleted->n = a.deleted0;
        packs->n = a.packs0;
    }
    return rc;
}

const struct store_dataset_ops sqlite_datasets = {
    .list = sq_ds_list,
    .get = sq_ds_get,
    .dataset_delete = sq_ds_dataset_delete,
    .versions = sq_ds_versions,
    .version_get = sq_ds_version_get,
    .version_create = sq_ds_version_create,
    .version_delete = sq_ds_version_delete,
    .alias_set = sq_ds_alias_set,
    .alias_delete = sq_ds_alias_delete,
    .tag_set = sq_ds_tag_set,
    .runs = sq_ds_runs,
    .objects_have = sq_ds_objects_have,
    .objects_put = sq_ds_objects_put,
    .objects_locate = sq_ds_objects_locate,
    .objects_list = sq_ds_objects_list,
    .packs = sq_ds_packs,
    .manifests = sq_ds_manifests,
    .gc_candidates = sq_ds_gc_candidates,
    .gc_delete = sq_ds_gc_delete,
};
