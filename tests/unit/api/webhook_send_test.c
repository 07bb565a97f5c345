/* SPDX-License-Identifier: MIT
 * api/webhook_send, api/webhook_events and store/webhooks' names: MLflow's
 * signature and body against vectors computed independently, the delivery
 * id, event names in every form a client sends them, and the mapping of
 * the events stream's registry and deployment events into MLflow's
 * webhook events and payloads (on both backends). */
#include "../test.h"
#include "api/webhook_events.h"
#include "api/webhook_send.h"
#include "domain/registry.h"
#include "store/deployments.h"
#include "store/registry.h"
#include "store/store.h"
#include "store/webhooks.h"

#include <stdlib.h>
#include <string.h>

/* The vectors, from Python's own hmac/hashlib/base64 (not ferry's code):
 *   /usr/bin/python3 -c 'import hmac,hashlib,base64
 *   body=b"{\"entity\":\"model_version\",\"action\":\"created\"}"
 *   print("v1,"+base64.b64encode(hmac.new(b"s3cret", b"d1b2c3.1700000000."+body,
 *         hashlib.sha256).digest()).decode())'
 *   -> v1,s6hox95Y9MoFDoyVQI3UMMwp3blQI3dDNpJbj0srFPI=
 *   an empty key over "x.0.":
 *   -> v1,OjFea3zqE+MY/f3bFhq8BeFiiaAp2EEdXuCygJsotY0=
 * which is how MLflow's documented receiver checks it: HMAC-SHA256 keyed by
 * the secret over "<X-MLflow-Delivery-Id>.<X-MLflow-Timestamp>.<raw body>",
 * base64, after "v1,". */
TEST(webhook_signature_matches_an_independent_vector)
{
    static const char body[] = "{\"entity\":\"model_version\",\"action\":\"created\"}";
    char sig[WEBHOOK_SIGNATURE_MAX];
    ASSERT(!webhook_sign("s3cret", "d1b2c3", 1700000000, body, strlen(body), sig));
    ASSERT_STR_EQ(sig, "v1,s6hox95Y9MoFDoyVQI3UMMwp3blQI3dDNpJbj0srFPI=");
    ASSERT(!webhook_sign("", "x", 0, "", 0, sig));
    ASSERT_STR_EQ(sig, "v1,OjFea3zqE+MY/f3bFhq8BeFiiaAp2EEdXuCygJsotY0=");
    /* one byte of the body changed: another signature */
    ASSERT(!webhook_sign("s3cret", "d1b2c3", 1700000000, body, strlen(body) - 1, sig));
    ASSERT(strcmp(sig, "v1,s6hox95Y9MoFDoyVQI3UMMwp3blQI3dDNpJbj0srFPI="));
}

/* python3: h = bytearray(sha256(b"wh-1:42").digest()); h[6] = h[6]&0x0f|0x80;
 * h[8] = h[8]&0x3f|0x80; uuid.UUID(bytes=bytes(h[:16])) */
TEST(webhook_delivery_id_is_stable_per_webhook_and_event)
{
    char a[WEBHOOK_DELIVERY_ID_LEN + 1], b[WEBHOOK_DELIVERY_ID_LEN + 1];
    webhook_delivery_id("wh-1", 42, a);
    ASSERT_STR_EQ(a, "d99e51d4-39ee-84a8-b223-22164af98c30");
    webhook_delivery_id("wh-1", 43, b);
    ASSERT(strcmp(a, b));
    webhook_delivery_id("wh-2", 42, b);
    ASSERT(strcmp(a, b));
}

TEST(webhook_body_is_mlflows_envelope)
{
    json_t *data = json_pack("{s:s}", "name", "m");
    size_t n;
    char *body = webhook_body("model_version_alias.created", 1700000000123LL, data, &n);
    ASSERT_INT_EQ(n, strlen(body));
    json_t *doc = json_loads(body, 0, NULL);
    ASSERT(doc);
    ASSERT_STR_EQ(json_string_value(json_object_get(doc, "entity")), "model_version_alias");
    ASSERT_STR_EQ(json_string_value(json_object_get(doc, "action")), "created");
    ASSERT_STR_EQ(json_string_value(json_object_get(doc, "timestamp")),
                  "2023-11-14T22:13:20.123000+00:00");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(doc, "data"), "name")), "m");
    json_decref(doc);
    json_decref(data);
    free(body);
}

