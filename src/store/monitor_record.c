/* SPDX-License-Identifier: MIT
 * The monitors area's records (store/monitor_record.h): release, copy,
 * and the conversions the backends share. */
#include "store/monitor_record.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void monitor_release(struct monitor *m)
{
    if (!m)
        return;
    free(m->name);
    monitor_spec_release(&m->spec);
    free(m->created_by);
    free(m->applied_by);
    free(m->last_status);
    free(m->last_error);
    free(m->run_id);
    memset(m, 0, sizeof(*m));
}

int monitor_copy(const struct monitor *from, struct monitor *to)
{
    *to = *from;
    to->name = xstrdup(from->name);
    monitor_spec_copy(&from->spec, &to->spec);
    to->created_by = xstrdup(from->created_by ? from->created_by : "");
    to->applied_by = xstrdup(from->applied_by ? from->applied_by : "");
    to->last_status = xstrdup(from->last_status ? from->last_status : "");
    to->last_error = xstrdup(from->last_error ? from->last_error : "");
    to->run_id = xstrdup(from->run_id ? from->run_id : "");
    return 0;
}

void monitor_list_release(struct monitor_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        monitor_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void monitor_report_release(struct monitor_report *r)
{
    if (!r)
        return;
    free(r->monitor);
    free(r->figures);
    free(r->report);
    free(r->error);
    memset(r, 0, sizeof(*r));
}

void monitor_report_list_release(struct monitor_report_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        monitor_report_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void monitor_alert_release(struct monitor_alert *a)
{
    if (!a)
        return;
    free(a->monitor);
    free(a->deployment);
    free(a->condition);
    free(a->message);
    free(a->details);
    free(a->acked_by);
    free(a->resolved_by);
    memset(a, 0, sizeof(*a));
}

static char *dup_or_empty(const char *s)
{
    return xstrdup(s ? s : "");
}

int monitor_alert_copy(const struct monitor_alert *from, struct monitor_alert *to)
{
    *to = *from;
    to->monitor = dup_or_empty(from->monitor);
    to->deployment = dup_or_empty(from->deployment);
    to->condition = dup_or_empty(from->condition);
    to->message = dup_or_empty(from->message);
    to->details = xstrdup(from->details ? from->details : "{}");
    to->acked_by = dup_or_empty(from->acked_by);
    to->resolved_by = dup_or_empty(from->resolved_by);
    return 0;
}

void monitor_alert_list_release(struct monitor_alert_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        monitor_alert_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

const char *alert_change_kind_name(enum alert_change_kind k)
{
    static const char *const names[] = {"opened", "updated", "resolved"};
    return (size_t)k < sizeof(names) / sizeof(*names) ? names[k] : "unknown";
}

void alert_change_list_release(struct alert_change_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        monitor_alert_release(&l->v[i].alert);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

void alert_delivery_release(struct alert_delivery *d)
{
    if (!d)
        return;
    free(d->monitor);
    free(d->sink_kind);
    free(d->error);
    memset(d, 0, sizeof(*d));
}

void alert_delivery_list_release(struct alert_delivery_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        alert_delivery_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* ---------- for backends ---------- */

char *monitor_alert_event_payload(const struct monitor_alert *a)
{
    json_t *p =
        json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "alert_id", (json_int_t)a->id,
                  "monitor", a->monitor, "deployment", a->deployment, "condition", a->condition,
                  "severity", alert_severity_name(a->severity), "state", alert_state_name(a->state),
                  "message", a->message ? a->message : "", "window_start_ms",
                  (json_int_t)a->last_window_start_ms, "breach_count", (json_int_t)a->breach_count);
    char *s = fjson_dumps(p, JSON_COMPACT);
    json_decref(p);
    return s;
}

char *monitor_spec_text(const struct monitor *m)
{
    json_t *j = monitor_spec_to_json(&m->spec);
    char *s = fjson_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

int monitor_from_row(struct monitor *m, const char *spec_json, struct ferr *err)
{
    json_error_t jerr;
    json_t *j = json_loads(spec_json ? spec_json : "", 0, &jerr);
    if (!j)
        return ferr_set(err, FERR_INTERNAL_ERROR, "monitor '%.100s': its stored spec is not JSON",
                        m->name ? m->name : "");
    struct ferr perr = FERR_INIT;
    int rc = monitor_spec_parse(j, &m->spec, &perr);
    json_decref(j);
    if (rc)
        return ferr_set(err, FERR_INTERNAL_ERROR, "monitor '%.100s': its stored spec: %s",
                        m->name ? m->name : "", perr.msg);
    return 0;
}

void monitor_alert_deliveries(const struct monitor_spec *sinks, const struct monitor_alert *a,
                              int event, int64_t now_ms, struct alert_delivery_list *out)
{
    memset(out, 0, sizeof(*out));
    if (!sinks || event == DELIVER_NONE || !sinks->nsinks)
        return;
    out->v = xcalloc(sinks->nsinks, sizeof(*out->v));
    out->alloc = sinks->nsinks;
    for (size_t i = 0; i < sinks->nsinks; i++) {
        struct alert_delivery *d = &out->v[out->n++];
        d->alert_id = a->id;
        d->monitor = xstrdup(a->monitor);
        d->sink_index = (int)i;
        d->sink_kind = xstrdup(monitor_sink_kind_name(sinks->sinks[i].kind));
        d->event = (enum delivery_event)event;
        d->state = DELIVERY_PENDING;
        d->error = xstrdup("");
        d->created_ms = d->next_attempt_ms = now_ms;
    }
}
