/* SPDX-License-Identifier: MIT
 * The model registry in the SQLite backend. Every write runs through the
 * group commit as one operation that also appends its audit event, so the
 * trail and the registry cannot disagree. */
#include "store/sqlite/sqlite_int.h"
#include "store/deployment_record.h"
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

/* ---------- helpers on a connection ---------- */

static int model_id(struct sq_conn *c, const char *name, int64_t *id, struct ferr *err)
{
    static const char sql[] = "SELECT id FROM registered_models WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return sq_fail(c, "reading a registered model", err);
    return store_err_model_not_found(err, name);
}

static int version_exists(struct sq_conn *c, int64_t model, const char *name, int64_t version,
                          struct ferr *err)
{
    static const char sql[] = "SELECT 1 FROM model_versions WHERE model = ? AND version = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, model);
    sqlite3_bind_int64(st, 2, version);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return sq_fail(c, "reading a model version", err);
    return store_err_version_not_found(err, name, version);
}

/* Runs one statement with up to four bound values: 'i' int64, 's' text,
 * 'n' text or NULL. */
static int exec_bound(struct sq_conn *c, const char *sql, const char *types, const void *a,
                      const void *b, const void *d, const void *e, const char *what,
                      struct ferr *err)
{
    const void *args[4] = {a, b, d, e};
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    for (int i = 0; types[i]; i++) {
        if (types[i] == 'i')
            sqlite3_bind_int64(st, i + 1, *(const int64_t *)args[i]);
        else if (args[i])
            sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, i + 1);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, what, err);
}

static int touch_model(struct sq_conn *c, int64_t model, int64_t now, struct ferr *err)
{
    static const char sql[] = "UPDATE registered_models SET last_updated_time = ? WHERE id = ?";
    return exec_bound(c, sql, "ii", &now, &model, NULL, NULL, "updating a registered model", err);
}

static int touch_version(struct sq_conn *c, int64_t model, int64_t version, int64_t now,
                         struct ferr *err)
{
    static const char sql[] =
        "UPDATE model_versions SET last_updated_time = ? WHERE model = ? AND version = ?";
    return exec_bound(c, sql, "iii", &now, &model, &version, NULL, "updating a model version",
                      err) ||
           touch_model(c, model, now, err);
}

static int audit(struct sq_conn *c, const char *name, int64_t version, const char *action,
                 const char *detail, const char *user, int64_t now, struct ferr *err)
{
    static const char sql[] = "INSERT INTO registry_events (model_name, version, action, detail, "
                              "user_id, time) VALUES (?, ?, ?, ?, ?, ?)";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (version)
        sqlite3_bind_int64(st, 2, version);
    else
        sqlite3_bind_null(st, 2);
    sqlite3_bind_text(st, 3, action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, detail ? detail : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, user ? user : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "recording an audit event", err);
    /* the same change on the events stream (store/deployments.h), which
     * triggers and webhooks read */
    static const char ev[] =
        "INSERT INTO events (time_ms, kind, subject, user_id, payload) VALUES (?, ?, ?, ?, ?)";
    char kind[64];
    snprintf(kind, sizeof(kind), "registry.%s", action);
    st = sq_prep(c, ev, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, user ? user : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, registry_event_payload(name, version, detail), -1, free);
    rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "recording an event", err);
}

/* ---------- writes ---------- */

static int w_create_model(struct sq_conn *c, struct reg_write *w, int64_t now, struct ferr *err)
{
    static const char ins[] = "INSERT INTO registered_models (name, description, creation_time, "
                              "last_updated_time) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING";
    static const char tag[] = "INSERT INTO registered_model_tags (model, key, value) "
                              "VALUES (?, ?, ?) ON CONFLICT (model, key) "
                              "DO UPDATE SET value = excluded.value";
    sqlite3_stmt *st = sq_prep(c, ins, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, w->name, -1, SQLITE_STATIC);
    if (w->description)
        sqlite3_bind_text(st, 2, w->description, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, now);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "creating a registered model", err);
    if (sqlite3_changes(c->db) == 0)
        return store_err_model_exists(err, w->name);
    int64_t id = sqlite3_last_insert_rowid(c->db);
    for (size_t i = 0; i < w->tags.n; i++)
        if (exec_bound(c, tag, "iss", &id, w->tags.v[i].key, w->tags.v[i].value, NULL,
                       "tagging a registered model", err))
            return -1;
    return audit(c, w->name, 0, "create_model", "", w->user, now, err);
}

