/* SPDX-License-Identifier: MIT
 * Experiments in the SQLite backend: create, get, search, rename, delete and
 * restore (with their runs), tags. */
#include "store/sqlite/sqlite_int.h"
#include "store/errors.h"
#include "store/sqlite/dialect.h"
#include "store/search_sql.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static char *id_str(int64_t id)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, id);
    return xstrdup(buf);
}

/* Reads one experiment row (and its tags) by id or, when id < 0, by name. */
static int load_experiment(struct sq_conn *c, int64_t id, const char *name, struct experiment *out,
                           struct ferr *err)
{
    static const char by_id[] =
        "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
        "last_update_time FROM experiments WHERE experiment_id = ?";
    static const char by_name[] =
        "SELECT experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
        "last_update_time FROM experiments WHERE name = ?";
    static const char tags_sql[] =
        "SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key";
    sqlite3_stmt *st = sq_prep(c, name ? by_name : by_id, err);
    if (!st)
        return -1;
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(st);
        if (name)
            return store_err_experiment_name_not_found(err, name);
        return store_err_experiment_not_found(err, id);
    }
    if (rc != SQLITE_ROW)
        return sq_fail(c, "reading an experiment", err);
    memset(out, 0, sizeof(*out));
    id = sqlite3_column_int64(st, 0);
    out->experiment_id = id_str(id);
    out->name = sq_col_str(st, 1);
    out->artifact_location = sq_col_str(st, 2);
    out->lifecycle_stage = !strcmp((const char *)sqlite3_column_text(st, 3), "deleted")
                               ? LIFECYCLE_DELETED
                               : LIFECYCLE_ACTIVE;
    out->creation_time = sqlite3_column_int64(st, 4);
    out->last_update_time = sqlite3_column_int64(st, 5);
    sqlite3_reset(st);

    st = sq_prep(c, tags_sql, err);
    if (!st)
        goto fail;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(&out->tags, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        sq_fail(c, "reading experiment tags", err);
        goto fail;
    }
    return 0;
fail:
    experiment_release(out);
    return -1;
}

static int get_experiment(struct sq *sq, int64_t id, const char *name, struct experiment *out,
                          struct ferr *err)
{
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int rc = load_experiment(c, id, name, out, err);
    sq_reader_put(sq, c);
    return rc;
}

int sq_get_experiment(struct store *s, int64_t id, struct experiment *out, struct ferr *err)
{
    return get_experiment((struct sq *)s, id, NULL, out, err);
}

int sq_get_experiment_by_name(struct store *s, const char *name, struct experiment *out,
                              struct ferr *err)
{
    return get_experiment((struct sq *)s, -1, name, out, err);
}

struct create_exp {
    const char *name;
    const char *artifact_location;
    const struct kv_list *tags;
    int64_t id;
};

static int put_experiment_tag(struct sq_conn *c, int64_t id, const char *key, const char *value,
                              struct ferr *err)
{
    static const char upsert[] =
        "INSERT INTO experiment_tags (experiment_id, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value";
    sqlite3_stmt *st = sq_prep(c, upsert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "setting an experiment tag", err);
    return 0;
}

static int name_taken(struct sq_conn *c, const char *name, struct ferr *err)
{
    static const char sql[] = "SELECT lifecycle_stage FROM experiments WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return 0;
    if (rc != SQLITE_ROW)
        return sq_fail(c, "looking up an experiment name", err);
    if (!strcmp((const char *)sqlite3_column_text(st, 0), "deleted"))
        return store_err_experiment_exists(err, name,
                                           "an experiment of that name is deleted: restore it "
                                           "or delete it permanently first");
    return store_err_experiment_exists(err, name, "the name is taken by an active experiment");
}

static int do_create_experiment(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    static const char ins[] =
        "INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, "
        "last_update_time) VALUES (?, ?, 'active', ?, ?)";
    static const char set_loc[] =
        "UPDATE experiments SET artifact_location = ? WHERE experiment_id = ?";
    struct create_exp *ce = arg;
    if (name_taken(c, ce->name, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, ins, err);
    if (!st)
        return -1;
    int64_t now = ftime_now_ms();
    sqlite3_bind_text(st, 1, ce->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, ce->artifact_location ? ce->artifact_location : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, now);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "creating an experiment", err);
    ce->id = sqlite3_last_insert_rowid(c->db);
    if (!ce->artifact_location || !*ce->artifact_location) {
        struct sbuf loc = SBUF_INIT;
        sbuf_addf(&loc, "%s/%" PRId64, sq->base.default_artifact_root, ce->id);
        st = sq_prep(c, set_loc, err);
        if (!st) {
            sbuf_release(&loc);
            return -1;
        }
        sqlite3_bind_text(st, 1, loc.buf, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, ce->id);
        sbuf_release(&loc);
        if (sqlite3_step(st) != SQLITE_DONE)
            return sq_fail(c, "setting an artifact location", err);
    }
    for (size_t i = 0; ce->tags && i < ce->tags->n; i++)
        if (put_experiment_tag(c, ce->id, ce->tags->v[i].key, ce->tags->v[i].value, err))
            return -1;
    return 0;
}

