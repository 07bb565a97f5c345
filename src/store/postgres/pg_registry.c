/* SPDX-License-Identifier: MIT
 * The model registry in the PostgreSQL backend (store/registry.h's
 * contract), a translation of store/sqlite/sqlite_registry.c: the same
 * errors, messages, orders and pages. Every write runs through pg_write as
 * one operation that also appends its audit event, so the trail and the
 * registry cannot disagree.
 *
 * Replicas. Several ferry servers may write one database, so what SQLite's
 * single writer made safe is made safe here by a row lock: every write but
 * a model's creation first takes the model's registered_models row FOR
 * UPDATE, in the transaction that does the write, so writes to one model
 * are serialised across processes. A version's creation takes that lock
 * with the number itself (UPDATE ... next_version + 1 ... RETURNING, in the
 * transaction that inserts the version), so the number is unique and
 * gap-free: a transaction that rolls back gives its number back, and the
 * next one waits for it to end. A stage transition with archive_existing,
 * an alias move (whose event names the old version), a tag deletion and a
 * rename read what they change under the same lock. A write that waited for the lock finds the
 * model as the other transaction committed it (READ COMMITTED re-reads a
 * locked row): renamed or deleted, it is not found, as if it came after.
 * Creating a model races on the unique name only: ON CONFLICT DO NOTHING
 * waits for the other insert and then sees it; a rename onto a name another
 * replica just created fails on the unique key with the same message as the
 * check before it.
 *
 * Reads. Each read is one statement, one round trip to the database: a
 * version, a model, its latest versions, and their tags and aliases come
 * back together, the tags and aliases aggregated per row into text[]
 * values (ARRAY(SELECT ... ORDER BY key) sublinks) that array_kv decodes
 * byte for byte. A sublink, not array_agg(... ORDER BY ...): that
 * aggregate sets up a sort for each row, and a version's two of them made
 * the alias read 0.110 ms in pgbench against 0.068 ms. A search too: the
 * page's keys (search_sql.c) and their rows in one statement
 * (search_page), so a page of 10,000 versions costs one round trip, not
 * the SQLite file's statements per version; being one statement, it sees
 * one snapshot while other replicas write. Each key is
 * joined LATERAL to its rows, behind OFFSET 0 so that PostgreSQL cannot
 * flatten it into a join it might hash: this way it is an index lookup per
 * key, whatever the page and the table sizes. */
#include "store/postgres/pg_int.h"
#include "store/deployment_record.h"
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

/* ---------- helpers on a connection ---------- */

/* The id of model name, for a write: the row stays locked until the
 * transaction ends. */
static int model_id(struct pg_conn *c, const char *name, int64_t *id, struct ferr *err)
{
    static const char sql[] = "SELECT id FROM registered_models WHERE name = $1 FOR UPDATE";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading a registered model", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        *id = pg_get_int(r, 0, 0);
    PQclear(r);
    return found ? 0 : store_err_model_not_found(err, name);
}

static int version_exists(struct pg_conn *c, int64_t model, const char *name, int64_t version,
                          struct ferr *err)
{
    static const char sql[] = "SELECT 1 FROM model_versions WHERE model = $1 AND version = $2";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, model);
    pg_args_int(&a, version);
    PGresult *r = pg_run(c, sql, &a, "reading a model version", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    PQclear(r);
    return found ? 0 : store_err_version_not_found(err, name, version);
}

/* Runs one statement with up to four bound values: 'i' int64, 's' text,
 * 'n' text or NULL; *changed (when not NULL): the rows it touched. */
static int exec_counted(struct pg_conn *c, const char *sql, const char *types, const void *a,
                        const void *b, const void *d, const void *e, const char *what,
                        int64_t *changed, struct ferr *err)
{
    const void *vals[4] = {a, b, d, e};
    struct pg_args args = PG_ARGS_INIT;
    for (int i = 0; types[i]; i++) {
        if (types[i] == 'i')
            pg_args_int(&args, *(const int64_t *)vals[i]);
        else
            pg_args_text(&args, vals[i]); /* NULL: SQL NULL */
    }
    PGresult *r = pg_run(c, sql, &args, what, err);
    pg_args_release(&args);
    if (!r)
        return -1;
    if (changed)
        *changed = pg_affected(r);
    PQclear(r);
    return 0;
}

static int exec_bound(struct pg_conn *c, const char *sql, const char *types, const void *a,
                      const void *b, const void *d, const void *e, const char *what,
                      struct ferr *err)
{
    return exec_counted(c, sql, types, a, b, d, e, what, NULL, err);
}

static int touch_model(struct pg_conn *c, int64_t model, int64_t now, struct ferr *err)
{
    static const char sql[] = "UPDATE registered_models SET last_updated_time = $1 WHERE id = $2";
    return exec_bound(c, sql, "ii", &now, &model, NULL, NULL, "updating a registered model", err);
}

static int touch_version(struct pg_conn *c, int64_t model, int64_t version, int64_t now,
                         struct ferr *err)
{
    static const char sql[] =
        "UPDATE model_versions SET last_updated_time = $1 WHERE model = $2 AND version = $3";
    return exec_bound(c, sql, "iii", &now, &model, &version, NULL, "updating a model version",
                      err) ||
           touch_model(c, model, now, err);
}

