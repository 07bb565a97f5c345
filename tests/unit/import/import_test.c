/* SPDX-License-Identifier: MIT
 * The pure pieces of `ferry db import` (which alembic revisions it knows,
 * where an artifact URI keeps its files) and the store's import area on a
 * real store of each backend: given ids kept, reruns writing nothing, clashes
 * refused, an aborted transaction leaving nothing. */
#include "../test.h"
#include "import/copy.h"
#include "import/revisions.h"
#include "store/import.h"
#include "store/metrics.h"
#include "store/registry.h"
#include "store/store.h"

#include <math.h>

#define RUN_ID "0123456789abcdef0123456789abcdef"

TEST(import_revisions_know_the_chain_and_nothing_else)
{
    ASSERT_INT_EQ(revisions_index("451aebb31d03"), 0);
    ASSERT(revisions_index("97727af70f4d") > revisions_index("0c779009ac13"));
    ASSERT(revisions_index("1b5f0d9ad7c1") > revisions_index("400f98739977"));
    ASSERT_STR_EQ(revisions_latest(), "1b5f0d9ad7c1");
    ASSERT_INT_EQ(revisions_index("ffffffffffff"), -1);
    ASSERT_INT_EQ(revisions_index(""), -1);
    ASSERT_INT_EQ(revisions_index(NULL), -1);
}

static void local_dir_is(const char *uri, const char *dest, const char *want)
{
    char *got = copy_local_dir(uri, dest);
    if (!want && got)
        FAIL_AT("'%s' names no local folder, got '%s'", uri, got);
    if (want)
        ASSERT_STR_EQ(got, want);
    free(got);
}

TEST(import_artifact_uris_map_to_local_folders)
{
    local_dir_is("/abs/mlruns/1/r/artifacts", NULL, "/abs/mlruns/1/r/artifacts");
    local_dir_is("mlruns/1/r/artifacts", NULL, "mlruns/1/r/artifacts");
    local_dir_is("file:///abs/mlruns/1", NULL, "/abs/mlruns/1");
    local_dir_is("file://localhost/abs/x", NULL, "/abs/x");
    local_dir_is("file:/abs/x", NULL, "/abs/x");
    local_dir_is("file://otherhost/abs/x", NULL, NULL);
    local_dir_is("mlflow-artifacts:/1/r/artifacts", "/srv/art", "/srv/art/1/r/artifacts");
    local_dir_is("mlflow-artifacts:/1/r/artifacts", NULL, NULL);
    local_dir_is("mlflow-artifacts://host:5000/1/r", "/srv/art", NULL);
    local_dir_is("s3://bucket/1/r/artifacts", "/srv/art", NULL);
    local_dir_is("", NULL, NULL);
}

/* A new store of the backend under test (a file, or a PostgreSQL database). */
static struct store *open_store(void)
{
    char *uri = test_store_uri("t");
    struct store *s;
    struct ferr err = FERR_INIT;
    if (store_open(uri, NULL, &s, &err))
        FAIL_AT("store_open: %s", err.msg);
    free(uri);
    return s;
}

