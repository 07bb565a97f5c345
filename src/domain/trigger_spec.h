/* SPDX-License-Identifier: MIT
 * A trigger's spec (issue 21): what starts a pipeline run by itself. YAML
 * or JSON; unknown keys are refused everywhere, naming their path.
 *
 *   name         [A-Za-z0-9_][A-Za-z0-9_.-]*, at most 128 bytes
 *   description  optional string
 *   enabled      optional bool, default true
 *   on           exactly one of
 *     schedule: "CRON"                       (domain/cron.h; UTC; one no date
 *                                             meets, "0 0 30 2 *", is refused)
 *     alert:    {monitor: M, condition: drift|decay|quality|any}  (default any)
 *     dataset:  {name: D, alias: A}          (alias optional)
 *     registry: {model: M, event: version_created|stage_changed|alias_moved,
 *                alias: A   (only with alias_moved; optional),
 *                stage: S   (only with stage_changed; optional; None|Staging|
 *                            Production|Archived, any case, kept canonical)}
 *   pipeline     {uri: U (required), version, name, experiment: optional strings};
 *                U is "scheme://..." (git+https://...#path) or an absolute
 *                local path (a relative one is refused: make it absolute
 *                before applying)
 *   params       {K: TEMPLATE}: K is [A-Za-z0-9_][A-Za-z0-9_-]*, <= 128 (a
 *                pipeline param's name: no dots, so "event.X" never is one)
 *   concurrency  skip | queue | replace (default skip)
 * Names (monitor, dataset, model, alias, pipeline version/name/experiment)
 * are 1..1024 bytes without control characters; the description up to
 * 4096 and may hold newlines and tabs; the uri up to 4096.
 *
 * TEMPLATES: text with {event.X} or {trigger.name}; `{{` and `}}` are
 * literal braces. X must be one of the kind's event fields (below), else
 * the spec is refused: "trigger spec: 'params.data': unknown field
 * '{event.dataset_url}' for a dataset trigger". Scalars (numbers, booleans)
 * are taken as their text.
 *
 * EVENT FIELDS (the event.X map; every value a string):
 *   every kind  id (the stream id; "" for schedule and manual), kind,
 *               time_ms, time (ISO 8601 UTC, "2026-12-03T20:24:00Z")
 *   schedule    scheduled_time, scheduled_time_ms
 *   alert       alert_id, monitor, deployment, condition, severity
 *   dataset     dataset, dataset_version, dataset_uri (data:/NAME/V), alias
 *   registry    model, model_version, model_uri (models:/NAME/V), alias,
 *               stage, action
 *
 * MATCHING (trigger_event_matches), from the events stream's kinds:
 *   alert     alert.opened whose subject (the monitor) is the spec's monitor
 *             and whose condition's first ':' field is the spec's condition
 *             (any: every condition)
 *   dataset   without alias: dataset.version_created of that name; with
 *             alias: dataset.alias_set of that name and alias
 *   registry  version_created <- registry.create_version, stage_changed <-
 *             registry.transition (stage: the new stage in the detail,
 *             "Staging -> Production"), alias_moved <- registry.set_alias
 *             (alias: the alias in the detail, "@champion: 3 -> 4")
 *   schedule  never (the scheduler fires it from the cron)
 *
 * Ownership: the struct owns its strings; trigger_spec_release frees them.
 * A parsed spec is read-only, usable from any thread. */
#ifndef FERRY_DOMAIN_TRIGGER_SPEC_H
#define FERRY_DOMAIN_TRIGGER_SPEC_H

#include "base/ferr.h"
#include "domain/cron.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define TRIGGER_NAME_MAX       128
#define TRIGGER_SPEC_MAX_BYTES (1024 * 1024) /* a trigger.yaml */

enum trigger_kind { TRIGGER_SCHEDULE, TRIGGER_ALERT, TRIGGER_DATASET, TRIGGER_REGISTRY };
enum trigger_concurrency { TRIGGER_SKIP, TRIGGER_QUEUE, TRIGGER_REPLACE };
enum trigger_condition {
    TRIGGER_COND_ANY,
    TRIGGER_COND_DRIFT,
    TRIGGER_COND_DECAY,
    TRIGGER_COND_QUALITY
};
enum trigger_registry_event {
    TRIGGER_REG_VERSION_CREATED,
    TRIGGER_REG_STAGE_CHANGED,
    TRIGGER_REG_ALIAS_MOVED
};

struct trigger_param {
    char *name;
    char *value; /* the template as written */
};