static int audit(struct pg_conn *c, const char *name, int64_t version, const char *action,
                 const char *detail, const char *user, int64_t now, struct ferr *err)
{
    static const char sql[] = "INSERT INTO registry_events (model_name, version, action, detail, "
                              "user_id, time) VALUES ($1, $2, $3, $4, $5, $6)";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    if (version)
        pg_args_int(&a, version);
    else
        pg_args_null(&a);
    pg_args_text(&a, action);
    pg_args_text(&a, detail ? detail : "");
    pg_args_text(&a, user ? user : "");
    pg_args_int(&a, now);
    int rc = pg_do(c, sql, &a, "recording an audit event", err);
    pg_args_release(&a);
    if (rc)
        return -1;
    /* the same change on the events stream (store/deployments.h), which
     * triggers and webhooks read */
    static const char ev[] =
        "INSERT INTO events (time_ms, kind, subject, user_id, payload) VALUES ($1, $2, $3, $4, $5)";
    char kind[64];
    char *payload = registry_event_payload(name, version, detail);
    snprintf(kind, sizeof(kind), "registry.%s", action);
    pg_args_int(&a, now);
    pg_args_text(&a, kind);
    pg_args_text(&a, name);
    pg_args_text(&a, user ? user : "");
    pg_args_text(&a, payload);
    rc = pg_do(c, ev, &a, "recording an event", err);
    pg_args_release(&a);
    free(payload);
    return rc;
}

/* ---------- writes ---------- */

static int w_create_model(struct pg_conn *c, struct reg_write *w, int64_t now, struct ferr *err)
{
    /* A name another replica is inserting: DO NOTHING waits for its
     * transaction and then finds the name taken. */
    static const char ins[] =
        "INSERT INTO registered_models (name, description, creation_time, "
        "last_updated_time) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id";
    static const char tag[] = "INSERT INTO registered_model_tags (model, key, value) "
                              "VALUES ($1, $2, $3) ON CONFLICT (model, key) "
                              "DO UPDATE SET value = excluded.value";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, w->name);
    pg_args_text(&a, w->description);
    pg_args_int(&a, now);
    pg_args_int(&a, now);
    PGresult *r = pg_run(c, ins, &a, "creating a registered model", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int created = PQntuples(r) == 1;
    int64_t id = created ? pg_get_int(r, 0, 0) : 0;
    PQclear(r);
    if (!created)
        return store_err_model_exists(err, w->name);
    for (size_t i = 0; i < w->tags.n; i++)
        if (exec_bound(c, tag, "iss", &id, w->tags.v[i].key, w->tags.v[i].value, NULL,
                       "tagging a registered model", err))
            return -1;
    return audit(c, w->name, 0, "create_model", "", w->user, now, err);
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static int w_create_version(struct pg_conn *c, struct reg_write *w, int64_t now, struct ferr *err)
{
    /* Finds the model, locks its row and takes the next number in one
     * statement: another replica's transaction numbering the same model
     * waits for this one, then increments what this one committed. The
     * number is no other transaction's, and comes back if this one rolls
     * back: unique and gap-free. */
    static const char next[] =
        "UPDATE registered_models SET next_version = next_version + 1, "
        "last_updated_time = $1 WHERE name = $2 RETURNING id, next_version - 1";
    static const char ins[] =
        "INSERT INTO model_versions (model, version, creation_time, last_updated_time, "
        "description, user_id, source, run_id, run_link, model_id, storage_location) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
    static const char tag[] = "INSERT INTO model_version_tags (model, version, key, value) "
                              "VALUES ($1, $2, $3, $4) ON CONFLICT (model, version, key) "
                              "DO UPDATE SET value = excluded.value";
    /* run_id is stored as given, as MLflow does: the registry may live apart
     * from the tracking store that holds the run. */
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, now);
    pg_args_text(&a, w->name);
    PGresult *r = pg_run(c, next, &a, "numbering a model version", err);
    if (!r) {
        pg_args_release(&a);
        return -1;
    }
    int numbered = PQntuples(r) == 1;
    int64_t model = numbered ? pg_get_int(r, 0, 0) : 0;
    int64_t v = numbered ? pg_get_int(r, 0, 1) : 0;
    PQclear(r);
    if (!numbered) {
        pg_args_release(&a);
        return store_err_model_not_found(err, w->name);
    }
    pg_args_clear(&a);
    pg_args_int(&a, model);
    pg_args_int(&a, v);
    pg_args_int(&a, now);
    pg_args_int(&a, now);
    pg_args_text(&a, w->description);
    pg_args_text(&a, w->user ? w->user : "");
    pg_args_text(&a, w->source);
    pg_args_text(&a, nonempty(w->run_id));
    pg_args_text(&a, nonempty(w->run_link));
    pg_args_text(&a, nonempty(w->model_id));
    pg_args_text(&a, nonempty(w->storage_location));
    int rc = pg_do(c, ins, &a, "creating a model version", err);
    pg_args_release(&a);
    if (rc)
        return -1;
    for (size_t i = 0; i < w->tags.n; i++)
        if (exec_bound(c, tag, "iiss", &model, &v, w->tags.v[i].key, w->tags.v[i].value,
                       "tagging a model version", err))
            return -1;
    w->created_version = v;
    return audit(c, w->name, v, "create_version", w->source, w->user, now, err);
}

