/* SPDX-License-Identifier: MIT
 * The triggers area's front: validation and the rules of every change,
 * decided once for both backends (store/triggers.h). */
#include "store/triggers.h"
#include "store/backend.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/page_token.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AREA          "triggers"
#define KEY_MAX       256
#define CURSOR_MAX    256
#define DETAIL_MAX    4000
#define FIRINGS_MAX   1000
#define FIRINGS_DEFLT 100

static int no_such(struct ferr *err, const char *name)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No trigger named '%.130s'", name);
}

int trigger_name_check(const char *name, struct ferr *err)
{
    size_t n = name ? strlen(name) : 0;
    if (!n || n > TRIGGER_NAME_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a trigger's name has 1 to %d characters", TRIGGER_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                 c == '_' || (i > 0 && (c == '.' || c == '-'));
        if (!ok)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid trigger name '%.130s': letters, digits and _ first, then "
                            "also . and -",
                            name);
    }
    return 0;
}

static int kind_check(const char *kind, struct ferr *err)
{
    static const char *const kinds[] = {"schedule", "alert", "dataset", "registry"};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds); i++)
        if (kind && !strcmp(kind, kinds[i]))
            return 0;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "unknown trigger kind '%.40s': one of schedule, alert, dataset, registry",
                    kind ? kind : "");
}

/* ---------- triggers ---------- */

struct apply_arg {
    const char *name, *spec, *kind, *owner;
    int enabled;
    int64_t expect_revision, now_ms;
};

static int decide_apply(void *arg, const struct trigger *cur, int64_t max_event_id,
                        struct trigger *row, struct ferr *err)
{
    const struct apply_arg *a = arg;
    memset(row, 0, sizeof(*row));
    if (a->expect_revision == 0 && cur)
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS, "trigger '%.130s' already exists",
                        a->name);
    if (a->expect_revision > 0 && !cur)
        return no_such(err, a->name);
    if (a->expect_revision > 0 && cur->revision != a->expect_revision)
        return ferr_set(err, FERR_INVALID_STATE,
                        "trigger '%.130s' is at revision %lld, not %lld (applied meanwhile)",
                        a->name, (long long)cur->revision, (long long)a->expect_revision);
    if (cur && !strcmp(cur->spec, a->spec) && !strcmp(cur->kind, a->kind) &&
        cur->enabled == a->enabled)
        return 1;
    row->name = xstrdup(a->name);
    row->spec = xstrdup(a->spec);
    row->kind = xstrdup(a->kind);
    row->owner = xstrdup(a->owner);
    row->enabled = a->enabled;
    row->updated_ms = a->now_ms;
    if (cur) {
        row->revision = cur->revision + 1;
        row->created_ms = cur->created_ms;
        row->since_event_id = cur->since_event_id;
        row->last_scheduled_ms = cur->last_scheduled_ms;
    } else {
        row->revision = 1;
        row->created_ms = a->now_ms;
        row->since_event_id = max_event_id;
        row->last_scheduled_ms = 0;
    }
    return 0;
}

int store_trigger_apply(struct store *s, json_t *spec, const char *kind, int enabled,
                        const char *owner, int64_t expect_revision, struct trigger *out,
                        int *changed, struct ferr *err)
{
    struct trigger tmp = {0};
    int ch = 0;
    if (out)
        memset(out, 0, sizeof(*out));
    if (changed)
        *changed = 0;
    if (!s->triggers)
        return store_lacks(s, AREA, err);
    if (!json_is_object(spec))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a trigger's spec is a JSON object");
    const char *name = json_string_value(json_object_get(spec, "name"));
    if (!name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a trigger's spec needs a name");
    if (trigger_name_check(name, err) || kind_check(kind, err))
        return -1;
    if (enabled != 0 && enabled != 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "enabled is 1 or 0, not %d", enabled);
    if (expect_revision < -1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "expect_revision is -1 (any), 0 (new) or a revision, not %lld",
                        (long long)expect_revision);
    if (owner && strlen(owner) > 256)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "an owner has at most 256 characters");
    char *text = fjson_dumps(spec, JSON_COMPACT | JSON_SORT_KEYS);
    struct apply_arg a = {name,          text, kind, owner ? owner : "", enabled, expect_revision,
                          ftime_now_ms()};
    int rc = s->triggers->apply(s, name, decide_apply, &a, out ? out : &tmp, &ch, err);
    free(text);
    trigger_release(&tmp);
    if (rc == 0 && changed)
        *changed = ch;
    return rc;
}

