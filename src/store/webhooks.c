/* SPDX-License-Identifier: MIT
 * The webhooks area's front (store/webhooks.h): names, checks, ids, times
 * and paging, once for both backends. */
#include "store/webhooks.h"
#include "base/env.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/page_token.h"
#include "base/xalloc.h"
#include "store/backend.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

#define MAX_RESULTS     1000
#define DEFAULT_RESULTS 100
#define MAX_URL         2048
#define MAX_DESCRIPTION 5000
#define MAX_SECRET      1024
#define MAX_EVENTS      64

void webhook_release(struct webhook *w)
{
    free(w->id);
    free(w->name);
    free(w->description);
    free(w->url);
    if (w->secret) {
        memset(w->secret, 0, strlen(w->secret));
        free(w->secret);
    }
    for (size_t i = 0; i < w->nevents; i++)
        free(w->events[i]);
    free(w->events);
    free(w->status);
    memset(w, 0, sizeof(*w));
}

void webhook_list_release(struct webhook_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        webhook_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void webhook_delivery_release(struct webhook_delivery *d)
{
    free(d->webhook_id);
    free(d->event);
    free(d->payload);
    free(d->state);
    free(d->error);
    memset(d, 0, sizeof(*d));
}

void webhook_delivery_list_release(struct webhook_delivery_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        webhook_delivery_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* ---------- events ---------- */

/* MLflow's entities and actions, at their enum numbers (webhooks.proto),
 * then ferry's own. */
static const char *const entities[] = {
    NULL,         "registered_model", "model_version", "model_version_tag",  "model_version_alias",
    "prompt",     "prompt_version",   "prompt_tag",    "prompt_version_tag", "prompt_alias",
    "deployment",
};
static const char *const actions[] = {NULL,  "created",       "updated",  "deleted",
                                      "set", "stage_changed", "promoted", "rolled_back"};
#define N_ENTITIES (sizeof(entities) / sizeof(*entities))
#define N_ACTIONS  (sizeof(actions) / sizeof(*actions))

static const char *const known[] = {
    "registered_model.created",
    "model_version.created",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "model_version_alias.created",
    "model_version_alias.deleted",
    "prompt.created",
    "prompt_version.created",
    "prompt_tag.set",
    "prompt_tag.deleted",
    "prompt_version_tag.set",
    "prompt_version_tag.deleted",
    "prompt_alias.created",
    "prompt_alias.deleted",
    /* ferry's own */
    "model_version.stage_changed",
    "deployment.promoted",
    "deployment.rolled_back",
};

int webhook_event_known(const char *ev)
{
    for (size_t i = 0; ev && i < sizeof(known) / sizeof(*known); i++)
        if (!strcmp(ev, known[i]))
            return 1;
    return 0;
}

/* name (any case) or enum number -> the lower-case name; NULL: unknown. */
static const char *name_of(json_t *v, const char *const *names, size_t n)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        return i > 0 && (size_t)i < n ? names[i] : NULL;
    }
    const char *s = json_string_value(v);
    for (size_t i = 1; s && i < n; i++)
        if (!strcasecmp(s, names[i]))
            return names[i];
    return NULL;
}

static char *bad_event(json_t *event, struct ferr *err)
{
    char *text = json_dumps(event, JSON_COMPACT | JSON_ENCODE_ANY);
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
             "Invalid webhook event %.200s: an event is {\"entity\": ENTITY, \"action\": ACTION} "
             "(or \"entity.action\") with one of the supported pairs, e.g. "
             "model_version.created, model_version_alias.created, registered_model.created",
             text ? text : "?");
    free(text);
    return NULL;
}