static int current_stage(struct pg_conn *c, int64_t model, int64_t version, char *out, size_t n,
                         struct ferr *err)
{
    static const char sql[] =
        "SELECT current_stage FROM model_versions WHERE model = $1 AND version = $2";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, model);
    pg_args_int(&a, version);
    PGresult *r = pg_run(c, sql, &a, "reading a stage", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        snprintf(out, n, "%s", pg_get_ref(r, 0, 0));
    PQclear(r);
    return found ? 0 : ferr_set(err, FERR_INTERNAL_ERROR, "database error while reading a stage");
}

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int w_transition(struct pg_conn *c, struct reg_write *w, int64_t model, int64_t now,
                        struct ferr *err)
{
    static const char set[] =
        "UPDATE model_versions SET current_stage = $1, last_updated_time = $2 "
        "WHERE model = $3 AND version = $4";
    /* SQLite reads the others and archives them one by one; here one
     * statement archives them and says which (audited below in version
     * order, as there). The model's lock keeps the set stable. */
    static const char archive[] =
        "UPDATE model_versions SET current_stage = '" STAGE_ARCHIVED "', last_updated_time = $1 "
        "WHERE model = $2 AND version <> $3 AND current_stage = $4 RETURNING version";
    const char *stage = stage_canonical(w->stage);
    int production_like = !strcmp(stage, STAGE_STAGING) || !strcmp(stage, STAGE_PRODUCTION);
    char from[32];
    struct sbuf detail = SBUF_INIT;
    if (w->archive_existing && !production_like)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "archive_existing_versions applies to Staging and Production only, not "
                        "to '%s'",
                        stage);
    if (current_stage(c, model, w->version, from, sizeof(from), err) ||
        exec_bound(c, set, "siii", stage, &now, &model, &w->version, "changing a stage", err))
        return -1;
    sbuf_addf(&detail, "%s -> %s", from, stage);
    int rc = audit(c, w->name, w->version, "transition", detail.buf, w->user, now, err);
    sbuf_release(&detail);
    if (rc || !w->archive_existing)
        return rc ? -1 : touch_model(c, model, now, err);
    /* Archive every other version in the target stage, each audited. */
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, now);
    pg_args_int(&a, model);
    pg_args_int(&a, w->version);
    pg_args_text(&a, stage);
    PGresult *r = pg_run(c, archive, &a, "archiving", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    size_t nv = (size_t)PQntuples(r);
    int64_t *vs = xcalloc(nv ? nv : 1, sizeof(*vs));
    for (size_t i = 0; i < nv; i++)
        vs[i] = pg_get_int(r, (int)i, 0);
    PQclear(r);
    qsort(vs, nv, sizeof(*vs), cmp_int64);
    sbuf_addf(&detail, "%s -> %s (archive_existing_versions)", stage, STAGE_ARCHIVED);
    for (size_t i = 0; !rc && i < nv; i++)
        rc = audit(c, w->name, vs[i], "transition", detail.buf, w->user, now, err);
    sbuf_release(&detail);
    free(vs);
    return rc ? -1 : touch_model(c, model, now, err);
}

static int w_alias(struct pg_conn *c, struct reg_write *w, int64_t model, int64_t now,
                   struct ferr *err)
{
    static const char get[] =
        "SELECT version FROM registered_model_aliases WHERE model = $1 AND alias = $2";
    static const char set[] = "INSERT INTO registered_model_aliases (model, alias, version) "
                              "VALUES ($1, $2, $3) ON CONFLICT (model, alias) "
                              "DO UPDATE SET version = excluded.version";
    static const char del[] =
        "DELETE FROM registered_model_aliases WHERE model = $1 AND alias = $2";
    /* The old version read here is still the alias's when it is moved: the
     * model's row is locked. */
    int64_t old = 0;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, model);
    pg_args_text(&a, w->alias);
    PGresult *r = pg_run(c, get, &a, "reading an alias", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    if (PQntuples(r) == 1)
        old = pg_get_int(r, 0, 0);
    PQclear(r);
    struct sbuf detail = SBUF_INIT;
    int rc;
    if (w->action == REG_SET_ALIAS) {
        if (version_exists(c, model, w->name, w->version, err) ||
            exec_bound(c, set, "isi", &model, w->alias, &w->version, NULL, "setting an alias", err))
            return -1;
        if (old)
            sbuf_addf(&detail, "@%s: %" PRId64 " -> %" PRId64, w->alias, old, w->version);
        else
            sbuf_addf(&detail, "@%s -> %" PRId64, w->alias, w->version);
        rc = audit(c, w->name, w->version, "set_alias", detail.buf, w->user, now, err);
    } else {
        if (!old) {
            /* MLflow: deleting an alias that is not there is not an error. */
            return 0;
        }
        if (exec_bound(c, del, "is", &model, w->alias, NULL, NULL, "deleting an alias", err))
            return -1;
        sbuf_addf(&detail, "@%s (was %" PRId64 ")", w->alias, old);
        rc = audit(c, w->name, old, "delete_alias", detail.buf, w->user, now, err);
    }
    sbuf_release(&detail);
    return rc ? -1 : touch_model(c, model, now, err);
}

