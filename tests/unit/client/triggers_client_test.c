/* SPDX-License-Identifier: MIT
 * Triggers through the client: over the embedded transport, the rows on a
 * store (apply, an equal apply, a change, expect_revision, get with the
 * last firing, list, a manual firing and its params, history in pages,
 * delete leaving the firings, the refusals changing nothing); over REST,
 * what the functions send and how the answers decode. */
#include "../test.h"
#include "fake_http.h"
#include "client/client.h"
#include "client/client_int.h"
#include "client/client_triggers.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static json_t *spec_of(const char *name, const char *concurrency)
{
    json_t *s = json_pack("{s:s, s:{s:{s:s}}, s:{s:s, s:s}, s:{s:s}, s:s}", "name", name, "on",
                          "dataset", "name", "transactions", "pipeline", "uri", "/srv/p",
                          "experiment", "trig-exp", "params", "data", "{event.dataset_uri}",
                          "concurrency", concurrency);
    ASSERT(s != NULL);
    return s;
}

/* The triggers and every firing, as text: what a refusal must not change. */
static char *all_state(struct client *c)
{
    struct api_trigger_list l;
    struct trigger_firing_list f;
    struct ferr err = FERR_INIT;
    char *next = NULL;
    ASSERT_OK(client_trigger_list(c, &l, &err), &err);
    ASSERT_OK(client_trigger_history(c, NULL, TRIGGER_HISTORY_MAX, NULL, &f, &next, &err), &err);
    json_t *a = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(a, api_trigger_to_json(&l.v[i]));
    for (size_t i = 0; i < f.n; i++)
        json_array_append_new(a, api_trigger_firing_to_json(&f.v[i]));
    char *text = json_dumps(a, JSON_SORT_KEYS | JSON_COMPACT);
    json_decref(a);
    api_trigger_list_release(&l);
    trigger_firing_list_release(&f);
    free(next);
    return text;
}

