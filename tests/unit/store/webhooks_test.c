/* SPDX-License-Identifier: MIT
 * store/webhooks on both backends: create, get, list (newest first,
 * paged), update (only what is given, validated as a whole), delete; bad
 * inputs refused with nothing stored; deliveries unique per (webhook,
 * event), due ones oldest first, attempts compare-and-set, the log newest
 * first; a fenced write under a stale lease refused. */
#include "../test.h"
#include "base/env.h"
#include "store/leases.h"
#include "store/store.h"
#include "store/webhooks.h"

#include <stdlib.h>
#include <string.h>

static struct store *open_store(const char *name)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri(name);
    o.default_artifact_root = "/artifacts";
    o.group_commit = 1;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

static char *ev_created[] = {(char *)"model_version.created"};
static char *ev_two[] = {(char *)"model_version_alias.created",
                         (char *)"model_version_alias.deleted"};

static struct webhook hook(const char *name, const char *url)
{
    struct webhook w;
    memset(&w, 0, sizeof(w));
    w.name = (char *)name;
    w.url = (char *)url;
    w.events = ev_created;
    w.nevents = 1;
    return w;
}

static size_t count(struct store *s)
{
    struct webhook_list l = {NULL, 0, 0};
    struct ferr err = FERR_INIT;
    char *next = NULL;
    ASSERT_OK(store_webhook_list(s, 1000, NULL, &l, &next, &err), &err);
    size_t n = l.n;
    webhook_list_release(&l);
    free(next);
    return n;
}