static int w_rename(struct pg_conn *c, struct reg_write *w, int64_t model, int64_t now,
                    struct ferr *err)
{
    static const char taken[] = "SELECT 1 FROM registered_models WHERE name = $1";
    static const char set[] =
        "UPDATE registered_models SET name = $1, last_updated_time = $2 WHERE id = $3";
    static const char trail[] = "UPDATE registry_events SET model_name = $1 WHERE model_name = $2";
    if (!strcmp(w->name, w->new_name))
        return 0;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, w->new_name);
    PGresult *r = pg_run(c, taken, &a, "checking a model name", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int exists = PQntuples(r) > 0;
    PQclear(r);
    if (exists)
        return store_err_model_exists(err, w->new_name);
    /* Another replica may create the name between the check and the
     * update: the unique key refuses it, in the same words. */
    if (exec_bound(c, set, "sii", w->new_name, &now, &model, NULL, "renaming a model", err))
        return pg_unique_violation(c) ? store_err_model_exists(err, w->new_name) : -1;
    struct sbuf detail = SBUF_INIT;
    sbuf_addf(&detail, "%s -> %s", w->name, w->new_name);
    /* The trail follows the model to its new name. */
    int rc =
        exec_bound(c, trail, "ss", w->new_name, w->name, NULL, NULL, "renaming a trail", err) ||
        audit(c, w->new_name, 0, "rename", detail.buf, w->user, now, err);
    sbuf_release(&detail);
    return rc ? -1 : 0;
}

static int do_registry_write(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char upd_model[] = "UPDATE registered_models SET description = $1, "
                                    "last_updated_time = $2 WHERE id = $3";
    static const char del_model[] = "DELETE FROM registered_models WHERE id = $1";
    static const char set_mtag[] = "INSERT INTO registered_model_tags (model, key, value) "
                                   "VALUES ($1, $2, $3) ON CONFLICT (model, key) "
                                   "DO UPDATE SET value = excluded.value";
    static const char del_mtag[] =
        "DELETE FROM registered_model_tags WHERE model = $1 AND key = $2";
    static const char upd_ver[] = "UPDATE model_versions SET description = $1, "
                                  "last_updated_time = $2 WHERE model = $3 AND version = $4";
    static const char del_ver[] = "DELETE FROM model_versions WHERE model = $1 AND version = $2";
    static const char set_vtag[] = "INSERT INTO model_version_tags (model, version, key, value) "
                                   "VALUES ($1, $2, $3, $4) ON CONFLICT (model, version, key) "
                                   "DO UPDATE SET value = excluded.value";
    static const char del_vtag[] =
        "DELETE FROM model_version_tags WHERE model = $1 AND version = $2 AND key = $3";
    struct reg_write *w = arg;
    int64_t now = ftime_now_ms(), model = 0, changed = 0;
    if (w->action == REG_CREATE_MODEL)
        return w_create_model(c, w, now, err);
    if (w->action == REG_CREATE_VERSION)
        return w_create_version(c, w, now, err);
    /* Every other write holds the model's row until it commits. */
    if (model_id(c, w->name, &model, err))
        return -1;
    int needs_version = w->action >= REG_UPDATE_VERSION && w->action <= REG_DELETE_VERSION_TAG;
    if (needs_version && version_exists(c, model, w->name, w->version, err))
        return -1;
    switch (w->action) {
    case REG_RENAME_MODEL:
        return w_rename(c, w, model, now, err);
    case REG_UPDATE_MODEL:
        return exec_bound(c, upd_model, "nii", w->description, &now, &model, NULL,
                          "updating a model", err) ||
               audit(c, w->name, 0, "update_model", "description", w->user, now, err);
    case REG_DELETE_MODEL:
        return exec_bound(c, del_model, "i", &model, NULL, NULL, NULL, "deleting a model", err) ||
               audit(c, w->name, 0, "delete_model", "", w->user, now, err);
    case REG_SET_MODEL_TAG:
        return exec_bound(c, set_mtag, "iss", &model, w->key, w->value, NULL, "tagging a model",
                          err) ||
               touch_model(c, model, now, err) ||
               audit(c, w->name, 0, "set_tag", w->key, w->user, now, err);
    case REG_DELETE_MODEL_TAG:
        if (exec_counted(c, del_mtag, "is", &model, w->key, NULL, NULL, "untagging a model",
                         &changed, err))
            return -1;
        if (changed == 0)
            return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                            "no tag with key '%.200s' on registered model '%.200s'", w->key,
                            w->name);
        return touch_model(c, model, now, err) ||
               audit(c, w->name, 0, "delete_tag", w->key, w->user, now, err);
    case REG_SET_ALIAS:
    case REG_DELETE_ALIAS:
        return w_alias(c, w, model, now, err);
    case REG_UPDATE_VERSION:
        /* as MLflow: the version's time changes, not its model's */
        return exec_bound(c, upd_ver, "niii", w->description, &now, &model, &w->version,
                          "updating a version", err) ||
               audit(c, w->name, w->version, "update_version", "description", w->user, now, err);
    case REG_DELETE_VERSION:
        return exec_bound(c, del_ver, "ii", &model, &w->version, NULL, NULL, "deleting a version",
                          err) ||
               touch_model(c, model, now, err) ||
               audit(c, w->name, w->version, "delete_version", "", w->user, now, err);
    case REG_TRANSITION:
        return w_transition(c, w, model, now, err);
    case REG_SET_VERSION_TAG:
        return exec_bound(c, set_vtag, "iiss", &model, &w->version, w->key, w->value,
                          "tagging a version", err) ||
               touch_version(c, model, w->version, now, err) ||
               audit(c, w->name, w->version, "set_tag", w->key, w->user, now, err);
    case REG_DELETE_VERSION_TAG:
        if (exec_counted(c, del_vtag, "iis", &model, &w->version, w->key, NULL,
                         "untagging a version", &changed, err))
            return -1;
        if (changed == 0)
            return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                            "no tag with key '%.200s' on model version (name=%.200s, "
                            "version=%" PRId64 ")",
                            w->key, w->name, w->version);
        return touch_version(c, model, w->version, now, err) ||
               audit(c, w->name, w->version, "delete_tag", w->key, w->user, now, err);
    case REG_CREATE_MODEL:
    case REG_CREATE_VERSION: /* above */
        break;
    }
    return ferr_set(err, FERR_INTERNAL_ERROR, "unknown registry action");
}

