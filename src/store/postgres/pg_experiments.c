/* SPDX-License-Identifier: MIT
 * Experiments in the PostgreSQL backend: create, get, search, rename, delete
 * and restore (with their runs), tags. The translation of
 * store/sqlite/sqlite_experiments.c: the same behaviour, errors, ordering
 * and paging (store.h's contract); the tracking ops table that lists these
 * ops is pg_runs.c's.
 *
 * Replicas: every change reads the experiment's row FOR UPDATE first, so
 * changes to one experiment from several servers take turns (a delete and
 * a tag, a delete and a restore). Two servers creating or renaming to the
 * same name race past the name check; the UNIQUE index on name decides,
 * and the loser answers as if its check had seen the winner's row. */
#include "store/postgres/pg_int.h"
#include "store/errors.h"
#include "store/postgres/dialect.h"
#include "store/search_sql.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define EXP_COLS                                                                                   \
    "e.experiment_id, e.name, e.artifact_location, e.lifecycle_stage, e.creation_time, "           \
    "e.last_update_time"

static char *id_str(int64_t id)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, id);
    return xstrdup(buf);
}

static enum lifecycle lifecycle_of(const char *stage)
{
    return !strcmp(stage, "deleted") ? LIFECYCLE_DELETED : LIFECYCLE_ACTIVE;
}

/* Fills out (zeroed first) from row i of r, whose columns are EXP_COLS. */
static void experiment_from_row(const PGresult *r, int i, struct experiment *out)
{
    memset(out, 0, sizeof(*out));
    out->experiment_id = id_str(pg_get_int(r, i, 0));
    out->name = pg_get_str(r, i, 1);
    out->artifact_location = pg_get_str(r, i, 2);
    out->lifecycle_stage = lifecycle_of(pg_get_ref(r, i, 3));
    out->creation_time = pg_get_int(r, i, 4);
    out->last_update_time = pg_get_int(r, i, 5);
}

/* Reads one experiment row (and its tags) by id or, when name is set, by name. */
static int load_experiment(struct pg_conn *c, int64_t id, const char *name, struct experiment *out,
                           struct ferr *err)
{
    static const char by_id[] = "SELECT " EXP_COLS " FROM experiments e WHERE experiment_id = $1";
    static const char by_name[] = "SELECT " EXP_COLS " FROM experiments e WHERE name = $1";
    static const char tags_sql[] =
        "SELECT key, value FROM experiment_tags WHERE experiment_id = $1 ORDER BY key";
    struct pg_args a = PG_ARGS_INIT;
    if (name)
        pg_args_text(&a, name);
    else
        pg_args_int(&a, id);
    PGresult *r = pg_run(c, name ? by_name : by_id, &a, "reading an experiment", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        if (name)
            return store_err_experiment_name_not_found(err, name);
        return store_err_experiment_not_found(err, id);
    }
    id = pg_get_int(r, 0, 0);
    experiment_from_row(r, 0, out);
    PQclear(r);
    if (pg_load_kv(c, tags_sql, id, &out->tags, err)) {
        experiment_release(out);
        return -1;
    }
    return 0;
}

static int get_experiment(struct pg *pg, int64_t id, const char *name, struct experiment *out,
                          struct ferr *err)
{
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int rc = load_experiment(c, id, name, out, err);
    pg_reader_put(pg, c);
    return rc;
}

int pg_get_experiment(struct store *s, int64_t id, struct experiment *out, struct ferr *err)
{
    return get_experiment((struct pg *)s, id, NULL, out, err);
}

int pg_get_experiment_by_name(struct store *s, const char *name, struct experiment *out,
                              struct ferr *err)
{
    return get_experiment((struct pg *)s, -1, name, out, err);
}

struct create_exp {
    const char *name;
    const char *artifact_location;
    const struct kv_list *tags;
    int64_t id;
};

static int put_experiment_tag(struct pg_conn *c, int64_t id, const char *key, const char *value,
                              struct ferr *err)
{
    static const char upsert[] =
        "INSERT INTO experiment_tags (experiment_id, key, value) VALUES ($1, $2, $3) "
        "ON CONFLICT (experiment_id, key) DO UPDATE SET value = excluded.value";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, id);
    pg_args_text(&a, key);
    pg_args_text(&a, value);
    int rc = pg_do(c, upsert, &a, "setting an experiment tag", err);
    pg_args_release(&a);
    return rc;
}

/* The error for a name another experiment has, worded by that one's state. */
static int name_taken_by(const char *name, const char *stage, struct ferr *err)
{
    if (!strcmp(stage, "deleted"))
        return store_err_experiment_exists(err, name,
                                           "an experiment of that name is deleted: restore it "
                                           "or delete it permanently first");
    return store_err_experiment_exists(err, name, "the name is taken by an active experiment");
}

static int name_taken(struct pg_conn *c, const char *name, struct ferr *err)
{
    static const char sql[] = "SELECT lifecycle_stage FROM experiments WHERE name = $1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "looking up an experiment name", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int rc = PQntuples(r) ? name_taken_by(name, pg_get_ref(r, 0, 0), err) : 0;
    PQclear(r);
    return rc;
}

