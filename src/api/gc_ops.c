/* SPDX-License-Identifier: MIT
 * POST /api/2.0/ferry/gc: {"older_than_ms", "run_ids", "dry_run"} ->
 * {"items": [{"kind", "id", "location", "outcome", "artifacts", "error"}],
 *  "runs", "experiments", "uploads", "failures"}. It purges for good, so
 * it is for admins only (ACCESS_ADMIN). */
#include "api/gc_ops.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "store/monitors.h"
#include "store/predictions.h"

#include <string.h>

#include "base/banned.h"

static const char *const outcomes[] = {"would_purge", "purged", "failed"};

static json_t *item_to_json(const void *v)
{
    const struct collect_item *it = v;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "kind", it->is_experiment ? "experiment" : "run",
                          "id", it->id, "location", it->location, "outcome", outcomes[it->outcome]);
    if (o && it->artifacts)
        json_object_set_new(o, "artifacts", json_string(it->artifacts));
    if (o && it->error)
        json_object_set_new(o, "error", json_string(it->error));
    return o;
}

static char *dup_str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? xstrdup(s) : NULL;
}

static int item_from_json(json_t *j, void *out, struct ferr *err)
{
    struct collect_item *it = out;
    const char *kind = json_string_value(json_object_get(j, "kind"));
    const char *outcome = json_string_value(json_object_get(j, "outcome"));
    memset(it, 0, sizeof(*it));
    it->outcome = COLLECT_FAILED;
    for (size_t i = 0; outcome && i < sizeof(outcomes) / sizeof(*outcomes); i++)
        if (!strcmp(outcome, outcomes[i]))
            it->outcome = (enum collect_outcome)i;
    it->id = dup_str(j, "id");
    if (!kind || !it->id)
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed gc item");
    it->is_experiment = !strcmp(kind, "experiment");
    it->location = dup_str(j, "location");
    it->artifacts = dup_str(j, "artifacts");
    it->error = dup_str(j, "error");
    if (!it->location)
        it->location = xstrdup("");
    return 0;
}

static void item_release(void *v)
{
    struct collect_item *it = v;
    free(it->id);
    free(it->location);
    free(it->artifacts);
    free(it->error);
}

static const struct api_type item_type = {
    "gc_item", sizeof(struct collect_item), item_to_json, item_from_json, item_release, NULL};

static const struct api_field gc_fields[] = {
    F_INT(struct rq_gc, older_than_ms, "older_than_ms", AF_OMIT_EMPTY, 0),
    F_STRS(struct rq_gc, run_ids, nrun_ids, "run_ids", AF_OMIT_EMPTY),
    F_BOOL(struct rq_gc, dry_run, "dry_run", 0),
};
static const struct api_msg gc_req = API_MSG(struct rq_gc, gc_fields);
static const struct api_field report_fields[] = {
    F_LIST(struct collect_report, v, n, alloc, "items", 0, &item_type),
    F_INT(struct collect_report, runs, "runs", 0, 0),
    F_INT(struct collect_report, experiments, "experiments", 0, 0),
    F_INT(struct collect_report, uploads, "uploads", 0, 0),
    F_INT(struct collect_report, failures, "failures", 0, 0),
    F_INT(struct collect_report, log_partitions, "log_partitions", 0, 0),
};
static const struct api_msg report_resp = API_MSG(struct collect_report, report_fields);

static int x_gc(const struct api_env *env, const struct api_op *op, void *req, void *resp,
                struct ferr *err)
{
    (void)op;
    struct rq_gc *q = req;
    if (q->older_than_ms < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "older_than_ms must not be negative, got %lld",
                        (long long)q->older_than_ms);
    struct collect_opts o = {ftime_now_ms() - q->older_than_ms, q->run_ids, q->nrun_ids, q->dry_run,
                             env->roots};
    struct collect_report *r = resp;
    if (store_collect(env->store, env->artifacts, &o, r, err))
        return -1;
    /* a full collection also drops the prediction log's expired days and
     * monitors' reports past their retention */
    r->log_partitions = -1;
    if (!q->dry_run && !q->nrun_ids &&
        (store_predictions_gc(env->store, ftime_now_ms(), &r->log_partitions, err) ||
         store_monitor_reports_gc(env->store, ftime_now_ms(), 0, NULL, err))) {
        collect_report_release(r);
        return -1;
    }
    return 0;
}

const struct api_op api_gc = {
    .name = "ferry/gc",
    .root = "/api/2.0/ferry",
    .path = "gc",
    .methods = HTTP_POST,
    .call = HTTP_POST,
    .max_body = API_BODY_SMALL,
    .req = &gc_req,
    .resp = &report_resp,
    .exec = x_gc,
    .res = {ACCESS_ADMIN, LOC_NONE, NULL},
};

static const struct api_op *const gc_ops[] = {&api_gc};
const struct api_area api_gc_area = {"gc", gc_ops, sizeof(gc_ops) / sizeof(*gc_ops)};
