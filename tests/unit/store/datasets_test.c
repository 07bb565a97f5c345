/* SPDX-License-Identifier: MIT
 * store/datasets on both backends: a version created only when its
 * objects are stored (a missing one refused with nothing written), the
 * same content answered with the existing version, numbers never reused
 * after deletes, aliases, tags, paging, objects have/put/locate (touching
 * what they name), gc respecting touched_ms and live manifests, the runs
 * that logged a version, and two threads creating the same content. */
#include "../test.h"
#include "base/ftime.h"
#include "domain/data_manifest.h"
#include "domain/data_version.h"
#include "store/backend.h"
#include "store/copy.h"
#include "store/datasets.h"
#include "store/deployments.h"
#include "store/store.h"

#include <jansson.h>
#include <pthread.h>
#include <string.h>

static struct store *open_uri(const char *uri)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    o.default_artifact_root = "/artifacts";
    o.group_commit = 1;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    return s;
}

static struct store *open_ds_store(const char *name)
{
    char *uri = test_store_uri(name);
    struct store *s = open_uri(uri);
    free(uri);
    return s;
}

/* A digest made from a number (valid: 64 lowercase hex digits). */
static void dig(unsigned long long i, char out[DATA_DIGEST_LEN + 1])
{
    snprintf(out, DATA_DIGEST_LEN + 1, "%064llx", i);
}

/* A canonical manifest of files named f<i> (zero-padded: entries sorted
 * by path), file i's content the object ids[i] of size 10 + i. */
static char *manifest_of(const unsigned long long *ids, size_t n)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, "{\"chunk_size\":8388608,\"dirs\":[],\"files\":[");
    for (size_t i = 0; i < n; i++) {
        char d[DATA_DIGEST_LEN + 1];
        dig(ids[i], d);
        sbuf_addf(&sb, "%s{\"mode\":\"0644\",\"path\":\"f%05zu\",\"sha256\":\"%s\",\"size\":%zu}",
                  i ? "," : "", i, d, 10 + i);
    }
    sbuf_addstr(&sb, "],\"format\":\"ferry-data/1\",\"links\":[]}");
    return sbuf_detach(&sb, NULL);
}

/* Rows for objects ids (in pack, or loose when pack is NULL), touched at
 * when_ms (through the backend, so a test can make old rows). */
static void put_objects_at(struct store *s, const unsigned long long *ids, size_t n,
                           const char *pack, int64_t when_ms)
{
    struct data_object *o = calloc(n, sizeof(*o));
    struct ferr err = FERR_INIT;
    int64_t added;
    for (size_t i = 0; i < n; i++) {
        dig(ids[i], o[i].digest);
        snprintf(o[i].pack, sizeof(o[i].pack), "%s", pack ? pack : "");
        o[i].offset = pack ? (int64_t)(9 + 41 * i) : 0;
        o[i].size = 10 + (int64_t)i;
    }
    ASSERT_OK(s->datasets->objects_put(s, o, n, when_ms, &added, &err), &err);
    free(o);
}

static void put_objects(struct store *s, const unsigned long long *ids, size_t n)
{
    put_objects_at(s, ids, n, NULL, ftime_now_ms());
}

static int create(struct store *s, const char *name, const unsigned long long *ids, size_t n,
                  struct data_version *out, int *created, struct ferr *err)
{
    char *m = manifest_of(ids, n);
    struct data_version_new nv = {name, m, "msg", "alice", NULL, NULL};
    int rc = store_data_version_create(s, &nv, out, created, err);
    free(m);
    return rc;
}

static int64_t create_ok(struct store *s, const char *name, const unsigned long long *ids, size_t n,
                         int want_created)
{
    struct data_version v;
    struct ferr err = FERR_INIT;
    int created = -1;
    ASSERT_OK(create(s, name, ids, n, &v, &created, &err), &err);
    ASSERT_INT_EQ(created, want_created);
    int64_t num = v.version;
    data_version_release(&v);
    return num;
}