static int pg_registry_write(struct store *s, struct reg_write *w, struct ferr *err)
{
    return pg_write((struct pg *)s, do_registry_write, w, err);
}

/* ---------- reads ---------- */

/* An array literal for a $n::text[] parameter: add the elements, then
 * array_end. */
static void text_array_add(struct sbuf *sb, const char *s)
{
    sbuf_addstr(sb, sb->len ? ",\"" : "{\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sbuf_addch(sb, '\\');
        sbuf_addch(sb, *s);
    }
    sbuf_addch(sb, '"');
}

static void array_end(struct sbuf *sb)
{
    sbuf_addstr(sb, sb->len ? "}" : "{}");
}

#define VERSION_VCOLS                                                                              \
    "v.version, v.creation_time, v.last_updated_time, v.description, v.user_id, "                  \
    "v.current_stage, v.source, v.run_id, v.run_link, v.status, v.status_message, v.model, "       \
    "v.model_id, v.storage_location"
#define VERSION_COLS  "m.name, " VERSION_VCOLS
#define VERSION_NCOLS 15

/* A version's tags and its aliases, each in the statement that reads the
 * version (one round trip), as a text[] ({}: none) in key order, as the
 * SQLite file's per-version ORDER BY (the columns are COLLATE "C": bytes,
 * as SQLite's BINARY). Tags: {{key,value},...}; aliases: {alias,...}; v:
 * the row that holds the version's model and version. */
#define VERSION_TAGS                                                                               \
    "ARRAY(SELECT ARRAY[vt.key, vt.value] FROM model_version_tags vt "                             \
    "WHERE vt.model = v.model AND vt.version = v.version ORDER BY vt.key)"
#define VERSION_ALIASES                                                                            \
    "ARRAY(SELECT va.alias FROM registered_model_aliases va "                                      \
    "WHERE va.model = v.model AND va.version = v.version ORDER BY va.alias)"

/* Fills out from the VERSION_COLS of a row, which start at column k;
 * returns the model's id. */
static int64_t version_from_row(const PGresult *r, int row, int k, struct model_version *out)
{
    memset(out, 0, sizeof(*out));
    out->name = pg_get_str(r, row, k);
    out->version = pg_get_int(r, row, k + 1);
    out->creation_time = pg_get_int(r, row, k + 2);
    out->last_updated_time = pg_get_int(r, row, k + 3);
    out->description = pg_get_str_or_null(r, row, k + 4);
    out->user_id = pg_get_str(r, row, k + 5);
    out->current_stage = pg_get_str(r, row, k + 6);
    out->source = pg_get_str(r, row, k + 7);
    out->run_id = pg_get_str_or_null(r, row, k + 8);
    out->run_link = pg_get_str_or_null(r, row, k + 9);
    out->status = pg_get_str(r, row, k + 10);
    out->status_message = pg_get_str_or_null(r, row, k + 11);
    out->model_id = pg_get_str_or_null(r, row, k + 13);
    out->storage_location = pg_get_str_or_null(r, row, k + 14);
    return pg_get_int(r, row, k + 12);
}

/* The next element of a text[] in PostgreSQL's output form ({a,"b c"},
 * or {{k,v},{k,v}}: the dimensions are flattened) from *p into el, which
 * is reset first: 1, or 0 at the end. A quoted element is unescaped (\x is
 * x); an unquoted one is taken as it is (array_out quotes every element
 * holding a delimiter, a brace, a quote, a backslash or white space, and
 * the empty string), so the bytes come back exactly; an unquoted NULL is
 * SQL NULL, read as "" (the columns aggregated are NOT NULL). */
static int array_next(const char **p, struct sbuf *el)
{
    const char *s = *p;
    sbuf_reset(el);
    while (*s == '{' || *s == '}' || *s == ',')
        s++;
    if (!*s) {
        *p = s;
        return 0;
    }
    if (*s == '"') {
        for (s++; *s && *s != '"'; s++) {
            if (*s == '\\' && s[1])
                s++;
            sbuf_addch(el, *s);
        }
        if (*s)
            s++;
    } else {
        const char *start = s;
        while (*s && *s != ',' && *s != '}')
            s++;
        if (!(s - start == 4 && !memcmp(start, "NULL", 4)))
            sbuf_add(el, start, (size_t)(s - start));
    }
    *p = s;
    return 1;
}

