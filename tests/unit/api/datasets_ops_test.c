/* SPDX-License-Identifier: MIT
 * api/datasets_ops.c: the data root's reserved datasets/ (experiment
 * locations and artifact paths), the version's JSON both ways, and the
 * version reference taken as a string or a number. */
#include "../test.h"
#include "api/datasets_ops.h"
#include "artifacts/repo.h"

#include <stdlib.h>
#include <unistd.h>

/* Two distinct addresses standing for repositories (only compared). */
static char repo_a, repo_b;
#define REPO_A ((struct artifact_repo *)(void *)&repo_a)
#define REPO_B ((struct artifact_repo *)(void *)&repo_b)

TEST(datasets_location_check_refuses_the_reserved_area)
{
    struct api_data_root r = {REPO_A, "/srv/mlartifacts", 1, NULL, NULL, NULL};
    struct ferr err = FERR_INIT;
    static const char *const refused[] = {
        "mlflow-artifacts:/datasets",        "mlflow-artifacts:/datasets/objects",
        "mlflow-artifacts:datasets/x",       "mlflow-artifacts:/./datasets",
        "mlflow-artifacts:/a/../datasets/x", "mlflow-artifacts://host:5000/datasets/x",
        "mlflow-artifacts:/DATASETS",        "/srv/mlartifacts/datasets",
        "/srv/mlartifacts/datasets/e/1",     "/srv//mlartifacts/./datasets",
        "/srv/x/../mlartifacts/datasets",    "file:///srv/mlartifacts/datasets/x",
    };
    static const char *const allowed[] = {
        "mlflow-artifacts:/",
        "mlflow-artifacts:/1",
        "mlflow-artifacts:/datasets-old",
        "mlflow-artifacts:/x/datasets",
        "/srv/mlartifacts",
        "/srv/mlartifacts/1",
        "/srv/mlartifacts/x/datasets",
        "/srv/other/datasets",
        "s3://bucket/datasets",
        "",
    };
    api_datasets_set_root(&r);
    for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
        ferr_clear(&err);
        ASSERT(api_datasets_location_check(refused[i], &err) == -1);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        ASSERT(strstr(err.msg, "datasets/") != NULL);
    }
    for (size_t i = 0; i < sizeof(allowed) / sizeof(*allowed); i++)
        ASSERT_OK(api_datasets_location_check(allowed[i], &err), &err);
    /* a root that is not the proxied destination: mlflow-artifacts:/ is elsewhere */
    r.proxied = 0;
    ASSERT_OK(api_datasets_location_check("mlflow-artifacts:/datasets", &err), &err);
    ASSERT(api_datasets_location_check("/srv/mlartifacts/datasets", &err) == -1);
    /* no root installed, or one without a repository: nothing is reserved */
    r.repo = NULL;
    ASSERT_OK(api_datasets_location_check("/srv/mlartifacts/datasets", &err), &err);
    api_datasets_set_root(NULL);
    ASSERT_OK(api_datasets_location_check("mlflow-artifacts:/datasets", &err), &err);
}

TEST(datasets_location_check_resolves_relative_paths)
{
    char cwd[4096];
    ASSERT(getcwd(cwd, sizeof(cwd)) != NULL);
    struct api_data_root r = {REPO_A, "mlartifacts", 0, NULL, NULL, NULL};
    struct ferr err = FERR_INIT;
    struct sbuf abs = SBUF_INIT;
    sbuf_addf(&abs, "%s/mlartifacts/datasets/x", cwd);
    api_datasets_set_root(&r);
    ASSERT(api_datasets_location_check(abs.buf, &err) == -1);
    ASSERT(api_datasets_location_check("./mlartifacts/datasets", &err) == -1);
    ASSERT_OK(api_datasets_location_check("./mlartifacts/runs", &err), &err);
    api_datasets_set_root(NULL);
    sbuf_release(&abs);
}

