/* SPDX-License-Identifier: MIT
 * domain/data_version: dataset names, aliases, digests, tags, data: URIs
 * (every form, with paths, and the bad ones with what the message says)
 * and version specs. */
#include "../test.h"
#include "domain/data_version.h"

#include <string.h>

static void name_ok(const char *n)
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(data_validate_name(n, &err), &err);
}

static void name_bad(const char *n, const char *says)
{
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(data_validate_name(n, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, says);
}

TEST(data_names)
{
    char longest[DATASET_NAME_MAX + 2];
    memset(longest, 'a', sizeof(longest));
    longest[DATASET_NAME_MAX] = 0;
    name_ok("transactions");
    name_ok("a");
    name_ok("9.x_y-z");
    name_ok(longest);
    longest[DATASET_NAME_MAX] = 'a';
    longest[DATASET_NAME_MAX + 1] = 0;
    name_bad(longest, "at most 256");
    name_bad("", "cannot be empty");
    name_bad(NULL, "cannot be empty");
    name_bad(".hidden", "must start with a letter or a digit");
    name_bad("-x", "must start");
    name_bad("a/b", "only letters, digits, '.', '_' and '-'");
    name_bad("a b", "only letters");
    name_bad("caf\xc3\xa9", "only letters");
}

static void alias_bad(const char *a, const char *says)
{
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(data_validate_alias(a, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, says);
}

TEST(data_aliases)
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(data_validate_alias("prod", &err), &err);
    ASSERT_OK(data_validate_alias("Champion_2-b", &err), &err);
    ASSERT_OK(data_validate_alias("v", &err), &err);
    ASSERT_OK(data_validate_alias("v1x", &err), &err);
    ASSERT_OK(data_validate_alias("version3", &err), &err);
    alias_bad("", "cannot be empty");
    alias_bad("latest", "reserved");
    alias_bad("LATEST", "reserved");
    alias_bad("v3", "version number");
    alias_bad("V12", "version number");
    alias_bad("a.b", "only letters, digits, '_' and '-'");
    alias_bad("a@b", "only letters");
    char longest[DATA_ALIAS_MAX + 2];
    memset(longest, 'a', sizeof(longest));
    longest[DATA_ALIAS_MAX + 1] = 0;
    alias_bad(longest, "at most 255");
    longest[DATA_ALIAS_MAX] = 0;
    ASSERT_OK(data_validate_alias(longest, &err), &err);
}

TEST(data_digests_packs_tags)
{
    struct ferr err = FERR_INIT;
    const char *good = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    ASSERT_OK(data_validate_digest(good, NULL, &err), &err);
    ASSERT_FAILS(data_validate_digest("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B"
                                      "7852B855",
                                      "object digest", &err),
                 &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "invalid object digest");
    ASSERT_FAILS(data_validate_digest("abc", NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    char longer[80];
    snprintf(longer, sizeof(longer), "%s0", good);
    ASSERT_FAILS(data_validate_digest(longer, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(data_validate_pack_id("0123456789abcdef0123456789abcdef", &err), &err);
    ASSERT_FAILS(data_validate_pack_id("0123456789abcdef", &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(data_validate_tag("k", "v", &err), &err);
    ASSERT_FAILS(data_validate_tag("", "v", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(data_validate_tag("a\nb", "v", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(data_validate_tag("k", "\xff", &err), &err, FERR_INVALID_PARAMETER_VALUE);
}

static void uri_ok(const char *uri, const char *name, enum data_ref_kind kind, int64_t version,
                   const char *alias, const char *path)
{
    struct data_ref r = DATA_REF_INIT;
    struct ferr err = FERR_INIT;
    ASSERT_OK(data_uri_parse(uri, &r, &err), &err);
    ASSERT_STR_EQ(r.name, name);
    ASSERT_INT_EQ(r.kind, kind);
    ASSERT_INT_EQ(r.version, version);
    if (alias)
        ASSERT_STR_EQ(r.alias, alias);
    else
        ASSERT(!r.alias);
    if (path)
        ASSERT_STR_EQ(r.path, path);
    else
        ASSERT(!r.path);
    data_ref_release(&r);
}

static void uri_bad(const char *uri, const char *says)
{
    struct data_ref r = DATA_REF_INIT;
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(data_uri_parse(uri, &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, says);
    ASSERT(!r.name && !r.alias && !r.path);
}

TEST(data_uri_forms)
{
    uri_ok("data:/transactions/3", "transactions", DATA_REF_VERSION, 3, NULL, NULL);
    uri_ok("data:/t/v12", "t", DATA_REF_VERSION, 12, NULL, NULL);
    uri_ok("data:/t/latest", "t", DATA_REF_LATEST, 0, NULL, NULL);
    uri_ok("data:/transactions@prod/train.csv", "transactions", DATA_REF_ALIAS, 0, "prod",
           "train.csv");
    uri_ok("data:/t@prod", "t", DATA_REF_ALIAS, 0, "prod", NULL);
    uri_ok("data:/t/3/dir/a b.csv", "t", DATA_REF_VERSION, 3, NULL, "dir/a b.csv");
    uri_ok("data:/t/3/", "t", DATA_REF_VERSION, 3, NULL, NULL);
    uri_ok("data:/t/latest/x/", "t", DATA_REF_LATEST, 0, NULL, "x");
    uri_ok("data:/t/1/a@b", "t", DATA_REF_VERSION, 1, NULL, "a@b");
    ASSERT(data_uri_is("data:/x/1"));
    ASSERT(!data_uri_is("/data/x"));
    ASSERT(!data_uri_is(NULL));
}

TEST(data_uri_bad)
{
    uri_bad("runs:/x/1", "does not start with 'data:'");
    uri_bad("data:x/1", "must be followed by '/'");
    uri_bad("data://x/1", "no dataset name");
    uri_bad("data:/", "no dataset name");
    uri_bad("data:/@prod", "no dataset name");
    uri_bad("data:/t", "no version");
    uri_bad("data:/t/", "no version");
    uri_bad("data:/t//a", "no version");
    uri_bad("data:/t/0", "not a number >= 1");
    uri_bad("data:/t/-1", "not a number >= 1");
    uri_bad("data:/t/x", "not a number >= 1 nor 'latest'");
    uri_bad("data:/t/99999999999999999999", "not a number");
    uri_bad("data:/t@", "alias after '@' is empty");
    uri_bad("data:/t@latest", "reserved");
    uri_bad("data:/t@v2", "version number");
    uri_bad("data:/.t/1", "must start with a letter");
    uri_bad("data:/t/1/../x", "bad path component '..'");
    uri_bad("data:/t/1/a/./b", "bad path component '.'");
    uri_bad("data:/t/1/a//b", "empty component");
    uri_bad("data:/t/1/\xff", "not valid UTF-8");
}

TEST(data_ref_specs_and_format)
{
    struct data_ref r = DATA_REF_INIT;
    struct ferr err = FERR_INIT;
    ASSERT_OK(data_ref_from_spec("t", "7", &r, &err), &err);
    ASSERT_INT_EQ(r.kind, DATA_REF_VERSION);
    ASSERT_INT_EQ(r.version, 7);
    ASSERT_OK(data_ref_from_spec("t", "v8", &r, &err), &err);
    ASSERT_INT_EQ(r.version, 8);
    ASSERT_OK(data_ref_from_spec("t", "latest", &r, &err), &err);
    ASSERT_INT_EQ(r.kind, DATA_REF_LATEST);
    ASSERT_OK(data_ref_from_spec("t", "prod", &r, &err), &err);
    ASSERT_INT_EQ(r.kind, DATA_REF_ALIAS);
    ASSERT_STR_EQ(r.alias, "prod");
    ASSERT_STR_EQ(r.name, "t");
    data_ref_release(&r);
    ASSERT_FAILS(data_ref_from_spec("t", "0", &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(data_ref_from_spec("t", "", &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(data_ref_from_spec("t", "a.b", &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(data_ref_from_spec("bad name", "1", &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    char *u = data_uri_format("transactions", 12);
    ASSERT_STR_EQ(u, "data:/transactions/12");
    ASSERT_OK(data_uri_parse(u, &r, &err), &err);
    ASSERT_INT_EQ(r.version, 12);
    data_ref_release(&r);
    free(u);
}
