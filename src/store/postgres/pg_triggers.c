/* SPDX-License-Identifier: MIT
 * Triggers in the PostgreSQL backend (store/triggers.h's contract): the
 * tables of schema version 12. Each change is one write transaction that
 * locks the rows it reads (FOR UPDATE), so the schedulers of several
 * replicas, the CLI and the REST rows follow one another. A firing's event
 * is claimed by its insert (ON CONFLICT DO NOTHING on the unique
 * (trigger, event_key)): a second replica firing the same key waits for
 * the first one's commit and then inserts nothing. A first insert that
 * races another on a primary key (a trigger's first apply, a cursor's
 * first move) is run again as a serialization failure and then finds the
 * winner's row. Every write goes through pg_write, which checks the
 * thread's lease fence first, and every fn here leaves its outputs
 * released when it fails (pg_write may run it again). */
#include "store/postgres/pg_int.h"
#include "store/triggers.h"
#include "base/ftime.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define TRIGGER_COLS                                                                               \
    "name, spec, kind, enabled, owner, revision, created_ms, updated_ms, since_event_id, "         \
    "last_scheduled_ms"
#define FIRING_COLS                                                                                \
    "id, trigger, event_key, event_id, event, params, user_id, state, run_id, holder, "            \
    "created_ms, started_ms, ended_ms, detail"

static int conflict(struct pg_conn *c, const char *what, const char *name, struct ferr *err)
{
    snprintf(c->sqlstate, sizeof(c->sqlstate), "40001");
    return ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "%s '%.130s' changed meanwhile", what, name);
}

static void load_trigger(const PGresult *r, int i, struct trigger *t)
{
    memset(t, 0, sizeof(*t));
    t->name = pg_get_str(r, i, 0);
    t->spec = pg_get_str(r, i, 1);
    t->kind = pg_get_str(r, i, 2);
    t->enabled = pg_get_int(r, i, 3) ? 1 : 0;
    t->owner = pg_get_str(r, i, 4);
    t->revision = pg_get_int(r, i, 5);
    t->created_ms = pg_get_int(r, i, 6);
    t->updated_ms = pg_get_int(r, i, 7);
    t->since_event_id = pg_get_int(r, i, 8);
    t->last_scheduled_ms = pg_get_int(r, i, 9);
}

static void load_firing(const PGresult *r, int i, struct trigger_firing *f)
{
    memset(f, 0, sizeof(*f));
    f->id = pg_get_int(r, i, 0);
    f->trigger = pg_get_str(r, i, 1);
    f->event_key = pg_get_str(r, i, 2);
    f->event_id = pg_get_int(r, i, 3); /* NULL reads 0 */
    f->event = pg_get_str(r, i, 4);
    f->params = pg_get_str(r, i, 5);
    f->user_id = pg_get_str(r, i, 6);
    if (firing_state_parse(pg_get_ref(r, i, 7), &f->state, NULL))
        f->state = FIRING_FAILED; /* the CHECK constraint keeps this from happening */
    f->run_id = pg_get_str(r, i, 8);
    f->holder = pg_get_str(r, i, 9);
    f->created_ms = pg_get_int(r, i, 10);
    f->started_ms = pg_get_int(r, i, 11);
    f->ended_ms = pg_get_int(r, i, 12);
    f->detail = pg_get_str(r, i, 13);
}

static const char trigger_read[] = "SELECT " TRIGGER_COLS " FROM triggers WHERE name = $1";
static const char trigger_lock[] =
    "SELECT " TRIGGER_COLS " FROM triggers WHERE name = $1 FOR UPDATE";
static const char trigger_share[] =
    "SELECT " TRIGGER_COLS " FROM triggers WHERE name = $1 FOR SHARE";

static int read_trigger(struct pg_conn *c, const char *sql, const char *name, struct trigger *out,
                        int *found, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading a trigger", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *found = PQntuples(r) == 1;
    if (*found)
        load_trigger(r, 0, out);
    PQclear(r);
    return 0;
}

static const char firing_read[] = "SELECT " FIRING_COLS " FROM trigger_firings WHERE id = $1";
static const char firing_lock[] =
    "SELECT " FIRING_COLS " FROM trigger_firings WHERE id = $1 FOR UPDATE";
static const char firing_by_key[] =
    "SELECT " FIRING_COLS " FROM trigger_firings WHERE trigger = $1 AND event_key = $2";