int store_trigger_get(struct store *s, const char *name, struct trigger *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->triggers)
        return store_lacks(s, AREA, err);
    if (trigger_name_check(name, err))
        return -1;
    return s->triggers->get(s, name, out, err);
}

int store_trigger_list(struct store *s, struct trigger_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->triggers)
        return store_lacks(s, AREA, err);
    return s->triggers->list(s, out, err);
}

int store_trigger_delete(struct store *s, const char *name, struct ferr *err)
{
    if (!s->triggers)
        return store_lacks(s, AREA, err);
    if (trigger_name_check(name, err))
        return -1;
    return s->triggers->remove(s, name, err);
}

int store_trigger_set_scheduled(struct store *s, const char *name, int64_t ms, struct ferr *err)
{
    if (!s->triggers)
        return store_lacks(s, AREA, err);
    if (trigger_name_check(name, err))
        return -1;
    if (ms < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a scheduled time is not negative (%lld)", (long long)ms);
    return s->triggers->set_scheduled(s, name, ms, err);
}

/* ---------- firings ---------- */

static int text_check(const char *what, const char *v, size_t max, struct ferr *err)
{
    if (v && strlen(v) > max)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a firing's %s has at most %zu characters", what, max);
    return 0;
}

static char *object_text(json_t *j)
{
    return j ? fjson_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : xstrdup("{}");
}

int store_trigger_fire(struct store *s, const struct trigger_fire *f, struct trigger_firing *out,
                       int *inserted, struct ferr *err)
{
    struct trigger_firing tmp = {0};
    int ins = 0;
    if (out)
        memset(out, 0, sizeof(*out));
    if (inserted)
        *inserted = 0;
    if (!s->triggers)
        return store_lacks(s, AREA, err);
    if (trigger_name_check(f->trigger, err))
        return -1;
    if (!f->event_key || !*f->event_key || strlen(f->event_key) > KEY_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a firing's event key has 1 to %d characters", KEY_MAX);
    if (f->event_id < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a firing's event id is a stream id or 0, not %lld",
                        (long long)f->event_id);
    if ((f->event && !json_is_object(f->event)) || (f->params && !json_is_object(f->params)))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a firing's event fields and params are JSON objects");
    if ((unsigned)f->state >= FIRING_STATE_COUNT || f->state == FIRING_RUNNING)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a firing starts queued or in a final state, not %s",
                        firing_state_name(f->state));
    if (text_check("user", f->user, 256, err) || text_check("detail", f->detail, DETAIL_MAX, err))
        return -1;
    int64_t now = ftime_now_ms();
    struct trigger_firing row = {
        .trigger = (char *)f->trigger,
        .event_key = (char *)f->event_key,
        .event_id = f->event_id,
        .event = object_text(f->event),
        .params = object_text(f->params),
        .user_id = (char *)(f->user ? f->user : ""),
        .state = f->state,
        .run_id = (char *)"",
        .holder = (char *)"",
        .created_ms = now,
        .ended_ms = firing_state_final(f->state) ? now : 0,
        .detail = (char *)(f->detail ? f->detail : ""),
    };
    int rc = s->triggers->fire(s, &row, out ? out : &tmp, &ins, err);
    free(row.event);
    free(row.params);
    trigger_firing_release(&tmp);
    if (rc == 0 && inserted)
        *inserted = ins;
    return rc;
}

struct update_arg {
    int64_t id;
    enum firing_state from, to;
    const char *run_id, *holder, *detail;
    int64_t now_ms;
};

static int decide_update(void *arg, const struct trigger_firing *cur, struct trigger_firing *row,
                         struct ferr *err)
{
    const struct update_arg *a = arg;
    memset(row, 0, sizeof(*row));
    if (cur->state != a->from)
        return ferr_set(err, FERR_INVALID_STATE, "firing %lld is %s, not %s", (long long)a->id,
                        firing_state_name(cur->state), firing_state_name(a->from));
    trigger_firing_copy(cur, row);
    row->state = a->to;
    if (a->run_id) {
        free(row->run_id);
        row->run_id = xstrdup(a->run_id);
    }
    if (a->holder) {
        free(row->holder);
        row->holder = xstrdup(a->holder);
    }
    if (a->detail) {
        free(row->detail);
        row->detail = xstrdup(a->detail);
    }
    if (a->to == FIRING_RUNNING && !row->started_ms)
        row->started_ms = a->now_ms;
    if (firing_state_final(a->to))
        row->ended_ms = a->now_ms;
    return 0;
}

int store_trigger_firing_update(struct store *s, int64_t id, enum firing_state from,
                                enum firing_state to, const char *run_id, const char *holder,
                                const char *detail, struct trigger_firing *out, struct ferr *err)
{
    struct trigger_firing tmp = {0};
    if (out)
        memset(out, 0, sizeof(*out));
    if (!s->triggers)
        return store_lacks(s, AREA, err);
    if (id <= 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a firing's id is positive, not %lld",
                        (long long)id);
    if ((unsigned)from >= FIRING_STATE_COUNT || (unsigned)to >= FIRING_STATE_COUNT)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "unknown firing state");
    int allowed = (from == FIRING_QUEUED && to != FIRING_QUEUED) ||
                  (from == FIRING_RUNNING && to != FIRING_QUEUED);
    if (!allowed)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a firing does not move from %s to %s",
                        firing_state_name(from), firing_state_name(to));
    if (text_check("run id", run_id, 256, err) || text_check("holder", holder, 256, err) ||
        text_check("detail", detail, DETAIL_MAX, err))
        return -1;
    struct update_arg a = {id, from, to, run_id, holder, detail, ftime_now_ms()};
    int rc = s->triggers->firing_update(s, id, decide_update, &a, out ? out : &tmp, err);
    trigger_firing_release(&tmp);
    return rc;
}

