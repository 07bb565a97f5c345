/* SPDX-License-Identifier: MIT
 * domain/data_manifest.c: canonical text and digest, parse round trips,
 * every validation refusal naming its entry, objects, diff, layout. */
#include "../test.h"
#include "base/ferr.h"
#include "base/sbuf.h"
#include "domain/data_manifest.h"

#include <openssl/evp.h>

#define D(c)                                                                                       \
    c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c  \
        c c c c c c c c c c c c c c c c c
#define DA D("a")
#define DB D("b")
#define DC D("c")
#define DD D("d")
#define DE D("e")

static void build(struct data_manifest *m)
{
    data_manifest_init(m);
    data_manifest_add_file(m, "z.bin", 3, 1, DA);
    struct data_file *f = data_manifest_add_file(m, "a/big", DATA_CHUNK_SIZE + 5, 0, DB);
    data_file_add_chunk(f, DC);
    data_file_add_chunk(f, DD);
    data_manifest_add_dir(m, "empty/dir");
    data_manifest_add_link(m, "a/l", "../z.bin");
}

static const char canonical[] =
    "{\"chunk_size\":8388608,\"dirs\":[\"empty/dir\"],\"files\":[{\"chunks\":[\"" DC "\",\"" DD
    "\"],\"mode\":\"0644\",\"path\":\"a/big\",\"sha256\":\"" DB
    "\",\"size\":8388613},{\"mode\":\"0755\",\"path\":\"z.bin\",\"sha256\":\"" DA
    "\",\"size\":3}],\"format\":\"ferry-data/1\",\"links\":[{\"path\":\"a/l\",\"target\":\"../"
    "z.bin\"}]}";

TEST(data_manifest_canonical_and_digest)
{
    struct data_manifest m;
    struct ferr err = FERR_INIT;
    build(&m);
    ASSERT_OK(data_manifest_finish(&m, &err), &err);
    struct sbuf sb = SBUF_INIT;
    data_manifest_canonical(&m, &sb);
    ASSERT_STR_EQ(sb.buf, canonical);
    char hex[65], want[65];
    unsigned char md[32];
    unsigned n;
    ASSERT(EVP_Digest(sb.buf, sb.len, md, &n, EVP_sha256(), NULL));
    data_digest_from_raw(md, want);
    data_manifest_digest(&m, hex);
    ASSERT_STR_EQ(hex, want);
    ASSERT_INT_EQ(data_manifest_size(&m), DATA_CHUNK_SIZE + 8);

    /* Parsing any spelling gives back the canonical text. */
    struct data_manifest p;
    const char *loose = "{ \"format\": \"ferry-data/1\", \"files\": [ {\"size\": 3, \"path\": "
                        "\"z.bin\", \"sha256\": \"" DA "\", \"mode\": \"0755\"}, {\"path\": "
                        "\"a/big\", \"size\": 8388613, \"mode\": \"0644\", \"sha256\": \"" DB
                        "\", \"chunks\": [\"" DC "\", \"" DD "\"]}], \"chunk_size\": 8388608,"
                        " \"links\": [{\"target\": \"../z.bin\", \"path\": \"a/l\"}], \"dirs\": "
                        "[\"empty/dir\"]}";
    ASSERT_OK(data_manifest_parse(loose, strlen(loose), &p, &err), &err);
    struct sbuf sb2 = SBUF_INIT;
    data_manifest_canonical(&p, &sb2);
    ASSERT_STR_EQ(sb2.buf, canonical);
    /* The JSON form dumps to the same text. */
    json_t *j = data_manifest_to_json(&m);
    char *dumped = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    ASSERT_STR_EQ(dumped, canonical);
    free(dumped);
    json_decref(j);
    sbuf_release(&sb);
    sbuf_release(&sb2);
    data_manifest_release(&p);
    data_manifest_release(&m);
}

TEST(data_manifest_unicode_paths_sort_by_bytes)
{
    struct data_manifest m;
    struct ferr err = FERR_INIT;
    data_manifest_init(&m);
    data_manifest_add_file(&m, "\xc3\xa9t\xc3\xa9.csv", 1, 0, DA); /* "été.csv" */
    data_manifest_add_file(&m, "Z", 1, 0, DA);
    data_manifest_add_file(&m, "a\"q\\b\n", 1, 0, DA);
    ASSERT_OK(data_manifest_finish(&m, &err), &err);
    ASSERT_STR_EQ(m.files[0].path, "Z");
    ASSERT_STR_EQ(m.files[2].path, "\xc3\xa9t\xc3\xa9.csv");
    struct sbuf sb = SBUF_INIT;
    data_manifest_canonical(&m, &sb);
    struct data_manifest p;
    ASSERT_OK(data_manifest_parse(sb.buf, sb.len, &p, &err), &err);
    ASSERT_STR_EQ(p.files[1].path, "a\"q\\b\n");
    char h1[65], h2[65];
    data_manifest_digest(&m, h1);
    data_manifest_digest(&p, h2);
    ASSERT_STR_EQ(h1, h2);
    sbuf_release(&sb);
    data_manifest_release(&p);
    data_manifest_release(&m);
}

