/* SPDX-License-Identifier: MIT
 * Triggers in the SQLite backend (store/triggers.h's contract): the tables
 * of schema.c's migration 11 -> 12; each change one write transaction
 * (SQLite's writes are one at a time, across processes too, so the rows
 * read are the rows changed). A firing's event is claimed by its insert
 * (ON CONFLICT DO NOTHING on the unique (trigger, event_key)). Every write
 * goes through sq_write, which checks the thread's lease fence first. */
#include "store/sqlite/sqlite_int.h"
#include "store/triggers.h"
#include "base/ftime.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define TRIGGER_COLS                                                                               \
    "name, spec, kind, enabled, owner, revision, created_ms, updated_ms, since_event_id, "         \
    "last_scheduled_ms"
#define FIRING_COLS                                                                                \
    "id, trigger, event_key, event_id, event, params, user_id, state, run_id, holder, "            \
    "created_ms, started_ms, ended_ms, detail"

static int step_done(struct sq_conn *c, sqlite3_stmt *st, const char *what, struct ferr *err)
{
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, what, err);
}

static void load_trigger(sqlite3_stmt *st, struct trigger *t)
{
    memset(t, 0, sizeof(*t));
    t->name = sq_col_str(st, 0);
    t->spec = sq_col_str(st, 1);
    t->kind = sq_col_str(st, 2);
    t->enabled = sqlite3_column_int(st, 3) ? 1 : 0;
    t->owner = sq_col_str(st, 4);
    t->revision = sqlite3_column_int64(st, 5);
    t->created_ms = sqlite3_column_int64(st, 6);
    t->updated_ms = sqlite3_column_int64(st, 7);
    t->since_event_id = sqlite3_column_int64(st, 8);
    t->last_scheduled_ms = sqlite3_column_int64(st, 9);
}

static void load_firing(sqlite3_stmt *st, struct trigger_firing *f)
{
    memset(f, 0, sizeof(*f));
    f->id = sqlite3_column_int64(st, 0);
    f->trigger = sq_col_str(st, 1);
    f->event_key = sq_col_str(st, 2);
    f->event_id = sqlite3_column_int64(st, 3); /* NULL reads 0 */
    f->event = sq_col_str(st, 4);
    f->params = sq_col_str(st, 5);
    f->user_id = sq_col_str(st, 6);
    if (firing_state_parse((const char *)sqlite3_column_text(st, 7), &f->state, NULL))
        f->state = FIRING_FAILED; /* the CHECK constraint keeps this from happening */
    f->run_id = sq_col_str(st, 8);
    f->holder = sq_col_str(st, 9);
    f->created_ms = sqlite3_column_int64(st, 10);
    f->started_ms = sqlite3_column_int64(st, 11);
    f->ended_ms = sqlite3_column_int64(st, 12);
    f->detail = sq_col_str(st, 13);
}

static int read_trigger(struct sq_conn *c, const char *name, struct trigger *out, int *found,
                        struct ferr *err)
{
    static const char sql[] = "SELECT " TRIGGER_COLS " FROM triggers WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW)
        load_trigger(st, out);
    int ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(c, "reading a trigger", err);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return ret;
}

static int read_firing(struct sq_conn *c, const char *sql, int64_t id, const char *trigger,
                       const char *key, struct trigger_firing *out, int *found, struct ferr *err)
{
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    if (trigger) {
        sqlite3_bind_text(st, 1, trigger, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(st, 1, id);
    }
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW)
        load_firing(st, out);
    int ret = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(c, "reading a firing", err);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return ret;
}

static const char firing_by_id[] = "SELECT " FIRING_COLS " FROM trigger_firings WHERE id = ?";
static const char firing_by_key[] =
    "SELECT " FIRING_COLS " FROM trigger_firings WHERE trigger = ? AND event_key = ?";

static int put_event(struct sq_conn *c, const struct trigger_firing *f, const char *kind,
                     int64_t now, struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO events (time_ms, kind, subject, user_id, payload) VALUES (?, ?, ?, ?, ?)";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, f->trigger, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, f->user_id ? f->user_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, trigger_firing_event_payload(f), -1, free);
    return step_done(c, st, "writing a trigger's event", err);
}

/* ---------- triggers ---------- */