static int w_create_version(struct sq_conn *c, struct reg_write *w, int64_t model, int64_t now,
                            struct ferr *err)
{
    static const char next[] = "UPDATE registered_models SET next_version = next_version + 1, "
                               "last_updated_time = ? WHERE id = ? RETURNING next_version - 1";
    static const char ins[] =
        "INSERT INTO model_versions (model, version, creation_time, last_updated_time, "
        "description, user_id, source, run_id, run_link, model_id, storage_location) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    static const char tag[] = "INSERT INTO model_version_tags (model, version, key, value) "
                              "VALUES (?, ?, ?, ?) ON CONFLICT (model, version, key) "
                              "DO UPDATE SET value = excluded.value";
    /* run_id is stored as given, as MLflow does: the registry may live apart
     * from the tracking store that holds the run. */
    sqlite3_stmt *st = sq_prep(c, next, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_int64(st, 2, model);
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return sq_fail(c, "numbering a model version", err);
    if (!(st = sq_prep(c, ins, err)))
        return -1;
    sqlite3_bind_int64(st, 1, model);
    sqlite3_bind_int64(st, 2, v);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_int64(st, 4, now);
    if (w->description)
        sqlite3_bind_text(st, 5, w->description, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, w->user ? w->user : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, w->source, -1, SQLITE_STATIC);
    if (w->run_id && *w->run_id)
        sqlite3_bind_text(st, 8, w->run_id, -1, SQLITE_STATIC);
    if (w->run_link && *w->run_link)
        sqlite3_bind_text(st, 9, w->run_link, -1, SQLITE_STATIC);
    if (w->model_id && *w->model_id)
        sqlite3_bind_text(st, 10, w->model_id, -1, SQLITE_STATIC);
    if (w->storage_location && *w->storage_location)
        sqlite3_bind_text(st, 11, w->storage_location, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "creating a model version", err);
    for (size_t i = 0; i < w->tags.n; i++)
        if (exec_bound(c, tag, "iiss", &model, &v, w->tags.v[i].key, w->tags.v[i].value,
                       "tagging a model version", err))
            return -1;
    w->created_version = v;
    return audit(c, w->name, v, "create_version", w->source, w->user, now, err);
}

static int current_stage(struct sq_conn *c, int64_t model, int64_t version, char *out, size_t n,
                         struct ferr *err)
{
    static const char sql[] =
        "SELECT current_stage FROM model_versions WHERE model = ? AND version = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, model);
    sqlite3_bind_int64(st, 2, version);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(out, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : sq_fail(c, "reading a stage", err);
}

static int w_transition(struct sq_conn *c, struct reg_write *w, int64_t model, int64_t now,
                        struct ferr *err)
{
    static const char set[] = "UPDATE model_versions SET current_stage = ?, last_updated_time = ? "
                              "WHERE model = ? AND version = ?";
    static const char others[] =
        "SELECT version, current_stage FROM model_versions WHERE model = ? AND version != ? "
        "AND current_stage = ? ORDER BY version";
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
    sqlite3_stmt *st = sq_prep(c, others, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, model);
    sqlite3_bind_int64(st, 2, w->version);
    sqlite3_bind_text(st, 3, stage, -1, SQLITE_STATIC);
    int64_t *vs = NULL;
    size_t nv = 0, alloc = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(vs, nv + 1, alloc);
        vs[nv++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    rc = step == SQLITE_DONE ? 0 : sq_fail(c, "reading versions to archive", err);
    for (size_t i = 0; !rc && i < nv; i++) {
        sbuf_reset(&detail);
        sbuf_addf(&detail, "%s -> %s (archive_existing_versions)", stage, STAGE_ARCHIVED);
        rc = exec_bound(c, set, "siii", STAGE_ARCHIVED, &now, &model, &vs[i], "archiving", err) ||
             audit(c, w->name, vs[i], "transition", detail.buf, w->user, now, err);
    }
    sbuf_release(&detail);
    free(vs);
    return rc ? -1 : touch_model(c, model, now, err);
}

static int w_alias(struct sq_conn *c, struct reg_write *w, int64_t model, int64_t now,
                   struct ferr *err)
{
    static const char get[] =
        "SELECT version FROM registered_model_aliases WHERE model = ? AND alias = ?";
    static const char set[] = "INSERT INTO registered_model_aliases (model, alias, version) "
                              "VALUES (?, ?, ?) ON CONFLICT (model, alias) "
                              "DO UPDATE SET version = excluded.version";
    static const char del[] = "DELETE FROM registered_model_aliases WHERE model = ? AND alias = ?";
    int64_t old = 0;
    sqlite3_stmt *st = sq_prep(c, get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, model);
    sqlite3_bind_text(st, 2, w->alias, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        old = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_fail(c, "reading an alias", err);
    struct sbuf detail = SBUF_INIT;
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

static int w_rename(struct sq_conn *c, struct reg_write *w, int64_t model, int64_t now,
                    struct ferr *err)
{
    static const char taken[] = "SELECT 1 FROM registered_models WHERE name = ?";
    static const char set[] =
        "UPDATE registered_models SET name = ?, last_updated_time = ? WHERE id = ?";
    static const char trail[] = "UPDATE registry_events SET model_name = ? WHERE model_name = ?";
    if (!strcmp(w->name, w->new_name))
        return 0;
    sqlite3_stmt *st = sq_prep(c, taken, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, w->new_name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return store_err_model_exists(err, w->new_name);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "checking a model name", err);
    struct sbuf detail = SBUF_INIT;
    sbuf_addf(&detail, "%s -> %s", w->name, w->new_name);
    /* The trail follows the model to its new name. */
    rc = exec_bound(c, set, "sii", w->new_name, &now, &model, NULL, "renaming a model", err) ||
         exec_bound(c, trail, "ss", w->new_name, w->name, NULL, NULL, "renaming a trail", err) ||
         audit(c, w->new_name, 0, "rename", detail.buf, w->user, now, err);
    sbuf_release(&detail);
    return rc ? -1 : 0;
}

struct reg_arg {
    struct reg_write *w;
};

static int do_registry_write(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char upd_model[] = "UPDATE registered_models SET description = ?, "
                                    "last_updated_time = ? WHERE id = ?";
    static const char del_model[] = "DELETE FROM registered_models WHERE id = ?";
    static const char set_mtag[] = "INSERT INTO registered_model_tags (model, key, value) "
                                   "VALUES (?, ?, ?) ON CONFLICT (model, key) "
                                   "DO UPDATE SET value = excluded.value";
    static const char del_mtag[] = "DELETE FROM registered_model_tags WHERE model = ? AND key = ?";
    static const char upd_ver[] = "UPDATE model_versions SET description = ?, "
                                  "last_updated_time = ? WHERE model = ? AND version = ?";
    static const char del_ver[] = "DELETE FROM model_versions WHERE model = ? AND version = ?";
    static const char set_vtag[] = "INSERT INTO model_version_tags (model, version, key, value) "
                                   "VALUES (?, ?, ?, ?) ON CONFLICT (model, version, key) "
                                   "DO UPDATE SET value = excluded.value";
    static const char del_vtag[] =
        "DELETE FROM model_version_tags WHERE model = ? AND version = ? AND key = ?";
    struct reg_write *w = arg;
    int64_t now = ftime_now_ms(), model = 0;
    if (w->action == REG_CREATE_MODEL)
        return w_create_model(c, w, now, err);
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
        if (exec_bound(c, del_mtag, "is", &model, w->key, NULL, NULL, "untagging a model", err))
            return -1;
        if (sqlite3_changes(c->db) == 0)
            return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                            "no tag with key '%.200s' on registered model '%.200s'", w->key,
                            w->name);
        return touch_model(c, model, now, err) ||
               audit(c, w->name, 0, "delete_tag", w->key, w->user, now, err);
    case REG_SET_ALIAS:
    case REG_DELETE_ALIAS:
        return w_alias(c, w, model, now, err);
    case REG_CREATE_VERSION:
        return w_create_version(c, w, model, now, err);
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
        if (exec_bound(c, del_vtag, "iis", &model, &w->version, w->key, NULL, "untagging a version",
                       err))
            return -1;
        if (sqlite3_changes(c->db) == 0)
            return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                            "no tag with key '%.200s' on model version (name=%.200s, "
                            "version=%" PRId64 ")",
                            w->key, w->name, w->version);
        return touch_version(c, model, w->version, now, err) ||
               audit(c, w->name, w->version, "delete_tag", w->key, w->user, now, err);
    case REG_CREATE_MODEL:
        break;
    }
    return ferr_set(err, FERR_INTERNAL_ERROR, "unknown registry action");
}

int sq_registry_write(struct store *s, struct reg_write *w, struct ferr *err)
{
    return sq_write((struct sq *)s, do_registry_write, w, err);
}

/* ---------- reads ---------- */

#define VERSION_COLS                                                                               \
    "m.name, v.version, v.creation_time, v.last_updated_time, v.description, v.user_id, "          \
    "v.current_stage, v.source, v.run_id, v.run_link, v.status, v.status_message, v.model, "       \
    "v.model_id, v.storage_location"

/* Fills out from a row of VERSION_COLS; returns the model's id. */
static int64_t version_from_row(sqlite3_stmt *st, struct model_version *out)
{
    memset(out, 0, sizeof(*out));
    out->name = sq_col_str(st, 0);
    out->version = sqlite3_column_int64(st, 1);
    out->creation_time = sqlite3_column_int64(st, 2);
    out->last_updated_time = sqlite3_column_int64(st, 3);
    out->description = sq_col_str_or_null(st, 4);
    out->user_id = sq_col_str(st, 5);
    out->current_stage = sq_col_str(st, 6);
    out->source = sq_col_str(st, 7);
    out->run_id = sq_col_str_or_null(st, 8);
    out->run_link = sq_col_str_or_null(st, 9);
    out->status = sq_col_str(st, 10);
    out->status_message = sq_col_str_or_null(st, 11);
    out->model_id = sq_col_str_or_null(st, 13);
    out->storage_location = sq_col_str_or_null(st, 14);
    return sqlite3_column_int64(st, 12);
}

static int version_extras(struct sq_conn *c, int64_t model, struct model_version *v,
                          struct ferr *err)
{
    static const char tags[] =
        "SELECT key, value FROM model_version_tags WHERE model = ? AND version = ? ORDER BY key";
    static const char aliases[] = "SELECT alias FROM registered_model_aliases "
                                  "WHERE model = ? AND version = ? ORDER BY alias";
    sqlite3_stmt *st = sq_prep(c, tags, err);
    int rc;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, model);
    sqlite3_bind_int64(st, 2, v->version);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(&v->tags, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE || !(st = sq_prep(c, aliases, err)))
        return rc != SQLITE_DONE ? sq_fail(c, "reading version tags", err) : -1;
    sqlite3_bind_int64(st, 1, model);
    sqlite3_bind_int64(st, 2, v->version);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(&v->aliases, (const char *)sqlite3_column_text(st, 0), "");
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading version aliases", err);
}

/* Reads the versions selected by st (VERSION_COLS, bound), with extras. */
static int read_versions(struct sq_conn *c, sqlite3_stmt *st, int64_t limit,
                         struct model_version_list *out, int *more, struct ferr *err)
{
    int rc;
    int64_t *models = NULL;
    size_t first = out->n, alloc = 0;
    if (more)
        *more = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (limit && (int64_t)(out->n - first) == limit) {
            if (more)
                *more = 1;
            break;
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        ALLOC_GROW(models, out->n - first + 1, alloc);
        models[out->n - first] = version_from_row(st, &out->v[out->n]);
        out->n++;
    }
    sqlite3_reset(st);
    int failed = rc != SQLITE_ROW && rc != SQLITE_DONE;
    if (failed)
        sq_fail(c, "reading model versions", err);
    for (size_t i = first; !failed && i < out->n; i++)
        failed = version_extras(c, models[i - first], &out->v[i], err) != 0;
    free(models);
    return failed ? -1 : 0;
}

/* MLflow's latest versions: the newest of each stage asked for, stages in
 * the order their first version came (MLflow walks the versions in order
 * and keeps a dict by stage), without aliases (MLflow does not fill them
 * here). */
static int latest_versions(struct sq_conn *c, int64_t model, const char *const *stages, size_t n,
                           struct model_version_list *out, struct ferr *err)
{
    static const char per_stage[] = "SELECT current_stage, max(version) FROM model_versions "
                                    "WHERE model = ? GROUP BY current_stage ORDER BY min(version)";
    static const char one[] = "SELECT " VERSION_COLS " FROM model_versions v "
                              "JOIN registered_models m ON m.id = v.model "
                              "WHERE v.model = ? AND v.version = ?";
    int wanted[4] = {!n, !n, !n, !n}; /* None, Staging, Production, Archived */
    static const char *const all[] = {STAGE_NONE, STAGE_STAGING, STAGE_PRODUCTION, STAGE_ARCHIVED};
    for (size_t i = 0; i < n; i++) {
        const char *stage = stage_canonical(stages[i]);
        if (!stage)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid model version stage '%.60s': it must be one of None, "
                            "Staging, Production, Archived",
                            stages[i]);
        for (int k = 0; k < 4; k++)
            wanted[k] |= !strcmp(stage, all[k]);
    }
    sqlite3_stmt *st = sq_prep(c, per_stage, err);
    if (!st)
        return -1;
    int64_t versions[4];
    size_t nv = 0;
    int rc;
    sqlite3_bind_int64(st, 1, model);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *stage = (const char *)sqlite3_column_text(st, 0);
        for (int k = 0; k < 4 && nv < 4; k++)
            if (wanted[k] && !strcmp(stage, all[k]))
                versions[nv++] = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "reading latest versions", err);
    for (size_t i = 0; i < nv; i++) {
        if (!(st = sq_prep(c, one, err)))
            return -1;
        sqlite3_bind_int64(st, 1, model);
        sqlite3_bind_int64(st, 2, versions[i]);
        size_t before = out->n;
        if (read_versions(c, st, 0, out, NULL, err))
            return -1;
        for (size_t k = before; k < out->n; k++)
            kv_list_release(&out->v[k].aliases);
    }
    return 0;
}