/* Adds to l the text[] in cell (row, col) of r (NULL or {}: nothing): pairs 1,
 * {{key,value},...}; pairs 0, {key,...}, each with value "". */
static void array_kv(struct kv_list *l, const PGresult *r, int row, int col, int pairs)
{
    if (pg_get_null(r, row, col))
        return;
    const char *p = pg_get_ref(r, row, col);
    if (*p == '[') /* bounds other than 1 ("[0:1]={...}"); ARRAY() makes none */
        p += strcspn(p, "=") + (strchr(p, '=') != NULL);
    struct sbuf key = SBUF_INIT, value = SBUF_INIT;
    while (array_next(&p, &key)) {
        if (pairs && !array_next(&p, &value))
            break; /* not a pair: cannot come from the statements here */
        kv_list_add(l, key.buf ? key.buf : "", pairs && value.buf ? value.buf : "");
    }
    sbuf_release(&key);
    sbuf_release(&value);
}

/* Appends the versions of the first n rows of r (VERSION_COLS from column
 * 0, then VERSION_TAGS and, when aliases is 1, VERSION_ALIASES), in its
 * order, to out. */
static void read_versions(const PGresult *r, int n, struct model_version_list *out, int aliases)
{
    for (int i = 0; i < n; i++) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        struct model_version *v = &out->v[out->n++];
        version_from_row(r, i, 0, v);
        array_kv(&v->tags, r, i, VERSION_NCOLS, 1);
        if (aliases)
            array_kv(&v->aliases, r, i, VERSION_NCOLS + 1, 0);
    }
}

/* MLflow's latest versions of model m, as rows v: the newest of each stage
 * (LATEST_JOIN, a condition on current_stage if any, LATEST_JOIN_END),
 * stages in the order their first version came (MLflow walks the versions
 * in order and keeps a dict by stage): ORDER BY v.first. Joined LEFT: a
 * model without versions has one row, v's columns NULL. One pass over the
 * model's versions (the primary key's model prefix). */
#define LATEST_JOIN                                                                                \
    " LEFT JOIN LATERAL (SELECT DISTINCT ON (current_stage) *, "                                   \
    "min(version) OVER (PARTITION BY current_stage) AS first FROM model_versions "                 \
    "WHERE model = m.id"
#define LATEST_JOIN_END " ORDER BY current_stage, version DESC OFFSET 0) v ON TRUE"

/* The latest versions of one model with their tags, without aliases
 * (MLflow does not fill them here), in one statement: no row, no model. */
static int latest_versions(struct pg_conn *c, const char *name, const char *const *stages, size_t n,
                           struct model_version_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT " VERSION_COLS ", " VERSION_TAGS ", m.id FROM registered_models m" LATEST_JOIN
        " AND current_stage = ANY($2::text[])" LATEST_JOIN_END
        " WHERE m.name = $1 ORDER BY v.first";
    static const char *const all[] = {STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED};
    int wanted[4] = {!n, !n, !n, !n}; /* None, Staging, Production, Archived */
    const char *bad = NULL;
    for (size_t i = 0; i < n && !bad; i++) {
        const char *stage = stage_canonical(stages[i]);
        if (!stage)
            bad = stages[i];
        for (int k = 0; stage && k < 4; k++)
            wanted[k] |= !strcmp(stage, all[k]);
    }
    /* An unknown stage is reported once the model is known to exist (the
     * same statement, asking for no stage: a row, the model exists). */
    struct sbuf want = SBUF_INIT;
    for (int k = 0; k < 4 && !bad; k++)
        if (wanted[k])
            text_array_add(&want, all[k]);
    array_end(&want);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    pg_args_text(&a, want.buf);
    PGresult *r = pg_run(c, sql, &a, "reading latest versions", err);
    pg_args_release(&a);
    sbuf_release(&want);
    if (!r)
        return -1;
    int rows = PQntuples(r), rc = 0;
    if (!rows)
        rc = store_err_model_not_found(err, name);
    else if (bad)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "invalid model version stage '%.60s': it must be one of None, Staging, "
                      "Production, Archived",
                      bad);
    else if (!pg_get_null(r, 0, 1)) /* v.version: NULL when the model has none */
        read_versions(r, PQntuples(r), out, 0);
    PQclear(r);
    return rc;
}

/* A model's columns with its tags, its aliases ({{alias,version},...}),
 * each in key order, and a row per latest version (VERSION_COLS from
 * column MODEL_NCOLS + 2, NULL when the model has none) with its tags
 * after them: read_models's input, from registered_models m, followed by
 * MODEL_JOINS. */
#define MODEL_COLS                                                                                 \
    "m.id, m.name, m.creation_time, m.last_updated_time, m.description, mt.tags, "                 \
    "ma.aliases, " VERSION_COLS ", " VERSION_TAGS
