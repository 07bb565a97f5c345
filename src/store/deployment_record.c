/* SPDX-License-Identifier: MIT */
#include "store/deployment_record.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void deployment_release(struct deployment *d)
{
    if (!d)
        return;
    free(d->name);
    deployment_spec_release(&d->spec);
    deployment_status_release(&d->status);
    free(d->created_by);
    free(d->updated_by);
    memset(d, 0, sizeof(*d));
}

void deployment_list_release(struct deployment_list *l)
{
    for (size_t i = 0; l && i < l->n; i++)
        deployment_release(&l->v[i]);
    if (l) {
        free(l->v);
        memset(l, 0, sizeof(*l));
    }
}

void deployment_change_list_release(struct deployment_change_list *l)
{
    for (size_t i = 0; l && i < l->n; i++) {
        free(l->v[i].action);
        free(l->v[i].user_id);
        free(l->v[i].reason);
        free(l->v[i].spec_json);
        free(l->v[i].status_json);
    }
    if (l) {
        free(l->v);
        memset(l, 0, sizeof(*l));
    }
}

void store_event_list_release(struct store_event_list *l)
{
    for (size_t i = 0; l && i < l->n; i++) {
        free(l->v[i].kind);
        free(l->v[i].subject);
        free(l->v[i].user_id);
        free(l->v[i].payload);
    }
    if (l) {
        free(l->v);
        memset(l, 0, sizeof(*l));
    }
}

void deploy_stats_list_release(struct deploy_stats_list *l)
{
    for (size_t i = 0; l && i < l->n; i++) {
        free(l->v[i].deployment);
        free(l->v[i].gateway);
        free(l->v[i].target);
        free(l->v[i].hist);
    }
    if (l) {
        free(l->v);
        memset(l, 0, sizeof(*l));
    }
}

/* ---------- rows ---------- */

int deployment_from_row(const char *name, int64_t revision, int64_t change, const char *spec_json,
                        const char *status_json, int64_t created_ms, int64_t updated_ms,
                        const char *created_by, const char *updated_by, struct deployment *out,
                        struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    json_t *spec = json_loads(spec_json, 0, NULL), *status = json_loads(status_json, 0, NULL);
    int rc = 0;
    if (!spec || !status || deployment_spec_parse(spec, &out->spec, err) ||
        deployment_status_parse(status, out->spec.ntargets, &out->status, err)) {
        ferr_set(err, FERR_INTERNAL_ERROR, "deployment '%.100s': its stored record is malformed",
                 name);
        deployment_release(out);
        rc = -1;
    } else {
        out->name = xstrdup(name);
        out->revision = revision;
        out->change = change;
        out->created_ms = created_ms;
        out->updated_ms = updated_ms;
        out->created_by = xstrdup(created_by ? created_by : "");
        out->updated_by = xstrdup(updated_by ? updated_by : "");
    }
    json_decref(spec);
    json_decref(status);
    return rc;
}

static char *dump(json_t *j)
{
    char *t = fjson_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17));
    json_decref(j);
    return t;
}

char *deployment_spec_text(const struct deployment *d)
{
    return dump(deployment_spec_to_json(&d->spec));
}

char *deployment_status_text(const struct deployment *d)
{
    return dump(deployment_status_to_json(&d->status, d->spec.ntargets));
}

int deployment_copy(const struct deployment *from, struct deployment *to, struct ferr *err)
{
    char *spec = deployment_spec_text(from), *status = deployment_status_text(from);
    int rc = deployment_from_row(from->name, from->revision, from->change, spec, status,
                                 from->created_ms, from->updated_ms, from->created_by,
                                 from->updated_by, to, err);
    free(spec);
    free(status);
    return rc;
}

char *registry_event_payload(const char *model, int64_t version, const char *detail)
{
    json_t *p = json_pack("{s:s, s:s}", "model", model, "detail", detail ? detail : "");
    json_object_set_new(p, "version", version ? json_integer(version) : json_null());
    char *text = fjson_dumps(p, JSON_COMPACT);
    json_decref(p);
    return text;
}