/* After a unique violation on the name (another server took it between our
 * check and our write): the error name_taken would have given. The
 * transaction is aborted, so the other's state cannot be read: it was just
 * created or renamed, so it is active. */
static int name_raced(const struct pg_conn *c, const char *name, struct ferr *err)
{
    return pg_unique_violation(c) ? name_taken_by(name, "active", err) : -1;
}

static int do_create_experiment(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    /* The artifact location defaults to <root>/<id>, and the id is known
     * only once the row is in: set it in the same statement from the id
     * the identity column gives. */
    static const char ins[] =
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time) "
        "SELECT id, $1, CASE WHEN $2::text = '' THEN $3::text || '/' || id ELSE $2::text END, "
        "'active', $4, $4 FROM (SELECT nextval(pg_get_serial_sequence('experiments', "
        "'experiment_id')) AS id) AS n RETURNING experiment_id";
    struct create_exp *ce = arg;
    if (name_taken(c, ce->name, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ce->name);
    pg_args_text(&a, ce->artifact_location ? ce->artifact_location : "");
    pg_args_text(&a, pg->base.default_artifact_root);
    pg_args_int(&a, ftime_now_ms());
    PGresult *r = pg_run(c, ins, &a, "creating an experiment", err);
    pg_args_release(&a);
    if (!r)
        return name_raced(c, ce->name, err);
    ce->id = pg_get_int(r, 0, 0);
    PQclear(r);
    for (size_t i = 0; ce->tags && i < ce->tags->n; i++)
        if (put_experiment_tag(c, ce->id, ce->tags->v[i].key, ce->tags->v[i].value, err))
            return -1;
    return 0;
}

int pg_create_experiment(struct store *s, const char *name, const char *artifact_location,
                         const struct kv_list *tags, int64_t *id_out, struct ferr *err)
{
    struct create_exp ce = {name, artifact_location, tags, -1};
    if (pg_write((struct pg *)s, do_create_experiment, &ce, err))
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

/* The experiment's lifecycle, its row locked until the transaction ends
 * (changes from other servers wait); RESOURCE_DOES_NOT_EXIST when absent. */
static int exp_lifecycle(struct pg_conn *c, int64_t id, enum lifecycle *lc, struct ferr *err)
{
    static const char sql[] =
        "SELECT lifecycle_stage FROM experiments WHERE experiment_id = $1 FOR UPDATE";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, id);
    PGresult *r = pg_run(c, sql, &a, "reading an experiment", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        *lc = lifecycle_of(pg_get_ref(r, 0, 0));
    PQclear(r);
    return found ? 0 : store_err_experiment_not_found(err, id);
}

static int do_rename(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] =
        "UPDATE experiments SET name = $1, last_update_time = $2 WHERE experiment_id = $3";
    struct exp_change *ch = arg;
    enum lifecycle lc;
    if (exp_lifecycle(c, ch->id, &lc, err))
        return -1;
    if (lc == LIFECYCLE_DELETED)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cannot rename a non-active experiment (id=%" PRId64 ")", ch->id);
    if (name_taken(c, ch->name, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ch->name);
    pg_args_int(&a, ftime_now_ms());
    pg_args_int(&a, ch->id);
    int rc = pg_do(c, sql, &a, "renaming an experiment", err);
    pg_args_release(&a);
    return rc ? name_raced(c, ch->name, err) : 0;
}

int pg_rename_experiment(struct store *s, int64_t id, const char *new_name, struct ferr *err)
{
    struct exp_change ch = {id, new_name, NULL, LIFECYCLE_ACTIVE};
    return pg_write((struct pg *)s, do_rename, &ch, err);
}

/* Deleting an experiment deletes its active runs at the same instant; restoring
 * brings back exactly the runs deleted at that instant, so runs deleted on
 * their own before stay deleted. */
static int do_set_lifecycle(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char set_exp[] = "UPDATE experiments SET lifecycle_stage = $1, "
                                  "last_update_time = $2 WHERE experiment_id = $3";
    static const char del_runs[] = "UPDATE runs SET lifecycle_stage = 'deleted', deleted_time = $1 "
                                   "WHERE experiment_id = $2 AND lifecycle_stage = 'active'";
    static const char restore_runs[] =
        "UPDATE runs SET lifecycle_stage = 'active', deleted_time = NULL "
        "WHERE experiment_id = $1 AND lifecycle_stage = 'deleted' AND deleted_time = "
        "(SELECT last_update_time FROM experiments WHERE experiment_id = $1)";
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
    struct pg_args a = PG_ARGS_INIT;
    int rc;
    if (ch->to == LIFECYCLE_ACTIVE) {
        pg_args_int(&a, ch->id);
        rc = pg_do(c, restore_runs, &a, "updating runs of an experiment", err);
    } else {
        pg_args_int(&a, now);
        pg_args_int(&a, ch->id);
        rc = pg_do(c, del_runs, &a, "updating runs of an experiment", err);
    }
    if (!rc) {
        pg_args_clear(&a);
        pg_args_text(&a, lifecycle_name(ch->to));
        pg_args_int(&a, now);
        pg_args_int(&a, ch->id);
        rc = pg_do(c, set_exp, &a, "updating an experiment", err);
    }
    pg_args_release(&a);
    return rc;
}

int pg_set_experiment_lifecycle(struct store *s, int64_t id, enum lifecycle to, struct ferr *err)
{
    struct exp_change ch = {id, NULL, NULL, to};
    return pg_write((struct pg *)s, do_set_lifecycle, &ch, err);
}

static int do_set_tag(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char del[] = "DELETE FROM experiment_tags WHERE experiment_id = $1 AND key = $2";
    struct exp_change *ch = arg;
    enum lifecycle lc;
    if (exp_lifecycle(c, ch->id, &lc, err))
        return -1;
    if (lc == LIFECYCLE_DELETED)
        return store_err_experiment_not_active(err, ch->id);
    if (ch->value)
        return put_experiment_tag(c, ch->id, ch->name, ch->value, err);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, ch->id);
    pg_args_text(&a, ch->name);
    PGresult *r = pg_run(c, del, &a, "deleting an experiment tag", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (n == 0)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "no tag with name '%s' in experiment %" PRId64, ch->name, ch->id);
    return 0;
}