static int load_model(struct sq_conn *c, int64_t id, struct registered_model *out, struct ferr *err)
{
    static const char sql[] = "SELECT name, creation_time, last_updated_time, description "
                              "FROM registered_models WHERE id = ?";
    static const char tags[] =
        "SELECT key, value FROM registered_model_tags WHERE model = ? ORDER BY key";
    static const char aliases[] = "SELECT alias, version FROM registered_model_aliases "
                                  "WHERE model = ? ORDER BY alias";
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->name = sq_col_str(st, 0);
        out->creation_time = sqlite3_column_int64(st, 1);
        out->last_updated_time = sqlite3_column_int64(st, 2);
        out->description = sq_col_str_or_null(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return sq_fail(c, "reading a registered model", err);
    if (!(st = sq_prep(c, tags, err)))
        return -1;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(&out->tags, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE || !(st = sq_prep(c, aliases, err)))
        return rc != SQLITE_DONE ? sq_fail(c, "reading model tags", err) : -1;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(&out->aliases, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "reading model aliases", err);
    return latest_versions(c, id, NULL, 0, &out->latest_versions, err);
}

int sq_get_registered_model(struct store *s, const char *name, struct registered_model *out,
                            struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    int64_t id;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int rc = model_id(c, name, &id, err) || load_model(c, id, out, err) ? -1 : 0;
    sq_reader_put(sq, c);
    if (rc)
        registered_model_release(out);
    return rc;
}

int sq_get_model_version(struct store *s, const char *name, int64_t version,
                         struct model_version *out, struct ferr *err)
{
    static const char sql[] = "SELECT " VERSION_COLS " FROM model_versions v "
                              "JOIN registered_models m ON m.id = v.model "
                              "WHERE m.name = ? AND v.version = ?";
    struct sq *sq = (struct sq *)s;
    struct model_version_list l = {0};
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t model;
    int rc = -1;
    sqlite3_stmt *st;
    if (model_id(c, name, &model, err) || !(st = sq_prep(c, sql, err)))
        goto out;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, version);
    if (read_versions(c, st, 0, &l, NULL, err))
        goto out;
    if (!l.n) {
        store_err_version_not_found(err, name, version);
        goto out;
    }
    *out = l.v[0];
    l.n = 0;
    rc = 0;
out:
    sq_reader_put(sq, c);
    model_version_list_release(&l);
    return rc;
}