STORE_TEST(datasets_create_needs_every_object)
{
    struct store *s = open_ds_store("ds_create");
    struct ferr err = FERR_INIT;
    struct data_version v;
    struct dataset_info d;
    int created = -1;
    unsigned long long ids[] = {1, 2, 3};
    put_objects(s, ids, 1);
    put_objects(s, ids + 2, 1);
    /* object 2 is not stored: refused naming it, nothing written */
    ASSERT_FAILS(create(s, "t", ids, 3, &v, &created, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "0000000000000000000000000000000000000000000000000000000000000002");
    ASSERT_INT_EQ(created, 0);
    ASSERT_FAILS(store_dataset_get(s, "t", &d, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    struct dataset_info_list dl;
    ASSERT_OK(store_datasets_list(s, NULL, 0, NULL, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 0);
    dataset_info_list_release(&dl);
    /* stored: version 1, with what the manifest says */
    put_objects(s, ids + 1, 1);
    char *m = manifest_of(ids, 3);
    struct kv_list tags = {0};
    kv_list_add(&tags, "source", "warehouse");
    struct data_version_new nv = {"t", m, "first cut", "alice", &tags, "{\"format\":\"p\"}"};
    ASSERT_OK(store_data_version_create(s, &nv, &v, &created, &err), &err);
    ASSERT_INT_EQ(created, 1);
    ASSERT_INT_EQ(v.version, 1);
    ASSERT_INT_EQ(v.file_count, 3);
    ASSERT_INT_EQ(v.size_bytes, 10 + 11 + 12);
    ASSERT_STR_EQ(v.message, "first cut");
    ASSERT_STR_EQ(v.author, "alice");
    ASSERT_INT_EQ(strlen(v.digest), 64);
    ASSERT_STR_EQ(kv_list_get(&v.tags, "source"), "warehouse");
    ASSERT(!v.manifest);
    char digest1[65];
    snprintf(digest1, sizeof(digest1), "%s", v.digest);
    data_version_release(&v);
    /* the same content again: that version, nothing new (message ignored) */
    nv.message = "again";
    ASSERT_OK(store_data_version_create(s, &nv, &v, &created, &err), &err);
    ASSERT_INT_EQ(created, 0);
    ASSERT_INT_EQ(v.version, 1);
    ASSERT_STR_EQ(v.message, "first cut");
    data_version_release(&v);
    /* get with the manifest and profile */
    ASSERT_OK(store_data_version_get_num(s, "t", 1, 1, &v, &err), &err);
    ASSERT_STR_EQ(v.manifest, m);
    ASSERT_STR_EQ(v.profile, "{\"format\":\"p\"}");
    ASSERT_STR_EQ(v.digest, digest1);
    data_version_release(&v);
    ASSERT_OK(store_dataset_get(s, "t", &d, &err), &err);
    ASSERT_INT_EQ(d.latest_version, 1);
    ASSERT_INT_EQ(d.version_count, 1);
    ASSERT_INT_EQ(d.total_size_bytes, 33);
    dataset_info_release(&d);
    /* other content: version 2; the dataset's totals follow */
    ASSERT_INT_EQ(create_ok(s, "t", ids, 2, 1), 2);
    ASSERT_OK(store_dataset_get(s, "t", &d, &err), &err);
    ASSERT_INT_EQ(d.latest_version, 2);
    ASSERT_INT_EQ(d.version_count, 2);
    ASSERT_INT_EQ(d.total_size_bytes, 33 + 21);
    dataset_info_release(&d);
    /* back to version 1's content: not the latest, so a new version 3 */
    ASSERT_INT_EQ(create_ok(s, "t", ids, 3, 1), 3);
    free(m);
    kv_list_release(&tags);
    store_close(s);
}

STORE_TEST(datasets_create_refuses_bad_input)
{
    struct store *s = open_ds_store("ds_bad");
    struct ferr err = FERR_INIT;
    struct data_version v;
    int created;
    unsigned long long ids[] = {1};
    put_objects(s, ids, 1);
    char *m = manifest_of(ids, 1);
    struct data_version_new nv = {"bad name", m, NULL, NULL, NULL, NULL};
    ASSERT_FAILS(store_data_version_create(s, &nv, &v, &created, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    nv.name = "t";
    nv.manifest = "{\"files\": 3}";
    ASSERT_FAILS(store_data_version_create(s, &nv, &v, &created, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    /* the same manifest, not canonical (a space): refused, since the
     * digest names the canonical text */
    struct sbuf spaced = SBUF_INIT;
    sbuf_addf(&spaced, "{ %s", m + 1);
    nv.manifest = spaced.buf;
    ASSERT_FAILS(store_data_version_create(s, &nv, &v, &created, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "canonical");
    sbuf_release(&spaced);
    nv.manifest = m;
    nv.profile = "[1]";
    ASSERT_FAILS(store_data_version_create(s, &nv, &v, &created, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "profile");
    nv.profile = NULL;
    struct kv_list tags = {0};
    kv_list_add(&tags, "", "v");
    nv.tags = &tags;
    ASSERT_FAILS(store_data_version_create(s, &nv, &v, &created, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    kv_list_release(&tags);
    nv.tags = NULL;
    struct dataset_info d;
    ASSERT_FAILS(store_dataset_get(s, "t", &d, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_data_version_create(s, &nv, &v, NULL, &err), &err);
    /* the version digest: SHA-256 of the canonical manifest text */
    struct data_manifest dm;
    char hex[65];
    ASSERT_OK(data_manifest_parse(m, strlen(m), &dm, &err), &err);
    data_manifest_digest(&dm, hex);
    data_manifest_release(&dm);
    ASSERT_STR_EQ(v.digest, hex);
    data_version_release(&v);
    free(m);
    store_close(s);
}

STORE_TEST(datasets_numbers_never_reused)
{
    struct store *s = open_ds_store("ds_numbers");
    struct ferr err = FERR_INIT;
    struct data_version v;
    unsigned long long ids[] = {1, 2, 3, 4};
    put_objects(s, ids, 4);
    ASSERT_INT_EQ(create_ok(s, "t", ids, 1, 1), 1);
    ASSERT_INT_EQ(create_ok(s, "t", ids, 2, 1), 2);
    ASSERT_OK(store_data_version_delete(s, "t", 2, &err), &err);
    ASSERT_FAILS(store_data_version_delete(s, "t", 2, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "version 2 of dataset 't' not found");
    ASSERT_FAILS(store_data_version_get_num(s, "t", 2, 0, &v, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    /* 2's content again: it is not the latest (1 is): version 3 */
    ASSERT_INT_EQ(create_ok(s, "t", ids, 2, 1), 3);
    /* the dataset deleted and added again: numbering goes on */
    ASSERT_OK(store_dataset_delete(s, "t", &err), &err);
    struct dataset_info d;
    ASSERT_FAILS(store_dataset_get(s, "t", &d, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_dataset_delete(s, "t", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    struct data_version_list vl;
    ASSERT_FAILS(store_data_versions_list(s, "t", 0, NULL, &vl, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_INT_EQ(create_ok(s, "t", ids, 2, 1), 4);
    ASSERT_OK(store_data_versions_list(s, "t", 0, NULL, &vl, &err), &err);
    ASSERT_INT_EQ(vl.n, 1);
    ASSERT_INT_EQ(vl.v[0].version, 4);
    data_version_list_release(&vl);
    /* every version deleted: the dataset stays, with no latest */
    ASSERT_OK(store_data_version_delete(s, "t", 4, &err), &err);
    ASSERT_OK(store_dataset_get(s, "t", &d, &err), &err);
    ASSERT_INT_EQ(d.latest_version, 0);
    ASSERT_INT_EQ(d.last_version, 4);
    ASSERT_INT_EQ(d.version_count, 0);
    dataset_info_release(&d);
    char tname[] = "t";
    struct data_ref latest = {tname, DATA_REF_LATEST, 0, NULL, NULL};
    ASSERT_FAILS(store_data_version_get(s, &latest, 0, &v, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "has no versions");
    ASSERT_INT_EQ(create_ok(s, "t", ids, 2, 1), 5);
    store_close(s);
}

STORE_TEST(datasets_aliases_and_tags)
{
    struct store *s = open_ds_store("ds_alias");
    struct ferr err = FERR_INIT;
    struct data_version v;
    unsigned long long ids[] = {1, 2};
    put_objects(s, ids, 2);
    create_ok(s, "t", ids, 1, 1);
    create_ok(s, "t", ids, 2, 1);
    ASSERT_OK(store_data_alias_set(s, "t", "prod", 1, &err), &err);
    ASSERT_OK(store_data_alias_set(s, "t", "dev", 2, &err), &err);
    ASSERT_FAILS(store_data_alias_set(s, "t", "x", 9, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "version 9");
    ASSERT_FAILS(store_data_alias_set(s, "nope", "x", 1, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "dataset 'nope' not found");
    ASSERT_FAILS(store_data_alias_set(s, "t", "latest", 1, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    char tname[] = "t", prod[] = "prod";
    struct data_ref r = {tname, DATA_REF_ALIAS, 0, prod, NULL};
    ASSERT_OK(store_data_version_get(s, &r, 0, &v, &err), &err);
    ASSERT_INT_EQ(v.version, 1);
    ASSERT_STR_EQ(v.aliases.v[0].key, "prod");
    data_version_release(&v);
    r.kind = DATA_REF_LATEST;
    ASSERT_OK(store_data_version_get(s, &r, 0, &v, &err), &err);
    ASSERT_INT_EQ(v.version, 2);
    data_version_release(&v);
    /* moving an alias */
    ASSERT_OK(store_data_alias_set(s, "t", "prod", 2, &err), &err);
    r.kind = DATA_REF_ALIAS;
    ASSERT_OK(store_data_version_get(s, &r, 0, &v, &err), &err);
    ASSERT_INT_EQ(v.version, 2);
    ASSERT_INT_EQ(v.aliases.n, 2);
    data_version_release(&v);
    struct dataset_info d;
    ASSERT_OK(store_dataset_get(s, "t", &d, &err), &err);
    ASSERT_STR_EQ(kv_list_get(&d.aliases, "prod"), "2");
    ASSERT_STR_EQ(kv_list_get(&d.aliases, "dev"), "2");
    dataset_info_release(&d);
    /* tags */
    ASSERT_OK(store_data_version_tag_set(s, "t", 2, "k", "v1", &err), &err);
    ASSERT_OK(store_data_version_tag_set(s, "t", 2, "k", "v2", &err), &err);
    ASSERT_FAILS(store_data_version_tag_set(s, "t", 7, "k", "v", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_data_version_get_num(s, "t", 2, 0, &v, &err), &err);
    ASSERT_STR_EQ(kv_list_get(&v.tags, "k"), "v2");
    data_version_release(&v);
    ASSERT_OK(store_data_version_tag_delete(s, "t", 2, "k", &err), &err);
    ASSERT_FAILS(store_data_version_tag_delete(s, "t", 2, "k", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    /* alias delete; deleting a version drops its aliases */
    ASSERT_OK(store_data_alias_delete(s, "t", "dev", &err), &err);
    ASSERT_FAILS(store_data_alias_delete(s, "t", "dev", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_data_version_delete(s, "t", 2, &err), &err);
    ASSERT_FAILS(store_data_version_get(s, &r, 0, &v, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "alias 'prod' of dataset 't' not found");
    ASSERT_OK(store_dataset_get(s, "t", &d, &err), &err);
    ASSERT_INT_EQ(d.aliases.n, 0);
    dataset_info_release(&d);
    store_close(s);
}

STORE_TEST(datasets_paging)
{
    struct store *s = open_ds_store("ds_paging");
    struct ferr err = FERR_INIT;
    unsigned long long ids[] = {1, 2, 3, 4, 5};
    put_objects(s, ids, 5);
    const char *names[] = {"b-set", "a-set", "c-other", "d-set", "e-set"};
    for (int i = 0; i < 5; i++)
        create_ok(s, names[i], ids, 1, 1);
    for (size_t n = 1; n <= 5; n++)
        create_ok(s, "a-set", ids, n, n > 1);
    struct dataset_info_list dl;
    ASSERT_OK(store_datasets_list(s, NULL, 2, NULL, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 2);
    ASSERT_STR_EQ(dl.v[0].name, "a-set");
    ASSERT_STR_EQ(dl.v[1].name, "b-set");
    ASSERT_INT_EQ(dl.v[0].latest_version, 5);
    ASSERT(dl.next_page_token);
    char *tok = strdup(dl.next_page_token);
    dataset_info_list_release(&dl);
    ASSERT_OK(store_datasets_list(s, NULL, 2, tok, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 2);
    ASSERT_STR_EQ(dl.v[0].name, "c-other");
    free(tok);
    tok = strdup(dl.next_page_token);
    dataset_info_list_release(&dl);
    ASSERT_OK(store_datasets_list(s, NULL, 2, tok, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 1);
    ASSERT(!dl.next_page_token);
    dataset_info_list_release(&dl);
    free(tok);
    /* the name filter is a plain substring */
    ASSERT_OK(store_datasets_list(s, "-set", 0, NULL, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 4);
    dataset_info_list_release(&dl);
    ASSERT_OK(store_datasets_list(s, "%", 0, NULL, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 0);
    dataset_info_list_release(&dl);
    ASSERT_FAILS(store_datasets_list(s, NULL, 1001, NULL, &dl, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_datasets_list(s, NULL, 2, "garbage", &dl, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    /* versions newest first, a page at a time */
    struct data_version_list vl;
    ASSERT_OK(store_data_versions_list(s, "a-set", 3, NULL, &vl, &err), &err);
    ASSERT_INT_EQ(vl.n, 3);
    ASSERT_INT_EQ(vl.v[0].version, 5);
    ASSERT_INT_EQ(vl.v[2].version, 3);
    ASSERT(!vl.v[0].manifest && !vl.v[0].profile);
    tok = strdup(vl.next_page_token);
    data_version_list_release(&vl);
    ASSERT_OK(store_data_versions_list(s, "a-set", 3, tok, &vl, &err), &err);
    ASSERT_INT_EQ(vl.n, 2);
    ASSERT_INT_EQ(vl.v[1].version, 1);
    ASSERT(!vl.next_page_token);
    data_version_list_release(&vl);
    free(tok);
    store_close(s);
}

STORE_TEST(datasets_objects_have_put_locate)
{
    struct store *s = open_ds_store("ds_objects");
    struct ferr err = FERR_INIT;
    enum { N = 25000 }; /* more than one batch on PostgreSQL */
    char(*d)[DATA_DIGEST_LEN + 1] = calloc(N, sizeof(*d));
    unsigned long long *ids = calloc(N, sizeof(*ids));
    unsigned char *present = calloc(N, 1);
    int64_t old = ftime_now_ms() - 2 * 3600 * 1000;
    for (size_t i = 0; i < N; i++) {
        ids[i] = 1000 + i;
        dig(ids[i], d[i]);
    }
    /* even ones stored, two hours ago, in a pack */
    unsigned long long *evens = calloc(N / 2, sizeof(*evens));
    for (size_t i = 0; i < N / 2; i++)
        evens[i] = ids[2 * i];
    put_objects_at(s, evens, N / 2, "0123456789abcdef0123456789abcdef", old);
    free(evens);
    ASSERT_OK(store_data_objects_have(s, (const char(*)[65])d, N, present, &err), &err);
    for (size_t i = 0; i < N; i++)
        ASSERT_INT_EQ(present[i], i % 2 == 0);
    /* have touched the found ones: locate shows it */
    struct data_object *loc = calloc(N, sizeof(*loc));
    size_t missing = 0;
    ASSERT_OK(store_data_objects_locate(s, (const char(*)[65])d, N, loc, &missing, &err), &err);
    ASSERT_INT_EQ(missing, N / 2);
    ASSERT_STR_EQ(loc[0].digest, d[0]);
    ASSERT_STR_EQ(loc[0].pack, "0123456789abcdef0123456789abcdef");
    ASSERT_INT_EQ(loc[0].size, 10);
    ASSERT_INT_EQ(loc[0].offset, 9);
    ASSERT(loc[0].touched_ms > old + 3600 * 1000);
    ASSERT_STR_EQ(loc[1].digest, "");
    /* put: insert-or-ignore, counting the new rows; a known digest keeps
     * its location */
    struct data_object o[3];
    memset(o, 0, sizeof(o));
    memcpy(o[0].digest, d[0], 65);
    o[0].size = 10;
    memcpy(o[1].digest, d[1], 65);
    o[1].size = 7;
    memcpy(o[2].digest, d[3], 65);
    o[2].size = 8;
    snprintf(o[2].pack, sizeof(o[2].pack), "ffffffffffffffffffffffffffffffff");
    o[2].offset = 100;
    int64_t added = -1;
    ASSERT_OK(store_data_objects_put(s, o, 3, &added, &err), &err);
    ASSERT_INT_EQ(added, 2);
    ASSERT_OK(store_data_objects_locate(s, (const char(*)[65])d, 4, loc, &missing, &err), &err);
    ASSERT_INT_EQ(missing, 0);
    ASSERT_STR_EQ(loc[0].pack, "0123456789abcdef0123456789abcdef");
    ASSERT_STR_EQ(loc[1].pack, "");
    ASSERT_INT_EQ(loc[1].size, 7);
    ASSERT_INT_EQ(loc[3].offset, 100);
    /* bad input */
    snprintf(o[0].digest, sizeof(o[0].digest), "xyz");
    ASSERT_FAILS(store_data_objects_put(s, o, 1, &added, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    snprintf(d[5], 65, "ABC");
    ASSERT_FAILS(store_data_objects_have(s, (const char(*)[65])d, N, present, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "'ABC'");
    /* list in digest order, a page at a time */
    struct data_object_list ol;
    ASSERT_OK(store_data_objects_list(s, NULL, 10000, &ol, &err), &err);
    ASSERT_INT_EQ(ol.n, 10000);
    ASSERT(strcmp(ol.v[0].digest, ol.v[1].digest) < 0);
    char after[65];
    memcpy(after, ol.v[ol.n - 1].digest, 65);
    data_object_list_release(&ol);
    size_t total = 10000;
    for (;;) {
        ASSERT_OK(store_data_objects_list(s, after, 10000, &ol, &err), &err);
        total += ol.n;
        if (ol.n)
            memcpy(after, ol.v[ol.n - 1].digest, 65);
        size_t n = ol.n;
        data_object_list_release(&ol);
        if (n < 10000)
            break;
    }
    ASSERT_INT_EQ(total, N / 2 + 2);
    struct data_pack_list pl;
    ASSERT_OK(store_data_packs_list(s, &pl, &err), &err);
    ASSERT_INT_EQ(pl.n, 2);
    ASSERT_STR_EQ(pl.v[0].id, "0123456789abcdef0123456789abcdef");
    ASSERT_INT_EQ(pl.v[0].objects, N / 2);
    ASSERT_INT_EQ(pl.v[1].objects, 1);
    data_pack_list_release(&pl);
    free(loc);
    free(d);
    free(ids);
    free(present);
    store_close(s);
}

/* The add's first step at its largest: 200,000 digests in one call each
 * way (batched inside; the times are printed, not asserted). */
STORE_TEST(datasets_objects_200k_in_one_call)
{
    struct store *s = open_ds_store("ds_200k");
    struct ferr err = FERR_INIT;
    enum { N = DATA_OBJECTS_CALL_MAX };
    struct data_object *o = calloc(N, sizeof(*o));
    char(*d)[DATA_DIGEST_LEN + 1] = calloc(N, sizeof(*d));
    unsigned char *present = calloc(N, 1);
    for (size_t i = 0; i < N; i++) {
        dig(7000000 + i, d[i]);
        memcpy(o[i].digest, d[i], sizeof(d[i]));
        snprintf(o[i].pack, sizeof(o[i].pack), "%032zx", i / 1000);
        o[i].offset = 9 + (int64_t)(i % 1000) * 1065;
        o[i].size = 1024;
    }
    int64_t added, t0 = ftime_now_ms();
    ASSERT_OK(store_data_objects_put(s, o, N / 2, &added, &err), &err);
    ASSERT_INT_EQ(added, N / 2);
    int64_t t1 = ftime_now_ms();
    ASSERT_OK(store_data_objects_have(s, (const char(*)[65])d, N, present, &err), &err);
    int64_t t2 = ftime_now_ms();
    size_t n = 0;
    for (size_t i = 0; i < N; i++)
        n += present[i];
    ASSERT_INT_EQ(n, N / 2);
    ASSERT(present[0] && !present[N - 1]);
    ASSERT_OK(store_data_objects_put(s, o, N, &added, &err), &err);
    ASSERT_INT_EQ(added, N / 2);
    int64_t t3 = ftime_now_ms();
    fprintf(stderr,
            "    put 100000 %lld ms, have 200000 %lld ms, put 200000 (half known) %lld ms\n",
            (long long)(t1 - t0), (long long)(t2 - t1), (long long)(t3 - t2));
    ASSERT_FAILS(store_data_objects_have(s, (const char(*)[65])d, N + 1, present, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    free(o);
    free(d);
    free(present);
    store_close(s);
}

static int has_digest(const struct data_object_list *l, unsigned long long id)
{
    char d[65];
    dig(id, d);
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].digest, d))
            return 1;
    return 0;
}

STORE_TEST(datasets_gc_respects_touch_and_manifests)
{
    struct store *s = open_ds_store("ds_gc");
    struct ferr err = FERR_INIT;
    const char *p1 = "11111111111111111111111111111111", *p2 = "22222222222222222222222222222222";
    int64_t now = ftime_now_ms(), old = now - 2 * 3600 * 1000, cutoff = now - 3600 * 1000;
    unsigned long long live[] = {1, 2}, dead_p1[] = {3}, dead_p2[] = {4, 5}, loose_old[] = {6},
                       fresh[] = {7};
    put_objects_at(s, live, 2, p1, old);
    put_objects_at(s, dead_p1, 1, p1, old);
    put_objects_at(s, dead_p2, 2, p2, old);
    put_objects_at(s, loose_old, 1, NULL, old);
    put_objects_at(s, fresh, 1, NULL, now);
    create_ok(s, "t", live, 2, 1);
    /* dry run: what would go, nothing gone */
    struct data_object_list del;
    struct data_pack_list packs;
    ASSERT_OK(store_data_gc(s, cutoff, 1, &del, &packs, &err), &err);
    ASSERT_INT_EQ(del.n, 4);
    ASSERT(has_digest(&del, 3) && has_digest(&del, 4) && has_digest(&del, 5) &&
           has_digest(&del, 6));
    ASSERT_INT_EQ(packs.n, 1);
    ASSERT_STR_EQ(packs.v[0].id, p2);
    data_object_list_release(&del);
    data_pack_list_release(&packs);
    struct data_pack_list pl;
    ASSERT_OK(store_data_packs_list(s, &pl, &err), &err);
    ASSERT_INT_EQ(pl.n, 2);
    data_pack_list_release(&pl);
    /* an add in progress names 4 (have touches it): gc leaves it */
    char d4[65];
    unsigned char present;
    dig(4, d4);
    ASSERT_OK(store_data_objects_have(s, (const char(*)[65])d4, 1, &present, &err), &err);
    ASSERT_INT_EQ(present, 1);
    ASSERT_OK(store_data_gc(s, cutoff, 0, &del, &packs, &err), &err);
    ASSERT_INT_EQ(del.n, 3);
    ASSERT(has_digest(&del, 3) && has_digest(&del, 5) && has_digest(&del, 6));
    ASSERT_INT_EQ(packs.n, 0); /* p1 holds 1 and 2, p2 holds 4 */
    data_object_list_release(&del);
    data_pack_list_release(&packs);
    /* the DELETE itself re-checks touched_ms: a row gc picked whose add
     * touched it since (here 7, touched now) stays */
    char d7[65];
    dig(7, d7);
    memset(&del, 0, sizeof(del));
    memset(&packs, 0, sizeof(packs));
    ASSERT_OK(s->datasets->gc_delete(s, (const char(*)[65])d7, 1, cutoff, &del, &packs, &err),
              &err);
    ASSERT_INT_EQ(del.n, 0);
    data_object_list_release(&del);
    data_pack_list_release(&packs);
    /* nothing left to collect at that cutoff */
    ASSERT_OK(store_data_gc(s, cutoff, 0, &del, &packs, &err), &err);
    ASSERT_INT_EQ(del.n, 0);
    data_object_list_release(&del);
    data_pack_list_release(&packs);
    /* the version deleted: at a cutoff past every touch, its objects go,
     * and with them the packs */
    ASSERT_OK(store_data_version_delete(s, "t", 1, &err), &err);
    ASSERT_OK(store_data_gc(s, ftime_now_ms() + 1000, 0, &del, &packs, &err), &err);
    ASSERT_INT_EQ(del.n, 4);
    ASSERT(has_digest(&del, 1) && has_digest(&del, 2) && has_digest(&del, 4) &&
           has_digest(&del, 7));
    ASSERT_INT_EQ(packs.n, 2);
    data_object_list_release(&del);
    data_pack_list_release(&packs);
    ASSERT_OK(store_data_packs_list(s, &pl, &err), &err);
    ASSERT_INT_EQ(pl.n, 0);
    data_pack_list_release(&pl);
    /* a create after gc deleted its objects is refused */
    struct data_version v;
    int created;
    ASSERT_FAILS(create(s, "t", live, 2, &v, &created, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    store_close(s);
}

STORE_TEST(datasets_runs_of_a_version)
{
    struct store *s = open_ds_store("ds_runs");
    struct ferr err = FERR_INIT;
    struct data_run_use_list ul;
    char *runs[3];
    for (int i = 0; i < 3; i++) {
        struct run_create rc = {"0", "alice", NULL, 1000 + i, {0}};
        struct run r;
        ASSERT_OK(store_create_run(s, &rc, &r, &err), &err);
        runs[i] = strdup(r.info.run_id);
        run_release(&r);
    }
    char name[] = "t", digest[] = "abcdef12", st[] = "ferry", src1[] = "data:/t/1",
         src2[] = "data:/t/2";
    struct dataset_input di = {0};
    di.dataset.name = name;
    di.dataset.digest = digest;
    di.dataset.source_type = st;
    di.dataset.source = src1;
    kv_list_add(&di.tags, "mlflow.data.context", "training");
    ASSERT_OK(store_log_inputs(s, runs[0], &di, 1, &err), &err);
    ASSERT_OK(store_log_inputs(s, runs[2], &di, 1, &err), &err);
    char digest2[] = "12345678"; /* MLflow keeps one dataset row per (name, digest) */
    di.dataset.source = src2;
    di.dataset.digest = digest2;
    ASSERT_OK(store_log_inputs(s, runs[1], &di, 1, &err), &err);
    kv_list_release(&di.tags);
    ASSERT_OK(store_data_version_runs(s, "t", 1, 0, NULL, &ul, &err), &err);
    ASSERT_INT_EQ(ul.n, 2);
    ASSERT_STR_EQ(ul.v[0].run_id, runs[2]); /* newest start first */
    ASSERT_STR_EQ(ul.v[1].run_id, runs[0]);
    ASSERT_STR_EQ(ul.v[0].context, "training");
    ASSERT_STR_EQ(ul.v[0].experiment_id, "0");
    ASSERT_STR_EQ(ul.v[0].status, "RUNNING");
    data_run_use_list_release(&ul);
    ASSERT_OK(store_data_version_runs(s, "t", 1, 1, NULL, &ul, &err), &err);
    ASSERT_INT_EQ(ul.n, 1);
    ASSERT(ul.next_page_token);
    data_run_use_list_release(&ul);
    ASSERT_OK(store_data_version_runs(s, "t", 3, 0, NULL, &ul, &err), &err);
    ASSERT_INT_EQ(ul.n, 0);
    data_run_use_list_release(&ul);
    for (int i = 0; i < 3; i++)
        free(runs[i]);
    store_close(s);
}

struct racer {
    struct store *s;
    const unsigned long long *ids;
    size_t n;
    int created;
    int64_t version;
    int rc;
    struct ferr err;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct data_version v;
    char *m = manifest_of(r->ids, r->n);
    struct data_version_new nv = {"raced", m, "m", "u", NULL, NULL};
    r->rc = store_data_version_create(r->s, &nv, &v, &r->created, &r->err);
    if (!r->rc) {
        r->version = v.version;
        data_version_release(&v);
    }
    free(m);
    return NULL;
}

/* Two threads on one store, then on two stores of one database (two
 * servers: two writer connections, the row lock decides). */
STORE_TEST(datasets_concurrent_creates_of_the_same_content)
{
    char *uri = test_store_uri("ds_race");
    struct store *s = open_uri(uri), *s2 = open_uri(uri);
    free(uri);
    unsigned long long ids[64];
    for (int i = 0; i < 64; i++)
        ids[i] = 500 + (unsigned long long)i;
    put_objects(s, ids, 64);
    for (int round = 0; round < 6; round++) {
        struct racer a = {s, ids, (size_t)(round + 1) * 10, 0, 0, 0, FERR_INIT};
        struct racer b = a;
        if (round >= 3)
            b.s = s2;
        pthread_t ta, tb;
        ASSERT_INT_EQ(pthread_create(&ta, NULL, race, &a), 0);
        ASSERT_INT_EQ(pthread_create(&tb, NULL, race, &b), 0);
        pthread_join(ta, NULL);
        pthread_join(tb, NULL);
        ASSERT_OK(a.rc, &a.err);
        ASSERT_OK(b.rc, &b.err);
        ASSERT_INT_EQ(a.created + b.created, 1);
        ASSERT_INT_EQ(a.version, b.version);
        ASSERT_INT_EQ(a.version, round + 1);
    }
    struct dataset_info d;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_dataset_get(s, "raced", &d, &err), &err);
    ASSERT_INT_EQ(d.version_count, 6);
    dataset_info_release(&d);
    store_close(s2);
    store_close(s);
}

/* `ferry db copy` takes the datasets' tables along: versions with their
 * manifests, profiles, tags and aliases, the counter, the object rows
 * (loose ones keep their NULL pack). */
PG_TEST(datasets_tables_copied_from_sqlite_to_postgres)
{
    struct ferr err = FERR_INIT;
    char src_uri[600];
    snprintf(src_uri, sizeof(src_uri), "%s/ds_copy_src.db", test_tmpdir());
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(src_uri, &o, &s, &err), &err);
    unsigned long long ids[] = {1, 2, 3};
    put_objects_at(s, ids, 2, "0123456789abcdef0123456789abcdef", ftime_now_ms());
    put_objects(s, ids + 2, 1);
    char *m = manifest_of(ids, 3);
    struct kv_list tags = {0};
    kv_list_add(&tags, "k", "tab\there");
    struct data_version_new nv = {"t", m, "first", "alice", &tags, "{\"rows\":3}"};
    ASSERT_OK(store_data_version_create(s, &nv, NULL, NULL, &err), &err);
    ASSERT_INT_EQ(create_ok(s, "t", ids, 1, 1), 2);
    ASSERT_OK(store_data_version_delete(s, "t", 2, &err), &err);
    ASSERT_OK(store_data_alias_set(s, "t", "prod", 1, &err), &err);
    store_close(s);

    char *dst_uri = test_store_uri("ds_copy_dst");
    struct store_copy_report rep;
    ASSERT_OK(store_copy(src_uri, dst_uri, &rep, &err), &err);
    int seen = 0;
    for (size_t i = 0; i < rep.ntables; i++)
        seen += !strncmp(rep.t[i].table, "data_", 5);
    ASSERT_INT_EQ(seen, 6);
    s = NULL;
    ASSERT_OK(store_open(dst_uri, &o, &s, &err), &err);
    free(dst_uri);
    struct data_version v;
    char tname[] = "t", prod[] = "prod";
    struct data_ref r = {tname, DATA_REF_ALIAS, 0, prod, NULL};
    ASSERT_OK(store_data_version_get(s, &r, 1, &v, &err), &err);
    ASSERT_INT_EQ(v.version, 1);
    ASSERT_STR_EQ(v.manifest, m);
    ASSERT_STR_EQ(v.profile, "{\"rows\":3}");
    ASSERT_STR_EQ(kv_list_get(&v.tags, "k"), "tab\there");
    data_version_release(&v);
    char d[3][65];
    struct data_object loc[3];
    size_t missing;
    for (int i = 0; i < 3; i++)
        dig(ids[i], d[i]);
    ASSERT_OK(store_data_objects_locate(s, (const char(*)[65])d, 3, loc, &missing, &err), &err);
    ASSERT_INT_EQ(missing, 0);
    ASSERT_STR_EQ(loc[1].pack, "0123456789abcdef0123456789abcdef");
    ASSERT_INT_EQ(loc[1].offset, 50);
    ASSERT_STR_EQ(loc[2].pack, "");
    /* the counter came along: the next version is 3, not 2 */
    ASSERT_INT_EQ(create_ok(s, "t", ids, 2, 1), 3);
    free(m);
    kv_list_release(&tags);
    store_close(s);
}

/* The events stream hears of new versions and alias moves, in the change's
 * transaction; the same content again and an alias set to the version it
 * names write nothing; a refused change writes nothing. */
STORE_TEST(datasets_events_on_the_stream)
{
    struct store *s = open_ds_store("ds_events");
    struct ferr err = FERR_INIT;
    unsigned long long ids[] = {1, 2};
    put_objects(s, ids, 2);
    int64_t v1 = create_ok(s, "tx", ids, 1, 1);
    create_ok(s, "tx", ids, 1, 0); /* the same content: no new version, no event */
    int64_t v2 = create_ok(s, "tx", ids, 2, 1);
    ASSERT_OK(store_data_alias_set(s, "tx", "prod", v1, &err), &err);
    ASSERT_OK(store_data_alias_set(s, "tx", "prod", v1, &err), &err); /* no move */
    ASSERT_OK(store_data_alias_set(s, "tx", "prod", v2, &err), &err);
    ASSERT_FAILS(store_data_alias_set(s, "tx", "prod", 99, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    struct store_event_list l;
    const char *kinds[] = {"dataset.*"};
    ASSERT_OK(store_events_search(s, 0, kinds, 1, 100, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 4);
    const char *want_kind[] = {"dataset.version_created", "dataset.version_created",
                               "dataset.alias_set", "dataset.alias_set"};
    int64_t want_version[] = {v1, v2, v1, v2};
    struct data_version dv;
    for (size_t i = 0; i < l.n; i++) {
        ASSERT_STR_EQ(l.v[i].kind, want_kind[i]);
        ASSERT_STR_EQ(l.v[i].subject, "tx");
        ASSERT(i == 0 || l.v[i].id > l.v[i - 1].id);
        json_t *p = json_loads(l.v[i].payload, 0, NULL);
        ASSERT(p);
        char uri[64];
        snprintf(uri, sizeof(uri), "data:/tx/%lld", (long long)want_version[i]);
        ASSERT_STR_EQ(json_string_value(json_object_get(p, "name")), "tx");
        ASSERT_INT_EQ(json_integer_value(json_object_get(p, "version")), want_version[i]);
        ASSERT_STR_EQ(json_string_value(json_object_get(p, "uri")), uri);
        if (i < 2) {
            ASSERT_STR_EQ(l.v[i].user_id, "alice");
            ASSERT_OK(store_data_version_get_num(s, "tx", want_version[i], 0, &dv, &err), &err);
            ASSERT_STR_EQ(json_string_value(json_object_get(p, "digest")), dv.digest);
            data_version_release(&dv);
            ASSERT_INT_EQ(json_object_size(p), 4);
        } else {
            ASSERT_STR_EQ(json_string_value(json_object_get(p, "alias")), "prod");
            ASSERT_INT_EQ(json_object_size(p), 4);
        }
        json_decref(p);
    }
    store_event_list_release(&l);
    store_close(s);
}