char *webhook_event_parse(json_t *event, struct ferr *err)
{
    const char *entity = NULL, *action = NULL;
    char buf[128];
    if (json_is_string(event)) {
        const char *s = json_string_value(event), *dot = strchr(s, '.');
        if (!dot || strlen(s) >= sizeof(buf))
            return bad_event(event, err);
        memcpy(buf, s, (size_t)(dot - s));
        buf[dot - s] = '\0';
        json_t *e = json_string(buf), *a = json_string(dot + 1);
        entity = name_of(e, entities, N_ENTITIES);
        action = name_of(a, actions, N_ACTIONS);
        json_decref(e);
        json_decref(a);
    } else if (json_is_object(event)) {
        entity = name_of(json_object_get(event, "entity"), entities, N_ENTITIES);
        action = name_of(json_object_get(event, "action"), actions, N_ACTIONS);
    }
    if (!entity || !action)
        return bad_event(event, err);
    snprintf(buf, sizeof(buf), "%s.%s", entity, action);
    if (!webhook_event_known(buf)) {
        char *text = json_dumps(event, JSON_COMPACT | JSON_ENCODE_ANY);
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "Invalid action '%s' for entity '%s' in webhook event %.200s", action, entity,
                 text ? text : "?");
        free(text);
        return NULL;
    }
    return xstrdup(buf);
}

static void upper_into(char *dst, size_t n, const char *s, size_t len)
{
    size_t i = 0;
    for (; i + 1 < n && i < len; i++)
        dst[i] = (char)toupper((unsigned char)s[i]);
    dst[i] = '\0';
}

json_t *webhook_event_json(const char *ev)
{
    char e[64], a[64];
    const char *dot = strchr(ev, '.');
    if (!dot)
        dot = ev + strlen(ev);
    upper_into(e, sizeof(e), ev, (size_t)(dot - ev));
    upper_into(a, sizeof(a), *dot ? dot + 1 : dot, strlen(*dot ? dot + 1 : dot));
    return json_pack("{s:s, s:s}", "entity", e, "action", a);
}

const char *webhook_status_parse(json_t *status)
{
    static const char *const st[] = {NULL, "ACTIVE", "DISABLED"};
    return name_of(status, st, 3);
}

char *webhook_events_text(const struct webhook *w)
{
    json_t *a = json_array();
    for (size_t i = 0; i < w->nevents; i++)
        json_array_append_new(a, json_string(w->events[i]));
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    if (!text)
        abort(); /* out of memory, as xalloc does */
    return text;
}

int webhook_events_from_text(const char *text, struct webhook *w, struct ferr *err)
{
    json_t *a = text ? json_loads(text, 0, NULL) : NULL;
    size_t n = json_array_size(a);
    w->events = xcalloc(n ? n : 1, sizeof(*w->events));
    for (size_t i = 0; i < n; i++) {
        const char *e = json_string_value(json_array_get(a, i));
        if (!e) {
            json_decref(a);
            return ferr_set(err, FERR_INTERNAL_ERROR, "webhook '%s' has malformed events",
                            w->id ? w->id : "?");
        }
        w->events[w->nevents++] = xstrdup(e);
    }
    json_decref(a);
    return 0;
}

/* ---------- checks ---------- */

static int name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
            return 0;
    return 1;
}

/* 1 when url's scheme is one FERRY_WEBHOOK_ALLOWED_SCHEMES allows
 * (comma-separated; default "https"): only http and https can be. */
static int scheme_allowed(const char *url, char *scheme, size_t n)
{
    const char *colon = strstr(url, "://");
    size_t len = colon ? (size_t)(colon - url) : 0;
    snprintf(scheme, n, "%.*s", (int)(len < 16 ? len : 16), url);
    if (!colon || (strcmp(scheme, "http") && strcmp(scheme, "https")))
        return 0;
    const char *allowed = env_get("WEBHOOK_ALLOWED_SCHEMES");
    if (!allowed)
        allowed = "https";
    for (const char *p = allowed; *p;) {
        while (*p == ',' || *p == ' ')
            p++;
        size_t k = strcspn(p, ", ");
        if (k == len && !strncmp(p, scheme, len))
            return 1;
        p += k;
    }
    return 0;
}