/* Parses text (a manifest with `files` and optional `extra` members) and
 * expects a refusal containing want. */
static void refused(const char *files, const char *extra, const char *want)
{
    struct sbuf sb = SBUF_INIT;
    struct data_manifest m;
    struct ferr err = FERR_INIT;
    sbuf_addf(&sb, "{\"format\":\"ferry-data/1\",\"chunk_size\":8388608,\"files\":[%s]%s}", files,
              extra ? extra : "");
    if (data_manifest_parse(sb.buf, sb.len, &m, &err) == 0)
        FAIL_AT("accepted: %s", sb.buf);
    if (err.code != FERR_INVALID_PARAMETER_VALUE || !strstr(err.msg, want))
        FAIL_AT("%s: got %s '%s', want '%s'", sb.buf, ferr_code_name(err.code), err.msg, want);
    data_manifest_release(&m);
    sbuf_release(&sb);
}

#define F(path, size, mode, sha)                                                                   \
    "{\"path\":\"" path "\",\"size\":" #size ",\"mode\":\"" mode "\",\"sha256\":\"" sha "\"}"

TEST(data_manifest_refusals_name_the_entry)
{
    refused(F("/etc/passwd", 1, "0644", DA), NULL, "'/etc/passwd': path is absolute");
    refused(F("a/../b", 1, "0644", DA), NULL, "'a/../b': empty, '.' or '..'");
    refused(F("./b", 1, "0644", DA), NULL, "'./b'");
    refused(F("a//b", 1, "0644", DA), NULL, "'a//b'");
    refused(F("a/", 1, "0644", DA), NULL, "'a/'");
    refused(F("", 1, "0644", DA), NULL, "empty path");
    refused(F("a\\u0000b", 1, "0644", DA), NULL, "NUL");
    refused(F("x", 1, "0600", DA), NULL, "file 'x': mode '0600'");
    refused(F("x", 1, "0644", "ABC"), NULL, "file 'x': sha256");
    refused(F("x", -1, "0644", DA), NULL, "file 'x': bad size -1");
    refused(F("x", 1, "0644", DA) "," F("x", 2, "0644", DB), NULL, "'x'");
    refused(F("x", 1, "0644", DA), ",\"dirs\":[\"x\"]", "path 'x' is listed both as a");
    refused(F("x", 1, "0644", DA) "," F("x/y", 1, "0644", DA), NULL,
            "path 'x/y' lies below file 'x'");
    refused(F("d/y", 1, "0644", DA), ",\"dirs\":[\"d\"]",
            "directory 'd' is listed as empty but holds 'd/y'");
    refused(F("x", 1, "0644", DA), ",\"links\":[{\"path\":\"l\",\"target\":\"../x\"}]",
            "link 'l': target '../x' leaves the tree");
    refused(F("x", 1, "0644", DA), ",\"links\":[{\"path\":\"l\",\"target\":\"/x\"}]",
            "link 'l': target '/x' is absolute");
    refused(F("d/x", 1, "0644", DA), ",\"links\":[{\"path\":\"d/l\",\"target\":\"./../../x\"}]",
            "leaves the tree");
    refused(F("x", 1, "0644", DA),
            ",\"links\":[{\"path\":\"l1\",\"target\":\"x\"},{\"path\":\"l2\",\"target\":"
            "\"l1/..\"}]",
            "goes up through link 'l1'");
    refused(F("x", 1, "0644", DA), ",\"links\":[{\"path\":\"l\",\"target\":\"\"}]",
            "link 'l': empty target");
    refused(F("l/x", 1, "0644", DA), ",\"links\":[{\"path\":\"l\",\"target\":\"x\"}]",
            "path 'l/x' lies below link 'l'");
    refused(F("x", 1, "0644", DA), ",\"extra\":1", "unknown key 'extra'");
    refused("{\"path\":\"x\",\"size\":\"1\",\"mode\":\"0644\",\"sha256\":\"" DA "\"}", NULL,
            "'size' missing or not an integer");
    /* Chunks must match size and chunk size. */
    refused("{\"path\":\"big\",\"size\":8388609,\"mode\":\"0644\",\"sha256\":\"" DA "\"}", NULL,
            "file 'big': 0 chunk digests for 8388609 bytes (expected 2)");
    refused("{\"path\":\"big\",\"size\":8388609,\"mode\":\"0644\",\"sha256\":\"" DA
            "\",\"chunks\":[\"" DB "\"]}",
            NULL, "file 'big': 1 chunk digests");
    refused("{\"path\":\"s\",\"size\":8388608,\"mode\":\"0644\",\"sha256\":\"" DA
            "\",\"chunks\":[\"" DB "\"]}",
            NULL, "file 's': 1 chunk digests for 8388608 bytes (expected 0)");
    refused("{\"path\":\"big\",\"size\":8388609,\"mode\":\"0644\",\"sha256\":\"" DA
            "\",\"chunks\":[\"" DB "\",\"xyz\"]}",
            NULL, "file 'big': chunk 1");

    struct data_manifest m;
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(data_manifest_parse("{\"format\":\"ferry-data/2\",\"chunk_size\":8388608,"
                                     "\"files\":[]}",
                                     60, &m, &err),
                 &err, FERR_INVALID_PARAMETER_VALUE);
    data_manifest_release(&m);
    const char *cs = "{\"format\":\"ferry-data/1\",\"chunk_size\":1024,\"files\":[]}";
    ASSERT_FAILS(data_manifest_parse(cs, strlen(cs), &m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "chunk_size");
    data_manifest_release(&m);
    ASSERT_FAILS(data_manifest_parse("{\"format\":", 10, &m, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "malformed JSON");
    data_manifest_release(&m);
    /* Non-UTF-8 paths, built directly. */
    data_manifest_init(&m);
    data_manifest_add_file(&m, "bad\xff", 1, 0, DA);
    ASSERT_FAILS(data_manifest_finish(&m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "not valid UTF-8");
    data_manifest_release(&m);
    /* In-tree links are fine, also up and down again. */
    const char *ok = "{\"format\":\"ferry-data/1\",\"chunk_size\":8388608,\"files\":[],"
                     "\"links\":[{\"path\":\"a/b/l\",\"target\":\"../../c/./d\"},{\"path\":\"r\","
                     "\"target\":\".\"}]}";
    ASSERT_OK(data_manifest_parse(ok, strlen(ok), &m, &err), &err);
    data_manifest_release(&m);
}

TEST(data_manifest_objects_distinct)
{
    struct data_manifest m;
    struct ferr err = FERR_INIT;
    build(&m);
    data_manifest_add_file(&m, "dup", 5, 0, DD); /* same bytes as big's last chunk */
    ASSERT_OK(data_manifest_finish(&m, &err), &err);
    struct data_object_ref *o;
    size_t n;
    data_manifest_objects(&m, &o, &n);
    ASSERT_INT_EQ(n, 3); /* DA (z.bin), DC, DD; never the big file's own digest */
    ASSERT_STR_EQ(o[0].digest, DA);
    ASSERT_INT_EQ(o[0].size, 3);
    ASSERT_STR_EQ(o[1].digest, DC);
    ASSERT_INT_EQ(o[1].size, DATA_CHUNK_SIZE);
    ASSERT_STR_EQ(o[2].digest, DD);
    ASSERT_INT_EQ(o[2].size, 5);
    free(o);
    data_manifest_release(&m);
}

TEST(data_manifest_diff_kinds)
{
    struct data_manifest a, b;
    struct ferr err = FERR_INIT;
    data_manifest_init(&a);
    data_manifest_init(&b);
    data_manifest_add_file(&a, "same", 1, 0, DA);
    data_manifest_add_file(&a, "gone", 2, 0, DA);
    data_manifest_add_file(&a, "edited", 3, 0, DA);
    data_manifest_add_file(&a, "chmod", 4, 0, DA);
    data_manifest_add_dir(&a, "e");
    data_manifest_add_file(&b, "same", 1, 0, DA);
    data_manifest_add_file(&b, "edited", 5, 0, DB);
    data_manifest_add_file(&b, "chmod", 4, 1, DA);
    data_manifest_add_file(&b, "new", 6, 0, DE);
    data_manifest_add_link(&b, "e", "same");
    ASSERT_OK(data_manifest_finish(&a, &err), &err);
    ASSERT_OK(data_manifest_finish(&b, &err), &err);
    struct data_diff d;
    data_manifest_diff(&a, &b, &d);
    ASSERT_INT_EQ(d.n, 5);
    ASSERT_INT_EQ(d.added, 1);
    ASSERT_INT_EQ(d.removed, 1);
    ASSERT_INT_EQ(d.changed, 3);
    ASSERT_STR_EQ(d.v[0].path, "chmod");
    ASSERT_INT_EQ(d.v[0].change, DATA_CHANGED);
    ASSERT_INT_EQ(d.v[0].old_exec, 0);
    ASSERT_INT_EQ(d.v[0].new_exec, 1);
    ASSERT_STR_EQ(d.v[1].path, "e");
    ASSERT_INT_EQ(d.v[1].old_kind, DATA_KIND_DIR);
    ASSERT_INT_EQ(d.v[1].new_kind, DATA_KIND_LINK);
    ASSERT_STR_EQ(d.v[2].path, "edited");
    ASSERT_INT_EQ(d.v[2].old_size, 3);
    ASSERT_INT_EQ(d.v[2].new_size, 5);
    ASSERT_STR_EQ(d.v[3].path, "gone");
    ASSERT_INT_EQ(d.v[3].change, DATA_REMOVED);
    ASSERT_STR_EQ(d.v[4].path, "new");
    ASSERT_INT_EQ(d.v[4].change, DATA_ADDED);
    ASSERT_INT_EQ(d.v[4].new_size, 6);
    data_diff_release(&d);
    data_manifest_diff(&a, &a, &d);
    ASSERT_INT_EQ(d.n, 0);
    data_diff_release(&d);
    data_manifest_release(&a);
    data_manifest_release(&b);
}

TEST(data_manifest_layout)
{
    char p[DATA_OBJECT_PATH_MAX], q[DATA_PACK_PATH_MAX];
    char want[128];
    data_object_path(DA, p);
    snprintf(want, sizeof(want), "datasets/objects/aa/%s", DA + 2);
    ASSERT_STR_EQ(p, want);
    data_pack_path("0123456789abcdef0123456789abcdef", q);
    ASSERT_STR_EQ(q, "datasets/packs/0123456789abcdef0123456789abcdef.pack");
    ASSERT(data_digest_valid(DA));
    ASSERT(!data_digest_valid("A" D("a")));
    ASSERT(!data_digest_valid(D("a") "a"));
    ASSERT(data_pack_id_valid("0123456789abcdef0123456789abcdef"));
    ASSERT(!data_pack_id_valid("0123456789abcdef0123456789abcdeg"));
}

TEST(data_manifest_subtree_and_find)
{
    struct data_manifest m, sub;
    struct ferr err = FERR_INIT;
    build(&m);
    data_manifest_add_file(&m, "a/c/d.txt", 4, 0, DE);
    data_manifest_add_link(&m, "a/c/out", "../../z.bin");
    ASSERT_OK(data_manifest_finish(&m, &err), &err);
    ASSERT(data_manifest_find_file(&m, "z.bin") == &m.files[2]);
    ASSERT(data_manifest_find_file(&m, "a") == NULL);
    /* A directory: its entries, relative; links leaving it dropped. */
    ASSERT_OK(data_manifest_subtree(&m, "a", &sub, &err), &err);
    ASSERT_INT_EQ(sub.nfiles, 2);
    ASSERT_STR_EQ(sub.files[0].path, "big");
    ASSERT_INT_EQ(sub.files[0].nchunks, 2);
    ASSERT_STR_EQ(sub.files[1].path, "c/d.txt");
    ASSERT_INT_EQ(sub.nlinks, 0); /* a/l -> ../z.bin leaves "a" */
    data_manifest_release(&sub);
    /* A file: itself under its basename. */
    ASSERT_OK(data_manifest_subtree(&m, "a/c/d.txt", &sub, &err), &err);
    ASSERT_INT_EQ(sub.nfiles, 1);
    ASSERT_STR_EQ(sub.files[0].path, "d.txt");
    data_manifest_release(&sub);
    ASSERT_OK(data_manifest_subtree(&m, "empty", &sub, &err), &err);
    ASSERT_INT_EQ(sub.ndirs, 1);
    ASSERT_STR_EQ(sub.dirs[0], "dir");
    data_manifest_release(&sub);
    ASSERT_FAILS(data_manifest_subtree(&m, "nope", &sub, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(data_manifest_subtree(&m, "a/l/x", &sub, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(data_manifest_subtree(&m, "../x", &sub, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    data_manifest_release(&sub);
    data_manifest_release(&m);
}