static char *parse_text(const char *json, struct ferr *err)
{
    json_t *j = json_loads(json, JSON_DECODE_ANY, NULL);
    ASSERT(j);
    char *ev = webhook_event_parse(j, err);
    json_decref(j);
    return ev;
}

TEST(webhook_events_in_every_form_and_the_bad_ones_refused)
{
    struct ferr err = FERR_INIT;
    static const struct {
        const char *in, *want;
    } ok[] = {
        {"{\"entity\": \"MODEL_VERSION\", \"action\": \"CREATED\"}", "model_version.created"},
        {"{\"entity\": \"model_version_alias\", \"action\": \"deleted\"}",
         "model_version_alias.deleted"},
        {"{\"entity\": 3, \"action\": 4}", "model_version_tag.set"},
        {"\"registered_model.created\"", "registered_model.created"},
        {"\"prompt_alias.created\"", "prompt_alias.created"},
        {"\"model_version.stage_changed\"", "model_version.stage_changed"},
        {"{\"entity\": \"DEPLOYMENT\", \"action\": \"ROLLED_BACK\"}", "deployment.rolled_back"},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        char *ev = parse_text(ok[i].in, &err);
        ASSERT_OK(ev ? 0 : -1, &err);
        ASSERT_STR_EQ(ev, ok[i].want);
        ASSERT(webhook_event_known(ev));
        free(ev);
    }
    static const char *const bad[] = {
        "{\"entity\": \"MODEL_VERSION\", \"action\": \"SET\"}", /* a pair MLflow refuses */
        "{\"entity\": \"REGISTERED_MODEL\", \"action\": \"DELETED\"}",
        "{\"entity\": \"EXPERIMENT\", \"action\": \"CREATED\"}",
        "{\"entity\": \"MODEL_VERSION\"}",
        "{\"entity\": 0, \"action\": 1}",
        "\"model_version\"",
        "\"model_version.created.x\"",
        "42",
        "null",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        char *ev = parse_text(bad[i], &err);
        ASSERT(!ev);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    }
    json_t *j = webhook_event_json("model_version_tag.deleted");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "entity")), "MODEL_VERSION_TAG");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "action")), "DELETED");
    json_decref(j);
    for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
        char *ev = parse_text(ok[i].in, &err);
        json_t *ex = webhook_example_data(ev);
        ASSERT(json_is_object(ex));
        json_decref(ex);
        free(ev);
    }
}

/* ---------- the stream into webhook events ---------- */

static struct store *open_store(const char *name)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri(name);
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

static void reg(struct store *s, struct reg_write w)
{
    struct ferr err = FERR_INIT;
    w.user = "u";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
}

struct mapped {
    char ev[WEBHOOK_EVENT_MAX];
    json_t *data;
};

/* Every stream event after `after`, mapped (unmapped ones: ev ""). */
static size_t map_all(struct store *s, int64_t after, struct mapped *out, size_t max)
{
    struct store_event_list l = {NULL, 0, 0};
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_events_search(s, after, webhook_stream_kinds, webhook_stream_nkinds, 1000, &l,
                                  &err),
              &err);
    ASSERT(l.n <= max);
    for (size_t i = 0; i < l.n; i++) {
        int rc = webhook_map_event(s, &l.v[i], out[i].ev, &out[i].data, &err);
        ASSERT(rc >= 0);
        if (!rc)
            out[i].ev[0] = '\0';
    }
    size_t n = l.n;
    store_event_list_release(&l);
    return n;
}

static const char *field(const struct mapped *m, const char *k)
{
    return json_string_value(json_object_get(m->data, k));
}

