/* SPDX-License-Identifier: MIT
 * Registry webhooks as MLflow 3.x defines them (mlflow/protos/webhooks.proto,
 * mlflow/webhooks/ in MLflow 3.6; read for the contract, nothing copied):
 *
 *   - A webhook: id (a UUID the server makes), name (1..63 characters of
 *     letters, digits, '.', '_', '-', starting and ending with a letter or
 *     digit), description (optional), url (its scheme must be allowed:
 *     MLflow allows https only by default, MLFLOW_WEBHOOK_ALLOWED_SCHEMES
 *     widens it; ferry reads FERRY_WEBHOOK_ALLOWED_SCHEMES, default
 *     "https", comma-separated), events (a non-empty list of entity.action
 *     pairs), secret (optional; the key of the signature, never shown),
 *     status ACTIVE | DISABLED (default ACTIVE), creation_timestamp and
 *     last_updated_timestamp (ms).
 *   - Events MLflow knows (entity.action, lower case on the wire of a
 *     delivery, upper case enum names in the REST JSON):
 *       registered_model.created, model_version.created,
 *       model_version_tag.set, model_version_tag.deleted,
 *       model_version_alias.created, model_version_alias.deleted,
 *       prompt.created, prompt_version.created, prompt_tag.set|deleted,
 *       prompt_version_tag.set|deleted, prompt_alias.created|deleted.
 *     Ferry adds its own (accepted only in lower-case "entity.action"
 *     string form or as {entity, action} with those names):
 *       model_version.stage_changed, deployment.promoted,
 *       deployment.rolled_back.
 *     Ferry has no prompt registry of its own: the prompt events are
 *     accepted (MLflow's clients may subscribe to them) but never fire.
 *   - A delivery: HTTP POST, Content-Type application/json, body
 *       {"entity": "model_version", "action": "created",
 *        "timestamp": "<ISO 8601 UTC of the event>", "data": {...}}
 *     headers X-MLflow-Delivery-Id (a UUID; the same on every retry of one
 *     delivery), X-MLflow-Timestamp (unix seconds of this attempt) and,
 *     when the webhook has a secret, X-MLflow-Signature "v1,<base64>" where
 *     <base64> is the standard base64 of HMAC-SHA256 keyed by the secret's
 *     bytes over "<delivery id>.<timestamp>.<raw body>". 2xx is delivered.
 *   - Test (POST webhooks/{id}/test, optional {event}): one POST of an
 *     example payload of that event (default: the webhook's first event),
 *     answered {result: {success (status < 400), response_status,
 *     response_body, error_message}}; not retried, not recorded.
 *   - Errors: an unknown id is RESOURCE_DOES_NOT_EXIST ("Webhook with ID x
 *     not found."), bad fields INVALID_PARAMETER_VALUE; max_results
 *     1..1000 (default 100).
 * MLflow sends each event once from the request's thread (urllib3 retries
 * inside); ferry records the event on the events stream and a dispatcher
 * (server/webhook_dispatch.h) turns it into one delivery row per subscribed
 * active webhook, retried with backoff, every attempt recorded. MLflow
 * stores the secret encrypted with a server key; ferry stores it as given
 * (the database is the server's) and never answers it.
 *
 * Tables (schema 12, created by the store migrations; "webhooks" helper's
 * columns as in the issue-21 design):
 *   webhooks (id TEXT PK, name, url, events TEXT JSON array of
 *     "entity.action", description, status, secret, creation_timestamp,
 *     last_updated_timestamp)
 *   webhook_deliveries (id PK, webhook_id, event_id, event, payload, state
 *     pending|delivered|failed, attempt, next_attempt_ms, http_status,
 *     error, created_ms, updated_ms, UNIQUE (webhook_id, event_id))
 * Same conventions as store.h (0, or -1 with err set and nothing changed). */
#ifndef FERRY_STORE_WEBHOOKS_H
#define FERRY_STORE_WEBHOOKS_H

#include "base/ferr.h"
#include "store/store.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct webhook {
    char *id;
    char *name;
    char *description; /* NULL: none */
    char *url;
    char *secret;  /* NULL: deliveries are unsigned; never answered over REST */
    char **events; /* "entity.action", lower case, no duplicates */
    size_t nevents;
    char *status;                                       /* "ACTIVE" | "DISABLED" */
    int64_t creation_timestamp, last_updated_timestamp; /* ms */
};
void webhook_release(struct webhook *w);