int pg_set_experiment_tag(struct store *s, int64_t id, const char *key, const char *value,
                          struct ferr *err)
{
    struct exp_change ch = {id, key, value, LIFECYCLE_ACTIVE};
    return pg_write((struct pg *)s, do_set_tag, &ch, err);
}

/* The experiments whose ids r (column 0, the search's order) holds, with
 * their tags, in that order: two statements for the whole page rather than
 * two per experiment. An experiment purged since the search ran is left
 * out. */
static int load_page(struct pg_conn *c, const PGresult *ids, int n, struct experiment_list *out,
                     struct ferr *err)
{
    static const char rows_sql[] =
        "SELECT " EXP_COLS " FROM unnest($1::bigint[]) WITH ORDINALITY AS u(id, ord) "
        "JOIN experiments e ON e.experiment_id = u.id ORDER BY u.ord";
    static const char tags_sql[] =
        "SELECT t.experiment_id, t.key, t.value FROM unnest($1::bigint[]) WITH ORDINALITY "
        "AS u(id, ord) JOIN experiment_tags t ON t.experiment_id = u.id ORDER BY u.ord, t.key";
    if (n == 0)
        return 0;
    struct sbuf arr = SBUF_INIT;
    sbuf_addch(&arr, '{');
    for (int i = 0; i < n; i++)
        sbuf_addf(&arr, "%s%s", i ? "," : "", pg_get_ref(ids, i, 0));
    sbuf_addch(&arr, '}');
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, arr.buf);
    PGresult *rows = pg_run(c, rows_sql, &a, "searching experiments", err);
    PGresult *tags = rows ? pg_run(c, tags_sql, &a, "reading experiment tags", err) : NULL;
    pg_args_release(&a);
    sbuf_release(&arr);
    if (!tags) {
        PQclear(rows);
        return -1;
    }
    int nrows = PQntuples(rows), ntags = PQntuples(tags), t = 0;
    out->v = xcalloc((size_t)nrows ? (size_t)nrows : 1, sizeof(*out->v));
    out->alloc = (size_t)nrows;
    for (int i = 0; i < nrows; i++) {
        struct experiment *e = &out->v[out->n++];
        experiment_from_row(rows, i, e);
        /* Both results follow the page's order, so each experiment's
         * tags are the run of tag rows at t carrying its id. */
        int64_t id = pg_get_int(rows, i, 0);
        for (; t < ntags && pg_get_int(tags, t, 0) == id; t++)
            kv_list_add(&e->tags, pg_get_ref(tags, t, 1), pg_get_ref(tags, t, 2));
    }
    PQclear(rows);
    PQclear(tags);
    return 0;
}

int pg_search_experiments(struct store *s, const struct experiment_search *q,
                          struct store_page *page, struct experiment_list *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct sql_frag f;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    sql_frag_init(&f, &pg_dialect);
    if (search_sql_experiments(q, page->limit + 1, page->offset, &f, err)) {
        sql_frag_release(&f);
        return -1;
    }
    struct pg_args a = PG_ARGS_INIT;
    PGresult *ids = NULL;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        goto out;
    pg_args_frag(&a, &f);
    ids = pg_run_text(c, f.sql.buf, &a, "searching experiments", err);
    if (!ids)
        goto out;
    int n = PQntuples(ids);
    if ((int64_t)n > page->limit) { /* the one row past the page says more follow */
        page->more = 1;
        n = (int)page->limit;
    }
    rc = load_page(c, ids, n, out, err);
out:
    PQclear(ids);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    sql_frag_release(&f);
    if (rc)
        experiment_list_release(out);
    return rc;
}