STORE_TEST(webhook_events_from_registry_changes)
{
    struct store *s = open_store("wh_events");
    struct kv tag = {(char *)"team", (char *)"risk"};
    struct kv_list tags = {&tag, 1, 1};
    reg(s, (struct reg_write){.action = REG_CREATE_MODEL, .name = "fraud", .description = "d",
                              .tags = tags});
    reg(s, (struct reg_write){.action = REG_CREATE_VERSION, .name = "fraud",
                              .source = "/artifacts/m", .run_id = NULL, .tags = tags});
    reg(s, (struct reg_write){.action = REG_SET_VERSION_TAG, .name = "fraud", .version = 1,
                              .key = "k", .value = "v"});
    reg(s, (struct reg_write){.action = REG_DELETE_VERSION_TAG, .name = "fraud", .version = 1,
                              .key = "k"});
    reg(s, (struct reg_write){.action = REG_SET_MODEL_TAG, .name = "fraud", .key = "mk",
                              .value = "mv"}); /* a model's tag: MLflow sends nothing */
    reg(s, (struct reg_write){.action = REG_SET_ALIAS, .name = "fraud", .alias = "champion",
                              .version = 1});
    reg(s, (struct reg_write){.action = REG_DELETE_ALIAS, .name = "fraud", .alias = "champion"});
    reg(s, (struct reg_write){.action = REG_TRANSITION, .name = "fraud", .version = 1,
                              .stage = "Production"});
    struct mapped m[16];
    memset(m, 0, sizeof(m));
    size_t n = map_all(s, 0, m, 16);
    ASSERT_INT_EQ(n, 8);
    ASSERT_STR_EQ(m[0].ev, "registered_model.created");
    ASSERT_STR_EQ(field(&m[0], "name"), "fraud");
    ASSERT_STR_EQ(field(&m[0], "description"), "d");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(m[0].data, "tags"), "team")),
                  "risk");
    ASSERT_STR_EQ(m[1].ev, "model_version.created");
    ASSERT_STR_EQ(field(&m[1], "version"), "1");
    ASSERT_STR_EQ(field(&m[1], "source"), "/artifacts/m");
    ASSERT(json_is_null(json_object_get(m[1].data, "run_id")));
    ASSERT(json_is_null(json_object_get(m[1].data, "description")));
    ASSERT_STR_EQ(m[2].ev, "model_version_tag.set");
    ASSERT_STR_EQ(field(&m[2], "key"), "k");
    ASSERT_STR_EQ(field(&m[2], "version"), "1");
    ASSERT_STR_EQ(m[3].ev, "model_version_tag.deleted");
    ASSERT(!json_object_get(m[3].data, "value"));
    ASSERT_STR_EQ(m[4].ev, "");
    ASSERT_STR_EQ(m[5].ev, "model_version_alias.created");
    ASSERT_STR_EQ(field(&m[5], "alias"), "champion");
    ASSERT_STR_EQ(field(&m[5], "version"), "1");
    ASSERT_STR_EQ(m[6].ev, "model_version_alias.deleted");
    ASSERT_STR_EQ(field(&m[6], "alias"), "champion");
    ASSERT(!json_object_get(m[6].data, "version"));
    ASSERT_STR_EQ(m[7].ev, "model_version.stage_changed");
    ASSERT_STR_EQ(field(&m[7], "from_stage"), "None");
    ASSERT_STR_EQ(field(&m[7], "to_stage"), "Production");
    for (size_t i = 0; i < n; i++)
        json_decref(m[i].data);
    store_close(s);
}

STORE_TEST(webhook_events_of_a_prompt_are_the_prompt_events)
{
    struct store *s = open_store("wh_prompt");
    struct kv tags_v[2] = {{(char *)"mlflow.prompt.is_prompt", (char *)"true"},
                           {(char *)"owner", (char *)"ann"}};
    struct kv_list tags = {tags_v, 2, 2};
    struct kv vt[1] = {{(char *)"mlflow.prompt.text", (char *)"Hi {{x}}"}};
    struct kv_list vtags = {vt, 1, 1};
    reg(s, (struct reg_write){.action = REG_CREATE_MODEL, .name = "greet", .tags = tags});
    reg(s, (struct reg_write){.action = REG_CREATE_VERSION, .name = "greet", .source = "/a/p",
                              .tags = vtags});
    reg(s, (struct reg_write){.action = REG_SET_ALIAS, .name = "greet", .alias = "prod",
                              .version = 1});
    struct mapped m[8];
    memset(m, 0, sizeof(m));
    size_t n = map_all(s, 0, m, 8);
    ASSERT_INT_EQ(n, 3);
    ASSERT_STR_EQ(m[0].ev, "prompt.created");
    ASSERT(!json_object_get(json_object_get(m[0].data, "tags"), "mlflow.prompt.is_prompt"));
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(m[0].data, "tags"), "owner")),
                  "ann");
    ASSERT_STR_EQ(m[1].ev, "prompt_version.created");
    ASSERT_STR_EQ(field(&m[1], "template"), "Hi {{x}}");
    ASSERT_STR_EQ(m[2].ev, "prompt_alias.created");
    for (size_t i = 0; i < n; i++)
        json_decref(m[i].data);
    store_close(s);
}