struct webhook_list {
    struct webhook *v;
    size_t n, alloc;
};
void webhook_list_release(struct webhook_list *l);

#define WEBHOOK_PENDING   "pending"
#define WEBHOOK_DELIVERED "delivered"
#define WEBHOOK_FAILED    "failed"

struct webhook_delivery {
    int64_t id;
    char *webhook_id;
    int64_t event_id;        /* the events stream's id (0 for none) */
    char *event;             /* "model_version.created" */
    char *payload;           /* the body's JSON text, as sent */
    char *state;             /* pending | delivered | failed */
    int64_t attempt;         /* attempts made so far */
    int64_t next_attempt_ms; /* pending: when the next is due */
    int64_t http_status;     /* the last attempt's status; 0: no answer */
    char *error;             /* the last failure's reason; NULL: none */
    int64_t created_ms, updated_ms;
};
void webhook_delivery_release(struct webhook_delivery *d);

struct webhook_delivery_list {
    struct webhook_delivery *v;
    size_t n, alloc;
};
void webhook_delivery_list_release(struct webhook_delivery_list *l);

/* ---------- names and checks (no store) ---------- */

/* 1 when ev ("entity.action", lower case) is an event a webhook may
 * subscribe to (MLflow's and ferry's, above). */
int webhook_event_known(const char *ev);
/* The canonical "entity.action" of a REST event: a string
 * "entity.action" or an object {"entity", "action"} whose values are
 * MLflow's enum names (MODEL_VERSION, CREATED) or numbers, or lower case.
 * NULL with INVALID_PARAMETER_VALUE otherwise. A new string. */
char *webhook_event_parse(json_t *event, struct ferr *err);
/* ev ("entity.action") as the REST JSON shows it: {"entity": "MODEL_VERSION",
 * "action": "CREATED"} (a new reference). */
json_t *webhook_event_json(const char *ev);
/* "ACTIVE" | "DISABLED" from a REST status (the name in any case, or 1 | 2);
 * NULL when it is neither. */
const char *webhook_status_parse(json_t *status);
/* Checks the fields of w a create or update would store (name, url scheme,
 * events, status); INVALID_PARAMETER_VALUE with MLflow's wording. */
int webhook_validate(const struct webhook *w, struct ferr *err);

/* ---------- webhooks ---------- */

/* Creates w (id and timestamps are made here: w->id is ignored); out: the
 * stored webhook. */
int store_webhook_create(struct store *s, const struct webhook *w, struct webhook *out,
                         struct ferr *err) WARN_UNUSED;
int store_webhook_get(struct store *s, const char *id, struct webhook *out,
                      struct ferr *err) WARN_UNUSED;
/* Newest first; max_results 1..1000 (0: 100); page_token from an earlier
 * answer or NULL; *next a new string or NULL at the end. */
int store_webhook_list(struct store *s, int64_t max_results, const char *page_token,
                       struct webhook_list *out, char **next, struct ferr *err) WARN_UNUSED;
/* Every ACTIVE webhook subscribed to ev (the dispatcher's question);
 * ev NULL: every webhook, whatever its status, every page read. */
int store_webhook_subscribed(struct store *s, const char *ev, struct webhook_list *out,
                             struct ferr *err) WARN_UNUSED;
/* Changes the fields of `change` that are set (non-NULL; events when
 * nevents > 0) of webhook id, validated as a whole; out: the result. */
int store_webhook_update(struct store *s, const char *id, const struct webhook *change,
                         struct webhook *out, struct ferr *err) WARN_UNUSED;
/* Deletes it; its deliveries stay readable by its id (pending ones are
 * failed "the webhook was deleted" by the dispatcher). */
int store_webhook_delete(struct store *s, const char *id, struct ferr *err) WARN_UNUSED;

/* ---------- deliveries (the dispatcher, fenced by its lease) ---------- */

/* One pending delivery of event_id to webhook_id, due now: *inserted 0 when
 * that pair already has one (nothing changes). */
int store_webhook_enqueue(struct store *s, const char *webhook_id, int64_t event_id,
                          const char *event, const char *payload, int *inserted,
                          struct ferr *err) WARN_UNUSED;
