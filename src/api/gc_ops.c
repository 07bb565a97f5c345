/* SPDX-License-Identifier: MIT
 * POST /api/2.0/ferry/gc: {"older_than_ms", "run_ids", "dry_run"} ->
 * {"items": [{"kind", "id", "location", "outcome", "artifacts", "error"}],
 *  "runs", "experiments", "uploads", "failures",
 *  "datasets": {"objects", "bytes", "loose_files", "packs_removed",
 *               "orphan_files", "orphan_bytes",
 *               "failures", "error"?, "skipped"?,
 *               "packs": [{"id", "dead_objects", "dead_bytes", "live_objects",
 *                          "live_bytes", "removed"}]}}.
 * It purges for good, so it is for admins only (ACCESS_ADMIN). */
#include "api/gc_ops.h"
#include "api/datasets_ops.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "store/datasets.h"
#include "store/monitors.h"
#include "store/predictions.h"

#include <stdio.h>
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
static json_t *data_to_json(const void *v)
{
    const struct data_collect_report *d = v;
    json_t *packs = json_array();
    for (size_t i = 0; i < d->npacks; i++) {
        const struct data_collect_pack *p = &d->packs[i];
        json_array_append_new(
            packs, json_pack("{s:s, s:I, s:I, s:I, s:I, s:b}", "id", p->id, "dead_objects",
                             (json_int_t)p->dead_objects, "dead_bytes", (json_int_t)p->dead_bytes,
                             "live_objects", (json_int_t)p->live_objects, "live_bytes",
                             (json_int_t)p->live_bytes, "removed", p->removed));
    }
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:o}", "objects", (json_int_t)d->objects,
                          "bytes", (json_int_t)d->bytes, "loose_files", (json_int_t)d->loose_files,
                          "packs_removed", (json_int_t)d->packs_removed, "failures",
                          (json_int_t)d->failures, "packs", packs);
    if (o) {
        json_object_set_new(o, "orphan_files", json_integer(d->orphan_files));
        json_object_set_new(o, "orphan_bytes", json_integer(d->orphan_bytes));
    }
    if (o && d->error)
        json_object_set_new(o, "error", json_string(d->error));
    if (o && d->skipped)
        json_object_set_new(o, "skipped", json_string(d->skipped));
    return o;
}

static int64_t int_of(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

static int data_from_json(json_t *j, void *out, struct ferr *err)
{
    struct data_collect_report *d = out;
    json_t *packs = json_object_get(j, "packs"), *p;
    size_t i;
    memset(d, 0, sizeof(*d));
    if (!json_is_object(j))
        return ferr_set(err, FERR_IO_ERROR, "the server sent a malformed gc report");
    d->objects = int_of(j, "objects");
    d->bytes = int_of(j, "bytes");
    d->loose_files = int_of(j, "loose_files");
    d->packs_removed = int_of(j, "packs_removed");
    d->orphan_files = int_of(j, "orphan_files");
    d->orphan_bytes = int_of(j, "orphan_bytes");
    d->failures = int_of(j, "failures");
    d->error = dup_str(j, "error");
    /* "skipped" is a static string on the server's side: kept only as a flag here */
    if (json_object_get(j, "skipped"))
        d->skipped = "the server has no data root";
    d->npacks = d->apacks = json_array_size(packs);
    d->packs = d->npacks ? xcalloc(d->npacks, sizeof(*d->packs)) : NULL;
    json_array_foreach(packs, i, p)
    {
        struct data_collect_pack *x = &d->packs[i];
        const char *id = json_string_value(json_object_get(p, "id"));
        snprintf(x->id, sizeof(x->id), "%s", id ? id : "");
        x->dead_objects = int_of(p, "dead_objects");
        x->dead_bytes = int_of(p, "dead_bytes");
        x->live_objects = int_of(p, "live_objects");
        x->live_bytes = int_of(p, "live_bytes");
        x->removed = json_is_true(json_object_get(p, "removed"));
    }
    return 0;
}

static void data_release(void *v)
{
    data_collect_report_release(v);
}

static const struct api_type data_type = {"gc_datasets", sizeof(struct data_collect_report),
                                          data_to_json,  data_from_json,
                                          data_release,  NULL};

static const struct api_field report_fields[] = {
    F_LIST(struct rs_gc, report.v, report.n, report.alloc, "items", 0, &item_type),
    F_INT(struct rs_gc, report.runs, "runs", 0, 0),
    F_INT(struct rs_gc, report.experiments, "experiments", 0, 0),
    F_INT(struct rs_gc, report.uploads, "uploads", 0, 0),
    F_INT(struct rs_gc, report.failures, "failures", 0, 0),
    F_INT(struct rs_gc, report.log_partitions, "log_partitions", 0, 0),
    F_OBJ(struct rs_gc, datasets, "datasets", 0, &data_type),
};
static const struct api_msg report_resp = API_MSG(struct rs_gc, report_fields);

void rs_gc_release(struct rs_gc *r)
{
    collect_report_release(&r->report);
    data_collect_report_release(&r->datasets);
}

int64_t api_gc_data_cutoff(int64_t now_ms, int64_t older_than_ms)
{
    return now_ms - (older_than_ms > DATA_GC_MIN_AGE_MS ? older_than_ms : DATA_GC_MIN_AGE_MS);
}

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
    struct rs_gc *g = resp;
    struct collect_report *r = &g->report;
    const struct api_data_root *root = api_datasets_root();
    if (store_collect(env->store, env->artifacts, &o, r, err))
        return -1;
    /* a full collection also drops the prediction log's expired days and
     * monitors' reports past their retention, and unreferenced dataset
     * objects */
    r->log_partitions = -1;
    if (!q->nrun_ids && store_data_collect(env->store, root ? root->repo : NULL,
                                           api_gc_data_cutoff(ftime_now_ms(), q->older_than_ms),
                                           q->dry_run, &g->datasets, err)) {
        rs_gc_release(g);
        return -1;
    }
    if (!q->dry_run && !q->nrun_ids &&
        (store_predictions_gc(env->store, ftime_now_ms(), &r->log_partitions, err) ||
         store_monitor_reports_gc(env->store, ftime_now_ms(), 0, NULL, err))) {
        rs_gc_release(g);
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