static int read_firing(struct pg_conn *c, const char *sql, int64_t id, const char *trigger,
                       const char *key, struct trigger_firing *out, int *found, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    if (trigger) {
        pg_args_text(&a, trigger);
        pg_args_text(&a, key);
    } else {
        pg_args_int(&a, id);
    }
    PGresult *r = pg_run(c, sql, &a, "reading a firing", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *found = PQntuples(r) == 1;
    if (*found)
        load_firing(r, 0, out);
    PQclear(r);
    return 0;
}

static int put_event(struct pg_conn *c, const struct trigger_firing *f, const char *kind,
                     int64_t now, struct ferr *err)
{
    static const char sql[] = "INSERT INTO events (time_ms, kind, subject, user_id, payload) "
                              "VALUES ($1, $2, $3, $4, $5)";
    char *payload = trigger_firing_event_payload(f);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, now);
    pg_args_text(&a, kind);
    pg_args_text(&a, f->trigger);
    pg_args_text(&a, f->user_id ? f->user_id : "");
    pg_args_text(&a, payload);
    int rc = pg_do(c, sql, &a, "writing a trigger's event", err);
    pg_args_release(&a);
    free(payload);
    return rc;
}

/* ---------- triggers ---------- */

static int max_event_id(struct pg_conn *c, int64_t *out, struct ferr *err)
{
    static const char sql[] = "SELECT coalesce(max(id), 0) FROM events";
    PGresult *r = pg_run(c, sql, NULL, "reading the events' last id", err);
    if (!r)
        return -1;
    *out = PQntuples(r) == 1 ? pg_get_int(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

static int put_trigger(struct pg_conn *c, const struct trigger *t, int exists, struct ferr *err)
{
    static const char insert[] = "INSERT INTO triggers (" TRIGGER_COLS ") VALUES ($1, $2, $3, $4, "
                                 "$5, $6, $7, $8, $9, $10) ON CONFLICT (name) DO NOTHING";
    static const char update[] =
        "UPDATE triggers SET spec = $2, kind = $3, enabled = $4, owner = $5, revision = $6, "
        "created_ms = $7, updated_ms = $8, since_event_id = $9, last_scheduled_ms = $10 "
        "WHERE name = $1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, t->name);
    pg_args_text(&a, t->spec);
    pg_args_text(&a, t->kind);
    pg_args_int(&a, t->enabled);
    pg_args_text(&a, t->owner);
    pg_args_int(&a, t->revision);
    pg_args_int(&a, t->created_ms);
    pg_args_int(&a, t->updated_ms);
    pg_args_int(&a, t->since_event_id);
    pg_args_int(&a, t->last_scheduled_ms);
    PGresult *r = pg_run(c, exists ? update : insert, &a, "writing a trigger", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    return n == 1 ? 0 : conflict(c, "trigger", t->name, err);
}

struct apply_arg {
    const char *name;
    trigger_decide_fn decide;
    void *arg;
    struct trigger *out;
    int *changed;
};

static int do_apply(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct apply_arg *a = arg;
    struct trigger cur = {0}, row = {0};
    int found = 0;
    int64_t max_id = 0;
    trigger_release(a->out);
    *a->changed = 0;
    if (read_trigger(c, trigger_lock, a->name, &cur, &found, err) ||
        max_event_id(c, &max_id, err)) {
        trigger_release(&cur);
        return -1;
    }
    int rc = a->decide(a->arg, found ? &cur : NULL, max_id, &row, err);
    if (rc == 0 && put_trigger(c, &row, found, err))
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

static int pg_trg_apply(struct store *s, const char *name, trigger_decide_fn decide, void *arg,
                        struct trigger *out, int *changed, struct ferr *err)
{
    struct apply_arg a = {name, decide, arg, out, changed};
    *changed = 0;
    int rc = pg_write((struct pg *)s, do_apply, &a, err);
    if (rc) {
        trigger_release(out);
        *changed = 0;
    }
    return rc;
}

static int pg_trg_get(struct store *s, const char *name, struct trigger *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_trigger(c, trigger_read, name, out, &found, err);
    pg_reader_put(pg, c);
    if (!rc && !found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No trigger named '%.130s'", name);
    return rc;
}

static int pg_trg_list(struct store *s, struct trigger_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " TRIGGER_COLS " FROM triggers ORDER BY name";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    PGresult *r = pg_run(c, sql, NULL, "listing triggers", err);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        load_trigger(r, i, &out->v[out->n++]);
    }
    PQclear(r);
    return 0;
}

static int do_remove(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    const char *name = arg;
    static const char sql[] = "DELETE FROM triggers WHERE name = $1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "deleting a trigger", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (n != 1)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No trigger named '%.130s'", name);
    return 0;
}

static int pg_trg_remove(struct store *s, const char *name, struct ferr *err)
{
    return pg_write_one((struct pg *)s, do_remove, (void *)name, err);
}

struct scheduled_arg {
    const char *name;
    int64_t ms;
};

static int do_scheduled(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct scheduled_arg *s = arg;
    static const char sql[] =
        "UPDATE triggers SET last_scheduled_ms = greatest(last_scheduled_ms, $2) WHERE name = $1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, s->name);
    pg_args_int(&a, s->ms);
    PGresult *r = pg_run(c, sql, &a, "setting a trigger's schedule", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (n != 1)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No trigger named '%.130s'", s->name);
    return 0;
}

static int pg_trg_set_scheduled(struct store *s, const char *name, int64_t ms, struct ferr *err)
{
    struct scheduled_arg a = {name, ms};
    return pg_write_one((struct pg *)s, do_scheduled, &a, err);
}

/* ---------- firings ---------- */

struct fire_arg {
    const struct trigger_firing *row;
    struct trigger_firing *out;
    int *inserted;
};

static int fire_in(struct pg_conn *c, struct fire_arg *fa, struct ferr *err)
{
    const struct trigger_firing *f = fa->row;
    static const char sql[] =
        "INSERT INTO trigger_firings (trigger, event_key, event_id, event, params, user_id, "
        "state, run_id, holder, created_ms, started_ms, ended_ms, detail) VALUES ($1, $2, $3, "
        "$4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (trigger, event_key) DO NOTHING "
        "RETURNING id";
    struct trigger t = {0};
    int found = 0;
    /* FOR SHARE: a delete of the trigger waits for this firing's commit. */
    if (read_trigger(c, trigger_share, f->trigger, &t, &found, err))
        return -1;
    trigger_release(&t);
    if (!found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No trigger named '%.130s'", f->trigger);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, f->trigger);
    pg_args_text(&a, f->event_key);
    if (f->event_id > 0)
        pg_args_int(&a, f->event_id);
    else
        pg_args_null(&a);
    pg_args_text(&a, f->event);
    pg_args_text(&a, f->params);
    pg_args_text(&a, f->user_id);
    pg_args_text(&a, firing_state_name(f->state));
    pg_args_text(&a, f->run_id);
    pg_args_text(&a, f->holder);
    pg_args_int(&a, f->created_ms);
    pg_args_int(&a, f->started_ms);
    pg_args_int(&a, f->ended_ms);
    pg_args_text(&a, f->detail);
    PGresult *r = pg_run(c, sql, &a, "writing a firing", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int took = PQntuples(r) == 1;
    int64_t id = took ? pg_get_int(r, 0, 0) : 0;
    PQclear(r);
    if (!took) { /* that event fired it before */
        if (read_firing(c, firing_by_key, 0, f->trigger, f->event_key, fa->out, &found, err))
            return -1;
        return found ? 0 : conflict(c, "firing", f->event_key, err);
    }
    trigger_firing_copy(f, fa->out);
    fa->out->id = id;
    *fa->inserted = 1;
    if (put_event(c, fa->out, "trigger.fired", f->created_ms, err) ||
        (firing_state_final(f->state) &&
         put_event(c, fa->out, "trigger.finished", f->created_ms, err)))
        return -1;
    return 0;
}

static int do_fire(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct fire_arg *a = arg;
    trigger_firing_release(a->out);
    *a->inserted = 0;
    if (fire_in(c, a, err)) {
        trigger_firing_release(a->out);
        *a->inserted = 0;
        return -1;
    }
    return 0;
}

static int pg_trg_fire(struct store *s, const struct trigger_firing *row,
                       struct trigger_firing *out, int *inserted, struct ferr *err)
{
    struct fire_arg a = {row, out, inserted};
    *inserted = 0;
    int rc = pg_write((struct pg *)s, do_fire, &a, err);
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

static int do_firing_update(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct update_arg *a = arg;
    static const char sql[] = "UPDATE trigger_firings SET state = $2, run_id = $3, holder = $4, "
                              "started_ms = $5, ended_ms = $6, detail = $7 WHERE id = $1";
    struct trigger_firing cur = {0}, row = {0};
    int found = 0;
    trigger_firing_release(a->out);
    if (read_firing(c, firing_lock, a->id, NULL, NULL, &cur, &found, err))
        return -1;
    if (!found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No firing with id %lld",
                        (long long)a->id);
    int rc = a->decide(a->arg, &cur, &row, err);
    if (rc == 0) {
        struct pg_args p = PG_ARGS_INIT;
        pg_args_int(&p, a->id);
        pg_args_text(&p, firing_state_name(row.state));
        pg_args_text(&p, row.run_id);
        pg_args_text(&p, row.holder);
        pg_args_int(&p, row.started_ms);
        pg_args_int(&p, row.ended_ms);
        pg_args_text(&p, row.detail);
        rc = pg_do(c, sql, &p, "updating a firing", err);
        pg_args_release(&p);
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

static int pg_trg_firing_update(struct store *s, int64_t id, firing_decide_fn decide, void *arg,
                                struct trigger_firing *out, struct ferr *err)
{
    struct update_arg a = {id, decide, arg, out};
    int rc = pg_write((struct pg *)s, do_firing_update, &a, err);
    if (rc)
        trigger_firing_release(out);
    return rc;
}

static int pg_trg_firings(struct store *s, const char *trigger, int states, int oldest_first,
                          int64_t bound, int64_t limit, struct trigger_firing_list *out,
                          struct ferr *err)
{
    /* The state filter: the states whose bit is set, as an array. */
#define FIRINGS_WHERE(cmp)                                                                         \
    " FROM trigger_firings WHERE ($1::text IS NULL OR trigger = $1) AND ($2 = 0 OR id " cmp        \
    " $2) AND ($3::text[] IS NULL OR state = ANY ($3::text[]))"
    static const char newest[] =
        "SELECT " FIRING_COLS FIRINGS_WHERE("<") " ORDER BY id DESC LIMIT $4";
    static const char oldest[] = "SELECT " FIRING_COLS FIRINGS_WHERE(">") " ORDER BY id LIMIT $4";
#undef FIRINGS_WHERE
    char filter[160] = "{";
    for (int i = 0; i < FIRING_STATE_COUNT; i++)
        if (states & FIRING_F(i)) {
            size_t n = strlen(filter);
            snprintf(filter + n, sizeof(filter) - n, "%s%s", n > 1 ? "," : "",
                     firing_state_name((enum firing_state)i));
        }
    size_t n = strlen(filter);
    snprintf(filter + n, sizeof(filter) - n, "}");
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, trigger);
    pg_args_int(&a, bound);
    pg_args_text(&a, states ? filter : NULL);
    pg_args_int(&a, limit);
    PGresult *r = pg_run(c, oldest_first ? oldest : newest, &a, "listing firings", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int rows = PQntuples(r);
    for (int i = 0; i < rows; i++) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        load_firing(r, i, &out->v[out->n++]);
    }
    PQclear(r);
    return 0;
}

static int pg_trg_firing_get(struct store *s, int64_t id, struct trigger_firing *out,
                             struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_firing(c, firing_read, id, NULL, NULL, out, &found, err);
    pg_reader_put(pg, c);
    if (!rc && !found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No firing with id %lld", (long long)id);
    return rc;
}

/* ---------- cursors ---------- */

static int read_cursor(struct pg_conn *c, const char *sql, const char *name, int64_t *id,
                       int *found, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading a cursor", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *found = PQntuples(r) == 1;
    *id = *found ? pg_get_int(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

static const char cursor_read[] = "SELECT last_event_id FROM scheduler_cursors WHERE name = $1";
static const char cursor_lock[] =
    "SELECT last_event_id FROM scheduler_cursors WHERE name = $1 FOR UPDATE";

static int pg_trg_cursor_get(struct store *s, const char *name, int64_t *id, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_cursor(c, cursor_read, name, id, &found, err);
    pg_reader_put(pg, c);
    return rc;
}

struct cursor_arg {
    const char *name;
    int64_t from, to;
};

static int do_cursor(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct cursor_arg *ca = arg;
    static const char insert[] = "INSERT INTO scheduler_cursors (name, last_event_id) VALUES "
                                 "($1, $2) ON CONFLICT (name) DO NOTHING";
    static const char update[] = "UPDATE scheduler_cursors SET last_event_id = $2 WHERE name = $1";
    int64_t cur = 0;
    int found = 0;
    if (read_cursor(c, cursor_lock, ca->name, &cur, &found, err))
        return -1;
    if (cur != ca->from)
        return ferr_set(err, FERR_INVALID_STATE,
                        "cursor '%.100s' is at %lld, not %lld (another reader moved it)", ca->name,
                        (long long)cur, (long long)ca->from);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ca->name);
    pg_args_int(&a, ca->to);
    PGresult *r = pg_run(c, found ? update : insert, &a, "moving a cursor", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    return n == 1 ? 0 : conflict(c, "cursor", ca->name, err);
}

static int pg_trg_cursor_advance(struct store *s, const char *name, int64_t from_id, int64_t to_id,
                                 struct ferr *err)
{
    struct cursor_arg a = {name, from_id, to_id};
    return pg_write((struct pg *)s, do_cursor, &a, err);
}

const struct store_trigger_ops pg_triggers = {
    .apply = pg_trg_apply,
    .get = pg_trg_get,
    .list = pg_trg_list,
    .remove = pg_trg_remove,
    .set_scheduled = pg_trg_set_scheduled,
    .fire = pg_trg_fire,
    .firing_update = pg_trg_firing_update,
    .firings = pg_trg_firings,
    .firing_get = pg_trg_firing_get,
    .cursor_get = pg_trg_cursor_get,
    .cursor_advance = pg_trg_cursor_advance,
};