STORE_TEST(client_triggers_embedded)
{
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri("client_triggers");
    ASSERT_OK(client_open(uri, &c, &err), &err);
    free(uri);
    struct api_trigger t;
    int changed = 0;
    json_t *s1 = spec_of("retrain", "skip");
    ASSERT_OK(client_trigger_apply(c, s1, 0, &t, &changed, &err), &err);
    ASSERT(changed);
    ASSERT_INT_EQ(t.t.revision, 1);
    ASSERT_STR_EQ(t.t.kind, "dataset");
    ASSERT_STR_EQ(t.t.owner, "");
    ASSERT(t.last_firing == NULL);
    api_trigger_release(&t);
    ASSERT_OK(client_trigger_apply(c, s1, -1, &t, &changed, &err), &err);
    ASSERT(!changed);
    ASSERT_INT_EQ(t.t.revision, 1);
    api_trigger_release(&t);

    /* refusals change nothing */
    char *before = all_state(c);
    ASSERT(client_trigger_apply(c, s1, 0, &t, &changed, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_ALREADY_EXISTS);
    json_t *s2 = spec_of("retrain", "queue");
    ASSERT(client_trigger_apply(c, s2, 7, &t, &changed, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_STATE);
    json_t *bad = spec_of("retrain", "skip");
    json_object_set_new(json_object_get(bad, "pipeline"), "uri", json_string("rel/dir"));
    ASSERT(client_trigger_apply(c, bad, -1, &t, &changed, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "absolute");
    json_decref(bad);
    bad = spec_of("retrain", "skip");
    json_object_set_new(json_object_get(bad, "params"), "x", json_string("{event.monitor}"));
    ASSERT(client_trigger_apply(c, bad, -1, &t, &changed, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    json_decref(bad);
    struct trigger_firing f;
    json_t *given = json_pack("{s:s}", "event.monitor", "m");
    ASSERT(client_trigger_fire(c, "retrain", given, &f, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    json_decref(given);
    ASSERT(client_trigger_fire(c, "nope", NULL, &f, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT(client_trigger_delete(c, "nope", &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT(client_trigger_get(c, "nope", &t, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_DOES_NOT_EXIST);
    char *after = all_state(c);
    ASSERT_STR_EQ(after, before);
    free(after);
    free(before);

    ASSERT_OK(client_trigger_apply(c, s2, 1, &t, &changed, &err), &err);
    ASSERT(changed);
    ASSERT_INT_EQ(t.t.revision, 2);
    api_trigger_release(&t);

    /* manual firings */
    given = json_pack("{s:s, s:s}", "event.dataset_uri", "data:/transactions/3", "extra", "x");
    ASSERT_OK(client_trigger_fire(c, "retrain", given, &f, &err), &err);
    json_decref(given);
    ASSERT_INT_EQ(f.state, FIRING_QUEUED);
    ASSERT(!strncmp(f.event_key, "manual:", 7));
    ASSERT_CONTAINS(f.params, "data:/transactions/3");
    ASSERT_CONTAINS(f.params, "\"extra\"");
    int64_t first = f.id;
    trigger_firing_release(&f);
    ASSERT_OK(client_trigger_fire(c, "retrain", NULL, &f, &err), &err);
    int64_t second = f.id;
    trigger_firing_release(&f);
    ASSERT(second > first);
    ASSERT_OK(client_trigger_get(c, "retrain", &t, &err), &err);
    ASSERT(t.last_firing != NULL);
    ASSERT_INT_EQ(t.last_firing->id, second);
    api_trigger_release(&t);
    struct trigger_firing_list l;
    char *next = NULL;
    ASSERT_OK(client_trigger_history(c, "retrain", 1, NULL, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].id, second);
    ASSERT(next != NULL);
    trigger_firing_list_release(&l);
    char *token = next;
    ASSERT_OK(client_trigger_history(c, "retrain", 1, token, &l, &next, &err), &err);
    free(token);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].id, first);
    trigger_firing_list_release(&l);
    free(next);
    ASSERT(client_trigger_history(c, "retrain", TRIGGER_HISTORY_MAX + 1, NULL, &l, &next, &err) ==
           -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);

    /* delete: the firings stay */
    struct api_trigger_list tl;
    ASSERT_OK(client_trigger_list(c, &tl, &err), &err);
    ASSERT_INT_EQ(tl.n, 1);
    api_trigger_list_release(&tl);
    ASSERT_OK(client_trigger_delete(c, "retrain", &err), &err);
    ASSERT_OK(client_trigger_list(c, &tl, &err), &err);
    ASSERT_INT_EQ(tl.n, 0);
    api_trigger_list_release(&tl);
    ASSERT_OK(client_trigger_history(c, "retrain", 0, NULL, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    trigger_firing_list_release(&l);
    free(next);
    json_decref(s1);
    json_decref(s2);
    client_close(c);
}

TEST(client_triggers_rest_shapes)
{
    static const struct fake_response answers[] = {
        {200, NULL,
         "{\"trigger\":{\"name\":\"t\",\"spec\":{\"name\":\"t\"},\"kind\":\"schedule\","
         "\"enabled\":false,\"owner\":\"ann\",\"revision\":3,\"created_ms\":1,\"updated_ms\":2,"
         "\"since_event_id\":9,\"last_scheduled_ms\":0,\"last_firing\":{\"id\":5,\"trigger\":"
         "\"t\",\"event_key\":\"schedule:60000\",\"event_id\":null,\"event\":{\"kind\":"
         "\"schedule\"},\"params\":{\"a\":\"b\"},\"user_id\":\"ann\",\"state\":\"succeeded\","
         "\"run_id\":\"r1\",\"holder\":\"h\",\"created_ms\":3,\"started_ms\":4,\"ended_ms\":5,"
         "\"detail\":\"\"}},\"changed\":true}"},
        {200, NULL,
         "{\"firings\":[{\"id\":7,\"trigger\":\"t\",\"event_key\":\"event:12\",\"event_id\":12,"
         "\"event\":{},\"params\":{},\"user_id\":\"\",\"state\":\"queued\",\"run_id\":\"\","
         "\"holder\":\"\",\"created_ms\":1,\"started_ms\":0,\"ended_ms\":0,\"detail\":\"\"}],"
         "\"next_page_token\":\"tok\"}"},
        {200, NULL, "{\"firing\":{\"id\":8,\"trigger\":\"t\",\"state\":\"bogus\"}}"},
    };
    struct fake_http fh;
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    char url[64], last[16384];
    struct api_trigger t;
    int changed = 0;
    fake_http_start(&fh, answers, 1);
    fake_http_url(&fh, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    json_t *spec = json_pack("{s:s}", "name", "t");
    ASSERT_OK(client_trigger_apply(c, spec, 2, &t, &changed, &err), &err);
    json_decref(spec);
    ASSERT(changed);
    ASSERT_STR_EQ(t.t.owner, "ann");
    ASSERT_INT_EQ(t.t.revision, 3);
    ASSERT_INT_EQ(t.t.enabled, 0);
    ASSERT_INT_EQ(t.t.since_event_id, 9);
    ASSERT(t.last_firing != NULL);
    ASSERT_INT_EQ(t.last_firing->state, FIRING_SUCCEEDED);
    ASSERT_STR_EQ(t.last_firing->run_id, "r1");
    ASSERT_INT_EQ(t.last_firing->event_id, 0);
    ASSERT_CONTAINS(t.last_firing->params, "\"a\"");
    api_trigger_release(&t);
    fake_http_last(&fh, last, sizeof(last));
    ASSERT_CONTAINS(last, "POST /api/2.0/ferry/triggers/apply");
    ASSERT_CONTAINS(last, "\"expect_revision\"");
    ASSERT_CONTAINS(last, "\"spec\"");
    client_close(c);
    fake_http_stop(&fh);

    struct trigger_firing_list l;
    char *next = NULL;
    fake_http_start(&fh, answers + 1, 1);
    fake_http_url(&fh, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    ASSERT_OK(client_trigger_history(c, "t", 5, "p1", &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].event_id, 12);
    ASSERT_INT_EQ(l.v[0].state, FIRING_QUEUED);
    ASSERT_STR_EQ(next, "tok");
    free(next);
    trigger_firing_list_release(&l);
    fake_http_last(&fh, last, sizeof(last));
    ASSERT_CONTAINS(last, "GET /api/2.0/ferry/triggers/history?");
    ASSERT_CONTAINS(last, "max_results=5");
    ASSERT_CONTAINS(last, "page_token=p1");
    client_close(c);
    fake_http_stop(&fh);

    /* a malformed answer is an error, not a half-filled firing */
    struct trigger_firing f;
    fake_http_start(&fh, answers + 2, 1);
    fake_http_url(&fh, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    json_t *given = json_pack("{s:s}", "k", "v");
    ASSERT(client_trigger_fire(c, "t", given, &f, &err) == -1);
    json_decref(given);
    fake_http_last(&fh, last, sizeof(last));
    ASSERT_CONTAINS(last, "POST /api/2.0/ferry/triggers/fire");
    ASSERT_CONTAINS(last, "\"params\"");
    client_close(c);
    fake_http_stop(&fh);
}