int sq_get_version_by_alias(struct store *s, const char *name, const char *alias,
                            struct model_version *out, struct ferr *err)
{
    static const char sql[] = "SELECT a.version FROM registered_model_aliases a "
                              "JOIN registered_models m ON m.id = a.model "
                              "WHERE m.name = ? AND a.alias = ?";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t model, version = 0;
    sqlite3_stmt *st;
    int rc = -1;
    if (model_id(c, name, &model, err) || !(st = sq_prep(c, sql, err))) {
        sq_reader_put(sq, c);
        return -1;
    }
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        version = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    sq_reader_put(sq, c);
    if (step == SQLITE_ROW)
        rc = sq_get_model_version(s, name, version, out, err);
    else
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Registered model alias %.200s not found.",
                 alias);
    return rc;
}

int sq_get_latest_versions(struct store *s, const char *name, const char *const *stages, size_t n,
                           struct model_version_list *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t model;
    int rc =
        model_id(c, name, &model, err) || latest_versions(c, model, stages, n, out, err) ? -1 : 0;
    sq_reader_put(sq, c);
    if (rc)
        model_version_list_release(out);
    return rc;
}

int sq_registry_events(struct store *s, const char *name, struct registry_event_list *out,
                       struct ferr *err)
{
    static const char sql[] = "SELECT time, user_id, action, coalesce(version, 0), detail "
                              "FROM registry_events WHERE model_name = ? ORDER BY id";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1, step = SQLITE_DONE;
    if (st) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            struct registry_event *e = &out->v[out->n++];
            e->time = sqlite3_column_int64(st, 0);
            e->user_id = sq_col_str(st, 1);
            e->action = sq_col_str(st, 2);
            e->version = sqlite3_column_int64(st, 3);
            e->detail = sq_col_str(st, 4);
        }
        sqlite3_reset(st);
        rc = step == SQLITE_DONE ? 0 : sq_fail(c, "reading the audit trail", err);
    }
    sq_reader_put(sq, c);
    if (rc)
        registry_event_list_release(out);
    return rc;
}