int store_trigger_firings(struct store *s, const struct firing_query *q,
                          struct trigger_firing_list *out, char **next_page_token, struct ferr *err)
{
    int64_t max = q->max, bound = 0;
    memset(out, 0, sizeof(*out));
    if (next_page_token)
        *next_page_token = NULL;
    if (!s->triggers)
        return store_lacks(s, AREA, err);
    if (q->trigger && trigger_name_check(q->trigger, err))
        return -1;
    if (max == 0)
        max = FIRINGS_DEFLT;
    if (max < 1 || max > FIRINGS_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "max_results is 1 to %d, not %lld",
                        FIRINGS_MAX, (long long)max);
    if (q->states & ~((1 << FIRING_STATE_COUNT) - 1))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "unknown firing state filter %d",
                        q->states);
    /* The token carries the last id of the page before (opaque to clients). */
    if (q->page_token && *q->page_token) {
        if (page_token_decode(q->page_token, &bound, err))
            return -1;
        if (bound <= 0)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid page token");
    }
    if (s->triggers->firings(s, q->trigger, q->states, q->oldest_first ? 1 : 0, bound, max + 1, out,
                             err))
        return -1;
    if (out->n > (size_t)max) {
        trigger_firing_release(&out->v[--out->n]);
        if (next_page_token)
            page_token_encode(out->v[out->n - 1].id, next_page_token);
    }
    return 0;
}

int store_trigger_firing_get(struct store *s, int64_t id, struct trigger_firing *out,
                             struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->triggers)
        return store_lacks(s, AREA, err);
    if (id <= 0)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No firing with id %lld", (long long)id);
    return s->triggers->firing_get(s, id, out, err);
}

/* ---------- cursors ---------- */

static int cursor_check(struct store *s, const char *name, struct ferr *err)
{
    if (!s->triggers)
        return store_lacks(s, AREA, err);
    if (!name || !*name || strlen(name) > CURSOR_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a cursor needs a name of 1 to %d characters", CURSOR_MAX);
    return 0;
}

int store_cursor_get(struct store *s, const char *name, int64_t *id, struct ferr *err)
{
    *id = 0;
    if (cursor_check(s, name, err))
        return -1;
    return s->triggers->cursor_get(s, name, id, err);
}

int store_cursor_advance(struct store *s, const char *name, int64_t from_id, int64_t to_id,
                         struct ferr *err)
{
    if (cursor_check(s, name, err))
        return -1;
    if (from_id < 0 || to_id < from_id)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a cursor moves forward (from %lld to %lld)", (long long)from_id,
                        (long long)to_id);
    return s->triggers->cursor_advance(s, name, from_id, to_id, err);
}