TEST(datasets_reserved_paths_of_the_root_and_of_the_roots_view)
{
    /* the root's own repository, and a roots repository two levels up */
    struct api_data_root r = {REPO_A, "/srv/a/b", 1, NULL, REPO_B, "a/b"};
    struct ferr err = FERR_INIT;
    api_datasets_set_root(&r);
    ASSERT(api_datasets_reserved(REPO_A, "datasets", &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_PERMISSION_DENIED);
    ASSERT(api_datasets_reserved(REPO_A, "datasets/packs/x.pack", &err) == -1);
    ASSERT(api_datasets_reserved(REPO_A, "Datasets/x", &err) == -1);
    ASSERT_OK(api_datasets_reserved(REPO_A, "1/abc/artifacts/datasets", &err), &err);
    ASSERT_OK(api_datasets_reserved(REPO_A, "datasetsx", &err), &err);
    ASSERT_OK(api_datasets_reserved(REPO_A, "", &err), &err);
    ASSERT(api_datasets_reserved(REPO_B, "a/b/datasets/objects/ab/cd", &err) == -1);
    ASSERT_OK(api_datasets_reserved(REPO_B, "datasets", &err), &err);
    ASSERT_OK(api_datasets_reserved(REPO_B, "a/c/datasets", &err), &err);
    /* another repository altogether, or none installed */
    ASSERT_OK(api_datasets_reserved((struct artifact_repo *)(void *)&err, "datasets", &err), &err);
    api_datasets_set_root(NULL);
    ASSERT_OK(api_datasets_reserved(REPO_A, "datasets", &err), &err);
}

TEST(datasets_version_json_round_trip)
{
    struct data_version v;
    memset(&v, 0, sizeof(v));
    v.name = strdup("sales");
    v.version = 3;
    v.digest = strdup("ab");
    v.message = strdup("m");
    v.author = strdup("u");
    v.created_ms = 7;
    v.file_count = 2;
    v.size_bytes = 9;
    kv_list_add(&v.tags, "k", "v");
    kv_list_add(&v.aliases, "prod", "");
    v.manifest = strdup("{\"chunk_size\":8388608,\"dirs\":[],\"files\":[],\"format\":"
                        "\"ferry-data/1\",\"links\":[]}");
    json_t *j = api_data_version_to_json(&v);
    ASSERT_INT_EQ(json_integer_value(json_object_get(j, "version")), 3);
    ASSERT(json_is_object(json_object_get(j, "manifest")));
    ASSERT(json_is_false(json_object_get(j, "has_profile")));
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(j, "aliases"), 0)), "prod");
    /* back through the row's response codec, as a REST client reads it */
    json_t *resp = json_pack("{s:O}", "dataset_version", j);
    struct rs_dataset_version back;
    struct ferr err = FERR_INIT;
    memset(&back, 0, sizeof(back));
    ASSERT_OK(api_decode_response(&api_datasets_version_get, resp, &back, &err), &err);
    ASSERT_STR_EQ(back.dataset_version.name, "sales");
    ASSERT_INT_EQ(back.dataset_version.size_bytes, 9);
    ASSERT_STR_EQ(kv_list_get(&back.dataset_version.tags, "k"), "v");
    ASSERT_STR_EQ(back.dataset_version.aliases.v[0].key, "prod");
    ASSERT_STR_EQ(back.dataset_version.manifest, v.manifest); /* canonical again */
    api_release_response(&api_datasets_version_get, &back);
    json_decref(resp);
    json_decref(j);
    data_version_release(&v);
}

TEST(datasets_version_reference_is_a_string_or_a_number)
{
    struct ferr err = FERR_INIT;
    struct rq_dataset_ref q;
    json_t *in = json_pack("{s:s, s:i, s:b}", "name", "d", "version", 12, "with_manifest", 1);
    memset(&q, 0, sizeof(q));
    ASSERT_OK(api_decode_request(&api_datasets_version_get, in, &q, &err), &err);
    ASSERT_STR_EQ(q.version, "12");
    ASSERT(q.with_manifest == 1);
    api_release_request(&api_datasets_version_get, &q);
    json_decref(in);
    in = json_pack("{s:s, s:[]}", "name", "d", "version");
    memset(&q, 0, sizeof(q));
    ASSERT(api_decode_request(&api_datasets_version_get, in, &q, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    json_decref(in);
    /* the client sends it as given */
    struct rq_dataset_ref out = {"d", "prod", NULL, 0};
    json_t *j = api_encode_request(&api_datasets_version_get, &out);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "version")), "prod");
    ASSERT(!json_is_true(json_object_get(j, "with_manifest")));
    json_decref(j);
}
