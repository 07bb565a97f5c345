/* SPDX-License-Identifier: MIT
 * ferry/register: the candidate as a registered model version, tagged with
 * where it came from (its run, the pipeline run, the data, the gate's
 * verdict); refused when the verdict it is given says failed. */
#include "pipelines/builtin_register.h"
#include "pipelines/builtin_util.h"
#include "base/sbuf.h"
#include "client/client.h"
#include "client/client_registry.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* with.data: a URI or a list of them, joined by ", " */
static int data_uris(json_t *v, struct sbuf *out, struct ferr *err)
{
    size_t i;
    json_t *x;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        sbuf_addstr(out, json_string_value(v));
        return 0;
    }
    if (!json_is_array(v))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "with.data must be a data URI or a list of them");
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.data[%zu] must be a string",
                            i);
        sbuf_addf(out, "%s%s", i ? ", " : "", json_string_value(x));
    }
    return 0;
}

int builtin_register(struct builtin_ctx *ctx, struct ferr *err)
{
    const char *model = builtin_str(ctx->with, "model"), *name = builtin_str(ctx->with, "name"),
               *alias = builtin_str(ctx->with, "alias");
    json_t *verdict = NULL, *vv = json_object_get(ctx->with, "verdict"),
           *tags_in = json_object_get(ctx->with, "tags"), *x;
    struct kv_list tags = {0};
    struct sbuf data = SBUF_INIT, reasons = SBUF_INIT;
    char run_id[64] = "";
    const char *k;
    size_t i;
    int rc = 2;
    if (!model || !name) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.model and with.name must be strings");
        goto out;
    }
    if (model[0] == '/') {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "with.model is a local path (%.200s), removed when the pipeline ends: give "
                 "its URI, {steps.S.outputs.X.uri}",
                 model);
        goto out;
    }
    if (!ctx->c) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no tracking store (FERRY_TRACKING_URI)");
        goto out;
    }
    if (tags_in && !json_is_null(tags_in) && !json_is_object(tags_in)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "with.tags must be a mapping");
        goto out;
    }
    if (data_uris(json_object_get(ctx->with, "data"), &data, err))
        goto out;
    if (json_is_string(vv)) {
        if (!(verdict = builtin_read_json(json_string_value(vv), err)))
            goto out;
    } else if (json_is_object(vv)) {
        verdict = json_incref(vv);
    } else if (vv && !json_is_null(vv)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "with.verdict must be a gate's verdict ({steps.G.outputs.verdict})");
        goto out;
    }
    if (verdict) {
        json_t *p = json_object_get(verdict, "passed");
        if (!json_is_boolean(p)) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "with.verdict has no 'passed' (is it ferry/gate's verdict?)");
            goto out;
        }
        json_array_foreach(json_object_get(verdict, "reasons"), i, x) sbuf_addf(
            &reasons, "%s%s", i ? "; " : "", json_string_value(x) ? json_string_value(x) : "");
        if (!json_is_true(p)) {
            fprintf(stderr, "register: refused: the gate failed: %s\n",
                    reasons.buf ? reasons.buf : "");
            rc = 1;
            goto out;
        }
    }
    if (!strncmp(model, "runs:/", 6))
        snprintf(run_id, sizeof(run_id), "%.*s", (int)strcspn(model + 6, "/"), model + 6);
    json_object_foreach(tags_in, k, x)
    {
        char *t = json_is_string(x) ? NULL : json_dumps(x, JSON_ENCODE_ANY | JSON_COMPACT);
        kv_list_add(&tags, k, t ? t : json_string_value(x));
        free(t);
    }
    if (verdict) {
        kv_list_add(&tags, "ferry.gate.verdict", "passed");
        kv_list_add(&tags, "ferry.gate.reasons", reasons.len ? reasons.buf : "");
    }
    if (ctx->pipeline_run_id)
        kv_list_add(&tags, "ferry.pipeline.runId", ctx->pipeline_run_id);
    if (ctx->run_id)
        kv_list_add(&tags, "ferry.pipeline.registerRunId", ctx->run_id);
    if (data.len)
        kv_list_add(&tags, "ferry.data", data.buf);
    if (*run_id)
        kv_list_add(&tags, "mlflow.source.run", run_id);
    struct reg_write cm = {.action = REG_CREATE_MODEL, .name = name};
    if (client_registry_write(ctx->c, &cm, err) && err->code != FERR_RESOURCE_ALREADY_EXISTS)
        goto out;
    ferr_clear(err);
    struct reg_write cv = {.action = REG_CREATE_VERSION,
                           .name = name,
                           .source = model,
                           .run_id = *run_id ? run_id : NULL,
                           .tags = tags};
    if (client_registry_write(ctx->c, &cv, err))
        goto out;
    if (alias) {
        struct reg_write sa = {
            .action = REG_SET_ALIAS, .name = name, .alias = alias, .version = cv.created_version};
        if (client_registry_write(ctx->c, &sa, err))
            goto out;
    }
    char uri[600], ver[32];
    snprintf(uri, sizeof(uri), "models:/%s/%" PRId64, name, cv.created_version);
    snprintf(ver, sizeof(ver), "%" PRId64, cv.created_version);
    json_t *doc = json_pack("{s:s, s:s, s:s}", "name", name, "version", ver, "uri", uri);
    if (alias)
        json_object_set_new(doc, "alias", json_string(alias));
    if (builtin_write_json(ctx->out_dir, "registered.json", doc, err) == 0) {
        printf("registered %s version %s%s%s\n", name, ver, alias ? " as @" : "",
               alias ? alias : "");
        rc = 0;
    }
    json_decref(doc);
out:
    json_decref(verdict);
    kv_list_release(&tags);
    sbuf_release(&data);
    sbuf_release(&reasons);
    return rc;
}
