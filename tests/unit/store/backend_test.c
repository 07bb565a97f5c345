/* SPDX-License-Identifier: MIT
 * The store front against hand-made backends (store/backend.h): an area a
 * backend lacks answers NOT_IMPLEMENTED; arguments are checked before a
 * backend sees them; page tokens become an offset and a limit on the way
 * in and a token again on the way out. */
#include "../test.h"
#include "base/ferr.h"
#include "base/page_token.h"
#include "store/backend.h"
#include "store/logged_models.h"
#include "store/gc.h"
#include "store/import.h"
#include "store/metrics.h"
#include "store/model_uri.h"
#include "store/registry.h"
#include "store/store.h"
#include "store/traces.h"

#define RUN_ID "0123456789abcdef0123456789abcdef"

static void fake_close(struct store *s)
{
    (void)s;
}

static int fake_schema_version(struct store *s)
{
    (void)s;
    return 42;
}

static const struct store_backend_ops fake_ops = {
    .name = "fake", .close = fake_close, .schema_version = fake_schema_version};

/* A backend as backends are made: struct store first, then its own state
 * (here, what its metrics area was asked). */
struct fake {
    struct store base;
    int history_calls;
    struct store_page history_page;
};

static int fake_history(struct store *s, const char *run_id, const char *key,
                        struct store_page *page, struct metric_list *out, struct ferr *err)
{
    struct fake *f = (struct fake *)s;
    (void)run_id;
    (void)err;
    f->history_calls++;
    f->history_page = *page;
    for (int64_t i = 0; i < page->limit; i++)
        metric_list_add(out, key, (double)i, 1, page->offset + i);
    page->more = 1;
    return 0;
}

static const struct store_metrics_ops fake_metrics = {.history = fake_history};

TEST(store_front_missing_areas_are_not_implemented)
{
    struct store s = {.ops = &fake_ops};
    struct ferr err = FERR_INIT;
    struct experiment e;
    struct run_list runs;
    struct run_search rq = {NULL, 0, NULL, VIEW_ACTIVE_ONLY, 10, NULL, 0, NULL};
    struct metric_list ml;
    struct registered_model m;
    struct kv_list gr, ge;
    char *uri = NULL;

    ASSERT_INT_EQ(store_schema_version(&s), 42);
    ASSERT_FAILS(store_get_experiment(&s, "0", &e, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_STR_EQ(err.msg, "the fake store does not implement tracking");
    ASSERT_FAILS(store_search_runs(&s, &rq, &runs, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_FAILS(store_log_batch(&s, RUN_ID, NULL, NULL, NULL, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_FAILS(store_get_metric_history(&s, RUN_ID, "loss", 0, NULL, &ml, NULL, &err), &err,
                 FERR_NOT_IMPLEMENTED);
    ASSERT_STR_EQ(err.msg, "the fake store does not implement metrics");
    ASSERT_FAILS(store_get_registered_model(&s, "m", &m, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_STR_EQ(err.msg, "the fake store does not implement the model registry");
    ASSERT_FAILS(store_resolve_model_uri(&s, "models:/m/1", &uri, NULL, &err), &err,
                 FERR_NOT_IMPLEMENTED);
    ASSERT(uri == NULL);
    ASSERT_FAILS(store_gc_candidates(&s, 0, &gr, &ge, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_STR_EQ(err.msg, "the fake store does not implement garbage collection");
    ASSERT_FAILS(store_purge_experiment(&s, "1", &err), &err, FERR_NOT_IMPLEMENTED);
    struct logged_model lm;
    ASSERT_FAILS(store_get_logged_model(&s, "m-1", &lm, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_STR_EQ(err.msg, "the fake store does not implement logged models");
    ASSERT_FAILS(store_resolve_model_uri(&s, "models:/m-1", &uri, NULL, &err), &err,
                 FERR_NOT_IMPLEMENTED);
    struct store_import *tx;
    ASSERT_FAILS(store_import_begin(&s, &tx, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_STR_EQ(err.msg, "the fake store does not implement import");
    ASSERT(tx == NULL);
    struct trace_info t;
    ASSERT_FAILS(store_get_trace_info(&s, "tr-1", &t, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_STR_EQ(err.msg, "the fake store does not implement traces");
    store_close(&s);
}

TEST(store_front_checks_arguments_before_the_backend)
{
    struct fake f = {{.ops = &fake_ops, .metrics = &fake_metrics}, 0, {0, 0, 0}};
    struct store *s = &f.base;
    struct ferr err = FERR_INIT;
    struct metric_list ml;
    ASSERT_FAILS(store_get_metric_history(s, "not a run id", "loss", 0, NULL, &ml, NULL, &err),
                 &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_get_metric_history(s, RUN_ID, "", 0, NULL, &ml, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "'metric_key'");
    ASSERT_FAILS(store_get_metric_history(s, RUN_ID, "loss", -1, NULL, &ml, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_get_metric_history(s, RUN_ID, "loss", 5, "garbage!", &ml, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    /* which error wins: the run id is checked before the key */
    ASSERT_FAILS(store_get_metric_history(s, "", "", 0, NULL, &ml, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "'run_id'");
    ASSERT_INT_EQ(f.history_calls, 0);
}

TEST(store_front_turns_page_tokens_into_offsets_and_back)
{
    struct fake f = {{.ops = &fake_ops, .metrics = &fake_metrics}, 0, {0, 0, 0}};
    struct store *s = &f.base;
    struct ferr err = FERR_INIT;
    struct metric_list ml;
    char *token = NULL, *next = NULL;
    int64_t offset = 0;
    page_token_encode(30, &token);
    ASSERT_OK(store_get_metric_history(s, RUN_ID, "loss", 10, token, &ml, &next, &err), &err);
    ASSERT_INT_EQ(f.history_calls, 1);
    ASSERT_INT_EQ(f.history_page.offset, 30);
    ASSERT_INT_EQ(f.history_page.limit, 10);
    ASSERT_INT_EQ(ml.n, 10);
    ASSERT_INT_EQ(ml.v[0].step, 30);
    ASSERT(next != NULL);
    ASSERT_OK(page_token_decode(next, &offset, &err), &err);
    ASSERT_INT_EQ(offset, 40);
    metric_list_release(&ml);
    free(token);
    free(next);
    /* the tracking area is still missing */
    struct experiment e;
    ASSERT_FAILS(store_get_experiment(s, "0", &e, &err), &err, FERR_NOT_IMPLEMENTED);
}