#define OK(call)                                                                                   \
    do {                                                                                           \
        struct ferr e_ = FERR_INIT;                                                                \
        struct ferr *errp = &e_;                                                                   \
        (void)errp;                                                                                \
        if ((call) != 0)                                                                           \
            FAIL_AT("%s: %s", #call, e_.msg);                                                      \
    } while (0)

static const struct import_experiment exp5 = {5, "five", "/art/5", LIFECYCLE_ACTIVE, 1000, 2000};
static const struct import_run run5 = {RUN_ID,
                                       5,
                                       "r",
                                       "ana",
                                       RUN_FINISHED,
                                       1100,
                                       1900,
                                       TIME_NONE,
                                       "/art/5/" RUN_ID "/artifacts",
                                       LIFECYCLE_ACTIVE};

/* One experiment, one run, three points (one NaN) and a param, committed. */
static void import_once(struct store *s, enum import_outcome *exp_out, size_t *written)
{
    struct store_import *tx;
    struct ferr err = FERR_INIT;
    enum import_outcome out;
    struct import_point pts[] = {
        {"loss", 0.5, 10, 0}, {"loss", NAN, 11, 1}, {"loss", INFINITY, 12, 1}};
    if (store_import_begin(s, &tx, &err) || store_import_experiment(tx, &exp5, exp_out, &err) ||
        store_import_run(tx, &run5, &out, &err) ||
        store_import_param(tx, "lr", "0.1", &out, &err) ||
        store_import_points(tx, pts, 3, written, &err) || store_import_run_done(tx, &err) ||
        store_import_commit(tx, &err))
        FAIL_AT("import: %s", err.msg);
}

STORE_TEST(import_keeps_ids_and_times_and_a_rerun_writes_nothing)
{
    struct store *s = open_store();
    struct ferr err = FERR_INIT;
    enum import_outcome eo;
    size_t written;
    import_once(s, &eo, &written);
    ASSERT_INT_EQ(eo, IMPORT_WRITTEN);
    ASSERT_INT_EQ(written, 3);
    struct run r;
    if (store_get_run(s, RUN_ID, &r, &err))
        FAIL_AT("get_run: %s", err.msg);
    ASSERT_STR_EQ(r.info.experiment_id, "5");
    ASSERT_INT_EQ(r.info.start_time, 1100);
    ASSERT_INT_EQ(r.info.end_time, 1900);
    ASSERT_INT_EQ(r.info.status, RUN_FINISHED);
    ASSERT_INT_EQ(r.metrics.n, 1); /* latest: step 1, greatest timestamp: +inf */
    ASSERT(isinf(r.metrics.v[0].value));
    run_release(&r);
    struct experiment e;
    if (store_get_experiment(s, "5", &e, &err))
        FAIL_AT("get_experiment: %s", err.msg);
    ASSERT_INT_EQ(e.creation_time, 1000);
    ASSERT_INT_EQ(e.last_update_time, 2000);
    experiment_release(&e);
    import_once(s, &eo, &written);
    ASSERT_INT_EQ(eo, IMPORT_PRESENT);
    ASSERT_INT_EQ(written, 0);
    /* a new experiment is numbered after the imported ids */
    char *id = NULL;
    if (store_create_experiment(s, "after", NULL, NULL, &id, &err))
        FAIL_AT("create_experiment: %s", err.msg);
    ASSERT_STR_EQ(id, "6");
    free(id);
    store_close(s);
}

STORE_TEST(import_refuses_clashes_and_an_abort_leaves_nothing)
{
    struct store *s = open_store();
    struct store_import *tx;
    struct ferr err = FERR_INIT;
    enum import_outcome out;
    size_t written;
    import_once(s, &out, &written);
    OK(store_import_begin(s, &tx, &err));
    struct import_experiment renamed = exp5;
    renamed.name = "not-five";
    ASSERT_INT_EQ(store_import_experiment(tx, &renamed, &out, &err), -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_ALREADY_EXISTS);
    struct import_experiment moved = exp5;
    moved.id = 6;
    ASSERT_INT_EQ(store_import_experiment(tx, &moved, &out, &err), -1);
    ASSERT_CONTAINS(err.msg, "taken here by experiment 5");
    OK(store_import_run(tx, &run5, &out, &err));
    ASSERT_INT_EQ(store_import_param(tx, "lr", "0.2", &out, &err), -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    /* a new experiment, written then rolled back */
    struct import_experiment nine = {9, "nine", "/art/9", LIFECYCLE_DELETED, 1, 2};
    OK(store_import_experiment(tx, &nine, &out, &err));
    ASSERT_INT_EQ(out, IMPORT_WRITTEN);
    store_import_abort(tx);
    struct experiment e;
    ASSERT_INT_EQ(store_get_experiment(s, "9", &e, &err), -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_DOES_NOT_EXIST);
    store_close(s);
}

STORE_TEST(import_model_versions_keep_their_numbers_and_never_reuse_them)
{
    struct store *s = open_store();
    struct store_import *tx;
    struct ferr err = FERR_INIT;
    enum import_outcome out;
    struct import_model m = {"m", "desc", 10, 20};
    struct import_version v3 = {.version = 3,
                                .creation_time = 30,
                                .last_updated_time = 40,
                                .user_id = "ana",
                                .stage = "production",
                                .source = "runs:/x/model",
                                .status = "READY"};
    OK(store_import_begin(s, &tx, &err));
    OK(store_import_model(tx, &m, &out, &err));
    OK(store_import_version(tx, &v3, &out, &err));
    OK(store_import_alias(tx, "champion", 3, &out, &err));
    v3.stage = "Retired";
    ASSERT_INT_EQ(store_import_version(tx, &v3, &out, &err), -1);
    OK(store_import_model_done(tx, 5, &err)); /* 4 and 5 were deleted in the source */
    OK(store_import_commit(tx, &err));
    struct model_version mv;
    OK(store_get_version_by_alias(s, "m", "champion", &mv, &err));
    ASSERT_INT_EQ(mv.version, 3);
    ASSERT_STR_EQ(mv.current_stage, "Production");
    ASSERT_INT_EQ(mv.creation_time, 30);
    model_version_release(&mv);
    struct reg_write w = {
        .action = REG_CREATE_VERSION, .name = "m", .user = "", .source = "/tmp/m"};
    OK(store_registry_write(s, &w, &err));
    ASSERT_INT_EQ(w.created_version, 6);
    store_close(s);
}