static int max_event_id(struct sq_conn *c, int64_t *out, struct ferr *err)
{
    static const char sql[] = "SELECT coalesce(max(id), 0) FROM events";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : sq_fail(c, "reading the events' last id", err);
}

static int put_trigger(struct sq_conn *c, const struct trigger *t, struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO triggers (" TRIGGER_COLS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET spec = excluded.spec, kind = excluded.kind, "
        "enabled = excluded.enabled, owner = excluded.owner, revision = excluded.revision, "
        "created_ms = excluded.created_ms, updated_ms = excluded.updated_ms, "
        "since_event_id = excluded.since_event_id, last_scheduled_ms = excluded.last_scheduled_ms";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->spec, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, t->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, t->enabled);
    sqlite3_bind_text(st, 5, t->owner, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, t->revision);
    sqlite3_bind_int64(st, 7, t->created_ms);
    sqlite3_bind_int64(st, 8, t->updated_ms);
    sqlite3_bind_int64(st, 9, t->since_event_id);
    sqlite3_bind_int64(st, 10, t->last_scheduled_ms);
    return step_done(c, st, "writing a trigger", err);
}

struct apply_arg {
    const char *name;
    trigger_decide_fn decide;
    void *arg;
    struct trigger *out;
    int *changed;
};

static int do_apply(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct apply_arg *a = arg;
    struct trigger cur = {0}, row = {0};
    int found = 0;
    int64_t max_id = 0;
    if (read_trigger(c, a->name, &cur, &found, err) || max_event_id(c, &max_id, err)) {
        trigger_release(&cur);
        return -1;
    }
    int rc = a->decide(a->arg, found ? &cur : NULL, max_id, &row, err);
    if (rc == 0 && put_trigger(c, &row, err))
        rc = -1;
    if (rc == 0) {
        *a->out = row;
        *a->changed = 1;
        memset(&row, 0, sizeof(row));
    } else if (rc == 1) {
        *a->out = cur;
        memset(&cur, 0, sizeof(cur));
    }
    trigger_release(&cur);
    trigger_release(&row);
    return rc < 0 ? -1 : 0;
}

static int sq_trg_apply(struct store *s, const char *name, trigger_decide_fn decide, void *arg,
                        struct trigger *out, int *changed, struct ferr *err)
{
    struct apply_arg a = {name, decide, arg, out, changed};
    *changed = 0;
    int rc = sq_write((struct sq *)s, do_apply, &a, err);
    if (rc) {
        trigger_release(out);
        *changed = 0;
    }
    return rc;
}

static int sq_trg_get(struct store *s, const char *name, struct trigger *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_trigger(c, name, out, &found, err);
    sq_reader_put(sq, c);
    if (!rc && !found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No trigger named '%.130s'", name);
    return rc;
}

static int sq_trg_list(struct store *s, struct trigger_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " TRIGGER_COLS " FROM triggers ORDER BY name";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = st ? 0 : -1;
    while (st) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(c, "listing triggers", err);
            break;
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        load_trigger(st, &out->v[out->n++]);
    }
    if (st)
        sqlite3_reset(st);
    sq_reader_put(sq, c);
    if (rc)
        trigger_list_release(out);
    return rc;
}

static int do_remove(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    const char *name = arg;
    static const char sql[] = "DELETE FROM triggers WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (step_done(c, st, "deleting a trigger", err))
        return -1;
    if (sqlite3_changes(c->db) != 1)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No trigger named '%.130s'", name);
    return 0;
}

static int sq_trg_remove(struct store *s, const char *name, struct ferr *err)
{
    return sq_write((struct sq *)s, do_remove, (void *)name, err);
}

struct scheduled_arg {
    const char *name;
    int64_t ms;
};

static int do_scheduled(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct scheduled_arg *a = arg;
    static const char sql[] = "UPDATE triggers SET last_scheduled_ms = max(last_scheduled_ms, ?) "
                              "WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, a->ms);
    sqlite3_bind_text(st, 2, a->name, -1, SQLITE_STATIC);
    if (step_done(c, st, "setting a trigger's schedule", err))
        return -1;
    if (sqlite3_changes(c->db) != 1)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No trigger named '%.130s'", a->name);
    return 0;
}

static int sq_trg_set_scheduled(struct store *s, const char *name, int64_t ms, struct ferr *err)
{
    struct scheduled_arg a = {name, ms};
    return sq_write((struct sq *)s, do_scheduled, &a, err);
}