#define MODEL_NCOLS 5
#define MODEL_JOINS                                                                                \
    " CROSS JOIN LATERAL (SELECT ARRAY(SELECT ARRAY[t.key, t.value] "                              \
    "FROM registered_model_tags t WHERE t.model = m.id ORDER BY t.key) AS tags) mt "               \
    "CROSS JOIN LATERAL (SELECT ARRAY(SELECT ARRAY[a.alias, a.version::text] "                     \
    "FROM registered_model_aliases a WHERE a.model = m.id ORDER BY a.alias) AS aliases) "          \
    "ma" LATEST_JOIN LATEST_JOIN_END

/* Appends the models of the first n rows of r (MODEL_COLS, a model's rows
 * together, in its order) to out, each with its tags, aliases and latest version per
 * stage (with their tags, without aliases, as MLflow). */
static void read_models(const PGresult *r, int n, struct registered_model_list *out)
{
    const int vk = MODEL_NCOLS + 2;
    int64_t last = 0;
    for (int i = 0; i < n; i++) {
        int64_t id = pg_get_int(r, i, 0);
        if (i == 0 || id != last) {
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            struct registered_model *m = &out->v[out->n++];
            memset(m, 0, sizeof(*m));
            m->name = pg_get_str(r, i, 1);
            m->creation_time = pg_get_int(r, i, 2);
            m->last_updated_time = pg_get_int(r, i, 3);
            m->description = pg_get_str_or_null(r, i, 4);
            array_kv(&m->tags, r, i, MODEL_NCOLS, 1);
            array_kv(&m->aliases, r, i, MODEL_NCOLS + 1, 1);
            last = id;
        }
        if (pg_get_null(r, i, vk + 1)) /* v.version: the model has no version */
            continue;
        struct model_version_list *l = &out->v[out->n - 1].latest_versions;
        ALLOC_GROW(l->v, l->n + 1, l->alloc);
        struct model_version *v = &l->v[l->n++];
        version_from_row(r, i, vk, v);
        array_kv(&v->tags, r, i, vk + VERSION_NCOLS, 1);
    }
}

static int pg_get_registered_model(struct store *s, const char *name, struct registered_model *out,
                                   struct ferr *err)
{
    static const char sql[] = "SELECT " MODEL_COLS " FROM registered_models m" MODEL_JOINS
                              " WHERE m.name = $1 ORDER BY v.first";
    struct pg *pg = (struct pg *)s;
    struct registered_model_list l = {0};
    struct pg_args a = PG_ARGS_INIT;
    int rc = -1;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading a registered model", err);
    pg_args_release(&a);
    if (!r)
        goto out;
    read_models(r, PQntuples(r), &l);
    PQclear(r);
    rc = l.n == 1 ? 0 : store_err_model_not_found(err, name);
    if (!rc) {
        *out = l.v[0];
        l.n = 0;
    }
out:
    pg_reader_put(pg, c);
    registered_model_list_release(&l);
    return rc;
}

/* The version a one-row result names from column 2 (columns 0 and 1: the
 * model's id, and whether the version was looked for; then VERSION_TAGS
 * and VERSION_ALIASES) into out; the model's and the version's absence in
 * MLflow's words (alias: the version was named by that alias). */
static int read_one_version(const PGresult *r, const char *name, int64_t version, const char *alias,
                            struct model_version *out, struct ferr *err)
{
    if (PQntuples(r) != 1)
        return store_err_model_not_found(err, name);
    if (alias && !pg_get_int(r, 0, 1))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Registered model alias %.200s not found.", alias);
    if (pg_get_null(r, 0, 3)) /* v.version: no such version */
        return store_err_version_not_found(err, name, alias ? pg_get_int(r, 0, 1) : version);
    version_from_row(r, 0, 2, out);
    array_kv(&out->tags, r, 0, 2 + VERSION_NCOLS, 1);
    array_kv(&out->aliases, r, 0, 2 + VERSION_NCOLS + 1, 0);
    return 0;
}

/* The model, the version, its tags and its aliases in one statement: no
 * model, and a model without that version, are told apart. */
static int pg_get_model_version(struct store *s, const char *name, int64_t version,
                                struct model_version *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT m.id, TRUE, " VERSION_COLS ", " VERSION_TAGS ", " VERSION_ALIASES
        " FROM registered_models m "
        "LEFT JOIN model_versions v ON v.model = m.id AND v.version = $2 WHERE m.name = $1";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    pg_args_int(&a, version);
    PGresult *r = pg_run(c, sql, &a, "reading model versions", err);
    pg_args_release(&a);
    int rc = r ? read_one_version(r, name, version, NULL, out, err) : -1;
    PQclear(r);
    pg_reader_put(pg, c);
    return rc;
}

/* As pg_get_model_version, through the alias (column 1: its version). */
static int pg_get_version_by_alias(struct store *s, const char *name, const char *alias,
                                   struct model_version *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT m.id, a.version, " VERSION_COLS ", " VERSION_TAGS ", " VERSION_ALIASES
        " FROM registered_models m "
        "LEFT JOIN registered_model_aliases a ON a.model = m.id AND a.alias = $2 "
        "LEFT JOIN model_versions v ON v.model = a.model AND v.version = a.version "
        "WHERE m.name = $1";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    pg_args_text(&a, alias);
    PGresult *r = pg_run(c, sql, &a, "reading an alias", err);
    pg_args_release(&a);
    int rc = r ? read_one_version(r, name, 0, alias, out, err) : -1;
    PQclear(r);
    pg_reader_put(pg, c);
    return rc;
}

