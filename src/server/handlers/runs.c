/* SPDX-License-Identifier: MIT
 * REST handlers for runs/create, get, update, delete, restore, search. */
#include "server/handlers/handlers.h"
#include "api/codec.h"
#include "base/json.h"
#include "domain/validate.h"

#include <stdio.h>
#include <stdlib.h>

#include "base/banned.h"

int h_runs_create(struct req *r)
{
    struct run_create rc = {NULL, NULL, NULL, TIME_NONE, {0}};
    struct kv_list tags;
    struct run run;
    if (fjson_get_str(r->in, "experiment_id", JSON_REQUIRED, &rc.experiment_id, &r->err) < 0 ||
        fjson_get_str(r->in, "user_id", JSON_OPTIONAL, &rc.user_id, &r->err) < 0 ||
        fjson_get_str(r->in, "run_name", JSON_OPTIONAL, &rc.run_name, &r->err) < 0 ||
        fjson_get_int64(r->in, "start_time", JSON_OPTIONAL, &rc.start_time, &r->err) < 0 ||
        codec_kv_list_from_json(json_object_get(r->in, "tags"), "tags", &tags, &r->err))
        return -1;
    rc.tags = tags;
    int ret = store_create_run(r->store, &rc, &run, &r->err);
    kv_list_release(&tags);
    if (ret)
        return -1;
    req_reply_json(r, json_pack("{s:o}", "run", codec_run_to_json(&run)));
    run_release(&run);
    return 0;
}

int h_runs_get(struct req *r)
{
    const char *id;
    struct run run;
    if (req_run_id(r, &id) || store_get_run(r->store, id, &run, &r->err))
        return -1;
    req_reply_json(r, json_pack("{s:o}", "run", codec_run_to_json(&run)));
    run_release(&run);
    return 0;
}

int h_runs_update(struct req *r)
{
    const char *id, *status = NULL, *name = NULL;
    int64_t end_time = TIME_NONE;
    enum run_status st = RUN_STATUS_NONE;
    struct run_info info;
    if (req_run_id(r, &id) || fjson_get_str(r->in, "status", JSON_OPTIONAL, &status, &r->err) < 0 ||
        fjson_get_int64(r->in, "end_time", JSON_OPTIONAL, &end_time, &r->err) < 0 ||
        fjson_get_str(r->in, "run_name", JSON_OPTIONAL, &name, &r->err) < 0)
        return -1;
    if (status && run_status_parse(status, &st))
        return ferr_set(&r->err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value '%.40s' for parameter 'status': expected RUNNING, "
                        "SCHEDULED, FINISHED, FAILED or KILLED",
                        status);
    if (store_update_run(r->store, id, st, end_time, name, &info, &r->err))
        return -1;
    req_reply_json(r, json_pack("{s:o}", "run_info", codec_run_info_to_json(&info)));
    run_info_release(&info);
    return 0;
}

int h_runs_delete(struct req *r)
{
    const char *id;
    if (req_run_id(r, &id) || store_delete_run(r->store, id, &r->err))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_runs_restore(struct req *r)
{
    const char *id;
    if (req_run_id(r, &id) || store_restore_run(r->store, id, &r->err))
        return -1;
    req_reply_empty(r);
    return 0;
}

int h_runs_search(struct req *r)
{
    struct run_search q = {NULL, 0, NULL, VIEW_ACTIVE_ONLY, DEFAULT_RESULTS_SEARCH_RUNS,
                           NULL, 0, NULL};
    struct run_list l;
    int rc = -1;
    if (req_str_array(r, "experiment_ids", &q.experiment_ids, &q.nexperiment_ids) ||
        req_str_array(r, "order_by", &q.order_by, &q.norder_by) ||
        fjson_get_str(r->in, "filter", JSON_OPTIONAL, &q.filter, &r->err) < 0 ||
        fjson_get_str(r->in, "page_token", JSON_OPTIONAL, &q.page_token, &r->err) < 0 ||
        fjson_get_int64(r->in, "max_results", JSON_OPTIONAL, &q.max_results, &r->err) < 0 ||
        req_view_type(r, "run_view_type", &q.view))
        goto out;
    if (store_search_runs(r->store, &q, &l, &r->err))
        goto out;
    json_t *doc = json_object();
    if (l.n) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, codec_run_to_json(&l.v[i]));
        json_object_set_new(doc, "runs", a);
    }
    if (l.next_page_token)
        json_object_set_new(doc, "next_page_token", json_string(l.next_page_token));
    run_list_release(&l);
    req_reply_json(r, doc);
    rc = 0;
out:
    free(q.experiment_ids);
    free(q.order_by);
    return rc;
}