int webhook_validate(const struct webhook *w, struct ferr *err)
{
    char scheme[20];
    if (!name_ok(w->name))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Webhook name '%.100s' is invalid. It must start and end with a letter or "
                        "digit, be 1 to 63 characters long, and contain only letters, digits, "
                        "dots (.), underscores (_), and hyphens (-).",
                        w->name ? w->name : "");
    if (!w->url || !*w->url || strlen(w->url) > MAX_URL || strpbrk(w->url, " \t\r\n"))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid webhook URL '%.200s': a URL of 1 to %d characters without spaces",
                        w->url ? w->url : "", MAX_URL);
    if (!scheme_allowed(w->url, scheme, sizeof(scheme)))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid webhook URL scheme: '%s'. Allowed schemes are: %s.", scheme,
                        env_get("WEBHOOK_ALLOWED_SCHEMES") ? env_get("WEBHOOK_ALLOWED_SCHEMES")
                                                           : "https");
    if (!w->nevents || w->nevents > MAX_EVENTS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Webhook events must be a non-empty list of at most %d events", MAX_EVENTS);
    for (size_t i = 0; i < w->nevents; i++) {
        if (!webhook_event_known(w->events[i]))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Invalid webhook event '%.100s'",
                            w->events[i] ? w->events[i] : "");
        for (size_t j = 0; j < i; j++)
            if (!strcmp(w->events[i], w->events[j]))
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "Webhook event '%s' is listed twice", w->events[i]);
    }
    if (!w->status || (strcmp(w->status, "ACTIVE") && strcmp(w->status, "DISABLED")))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Invalid webhook status '%.50s' (ACTIVE or DISABLED)",
                        w->status ? w->status : "");
    if (w->description && strlen(w->description) > MAX_DESCRIPTION)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "A webhook's description is at most %d characters", MAX_DESCRIPTION);
    if (w->secret && strlen(w->secret) > MAX_SECRET)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "A webhook's secret is at most %d characters", MAX_SECRET);
    return 0;
}

static int has(struct store *s, struct ferr *err)
{
    return s->webhooks ? 0 : store_lacks(s, "webhooks", err);
}

static int id_ok(const char *id, struct ferr *err)
{
    if (!id || !*id || strlen(id) > 64)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Missing or invalid webhook_id");
    return 0;
}

static int page(int64_t max_results, const char *page_token, int64_t *off, int64_t *max,
                struct ferr *err)
{
    *off = 0;
    *max = max_results ? max_results : DEFAULT_RESULTS;
    if (*max < 1 || *max > MAX_RESULTS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "max_results must be between 1 and %d.",
                        MAX_RESULTS);
    return page_token && *page_token ? page_token_decode(page_token, off, err) : 0;
}

/* ---------- webhooks ---------- */

int store_webhook_create(struct store *s, const struct webhook *w, struct webhook *out,
                         struct ferr *err)
{
    char id[REQUEST_ID_LEN + 1];
    if (out)
        memset(out, 0, sizeof(*out));
    if (has(s, err))
        return -1;
    struct webhook row = *w;
    row.status = w->status ? w->status : (char *)"ACTIVE";
    if (row.description && !*row.description)
        row.description = NULL;
    if (row.secret && !*row.secret)
        row.secret = NULL;
    if (webhook_validate(&row, err))
        return -1;
    ids_new_request_id(id);
    row.id = id;
    row.creation_timestamp = row.last_updated_timestamp = ftime_now_ms();
    if (s->webhooks->create(s, &row, err))
        return -1;
    return out ? store_webhook_get(s, id, out, err) : 0;
}

int store_webhook_get(struct store *s, const char *id, struct webhook *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (has(s, err) || id_ok(id, err))
        return -1;
    return s->webhooks->get(s, id, out, err);
}

int store_webhook_list(struct store *s, int64_t max_results, const char *page_token,
                       struct webhook_list *out, char **next, struct ferr *err)
{
    int64_t off, max;
    int more = 0;
    *next = NULL;
    memset(out, 0, sizeof(*out));
    if (has(s, err) || page(max_results, page_token, &off, &max, err) ||
        s->webhooks->list(s, off, max, out, &more, err))
        return -1;
    if (more)
        page_token_encode(off + max, next);
    return 0;
}

int store_webhook_subscribed(struct store *s, const char *ev, struct webhook_list *out,
                             struct ferr *err)
{
    int64_t off = 0;
    memset(out, 0, sizeof(*out));
    if (has(s, err))
        return -1;
    for (;;) {
        struct webhook_list l = {NULL, 0, 0};
        int more = 0;
        if (s->webhooks->list(s, off, MAX_RESULTS, &l, &more, err)) {
            webhook_list_release(out);
            return -1;
        }
        for (size_t i = 0; i < l.n; i++) {
            struct webhook *w = &l.v[i];
            int on = !ev;
            for (size_t j = 0; !on && !strcmp(w->status, "ACTIVE") && j < w->nevents; j++)
                on = !strcmp(w->events[j], ev);
            if (on) {
                ALLOC_GROW(out->v, out->n + 1, out->alloc);
                out->v[out->n++] = *w;
                memset(w, 0, sizeof(*w));
            }
        }
        webhook_list_release(&l);
        if (!more)
            return 0;
        off += MAX_RESULTS;
    }
}

