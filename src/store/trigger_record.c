/* SPDX-License-Identifier: MIT
 * The triggers area's records (store/trigger_record.h): states, release,
 * copy, and the stream events' payload the backends share. */
#include "store/trigger_record.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char *const state_names[FIRING_STATE_COUNT] = {
    "queued", "running", "succeeded", "failed", "skipped", "cancelled", "refused", "abandoned",
};

const char *firing_state_name(enum firing_state st)
{
    return (unsigned)st < FIRING_STATE_COUNT ? state_names[st] : "unknown";
}

int firing_state_parse(const char *text, enum firing_state *out, struct ferr *err)
{
    for (int i = 0; i < FIRING_STATE_COUNT; i++)
        if (text && !strcmp(text, state_names[i])) {
            *out = (enum firing_state)i;
            return 0;
        }
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "unknown firing state '%.40s': one of queued, running, succeeded, failed, "
                    "skipped, cancelled, refused, abandoned",
                    text ? text : "");
}

int firing_state_final(enum firing_state st)
{
    return st != FIRING_QUEUED && st != FIRING_RUNNING && (unsigned)st < FIRING_STATE_COUNT;
}

static char *dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

void trigger_release(struct trigger *t)
{
    if (!t)
        return;
    free(t->name);
    free(t->spec);
    free(t->kind);
    free(t->owner);
    memset(t, 0, sizeof(*t));
}

int trigger_copy(const struct trigger *from, struct trigger *to)
{
    *to = *from;
    to->name = dup_or_empty(from->name);
    to->spec = dup_or_empty(from->spec);
    to->kind = dup_or_empty(from->kind);
    to->owner = dup_or_empty(from->owner);
    return 0;
}

void trigger_list_release(struct trigger_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        trigger_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void trigger_firing_release(struct trigger_firing *f)
{
    if (!f)
        return;
    free(f->trigger);
    free(f->event_key);
    free(f->event);
    free(f->params);
    free(f->user_id);
    free(f->run_id);
    free(f->holder);
    free(f->detail);
    memset(f, 0, sizeof(*f));
}

int trigger_firing_copy(const struct trigger_firing *from, struct trigger_firing *to)
{
    *to = *from;
    to->trigger = dup_or_empty(from->trigger);
    to->event_key = dup_or_empty(from->event_key);
    to->event = xstrdup(from->event ? from->event : "{}");
    to->params = xstrdup(from->params ? from->params : "{}");
    to->user_id = dup_or_empty(from->user_id);
    to->run_id = dup_or_empty(from->run_id);
    to->holder = dup_or_empty(from->holder);
    to->detail = dup_or_empty(from->detail);
    return 0;
}

void trigger_firing_list_release(struct trigger_firing_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        trigger_firing_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

char *trigger_firing_event_payload(const struct trigger_firing *f)
{
    json_t *p = json_pack("{s:s, s:I, s:o, s:s, s:s, s:s}", "trigger", f->trigger ? f->trigger : "",
                          "firing_id", (json_int_t)f->id, "event_id",
                          f->event_id > 0 ? json_integer(f->event_id) : json_null(), "state",
                          firing_state_name(f->state), "run_id", f->run_id ? f->run_id : "",
                          "detail", f->detail ? f->detail : "");
    if (!p)
        abort(); /* out of memory, as base/xalloc.h answers it */
    char *s = fjson_dumps(p, JSON_COMPACT);
    json_decref(p);
    return s;
}