/* Pending deliveries due at now_ms (next_attempt_ms <= now_ms), oldest
 * first, at most max. */
int store_webhook_due(struct store *s, int64_t now_ms, size_t max,
                      struct webhook_delivery_list *out, struct ferr *err) WARN_UNUSED;
/* Records an attempt of a pending delivery whose attempt count is still
 * prev_attempt (compare-and-set: INVALID_STATE when another recorded one):
 * attempt = prev_attempt + 1, state (pending: next_attempt_ms is when to
 * retry), http_status (0: none), error (NULL: none). */
int store_webhook_attempt(struct store *s, int64_t delivery_id, int64_t prev_attempt,
                          const char *state, int64_t next_attempt_ms, int64_t http_status,
                          const char *error, struct ferr *err) WARN_UNUSED;
/* The delivery log: webhook_id's (NULL: every webhook's) deliveries, newest
 * first, paged as store_webhook_list. */
int store_webhook_deliveries(struct store *s, const char *webhook_id, int64_t max_results,
                             const char *page_token, struct webhook_delivery_list *out, char **next,
                             struct ferr *err) WARN_UNUSED;
int store_webhook_delivery_get(struct store *s, int64_t id, struct webhook_delivery *out,
                               struct ferr *err) WARN_UNUSED;

/* ---------- the backend contract (see store/backend.h) ---------- */

/* The front validates, makes ids and times (ms, the server's clock) and
 * turns page tokens into offsets; backends store and read. Lists arrive
 * zeroed; *more is set to 1 when rows exist past offset + max. */
struct store_webhook_ops {
    /* w complete (id, timestamps); RESOURCE_ALREADY_EXISTS on a duplicate id. */
    int (*create)(struct store *s, const struct webhook *w, struct ferr *err);
    /* RESOURCE_DOES_NOT_EXIST "Webhook with ID x not found." */
    int (*get)(struct store *s, const char *id, struct webhook *out, struct ferr *err);
    /* Newest first (creation_timestamp desc, id desc). */
    int (*list)(struct store *s, int64_t offset, int64_t max, struct webhook_list *out, int *more,
                struct ferr *err);
    /* Rewrites every field of the row w->id (not creation_timestamp) when its
     * last_updated_timestamp is still expect_updated (compare-and-set:
     * INVALID_STATE when another update came between); not found as get. */
    int (*update)(struct store *s, const struct webhook *w, int64_t expect_updated,
                  struct ferr *err);
    int (*remove)(struct store *s, const char *id, struct ferr *err);
    /* INSERT unless (webhook_id, event_id) exists; state pending, attempt 0,
     * next_attempt_ms = created_ms = updated_ms = now_ms. */
    int (*enqueue)(struct store *s, const char *webhook_id, int64_t event_id, const char *event,
                   const char *payload, int64_t now_ms, int *inserted, struct ferr *err);
    int (*due)(struct store *s, int64_t now_ms, size_t max, struct webhook_delivery_list *out,
               struct ferr *err);
    /* UPDATE ... WHERE id AND state = pending AND attempt = prev_attempt;
     * no row: INVALID_STATE (RESOURCE_DOES_NOT_EXIST when the id is unknown). */
    int (*attempt)(struct store *s, int64_t id, int64_t prev_attempt, const char *state,
                   int64_t next_attempt_ms, int64_t http_status, const char *error, int64_t now_ms,
                   struct ferr *err);
    /* webhook_id NULL: all. Newest first (id desc). */
    int (*deliveries)(struct store *s, const char *webhook_id, int64_t offset, int64_t max,
                      struct webhook_delivery_list *out, int *more, struct ferr *err);
    int (*delivery_get)(struct store *s, int64_t id, struct webhook_delivery *out,
                        struct ferr *err);
};

/* For backends: the events column's text (a JSON array of "entity.action")
 * and back into w->events (INTERNAL_ERROR when the text is not one). */
char *webhook_events_text(const struct webhook *w);
int webhook_events_from_text(const char *text, struct webhook *w, struct ferr *err);

/* The backends' tables, sqlite_webhooks and pg_webhooks, are declared in
 * store/sqlite/sqlite_int.h and store/postgres/pg_int.h (installed in
 * struct store's `webhooks` member by sqlite.c / postgres.c). */

#endif