int sq_create_experiment(struct store *s, const char *name, const char *artifact_location,
                         const struct kv_list *tags, int64_t *id_out, struct ferr *err)
{
    struct create_exp ce = {name, artifact_location, tags, -1};
    if (sq_write((struct sq *)s, do_create_experiment, &ce, err))
        return -1;
    *id_out = ce.id;
    return 0;
}

struct exp_change {
    int64_t id;
    const char *name;  /* rename: new name; tag: key */
    const char *value; /* tag value, NULL to delete */
    enum lifecycle to;
};

/* The experiment's lifecycle; RESOURCE_DOES_NOT_EXIST when absent. */
static int exp_lifecycle(struct sq_conn *c, int64_t id, enum lifecycle *lc, struct ferr *err)
{
    static const char sql[] = "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return store_err_experiment_not_found(err, id);
    if (rc != SQLITE_ROW)
        return sq_fail(c, "reading an experiment", err);
    *lc = !strcmp((const char *)sqlite3_column_text(st, 0), "deleted") ? LIFECYCLE_DELETED
                                                                       : LIFECYCLE_ACTIVE;
    sqlite3_reset(st);
    return 0;
}

static int touch_experiment(struct sq_conn *c, int64_t id, int64_t now, struct ferr *err)
{
    static const char sql[] = "UPDATE experiments SET last_update_time = ? WHERE experiment_id = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "updating an experiment", err);
    return 0;
}

static int do_rename(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "UPDATE experiments SET name = ? WHERE experiment_id = ?";
    struct exp_change *ch = arg;
    enum lifecycle lc;
    if (exp_lifecycle(c, ch->id, &lc, err))
        return -1;
    if (lc == LIFECYCLE_DELETED)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cannot rename a non-active experiment (id=%" PRId64 ")", ch->id);
    if (name_taken(c, ch->name, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, ch->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, ch->id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "renaming an experiment", err);
    return touch_experiment(c, ch->id, ftime_now_ms(), err);
}

int sq_rename_experiment(struct store *s, int64_t id, const char *new_name, struct ferr *err)
{
    struct exp_change ch = {id, new_name, NULL, LIFECYCLE_ACTIVE};
    return sq_write((struct sq *)s, do_rename, &ch, err);
}

/* Deleting an experiment deletes its active runs at the same instant; restoring
 * brings back exactly the runs deleted at that instant, so runs deleted on
 * their own before stay deleted. */
static int do_set_lifecycle(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char set_exp[] =
        "UPDATE experiments SET lifecycle_stage = ?, last_update_time = ? WHERE experiment_id = ?";
    static const char del_runs[] = "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = ? "
                                   "WHERE experiment_id = ? AND lifecycle_stage = 'active'";
    static const char restore_runs[] =
        "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL "
        "WHERE experiment_id = ? AND lifecycle_stage = 'deleted' AND deleted_time = "
        "(SELECT last_update_time FROM experiments WHERE experiment_id = ?)";
    struct exp_change *ch = arg;
    enum lifecycle lc;
    if (exp_lifecycle(c, ch->id, &lc, err))
        return -1;
    if (ch->to == LIFECYCLE_DELETED && ch->id == 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cannot delete the default experiment '0'");
    if (lc == ch->to)
        return ferr_set(
            err, FERR_INVALID_PARAMETER_VALUE, "cannot %s experiment %" PRId64 ": it is already %s",
            ch->to == LIFECYCLE_DELETED ? "delete" : "restore", ch->id, lifecycle_name(lc));
    int64_t now = ftime_now_ms();
    sqlite3_stmt *st;
    if (ch->to == LIFECYCLE_ACTIVE) {
        if (!(st = sq_prep(c, restore_runs, err)))
            return -1;
        sqlite3_bind_int64(st, 1, ch->id);
        sqlite3_bind_int64(st, 2, ch->id);
    } else {
        if (!(st = sq_prep(c, del_runs, err)))
            return -1;
        sqlite3_bind_int64(st, 1, now);
        sqlite3_bind_int64(st, 2, ch->id);
    }
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "updating runs of an experiment", err);
    if (!(st = sq_prep(c, set_exp, err)))
        return -1;
    sqlite3_bind_text(st, 1, lifecycle_name(ch->to), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now);
    sqlite3_bind_int64(st, 3, ch->id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "updating an experiment", err);
    return 0;
}

int sq_set_experiment_lifecycle(struct store *s, int64_t id, enum lifecycle to, struct ferr *err)
{
    struct exp_change ch = {id, NULL, NULL, to};
    return sq_write((struct sq *)s, do_set_lifecycle, &ch, err);
}

static int do_set_tag(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char del[] = "DELETE FROM experiment_tags WHERE experiment_id = ? AND key = ?";
    struct exp_change *ch = arg;
    enum lifecycle lc;
    if (exp_lifecycle(c, ch->id, &lc, err))
        return -1;
    if (lc == LIFECYCLE_DELETED)
        return store_err_experiment_not_active(err, ch->id);
    if (ch->value)
        return put_experiment_tag(c, ch->id, ch->name, ch->value, err);
    sqlite3_stmt *st = sq_prep(c, del, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ch->id);
    sqlite3_bind_text(st, 2, ch->name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "deleting an experiment tag", err);
    if (sqlite3_changes(c->db) == 0)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "no tag with name '%s' in experiment %" PRId64, ch->name, ch->id);
    return 0;
}

