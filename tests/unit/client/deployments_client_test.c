/* SPDX-License-Identifier: MIT
 * Deployments through the client: over the embedded transport, the rows
 * on a store (apply, act, status, stats, events); over REST, the shapes a
 * server answers decode, and a thread's lease fence travels as
 * X-Ferry-Lease-* headers. */
#include "../test.h"
#include "fake_http.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "client/client.h"
#include "client/client_deployments.h"
#include "client/client_leases.h"
#include "client/client_registry.h"
#include "domain/latency_hist.h"
#include "store/leases.h"

#include <math.h>
#include <string.h>

static struct client *open_embedded(const char *name)
{
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri(name);
    ASSERT_OK(client_open(uri, &c, &err), &err);
    free(uri);
    return c;
}

static void reg(struct client *c, struct reg_write w)
{
    struct ferr err = FERR_INIT;
    if (w.action == REG_CREATE_VERSION)
        w.source = "s3://bucket/model";
    ASSERT_OK(client_registry_write(c, &w, &err), &err);
}

STORE_TEST(client_deployments_embedded)
{
    struct client *c = open_embedded("client_deploy");
    struct ferr err = FERR_INIT, alias = FERR_INIT;
    struct deployment d;
    int changed = -1;
    reg(c, (struct reg_write){.action = REG_CREATE_MODEL, .name = "cfraud"});
    reg(c, (struct reg_write){.action = REG_CREATE_VERSION, .name = "cfraud"});
    reg(c, (struct reg_write){.action = REG_CREATE_VERSION, .name = "cfraud"});
    static const char yaml[] = "name: cfraud\n"
                               "targets:\n"
                               "  - {model: \"models:/cfraud/1\", weight: 90}\n"
                               "  - {model: \"models:/cfraud/2\"}\n"
                               "rollout: {steps: [10, 100], interval: 1s}\n"
                               "promote_alias: champion\n";
    ASSERT_OK(client_deployment_apply_yaml(c, yaml, 0, &d, &changed, &err), &err);
    ASSERT_INT_EQ(changed, 1);
    ASSERT_INT_EQ(d.revision, 1);
    ASSERT_INT_EQ(d.status.weights[1], 10);
    json_t *spec = deployment_spec_to_json(&d.spec);
    deployment_release(&d);
    ASSERT_OK(client_deployment_apply(c, spec, 1, &d, &changed, &err), &err);
    ASSERT_INT_EQ(changed, 0);
    deployment_release(&d);
    ASSERT_FAILS(client_deployment_apply(c, spec, 7, &d, &changed, &err), &err,
                 FERR_INVALID_STATE);
    json_decref(spec);

    /* gateway figures in, status out */
    struct latency_hist h;
    struct sbuf text = SBUF_INIT;
    latency_hist_init(&h);
    latency_hist_add(&h, 2000);
    latency_hist_encode(&h, &text);
    int64_t now = ftime_now_ms() / 1000 * 1000;
    char dep[] = "cfraud", gw[] = "gw", t1[] = "cfraud/1", t2[] = "cfraud/2";
    struct deploy_stats rows[2] = {{dep, 1, gw, t1, now, 1, 0, 0, text.buf},
                                   {dep, 1, gw, t2, now, 1, 1, 0, text.buf}};
    ASSERT_OK(client_deploy_stats_report(c, rows, 2, &err), &err);
    sbuf_release(&text);
    struct deploy_stats_list sl;
    ASSERT_OK(client_deploy_stats_read(c, "cfraud", 1, now - 1000, &sl, &err), &err);
    ASSERT_INT_EQ(sl.n, 2);
    deploy_stats_list_release(&sl);
    struct target_figures_list f;
    ASSERT_OK(client_deployment_status(c, "cfraud", 60000, &d, &f, &err), &err);
    ASSERT_INT_EQ(f.n, 2);
    ASSERT_STR_EQ(f.v[1].target, "cfraud/2");
    ASSERT_INT_EQ(f.v[1].errors, 1);
    ASSERT(f.v[1].p99_ms > 1.5 && f.v[1].p99_ms < 2.5);
    target_figures_list_release(&f);
    deployment_release(&d);

    /* actions; a stale expected change is refused */
    ASSERT_FAILS(client_deployment_act(c, "cfraud", DEPLOY_ACT_PAUSE, 99, "x", &d, NULL, &err),
                 &err, FERR_INVALID_STATE);
    ASSERT_OK(client_deployment_act(c, "cfraud", DEPLOY_ACT_PROMOTE, -1, "good", &d, &alias, &err),
              &err);
    ASSERT_INT_EQ(alias.code, FERR_OK);
    ASSERT_INT_EQ(d.spec.ntargets, 1);
    deployment_release(&d);
    struct deployment_change_list hl;
    ASSERT_OK(client_deployment_history(c, "cfraud", &hl, &err), &err);
    ASSERT_INT_EQ(hl.n, 2);
    ASSERT_STR_EQ(hl.v[1].action, "promote");
    ASSERT_STR_EQ(hl.v[1].reason, "good");
    deployment_change_list_release(&hl);
    struct store_event_list el;
    const char *kinds[] = {"deployment.promote"};
    ASSERT_OK(client_events_search(c, 0, kinds, 1, 10, &el, &err), &err);
    ASSERT_INT_EQ(el.n, 1);
    ASSERT_STR_EQ(el.v[0].subject, "cfraud");
    store_event_list_release(&el);
    struct deployment_list dl;
    ASSERT_OK(client_deployment_list(c, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 1);
    deployment_list_release(&dl);
    ASSERT_OK(client_deployment_delete(c, "cfraud", &err), &err);
    ASSERT_FAILS(client_deployment_get(c, "cfraud", &d, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);

    /* leases through the client */
    struct lease l;
    ASSERT_OK(client_lease_acquire(c, "ctl", "me", 60000, &l, &err), &err);
    ASSERT_INT_EQ(l.epoch, 1);
    lease_release(&l);
    ASSERT_OK(client_lease_renew(c, "ctl", "me", 1, 60000, &l, &err), &err);
    lease_release(&l);
    ASSERT_OK(client_lease_release(c, "ctl", "me", 1, &err), &err);
    client_close(c);
}

TEST(client_rest_sends_the_lease_fence)
{
    static const struct fake_response script[] = {{200, NULL, "{}"}};
    struct fake_http f;
    struct ferr err = FERR_INIT;
    char url[128], last[16384];
    struct client *c = NULL;
    fake_http_start(&f, script, 1);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    ASSERT_OK(client_deployment_delete(c, "x", &err), &err);
    fake_http_last(&f, last, sizeof(last));
    ASSERT(strstr(last, "X-Ferry-Lease") == NULL);
    struct lease_fence fence = {"rollout/x", "gw-1", 7};
    ASSERT_OK(store_fence_set(&fence, &err), &err);
    ASSERT_OK(client_deployment_delete(c, "x", &err), &err);
    store_fence_clear();
    fake_http_last(&f, last, sizeof(last));
    ASSERT_CONTAINS(last, "X-Ferry-Lease-Name: rollout/x\r\n");
    ASSERT_CONTAINS(last, "X-Ferry-Lease-Holder: gw-1\r\n");
    ASSERT_CONTAINS(last, "X-Ferry-Lease-Epoch: 7\r\n");
    ASSERT_CONTAINS(last, "POST /api/2.0/ferry/deployments/delete");
    ASSERT_CONTAINS(last, "Content-Type: application/json");
    /* and not on the next one */
    ASSERT_OK(client_deployment_delete(c, "x", &err), &err);
    fake_http_last(&f, last, sizeof(last));
    ASSERT(strstr(last, "X-Ferry-Lease") == NULL);
    client_close(c);
    fake_http_stop(&f);
}

TEST(client_rest_decodes_status_and_alias_errors)
{
    static const char dep[] =
        "{\"name\":\"fraud\",\"revision\":2,\"change\":5,\"created_ms\":1,\"updated_ms\":2,"
        "\"created_by\":\"a\",\"updated_by\":\"b\","
        "\"spec\":{\"name\":\"fraud\",\"targets\":[{\"model\":\"models:/fraud/1\",\"name\":"
        "\"fraud\",\"version\":1,\"weight\":100}]},"
        "\"status\":{\"phase\":\"STABLE\",\"step\":-1,\"weights\":[100]}}";
    static char status_body[2048], act_body[2048];
    snprintf(status_body, sizeof(status_body),
             "{\"deployment\":%s,\"targets\":[{\"target\":\"fraud/1\",\"shadow\":false,"
             "\"weight\":100,\"requests\":10,\"errors\":1,\"client_errors\":0,\"error_rate\":0.1,"
             "\"p50_ms\":null,\"p99_ms\":12.5,\"rps\":0.5}]}",
             dep);
    snprintf(act_body, sizeof(act_body), "{\"deployment\":%s,\"alias_error\":\"no such alias\"}",
             dep);
    const struct fake_response script[] = {{200, NULL, status_body}, {200, NULL, act_body}};
    struct fake_http f;
    struct ferr err = FERR_INIT, alias = FERR_INIT;
    char url[128];
    struct client *c = NULL;
    struct deployment d;
    struct target_figures_list tf;
    fake_http_start(&f, script, 2);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    ASSERT_OK(client_deployment_status(c, "fraud", 60000, &d, &tf, &err), &err);
    ASSERT_INT_EQ(d.revision, 2);
    ASSERT_STR_EQ(d.updated_by, "b");
    ASSERT_INT_EQ(tf.n, 1);
    ASSERT(isnan(tf.v[0].p50_ms));
    ASSERT(tf.v[0].p99_ms == 12.5);
    target_figures_list_release(&tf);
    deployment_release(&d);
    ASSERT_OK(client_deployment_act(c, "fraud", DEPLOY_ACT_PROMOTE, 5, NULL, &d, &alias, &err),
              &err);
    ASSERT_CONTAINS(alias.msg, "no such alias");
    deployment_release(&d);
    client_close(c);
    fake_http_stop(&f);
}
