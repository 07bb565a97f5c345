/* SPDX-License-Identifier: MIT
 * Datasets through the client: over the embedded transport, the rows on a
 * store (objects asked for, versions created, read by number, alias and
 * latest, tagged, diffed, deleted); over REST, what the functions send and
 * how the answers decode. */
#include "../test.h"
#include "fake_http.h"
#include "client/client.h"
#include "client/client_datasets.h"
#include "client/client_int.h"
#include "domain/data_manifest.h"
#include "store/datasets.h"

#include <string.h>

#define D_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define D_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define D_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static char *manifest_of(const char *const *paths, const char *const *digests, size_t n)
{
    struct data_manifest m;
    struct sbuf sb = SBUF_INIT;
    struct ferr err = FERR_INIT;
    data_manifest_init(&m);
    for (size_t i = 0; i < n; i++)
        data_manifest_add_file(&m, paths[i], 3, 0, digests[i]);
    ASSERT_OK(data_manifest_finish(&m, &err), &err);
    data_manifest_canonical(&m, &sb);
    data_manifest_release(&m);
    return sbuf_detach(&sb, NULL);
}

STORE_TEST(client_datasets_embedded)
{
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri("client_datasets");
    ASSERT_OK(client_open(uri, &c, &err), &err);
    free(uri);
    /* two objects stored, one not */
    struct data_object objs[2];
    memset(objs, 0, sizeof(objs));
    memcpy(objs[0].digest, D_A, 65);
    memcpy(objs[1].digest, D_B, 65);
    objs[0].size = objs[1].size = 3;
    ASSERT_OK(store_data_objects_put(c->store, objs, 2, NULL, &err), &err);
    const char *const asked[] = {D_A, D_C, D_B};
    char **miss = NULL;
    size_t nmiss = 0;
    ASSERT_OK(client_data_objects_missing(c, asked, 3, &miss, &nmiss, &err), &err);
    ASSERT_INT_EQ(nmiss, 1);
    ASSERT_STR_EQ(miss[0], D_C);
    client_strs_free(miss, nmiss);

    const char *const p1[] = {"a.csv", "b.txt"}, *const d1[] = {D_A, D_B};
    const char *const p2[] = {"a.csv", "c.txt"}, *const d2[] = {D_B, D_C};
    char *m1 = manifest_of(p1, d1, 2), *m2 = manifest_of(p2, d2, 2);
    struct kv_list tags = {0};
    kv_list_add(&tags, "k", "v");
    struct client_data_create q = {"cds", m1, NULL, "first", &tags, NULL, "me"};
    struct data_version v;
    int created = -1;
    ASSERT_OK(client_dataset_version_create(c, &q, &v, &created, &err), &err);
    ASSERT_INT_EQ(created, 1);
    ASSERT_INT_EQ(v.version, 1);
    ASSERT_STR_EQ(v.author, "me");
    data_version_release(&v);
    /* a version naming an object the store lacks: refused */
    q.manifest = m2;
    ASSERT(client_dataset_version_create(c, &q, &v, &created, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT(strstr(err.msg, D_C) != NULL);
    /* a digest that does not match the manifest: refused */
    q.manifest = m1;
    q.digest = D_A;
    ASSERT(client_dataset_version_create(c, &q, &v, &created, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);

    ASSERT_OK(client_dataset_alias_set(c, "cds", "prod", "1", &err), &err);
    ASSERT_OK(client_dataset_version_get(c, "cds", "prod", 1, &v, &err), &err);
    ASSERT_INT_EQ(v.version, 1);
    ASSERT_STR_EQ(v.manifest, m1);
    data_version_release(&v);
    ASSERT_OK(client_dataset_tag_set(c, "cds", "latest", "q", "ok", &err), &err);
    ASSERT_OK(client_dataset_version_get(c, "cds", NULL, 0, &v, &err), &err);
    ASSERT_STR_EQ(kv_list_get(&v.tags, "q"), "ok");
    ASSERT(v.manifest == NULL);
    data_version_release(&v);
    ASSERT_OK(client_dataset_tag_delete(c, "cds", "1", "q", &err), &err);

    json_t *diff = NULL;
    ASSERT_OK(client_dataset_diff(c, "cds", "1", "prod", &diff, &err), &err);
    ASSERT_INT_EQ(json_integer_value(json_object_get(diff, "unchanged")), 2);
    json_decref(diff);
    json_t *prof = NULL;
    ASSERT_OK(client_dataset_profile(c, "cds", "1", &prof, &err), &err);
    ASSERT(json_is_object(prof) && json_object_size(prof) == 0);
    json_decref(prof);
    json_t *runs = NULL;
    ASSERT_OK(client_dataset_runs(c, "cds", "1", &runs, &err), &err);
    ASSERT(json_is_array(runs) && json_array_size(runs) == 0);
    json_decref(runs);

    struct dataset_info_list l;
    ASSERT_OK(client_datasets_list(c, 0, NULL, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].name, "cds");
    dataset_info_list_release(&l);
    struct data_version_list vl;
    ASSERT_OK(client_dataset_versions(c, "cds", 0, NULL, &vl, &err), &err);
    ASSERT_INT_EQ(vl.n, 1);
    data_version_list_release(&vl);
    ASSERT_OK(client_dataset_alias_delete(c, "cds", "prod", &err), &err);
    ASSERT_OK(client_dataset_version_delete(c, "cds", "1", &err), &err);
    ASSERT_OK(client_dataset_delete(c, "cds", &err), &err);
    struct dataset_info info;
    ASSERT(client_dataset_get(c, "cds", &info, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT(client_dataset_get(c, "bad/name", &info, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    kv_list_release(&tags);
    free(m1);
    free(m2);
    client_close(c);
}

TEST(client_datasets_rest_shapes)
{
    static const struct fake_response answers[] = {
        {200, NULL, "{\"missing\":[\"" D_C "\"]}"},
        {200, NULL,
         "{\"dataset_version\":{\"name\":\"r\",\"version\":4,\"digest\":\"" D_A
         "\",\"message\":\"m\",\"author\":\"u\",\"created_ms\":5,\"file_count\":0,"
         "\"size_bytes\":0,\"tags\":[{\"key\":\"k\",\"value\":\"v\"}],\"aliases\":[\"prod\"],"
         "\"has_profile\":false,\"manifest\":{\"chunk_size\":8388608,\"dirs\":[],\"files\":[],"
         "\"format\":\"ferry-data/1\",\"links\":[]}},\"created\":false}"},
        {404, NULL, "{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":\"no such\"}"},
    };
    struct fake_http f;
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    char url[64], last[16384];
    fake_http_start(&f, answers, 1);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    const char *const asked[] = {D_A, D_C};
    char **miss = NULL;
    size_t nmiss = 0;
    ASSERT_OK(client_data_objects_missing(c, asked, 2, &miss, &nmiss, &err), &err);
    ASSERT_INT_EQ(nmiss, 1);
    ASSERT_STR_EQ(miss[0], D_C);
    client_strs_free(miss, nmiss);
    fake_http_last(&f, last, sizeof(last));
    ASSERT(strstr(last, "POST /api/2.0/ferry/datasets/objects/missing") != NULL);
    ASSERT(strstr(last, "\"digests\":[\"" D_A "\",\"" D_C "\"]") != NULL ||
           strstr(last, "\"digests\": [\"" D_A "\", \"" D_C "\"]") != NULL);
    client_close(c);
    fake_http_stop(&f);

    fake_http_start(&f, answers + 1, 1);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    struct client_data_create q = {
        "r",
        "{\"format\":\"ferry-data/1\",\"chunk_size\":8388608,\"files\":[],\"dirs\":[],"
        "\"links\":[]}",
        D_A,
        NULL,
        NULL,
        "{\"format\":\"ferry-profile/1\",\"files\":{}}",
        "claim"};
    struct data_version v;
    int created = -1;
    ASSERT_OK(client_dataset_version_create(c, &q, &v, &created, &err), &err);
    ASSERT_INT_EQ(created, 0);
    ASSERT_INT_EQ(v.version, 4);
    ASSERT_STR_EQ(kv_list_get(&v.tags, "k"), "v");
    ASSERT_STR_EQ(v.aliases.v[0].key, "prod");
    ASSERT(v.manifest && strstr(v.manifest, "ferry-data/1"));
    data_version_release(&v);
    fake_http_last(&f, last, sizeof(last));
    ASSERT(strstr(last, "POST /api/2.0/ferry/datasets/versions/create") != NULL);
    ASSERT(strstr(last, "\"author\"") && strstr(last, "\"profile\""));
    /* a manifest that is not JSON is refused before anything is sent */
    q.manifest = "not json";
    ASSERT(client_dataset_version_create(c, &q, &v, &created, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    client_close(c);
    fake_http_stop(&f);

    fake_http_start(&f, answers + 2, 1);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    json_t *diff = NULL;
    ASSERT(client_dataset_diff(c, "r", "1", "2", &diff, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT(diff == NULL);
    fake_http_last(&f, last, sizeof(last));
    ASSERT(strstr(last, "GET /api/2.0/ferry/datasets/diff?") != NULL);
    client_close(c);
    fake_http_stop(&f);
}