int sq_set_experiment_tag(struct store *s, int64_t id, const char *key, const char *value,
                          struct ferr *err)
{
    struct exp_change ch = {id, key, value, LIFECYCLE_ACTIVE};
    return sq_write((struct sq *)s, do_set_tag, &ch, err);
}

int sq_search_experiments(struct store *s, const struct experiment_search *q,
                          struct store_page *page, struct experiment_list *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sql_frag f;
    sql_frag_init(&f, &sqlite_dialect);
    if (search_sql_experiments(q, page->limit + 1, page->offset, &f, err)) {
        sql_frag_release(&f);
        return -1;
    }
    struct sq_conn *c = sq_reader_get(sq, err);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (!c)
        goto out;
    if (sqlite3_prepare_v2(c->db, f.sql.buf, (int)f.sql.len, &st, NULL) != SQLITE_OK ||
        sq_bind_frag(st, &f)) {
        sq_fail(c, "searching experiments", err);
        goto out;
    }
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((int64_t)out->n == page->limit) {
            page->more = 1;
            break;
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        if (load_experiment(c, sqlite3_column_int64(st, 0), NULL, &out->v[out->n], err))
            goto out;
        out->n++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        sq_fail(c, "searching experiments", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    sq_reader_put(sq, c);
    sql_frag_release(&f);
    if (rc)
        experiment_list_release(out);
    return rc;
}

int sq_search_datasets(struct store *s, const int64_t *experiment_ids, size_t n, int64_t limit,
                       struct dataset_summary_list *out, struct ferr *err)
{
    /* each (experiment, dataset, context) once; a run without the context
     * tag gives a NULL context, as MLflow's outer join does */
    static const char head[] =
        "SELECT DISTINCT d.experiment_id, d.name, d.digest, t.value FROM datasets d "
        "JOIN run_inputs i ON i.dataset = d.id "
        "LEFT JOIN input_tags t ON t.run = i.run AND t.dataset = i.dataset "
        "AND t.key = 'mlflow.data.context' WHERE d.experiment_id IN (";
    struct sq *sq = (struct sq *)s;
    struct sbuf sql = SBUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc = -1, step;
    sbuf_addstr(&sql, head);
    for (size_t i = 0; i < n; i++)
        sbuf_addstr(&sql, i ? ", ?" : "?");
    sbuf_addstr(&sql, ") ORDER BY d.experiment_id, d.name, d.digest, t.value LIMIT ?");
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        goto out;
    if (sqlite3_prepare_v2(c->db, sql.buf, (int)sql.len, &st, NULL) != SQLITE_OK) {
        sq_fail(c, "searching datasets", err);
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        sqlite3_bind_int64(st, (int)i + 1, experiment_ids[i]);
    sqlite3_bind_int64(st, (int)n + 1, limit);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        struct dataset_summary *d = &out->v[out->n++];
        struct sbuf id = SBUF_INIT;
        sbuf_addf(&id, "%" PRId64, (int64_t)sqlite3_column_int64(st, 0));
        d->experiment_id = sbuf_detach(&id, NULL);
        d->name = sq_col_str(st, 1);
        d->digest = sq_col_str(st, 2);
        d->context = sq_col_str_or_null(st, 3);
    }
    if (step != SQLITE_DONE) {
        sq_fail(c, "searching datasets", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    if (c)
        sq_reader_put(sq, c);
    sbuf_release(&sql);
    if (rc)
        dataset_summary_list_release(out);
    return rc;
}