static int pg_get_latest_versions(struct store *s, const char *name, const char *const *stages,
                                  size_t n, struct model_version_list *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int rc = latest_versions(c, name, stages, n, out, err);
    pg_reader_put(pg, c);
    if (rc)
        model_version_list_release(out);
    return rc;
}

static int pg_registry_events(struct store *s, const char *name, struct registry_event_list *out,
                              struct ferr *err)
{
    static const char sql[] = "SELECT time, user_id, action, coalesce(version, 0), detail "
                              "FROM registry_events WHERE model_name = $1 ORDER BY id";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading the audit trail", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        struct registry_event *e = &out->v[out->n++];
        e->time = pg_get_int(r, i, 0);
        e->user_id = pg_get_str(r, i, 1);
        e->action = pg_get_str(r, i, 2);
        e->version = pg_get_int(r, i, 3);
        e->detail = pg_get_str(r, i, 4);
    }
    PQclear(r);
    return 0;
}

/* ---------- search ---------- */

/* Runs a registry search in one statement: its page of keys (search_sql.c's
 * SELECT of a model's id, or of a version's name and version, ordered and
 * limited to one row past the page) numbered in their order as
 * o(ord, keys...), then rows (text selecting FROM o, its last column
 * o.ord, ORDER BY o.ord first). The numbering is row_number() OVER () over
 * that ordered, limited subquery: neither is flattened into the outer
 * query (a LIMIT, a window function), and a window without ORDER BY
 * numbers the rows as they come. One statement sees one snapshot, so the
 * keys and their rows agree while other replicas write. Returns the
 * result, *n: its rows within the page (ord <= limit), page->more set when
 * a row is past it; NULL with err set. */
static PGresult *search_page(struct pg_conn *c, const struct registry_search *q,
                             enum filter_domain dom, const char *rows, struct store_page *page,
                             int *n, struct ferr *err)
{
    struct sql_frag f;
    struct sbuf sql = SBUF_INIT;
    struct pg_args a = PG_ARGS_INIT;
    PGresult *r = NULL;
    sql_frag_init(&f, &pg_dialect);
    if (search_sql_registry(q, dom, page->limit + 1, page->offset, &f, err))
        goto out;
    sbuf_addf(&sql, "WITH o AS (SELECT row_number() OVER () AS ord, k.* FROM (%s) k) %s", f.sql.buf,
              rows);
    pg_args_frag(&a, &f);
    const char *kept = pg_intern(sql.buf);
    r = kept ? pg_run(c, kept, &a, "searching the registry", err)
             : pg_run_text(c, sql.buf, &a, "searching the registry", err);
    if (!r)
        goto out;
    int rows_n = PQntuples(r), ord_col = PQnfields(r) - 1;
    *n = 0;
    while (*n < rows_n && pg_get_int(r, *n, ord_col) <= page->limit)
        (*n)++;
    if (*n < rows_n)
        page->more = 1;
out:
    pg_args_release(&a);
    sql_frag_release(&f);
    sbuf_release(&sql);
    return r;
}

static int pg_search_registered_models(struct store *s, const struct registry_search *q,
                                       struct store_page *page, struct registered_model_list *out,
                                       struct ferr *err)
{
    /* The page's models with their tags, aliases and latest versions. */
    static const char rows[] = "SELECT " MODEL_COLS ", o.ord FROM o "
                               "CROSS JOIN LATERAL (SELECT * FROM registered_models m WHERE m.id = "
                               "o.id OFFSET 0) m" MODEL_JOINS " ORDER BY o.ord, v.first";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int n = 0;
    PGresult *r = search_page(c, q, FILTER_MODELS, rows, page, &n, err);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    read_models(r, n, out);
    PQclear(r);
    return 0;
}

static int pg_search_model_versions(struct store *s, const struct registry_search *q,
                                    struct store_page *page, struct model_version_list *out,
                                    struct ferr *err)
{
    /* The page's versions with their tags and aliases. */
    static const char rows[] =
        "SELECT v.*, " VERSION_TAGS ", " VERSION_ALIASES ", o.ord FROM o "
        "CROSS JOIN LATERAL (SELECT " VERSION_COLS " FROM registered_models m "
        "JOIN model_versions v ON v.model = m.id "
        "WHERE m.name = o.name AND v.version = o.version OFFSET 0) v ORDER BY o.ord";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int n = 0;
    PGresult *r = search_page(c, q, FILTER_MODEL_VERSIONS, rows, page, &n, err);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    read_versions(r, n, out, 1);
    PQclear(r);
    return 0;
}

const struct store_registry_ops pg_registry = {
    .write = pg_registry_write,
    .get_registered_model = pg_get_registered_model,
    .get_model_version = pg_get_model_version,
    .get_version_by_alias = pg_get_version_by_alias,
    .get_latest_versions = pg_get_latest_versions,
    .search_registered_models = pg_search_registered_models,
    .search_model_versions = pg_search_model_versions,
    .events = pg_registry_events,
};