STORE_TEST(webhook_create_get_list_update_delete)
{
    struct store *s = open_store("webhooks_crud");
    struct ferr err = FERR_INIT;
    struct webhook w = hook("notify-1", "https://example.com/hook"), out, got;
    w.secret = (char *)"s3cret";
    w.description = (char *)"first";
    ASSERT_OK(store_webhook_create(s, &w, &out, &err), &err);
    ASSERT_INT_EQ(strlen(out.id), 36);
    ASSERT_STR_EQ(out.status, "ACTIVE");
    ASSERT_STR_EQ(out.secret, "s3cret");
    ASSERT_INT_EQ(out.nevents, 1);
    ASSERT(out.creation_timestamp > 0);
    ASSERT_OK(store_webhook_get(s, out.id, &got, &err), &err);
    ASSERT_STR_EQ(got.name, "notify-1");
    ASSERT_STR_EQ(got.description, "first");
    ASSERT_STR_EQ(got.events[0], "model_version.created");
    webhook_release(&got);
    /* list: newest first, paged */
    for (int i = 0; i < 3; i++) {
        char name[32];
        snprintf(name, sizeof(name), "more-%d", i);
        struct webhook m = hook(name, "https://example.com/m");
        ASSERT_OK(store_webhook_create(s, &m, NULL, &err), &err);
    }
    struct webhook_list l = {NULL, 0, 0};
    char *next = NULL;
    ASSERT_OK(store_webhook_list(s, 3, NULL, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 3);
    ASSERT(next != NULL);
    webhook_list_release(&l);
    char *token = next;
    ASSERT_OK(store_webhook_list(s, 3, token, &l, &next, &err), &err);
    free(token);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].name, "notify-1");
    ASSERT(next == NULL);
    webhook_list_release(&l);
    /* update: only the given fields; the events replaced whole */
    struct webhook ch;
    memset(&ch, 0, sizeof(ch));
    ch.status = (char *)"DISABLED";
    ch.events = ev_two;
    ch.nevents = 2;
    ASSERT_OK(store_webhook_update(s, out.id, &ch, &got, &err), &err);
    ASSERT_STR_EQ(got.status, "DISABLED");
    ASSERT_STR_EQ(got.name, "notify-1");
    ASSERT_STR_EQ(got.secret, "s3cret");
    ASSERT_INT_EQ(got.nevents, 2);
    ASSERT(got.last_updated_timestamp > out.last_updated_timestamp);
    webhook_release(&got);
    /* the subscribed: ACTIVE ones with the event */
    ASSERT_OK(store_webhook_subscribed(s, "model_version.created", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 3);
    webhook_list_release(&l);
    ASSERT_OK(store_webhook_subscribed(s, "model_version_alias.created", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    webhook_list_release(&l);
    /* delete */
    ASSERT_OK(store_webhook_delete(s, out.id, &err), &err);
    ASSERT_FAILS(store_webhook_get(s, out.id, &got, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "not found");
    ASSERT_FAILS(store_webhook_delete(s, out.id, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_webhook_update(s, out.id, &ch, &got, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_INT_EQ(count(s), 3);
    webhook_release(&out);
    store_close(s);
}

STORE_TEST(webhook_bad_inputs_store_nothing)
{
    struct store *s = open_store("webhooks_bad");
    struct ferr err = FERR_INIT;
    struct webhook out;
    static const char *const names[] = {"", "-x", "x-", "has space", "a/b",
                                        "0123456789012345678901234567890123456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
        struct webhook w = hook(names[i], "https://example.com/h");
        ASSERT_FAILS(store_webhook_create(s, &w, &out, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    }
    static const char *const urls[] = {"", "ftp://x/y", "example.com", "http://example.com/h",
                                       "https://exa mple.com"};
    for (size_t i = 0; i < sizeof(urls) / sizeof(*urls); i++) {
        struct webhook w = hook("n", urls[i]);
        ASSERT_FAILS(store_webhook_create(s, &w, &out, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    }
    struct webhook w = hook("n", "https://example.com/h");
    w.nevents = 0;
    ASSERT_FAILS(store_webhook_create(s, &w, &out, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    char *unknown[] = {(char *)"experiment.created"};
    w.events = unknown;
    w.nevents = 1;
    ASSERT_FAILS(store_webhook_create(s, &w, &out, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    char *twice[] = {(char *)"model_version.created", (char *)"model_version.created"};
    w.events = twice;
    w.nevents = 2;
    ASSERT_FAILS(store_webhook_create(s, &w, &out, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    w = hook("n", "https://example.com/h");
    w.status = (char *)"PAUSED";
    ASSERT_FAILS(store_webhook_create(s, &w, &out, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_INT_EQ(count(s), 0);
    /* http is allowed once the setting says so */
    setenv("FERRY_WEBHOOK_ALLOWED_SCHEMES", "https, http", 1);
    w = hook("n", "http://127.0.0.1:1/h");
    ASSERT_OK(store_webhook_create(s, &w, &out, &err), &err);
    unsetenv("FERRY_WEBHOOK_ALLOWED_SCHEMES");
    /* a bad update changes nothing */
    struct webhook ch, got;
    memset(&ch, 0, sizeof(ch));
    ch.name = (char *)"ok-name";
    ch.url = (char *)"ftp://nope";
    ASSERT_FAILS(store_webhook_update(s, out.id, &ch, &got, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(store_webhook_get(s, out.id, &got, &err), &err);
    ASSERT_STR_EQ(got.name, "n");
    ASSERT_INT_EQ(got.last_updated_timestamp, out.last_updated_timestamp);
    webhook_release(&got);
    ASSERT_FAILS(store_webhook_get(s, "", &got, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    struct webhook_list l = {NULL, 0, 0};
    char *next = NULL;
    ASSERT_FAILS(store_webhook_list(s, 1001, NULL, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_webhook_list(s, 10, "not a token", &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    webhook_release(&out);
    store_close(s);
}

STORE_TEST(webhook_deliveries_once_per_event_attempts_and_log)
{
    struct store *s = open_store("webhooks_deliveries");
    struct ferr err = FERR_INIT;
    struct webhook w = hook("d", "https://example.com/h"), out;
    ASSERT_OK(store_webhook_create(s, &w, &out, &err), &err);
    int ins = 0;
    ASSERT_OK(store_webhook_enqueue(s, out.id, 7, "model_version.created", "{\"a\":1}", &ins, &err),
              &err);
    ASSERT_INT_EQ(ins, 1);
    ASSERT_OK(store_webhook_enqueue(s, out.id, 7, "model_version.created", "{\"a\":2}", &ins, &err),
              &err);
    ASSERT_INT_EQ(ins, 0);
    ASSERT_OK(store_webhook_enqueue(s, out.id, 8, "model_version.created", "{\"b\":1}", &ins, &err),
              &err);
    ASSERT_INT_EQ(ins, 1);
    ASSERT_FAILS(store_webhook_enqueue(s, out.id, 9, "nope.created", "{}", &ins, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    struct webhook_delivery_list l = {NULL, 0, 0};
    ASSERT_OK(store_webhook_due(s, INT64_MAX / 2, 10, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_INT_EQ(l.v[0].event_id, 7);
    ASSERT_STR_EQ(l.v[0].payload, "{\"a\":1}");
    ASSERT_STR_EQ(l.v[0].state, "pending");
    ASSERT_INT_EQ(l.v[0].attempt, 0);
    int64_t first = l.v[0].id, second = l.v[1].id;
    webhook_delivery_list_release(&l);
    /* a failed attempt: pending later; the same count again is refused */
    ASSERT_OK(store_webhook_attempt(s, first, 0, WEBHOOK_PENDING, INT64_MAX / 4, 500, "HTTP 500",
                                    &err),
              &err);
    ASSERT_FAILS(store_webhook_attempt(s, first, 0, WEBHOOK_DELIVERED, 0, 200, NULL, &err), &err,
                 FERR_INVALID_STATE);
    ASSERT_OK(store_webhook_due(s, INT64_MAX / 8, 10, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].id, second);
    webhook_delivery_list_release(&l);
    ASSERT_OK(store_webhook_attempt(s, first, 1, WEBHOOK_DELIVERED, 0, 200, NULL, &err), &err);
    ASSERT_FAILS(store_webhook_attempt(s, first, 2, WEBHOOK_FAILED, 0, 0, "x", &err), &err,
                 FERR_INVALID_STATE);
    ASSERT_FAILS(store_webhook_attempt(s, first, 2, "lost", 0, 0, "x", &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    struct webhook_delivery d;
    ASSERT_OK(store_webhook_delivery_get(s, first, &d, &err), &err);
    ASSERT_STR_EQ(d.state, "delivered");
    ASSERT_INT_EQ(d.attempt, 2);
    ASSERT_INT_EQ(d.http_status, 200);
    ASSERT(d.error == NULL);
    webhook_delivery_release(&d);
    /* the log: newest first, by webhook or all, paged */
    char *next = NULL;
    ASSERT_OK(store_webhook_deliveries(s, out.id, 1, NULL, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].id, second);
    ASSERT(next != NULL);
    webhook_delivery_list_release(&l);
    char *token = next;
    ASSERT_OK(store_webhook_deliveries(s, NULL, 10, token, &l, &next, &err), &err);
    free(token);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].id, first);
    ASSERT(next == NULL);
    webhook_delivery_list_release(&l);
    ASSERT_OK(store_webhook_deliveries(s, "no-such-webhook", 10, NULL, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    webhook_delivery_list_release(&l);
    /* deleted: its deliveries stay readable */
    ASSERT_OK(store_webhook_delete(s, out.id, &err), &err);
    ASSERT_OK(store_webhook_deliveries(s, out.id, 10, NULL, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    webhook_delivery_list_release(&l);
    /* a stale fence refuses the write, nothing written */
    struct lease le;
    memset(&le, 0, sizeof(le));
    ASSERT_OK(store_lease_acquire(s, "webhooks", "me", 60000, &le, &err), &err);
    struct lease_fence f = {"webhooks", "me", le.epoch + 1};
    lease_release(&le);
    ASSERT_OK(store_fence_set(&f, &err), &err);
    int rc = store_webhook_enqueue(s, "other", 9, "model_version.created", "{}", &ins, &err);
    store_fence_clear();
    ASSERT(rc != 0);
    ASSERT_INT_EQ(err.code, FERR_INVALID_STATE);
    ASSERT_OK(store_webhook_deliveries(s, "other", 10, NULL, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    webhook_delivery_list_release(&l);
    webhook_release(&out);
    store_close(s);
}