/* ---------- firings ---------- */

struct fire_arg {
    const struct trigger_firing *row;
    struct trigger_firing *out;
    int *inserted;
};

static int do_fire(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct fire_arg *a = arg;
    const struct trigger_firing *r = a->row;
    static const char sql[] =
        "INSERT INTO trigger_firings (trigger, event_key, event_id, event, params, user_id, "
        "state, run_id, holder, created_ms, started_ms, ended_ms, detail) VALUES (?, ?, ?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (trigger, event_key) DO NOTHING";
    struct trigger t = {0};
    int found = 0;
    if (read_trigger(c, r->trigger, &t, &found, err))
        return -1;
    trigger_release(&t);
    if (!found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No trigger named '%.130s'", r->trigger);
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, r->trigger, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->event_key, -1, SQLITE_STATIC);
    if (r->event_id > 0)
        sqlite3_bind_int64(st, 3, r->event_id);
    else
        sqlite3_bind_null(st, 3);
    sqlite3_bind_text(st, 4, r->event, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->params, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->user_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, firing_state_name(r->state), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, r->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, r->holder, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, r->created_ms);
    sqlite3_bind_int64(st, 11, r->started_ms);
    sqlite3_bind_int64(st, 12, r->ended_ms);
    sqlite3_bind_text(st, 13, r->detail, -1, SQLITE_STATIC);
    if (step_done(c, st, "writing a firing", err))
        return -1;
    if (sqlite3_changes(c->db) == 0) /* that event fired it before */
        return read_firing(c, firing_by_key, 0, r->trigger, r->event_key, a->out, &found, err);
    trigger_firing_copy(r, a->out);
    a->out->id = sqlite3_last_insert_rowid(c->db);
    *a->inserted = 1;
    if (put_event(c, a->out, "trigger.fired", r->created_ms, err) ||
        (firing_state_final(r->state) &&
         put_event(c, a->out, "trigger.finished", r->created_ms, err)))
        return -1;
    return 0;
}

static int sq_trg_fire(struct store *s, const struct trigger_firing *row,
                       struct trigger_firing *out, int *inserted, struct ferr *err)
{
    struct fire_arg a = {row, out, inserted};
    *inserted = 0;
    int rc = sq_write((struct sq *)s, do_fire, &a, err);
    if (rc) {
        trigger_firing_release(out);
        *inserted = 0;
    }
    return rc;
}

struct update_arg {
    int64_t id;
    firing_decide_fn decide;
    void *arg;
    struct trigger_firing *out;
};

static int do_firing_update(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct update_arg *a = arg;
    static const char sql[] = "UPDATE trigger_firings SET state = ?, run_id = ?, holder = ?, "
                              "started_ms = ?, ended_ms = ?, detail = ? WHERE id = ?";
    struct trigger_firing cur = {0}, row = {0};
    int found = 0;
    if (read_firing(c, firing_by_id, a->id, NULL, NULL, &cur, &found, err))
        return -1;
    if (!found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No firing with id %lld",
                        (long long)a->id);
    int rc = a->decide(a->arg, &cur, &row, err);
    sqlite3_stmt *st = rc ? NULL : sq_prep(c, sql, err);
    if (rc == 0 && !st)
        rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, firing_state_name(row.state), -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, row.run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, row.holder, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, row.started_ms);
        sqlite3_bind_int64(st, 5, row.ended_ms);
        sqlite3_bind_text(st, 6, row.detail, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 7, a->id);
        rc = step_done(c, st, "updating a firing", err);
    }
    if (rc == 0 && firing_state_final(row.state) && !firing_state_final(cur.state))
        rc = put_event(c, &row, "trigger.finished", row.ended_ms ? row.ended_ms : ftime_now_ms(),
                       err);
    if (rc == 0) {
        *a->out = row;
        memset(&row, 0, sizeof(row));
    }
    trigger_firing_release(&cur);
    trigger_firing_release(&row);
    return rc;
}

static int sq_trg_firing_update(struct store *s, int64_t id, firing_decide_fn decide, void *arg,
                                struct trigger_firing *out, struct ferr *err)
{
    struct update_arg a = {id, decide, arg, out};
    int rc = sq_write((struct sq *)s, do_firing_update, &a, err);
    if (rc)
        trigger_firing_release(out);
    return rc;
}

