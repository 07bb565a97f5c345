/* SPDX-License-Identifier: MIT
 * The names of a trigger spec's values, the event fields of each kind and
 * the template walker: what parsing (trigger_spec.c) and rendering
 * (trigger_spec_event.c) share. */
#include "domain/trigger_spec.h"
#include "base/sbuf.h"
#include "domain/trigger_spec_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

#define WHAT "trigger spec"

const char *const trigger_kind_names[4] = {"schedule", "alert", "dataset", "registry"};
const char *const trigger_concurrency_names[3] = {"skip", "queue", "replace"};
const char *const trigger_condition_names[4] = {"any", "drift", "decay", "quality"};
const char *const trigger_reg_event_names[3] = {"version_created", "stage_changed", "alias_moved"};

const char *trigger_spec_experiment(const struct trigger_spec *t)
{
    return t->pipeline_experiment ? t->pipeline_experiment
           : t->pipeline_name     ? t->pipeline_name
                                  : t->name;
}

const char *trigger_kind_name(enum trigger_kind k)
{
    return (size_t)k < 4 ? trigger_kind_names[k] : "?";
}

const char *trigger_concurrency_name(enum trigger_concurrency c)
{
    return (size_t)c < 3 ? trigger_concurrency_names[c] : "?";
}

const char *trigger_condition_name(enum trigger_condition c)
{
    return (size_t)c < 4 ? trigger_condition_names[c] : "?";
}

const char *trigger_reg_event_name(enum trigger_registry_event e)
{
    return (size_t)e < 3 ? trigger_reg_event_names[e] : "?";
}

/* "trigger spec: " + the message. */
__attribute__((format(printf, 2, 3))) int trigger_bad(struct ferr *err, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, WHAT ": %s", msg);
}

/* [A-Za-z0-9_] then [A-Za-z0-9_] plus extra, at most max bytes. */
static int ident_ok(const char *s, const char *extra, size_t max)
{
    static const char word[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    size_t n = strlen(s), i = 0;
    if (n == 0 || n > max || !strchr(word, s[0]))
        return 0;
    for (i = 1; i < n; i++)
        if (!strchr(word, s[i]) && !strchr(extra, s[i]))
            return 0;
    return 1;
}

int trigger_name_ok(const char *s)
{
    return ident_ok(s, ".-", TRIGGER_NAME_MAX);
}

int trigger_param_name_ok(const char *s)
{
    return ident_ok(s, "-", TRIGGER_NAME_MAX);
}

/* ---------- the fields of each kind ---------- */

static const char *const common_fields[] = {"id", "kind", "time_ms", "time", NULL};
static const char *const schedule_fields[] = {"scheduled_time", "scheduled_time_ms", NULL};
static const char *const alert_fields[] = {"alert_id",  "monitor",  "deployment",
                                           "condition", "severity", NULL};
static const char *const dataset_fields[] = {"dataset", "dataset_version", "dataset_uri", "alias",
                                             NULL};
static const char *const registry_fields[] = {"model", "model_version", "model_uri", "alias",
                                              "stage", "action",        NULL};

const char *const *trigger_kind_fields(enum trigger_kind k)
{
    switch (k) {
    case TRIGGER_SCHEDULE:
        return schedule_fields;
    case TRIGGER_ALERT:
        return alert_fields;
    case TRIGGER_DATASET:
        return dataset_fields;
    case TRIGGER_REGISTRY:
        return registry_fields;
    }
    return common_fields + 4; /* the empty list */
}

int trigger_in_list(const char *const *list, const char *s, size_t n)
{
    for (size_t i = 0; list[i]; i++)
        if (strlen(list[i]) == n && !strncmp(list[i], s, n))
            return 1;
    return 0;
}

const char *trigger_article(enum trigger_kind k)
{
    return k == TRIGGER_ALERT ? "an" : "a";
}

/* "id, kind, time_ms, time, dataset, ..." */
void trigger_list_fields(enum trigger_kind k, struct sbuf *out)
{
    const char *const *lists[] = {common_fields, trigger_kind_fields(k)};
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; lists[l][i]; i++)
            sbuf_addf(out, "%s%s", out->len ? ", " : "", lists[l][i]);
}

/* ---------- templates ---------- */

/* Walks text: {{ and }} are literal braces (a lone '}' is literal too),
 * {REF} goes to fn. Literal text is appended to out. */
int trigger_template_walk(const char *text, trigger_ref_fn *fn, void *arg, struct sbuf *out,
                          const char *what, struct ferr *err)
{
    for (const char *p = text; *p; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            sbuf_addch(out, *p++);
            continue;
        }
        if (*p != '{') {
            sbuf_addch(out, *p);
            continue;
        }
        size_t len = strcspn(p + 1, "{}");
        if (p[1 + len] != '}')
            return trigger_bad(err, "'%s': unclosed '{' in '%.200s' (write {{ for a literal brace)",
                               what, text);
        if (fn(arg, p + 1, len, out, err))
            return -1;
        p += len + 1;
    }
    return 0;
}

struct check_arg {
    enum trigger_kind kind;
    const char *path;
};

static int check_ref(void *arg, const char *ref, size_t n, struct sbuf *out, struct ferr *err)
{
    const struct check_arg *a = arg;
    (void)out;
    if (n == strlen("trigger.name") && !strncmp(ref, "trigger.name", n))
        return 0;
    if (n > 6 && !strncmp(ref, "event.", 6)) {
        if (trigger_in_list(common_fields, ref + 6, n - 6) ||
            trigger_in_list(trigger_kind_fields(a->kind), ref + 6, n - 6))
            return 0;
        struct sbuf list = SBUF_INIT;
        trigger_list_fields(a->kind, &list);
        int rc = trigger_bad(err, "'%s': unknown field '{%.*s}' for %s %s trigger (its fields: %s)",
                             a->path, (int)(n < 100 ? n : 100), ref, trigger_article(a->kind),
                             trigger_kind_name(a->kind), list.buf);
        sbuf_release(&list);
        return rc;
    }
    return trigger_bad(err,
                       "'%s': unknown reference '{%.*s}': templates use {event.X} and "
                       "{trigger.name} (write {{ for a literal brace)",
                       a->path, (int)(n < 100 ? n : 100), ref);
}

int trigger_template_check(const char *text, enum trigger_kind kind, const char *path,
                           struct ferr *err)
{
    struct check_arg a = {kind, path};
    struct sbuf out = SBUF_INIT;
    int rc = trigger_template_walk(text, check_ref, &a, &out, path, err);
    sbuf_release(&out);
    return rc;
}