int store_webhook_update(struct store *s, const char *id, const struct webhook *change,
                         struct webhook *out, struct ferr *err)
{
    struct webhook cur, row;
    if (out)
        memset(out, 0, sizeof(*out));
    if (store_webhook_get(s, id, &cur, err))
        return -1;
    row = cur;
    if (change->name)
        row.name = change->name;
    if (change->description)
        row.description = *change->description ? change->description : NULL;
    if (change->url)
        row.url = change->url;
    if (change->secret)
        row.secret = *change->secret ? change->secret : NULL;
    if (change->status)
        row.status = change->status;
    if (change->nevents) {
        row.events = change->events;
        row.nevents = change->nevents;
    }
    row.last_updated_timestamp = ftime_now_ms();
    if (row.last_updated_timestamp <= cur.last_updated_timestamp)
        row.last_updated_timestamp = cur.last_updated_timestamp + 1;
    int rc =
        webhook_validate(&row, err) || s->webhooks->update(s, &row, cur.last_updated_timestamp, err)
            ? -1
            : 0;
    webhook_release(&cur);
    return rc || !out ? rc : store_webhook_get(s, id, out, err);
}

int store_webhook_delete(struct store *s, const char *id, struct ferr *err)
{
    if (has(s, err) || id_ok(id, err))
        return -1;
    return s->webhooks->remove(s, id, err);
}

/* ---------- deliveries ---------- */

int store_webhook_enqueue(struct store *s, const char *webhook_id, int64_t event_id,
                          const char *event, const char *payload, int *inserted, struct ferr *err)
{
    *inserted = 0;
    if (has(s, err) || id_ok(webhook_id, err))
        return -1;
    if (!webhook_event_known(event) || !payload || event_id < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a delivery needs a known event");
    return s->webhooks->enqueue(s, webhook_id, event_id, event, payload, ftime_now_ms(), inserted,
                                err);
}

int store_webhook_due(struct store *s, int64_t now_ms, size_t max,
                      struct webhook_delivery_list *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (has(s, err))
        return -1;
    return s->webhooks->due(s, now_ms, max ? max : 1, out, err);
}

int store_webhook_attempt(struct store *s, int64_t delivery_id, int64_t prev_attempt,
                          const char *state, int64_t next_attempt_ms, int64_t http_status,
                          const char *error, struct ferr *err)
{
    if (has(s, err))
        return -1;
    if (!state || (strcmp(state, WEBHOOK_PENDING) && strcmp(state, WEBHOOK_DELIVERED) &&
                   strcmp(state, WEBHOOK_FAILED)))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid delivery state '%.30s'",
                        state ? state : "");
    if (prev_attempt < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid attempt count");
    return s->webhooks->attempt(s, delivery_id, prev_attempt, state, next_attempt_ms, http_status,
                                error, ftime_now_ms(), err);
}

int store_webhook_deliveries(struct store *s, const char *webhook_id, int64_t max_results,
                             const char *page_token, struct webhook_delivery_list *out, char **next,
                             struct ferr *err)
{
    int64_t off, max;
    int more = 0;
    *next = NULL;
    memset(out, 0, sizeof(*out));
    if (has(s, err) || page(max_results, page_token, &off, &max, err) ||
        (webhook_id && *webhook_id && id_ok(webhook_id, err)) ||
        s->webhooks->deliveries(s, webhook_id && *webhook_id ? webhook_id : NULL, off, max, out,
                                &more, err))
        return -1;
    if (more)
        page_token_encode(off + max, next);
    return 0;
}

int store_webhook_delivery_get(struct store *s, int64_t id, struct webhook_delivery *out,
                               struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (has(s, err))
        return -1;
    return s->webhooks->delivery_get(s, id, out, err);
}