static int sq_trg_firings(struct store *s, const char *trigger, int states, int oldest_first,
                          int64_t bound, int64_t limit, struct trigger_firing_list *out,
                          struct ferr *err)
{
    /* Four fixed statements (the statement cache keys on the text's
     * address); the state filter is a bit test on the state's index. */
#define FIRINGS_WHERE(cmp)                                                                         \
    " FROM trigger_firings WHERE (?1 IS NULL OR trigger = ?1) AND (?2 = 0 OR id " cmp " ?2) AND "  \
    "(?3 = 0 OR (?3 >> (CASE state WHEN 'queued' THEN 0 WHEN 'running' THEN 1 WHEN 'succeeded' "   \
    "THEN 2 WHEN 'failed' THEN 3 WHEN 'skipped' THEN 4 WHEN 'cancelled' THEN 5 WHEN 'refused' "    \
    "THEN 6 ELSE 7 END)) & 1 = 1)"
    static const char newest[] =
        "SELECT " FIRING_COLS FIRINGS_WHERE("<") " ORDER BY id DESC LIMIT ?4";
    static const char oldest[] = "SELECT " FIRING_COLS FIRINGS_WHERE(">") " ORDER BY id LIMIT ?4";
#undef FIRINGS_WHERE
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, oldest_first ? oldest : newest, err);
    int rc = st ? 0 : -1;
    if (st) {
        if (trigger)
            sqlite3_bind_text(st, 1, trigger, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, 1);
        sqlite3_bind_int64(st, 2, bound);
        sqlite3_bind_int64(st, 3, states);
        sqlite3_bind_int64(st, 4, limit);
    }
    while (st) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(c, "listing firings", err);
            break;
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        load_firing(st, &out->v[out->n++]);
    }
    if (st) {
        sqlite3_clear_bindings(st);
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    if (rc)
        trigger_firing_list_release(out);
    return rc;
}

static int sq_trg_firing_get(struct store *s, int64_t id, struct trigger_firing *out,
                             struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_firing(c, firing_by_id, id, NULL, NULL, out, &found, err);
    sq_reader_put(sq, c);
    if (!rc && !found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No firing with id %lld", (long long)id);
    return rc;
}

/* ---------- cursors ---------- */

static int read_cursor(struct sq_conn *c, const char *name, int64_t *id, struct ferr *err)
{
    static const char sql[] = "SELECT last_event_id FROM scheduler_cursors WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(c, "reading a cursor", err);
}

static int sq_trg_cursor_get(struct store *s, const char *name, int64_t *id, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int rc = read_cursor(c, name, id, err);
    sq_reader_put(sq, c);
    return rc;
}

struct cursor_arg {
    const char *name;
    int64_t from, to;
};

static int do_cursor(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct cursor_arg *a = arg;
    static const char sql[] =
        "INSERT INTO scheduler_cursors (name, last_event_id) VALUES (?, ?) "
        "ON CONFLICT (name) DO UPDATE SET last_event_id = excluded.last_event_id";
    int64_t cur = 0;
    if (read_cursor(c, a->name, &cur, err))
        return -1;
    if (cur != a->from)
        return ferr_set(err, FERR_INVALID_STATE,
                        "cursor '%.100s' is at %lld, not %lld (another reader moved it)", a->name,
                        (long long)cur, (long long)a->from);
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->to);
    return step_done(c, st, "moving a cursor", err);
}

static int sq_trg_cursor_advance(struct store *s, const char *name, int64_t from_id, int64_t to_id,
                                 struct ferr *err)
{
    struct cursor_arg a = {name, from_id, to_id};
    return sq_write((struct sq *)s, do_cursor, &a, err);
}

const struct store_trigger_ops sqlite_triggers = {
    .apply = sq_trg_apply,
    .get = sq_trg_get,
    .list = sq_trg_list,
    .remove = sq_trg_remove,
    .set_scheduled = sq_trg_set_scheduled,
    .fire = sq_trg_fire,
    .firing_update = sq_trg_firing_update,
    .firings = sq_trg_firings,
    .firing_get = sq_trg_firing_get,
    .cursor_get = sq_trg_cursor_get,
    .cursor_advance = sq_trg_cursor_advance,
};