struct trigger_spec {
    char *name;
    char *description; /* NULL: none */
    int enabled;       /* 1 (default) or 0 */
    enum trigger_kind kind;
    /* schedule */
    char *schedule; /* the cron text as written */
    struct cron cron;
    /* alert */
    char *monitor;
    enum trigger_condition condition;
    /* dataset */
    char *dataset;
    /* registry */
    char *model;
    enum trigger_registry_event reg_event;
    char *stage; /* canonical ("Production"), NULL: any */
    /* dataset and registry (alias_moved): NULL: any */
    char *alias;
    /* pipeline */
    char *pipeline_uri;
    char *pipeline_version;       /* NULL: none */
    char *pipeline_name;          /* NULL: none */
    char *pipeline_experiment;    /* NULL: none */
    struct trigger_param *params; /* in the spec's order */
    size_t nparams;
    enum trigger_concurrency concurrency;
};

/* Parses a YAML or JSON document (text[0..n), need not end in NUL) into
 * out. 0, or -1 with INVALID_PARAMETER_VALUE and a message starting
 * "trigger spec: "; out is set only on success. */
int trigger_spec_parse(const char *text, size_t n, struct trigger_spec *out,
                       struct ferr *err) WARN_UNUSED;
/* The same from a JSON value (the REST `spec` object, or the store's
 * canonical JSON). doc is not changed. */
int trigger_spec_from_json(json_t *doc, struct trigger_spec *out, struct ferr *err) WARN_UNUSED;
/* Accepts NULL and a zeroed struct; leaves t zeroed. */
void trigger_spec_release(struct trigger_spec *t);

/* The canonical JSON (a new reference; what the store keeps): {"name",
 * "description"?, "enabled", "on": {KIND: ...}, "pipeline": {"uri",
 * "version"?, "name"?, "experiment"?}, "params": {K: "template"},
 * "concurrency"}; optional members only when set, alert's condition and
 * registry's event always. trigger_spec_from_json reads it back to an
 * equal spec. */
json_t *trigger_spec_json(const struct trigger_spec *t);

/* The experiment a firing's pipeline run logs to: pipeline.experiment,
 * else pipeline.name, else the trigger's name. The permission checks of the
 * trigger's rows and the runs' launch both use it, so whoever may change a
 * trigger is who may run in that experiment. */
const char *trigger_spec_experiment(const struct trigger_spec *t);

/* "schedule", "alert", "dataset", "registry" (the store's kind column). */
const char *trigger_kind_name(enum trigger_kind k);
/* "skip", "queue", "replace". */
const char *trigger_concurrency_name(enum trigger_concurrency c);
/* "any", "drift", "decay", "quality". */
const char *trigger_condition_name(enum trigger_condition c);
/* "version_created", "stage_changed", "alias_moved". */
const char *trigger_reg_event_name(enum trigger_registry_event e);
/* 1 when s is a valid trigger name ([A-Za-z0-9_][A-Za-z0-9_.-]*, <= 128). */
int trigger_name_ok(const char *s);
/* 1 when a pipeline URI names a local path (no "scheme://" before its
 * first '/'): the CLI makes such a path absolute before applying. */
int trigger_uri_is_local(const char *uri);

/* 1 when the stream event (kind, e.g. "dataset.version_created"; payload
 * its JSON object, may be NULL; subject) fires t, else 0. Ignores
 * t->enabled (the caller's decision). */
int trigger_event_matches(const struct trigger_spec *t, const char *kind, json_t *payload,
                          const char *subject);

/* The event.X map (a new object, keys without "event.", values strings)
 * of a stream event: the common fields and, by the stream kind's family
 * (alert.*, dataset.*, registry.*), that family's fields taken from the
 * payload ("" when absent; the subject stands in for a missing name:
 * monitor, dataset, model). Other kinds (deployment.*, trigger.*) give the
 * common fields only; kind, subject and payload may be NULL. */
json_t *trigger_event_fields(const char *kind, int64_t id, int64_t time_ms, const char *subject,
                             json_t *payload);
/* The event.X map of a schedule firing: kind "schedule", id "", time the
 * firing's time (now_ms), scheduled_time(_ms) the cron time. */
json_t *trigger_schedule_fields(int64_t scheduled_ms, int64_t now_ms);

/* A manual firing (`ferry triggers fire NAME -P k=v`): given is {k: v}
 * (strings; may be NULL). Keys "event.X" set X, which must be one of t's
 * kind's fields ("" for the kind's fields not given; kind "manual", id "",
 * time now_ms); every other key overrides (or adds) a param after
 * rendering. 0 with *fields_out and *params_out (new references), or -1
 * with INVALID_PARAMETER_VALUE ("unknown event field 'event.x' for a
 * dataset trigger"). */
int trigger_manual_firing(const struct trigger_spec *t, int64_t now_ms, json_t *given,
                          json_t **fields_out, json_t **params_out, struct ferr *err) WARN_UNUSED;

/* Renders every param of t with fields (an event.X map as above):
 * *params_out is a new object {K: "rendered"}. A field the map lacks is an
 * error: -1 with INVALID_PARAMETER_VALUE "param 'data': the event has no
 * field 'dataset_uri'". */
int trigger_render_params(const struct trigger_spec *t, json_t *fields, json_t **params_out,
                          struct ferr *err) WARN_UNUSED;

#endif