/* ---------- search ---------- */

/* Runs one page of a registry search: the first two columns of each
 * matching row as text (a model's id, or a version's name and number). */
static int search_keys(struct sq_conn *c, const struct registry_search *q, enum filter_domain dom,
                       struct store_page *page, struct kv_list *keys, struct ferr *err)
{
    struct sql_frag f;
    sqlite3_stmt *st = NULL;
    int rc = -1, step;
    memset(keys, 0, sizeof(*keys));
    sql_frag_init(&f, &sqlite_dialect);
    if (search_sql_registry(q, dom, page->limit + 1, page->offset, &f, err))
        goto out;
    if (sqlite3_prepare_v2(c->db, f.sql.buf, -1, &st, NULL) != SQLITE_OK || sq_bind_frag(st, &f)) {
        sq_fail(c, "searching the registry", err);
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW && (int64_t)keys->n < page->limit)
        kv_list_add(keys, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1));
    if (step == SQLITE_ROW)
        page->more = 1;
    else if (step != SQLITE_DONE) {
        sq_fail(c, "searching the registry", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    sql_frag_release(&f);
    if (rc)
        kv_list_release(keys);
    return rc;
}

int sq_search_registered_models(struct store *s, const struct registry_search *q,
                                struct store_page *page, struct registered_model_list *out,
                                struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct kv_list keys = {0};
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int rc = search_keys(c, q, FILTER_MODELS, page, &keys, err);
    for (size_t i = 0; !rc && i < keys.n; i++) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        rc = load_model(c, strtoll(keys.v[i].key, NULL, 10), &out->v[out->n], err);
        if (rc)
            registered_model_release(&out->v[out->n]);
        else
            out->n++;
    }
    sq_reader_put(sq, c);
    kv_list_release(&keys);
    if (rc)
        registered_model_list_release(out);
    return rc;
}

int sq_search_model_versions(struct store *s, const struct registry_search *q,
                             struct store_page *page, struct model_version_list *out,
                             struct ferr *err)
{
    static const char one[] = "SELECT " VERSION_COLS " FROM model_versions v "
                              "JOIN registered_models m ON m.id = v.model "
                              "WHERE m.name = ? AND v.version = ?";
    struct sq *sq = (struct sq *)s;
    struct kv_list keys = {0};
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int rc = search_keys(c, q, FILTER_MODEL_VERSIONS, page, &keys, err);
    for (size_t i = 0; !rc && i < keys.n; i++) {
        sqlite3_stmt *v = sq_prep(c, one, err);
        if (!v) {
            rc = -1;
            break;
        }
        sqlite3_bind_text(v, 1, keys.v[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(v, 2, strtoll(keys.v[i].value, NULL, 10));
        rc = read_versions(c, v, 0, out, NULL, err);
    }
    sq_reader_put(sq, c);
    kv_list_release(&keys);
    if (rc)
        model_version_list_release(out);
    return rc;
}
