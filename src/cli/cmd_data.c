/* SPDX-License-Identifier: MIT
 * `ferry data ...`: versioned datasets (issue 19) from the shell, over a
 * data port (data/data_port.h): the tracking URI's store and the data root
 * beside it, or a ferry server. add/get/verify do the work in data/; the
 * rest are the dataset rows, printed for people or as JSON. */
#include "api/datasets_ops.h"
#include "base/fs_tree.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cmd.h"
#include "data/csv_diff.h"
#include "data/data_add.h"
#include "data/data_get.h"
#include "data/data_log.h"
#include "data/data_port.h"
#include "data/data_verify.h"
#include "data/profile.h"
#include "domain/data_manifest.h"
#include "domain/data_version.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

/* "" for one, "s" for any other count. */
#define PLURAL(n) ((n) == 1 ? "" : "s")

static const char usage[] =
    "usage: ferry data add NAME PATH [-m MESSAGE] [--tag KEY=VALUE]... [--no-profile] [--json]\n"
    "   or: ferry data list [--json]\n"
    "   or: ferry data versions NAME [--json]\n"
    "   or: ferry data show URI [--json]\n"
    "   or: ferry data diff NAME FROM TO [--rows] [--json]\n"
    "   or: ferry data get URI --dst DIR [--overwrite] [--json]\n"
    "   or: ferry data verify [NAME] [--json]\n"
    "   or: ferry data alias NAME ALIAS VERSION\n"
    "   or: ferry data alias --delete NAME ALIAS\n"
    "   or: ferry data tag URI KEY=VALUE\n"
    "   or: ferry data tag --delete URI KEY\n"
    "   or: ferry data delete NAME [VERSION]\n"
    "   or: ferry data log URI --run-id ID [--context CONTEXT]\n"
    "\n"
    "Datasets are content-addressed versions of files and directories, kept once\n"
    "whatever the number of versions that hold them, below datasets/ of the artifact\n"
    "root (the tracking server's, or mlartifacts/ beside the database file).\n"
    "URI is data:/NAME/VERSION, data:/NAME@ALIAS or data:/NAME/latest, optionally\n"
    "followed by /PATH inside the version.\n"
    "\n"
    "  add       a new version of NAME from a file or a directory: only the content\n"
    "            the store lacks is sent; the same content as the latest version\n"
    "            makes no new version\n"
    "  list      the datasets\n"
    "  versions  the versions of NAME, newest first\n"
    "  show      a version: its files, the profile of its CSV files, aliases, tags\n"
    "  diff      files added, removed and changed from version FROM to TO; rows and\n"
    "            columns of CSV files; --rows counts the rows added and removed\n"
    "  get       writes a version (or PATH inside it) into DIR, verifying every byte;\n"
    "            on any failure DIR is not created\n"
    "  verify    re-hashes every stored object of NAME's versions (of every dataset);\n"
    "            exit status 1 when one is missing or corrupt\n"
    "  alias     points ALIAS of NAME at VERSION (or removes it)\n"
    "  tag       sets (or removes) a tag of a version\n"
    "  delete    a version, or the whole dataset (its objects go at the next gc)\n"
    "  log       records the version as a dataset input of a run (MLflow's inputs)\n"
    "\n"
    "  -m, --message MSG     what the version is\n"
    "  --tag KEY=VALUE       a tag of the new version (repeatable)\n"
    "  --no-profile          do not profile the CSV files\n"
    "  --dst DIR             where get writes (must not exist, or be empty)\n"
    "  --overwrite           get: replace a non-empty DIR once the new tree is whole\n"
    "  --rows                diff: compare the rows of changed CSV files\n"
    "  --delete              alias, tag: remove instead of set\n"
    "  --run-id ID           log: the run\n"
    "  --context CONTEXT     log: the input's context (training, evaluation, ...)\n"
    "  --json                JSON instead of text\n"
    "  -h, --help            this help\n";

struct opts {
    const char *message, *dst, *run_id, *context;
    struct kv_list tags;
    int json, rows, del, overwrite, no_profile;
};

static int parse_tag(const char *s, struct kv_list *tags)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s)
        return cli_usagef("--tag takes KEY=VALUE, not '%s'", s);
    struct sbuf k = SBUF_INIT;
    sbuf_add(&k, s, (size_t)(eq - s));
    kv_list_set(tags, k.buf, eq + 1);
    sbuf_release(&k);
    return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"message", required_argument, NULL, 'm'}, {"tag", required_argument, NULL, 't'},
        {"no-profile", no_argument, NULL, 'P'},    {"dst", required_argument, NULL, 'd'},
        {"overwrite", no_argument, NULL, 'O'},     {"rows", no_argument, NULL, 'r'},
        {"delete", no_argument, NULL, 'D'},        {"run-id", required_argument, NULL, 'R'},
        {"context", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hm:", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            o->message = optarg;
            break;
        case 't':
            if (parse_tag(optarg, &o->tags))
                return 2;
            break;
        case 'P':
            o->no_profile = 1;
            break;
        case 'd':
            o->dst = optarg;
            break;
        case 'O':
            o->overwrite = 1;
            break;
        case 'r':
            o->rows = 1;
            break;
        case 'D':
            o->del = 1;
            break;
        case 'R':
            o->run_id = optarg;
            break;
        case 'c':
            o->context = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("data", argv, c, usage);
        }
    }
    return 0;
}

/* "1.5 MiB" */
static void fmt_bytes(char *buf, size_t n, int64_t b)
{
    static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = (double)b;
    size_t u = 0;
    while (v >= 1024 && u + 1 < sizeof(units) / sizeof(*units)) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, n, "%" PRId64 " B", b);
    else
        snprintf(buf, n, "%.1f %s", v, units[u]);
}

static void fmt_time(char *buf, size_t n, int64_t ms)
{
    if (ms > 0)
        cli_format_time(buf, n, ms);
    else
        snprintf(buf, n, "-");
}

/* A version number argument: "3" or "v3". */
static int parse_version(const char *what, const char *s, int64_t *out)
{
    if (s[0] == 'v' || s[0] == 'V')
        s++;
    return cli_parse_int64(what, s, 1, INT64_MAX, out);
}

static int fail_ferr(struct ferr *err)
{
    return cli_fail(err);
}

/* ---------- progress on a terminal ---------- */

struct progress {
    const char *phase;
    int last; /* percent last printed; -1: none yet */
};

static void show_progress(struct progress *pr, const char *phase, int64_t done, int64_t total)
{
    int pct = total > 0 ? (int)(done * 100 / total) : 100;
    if (pr->phase == phase && pct == pr->last)
        return;
    char d[32], t[32];
    fmt_bytes(d, sizeof(d), done);
    fmt_bytes(t, sizeof(t), total);
    fprintf(stderr, "\r%s %3d%% (%s of %s)   ", phase, pct, d, t);
    pr->phase = phase;
    pr->last = pct;
}

static void on_add_progress(void *arg, const char *phase, int64_t done, int64_t total)
{
    show_progress(arg, phase, done, total);
}

static void on_get_progress(void *arg, int64_t done, int64_t total)
{
    show_progress(arg, "writing", done, total);
}

static void end_progress(const struct progress *pr)
{
    if (pr->last >= 0)
        fputs("\n", stderr);
}

/* ---------- add ---------- */

static void add_json(const struct data_add_result *r)
{
    json_t *j = json_pack(
        "{s:s, s:I, s:b, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
        "s:i}",
        "name", r->name, "version", (json_int_t)r->version, "created", r->created, "digest",
        r->digest, "files", (json_int_t)r->files, "dirs", (json_int_t)r->dirs, "links",
        (json_int_t)r->links, "bytes", (json_int_t)r->bytes, "objects", (json_int_t)r->objects,
        "objects_sent", (json_int_t)r->objects_sent, "objects_deduplicated",
        (json_int_t)r->objects_deduplicated, "bytes_sent", (json_int_t)r->bytes_sent,
        "bytes_deduplicated", (json_int_t)r->bytes_deduplicated, "packs", (json_int_t)r->packs,
        "profiled_files", r->profiled_files);
    char *uri = data_uri_format(r->name, r->version);
    json_object_set_new(j, "uri", json_string(uri));
    free(uri);
    cli_print_json(j);
}

static int do_add(struct data_port *p, struct opts *o, char **pos)
{
    struct data_add_opts ao = {o->message, &o->tags, o->no_profile, NULL, NULL};
    struct progress pr = {NULL, -1};
    struct data_add_result r;
    struct ferr err = FERR_INIT;
    if (!o->json && isatty(STDERR_FILENO)) {
        ao.progress = on_add_progress;
        ao.progress_arg = &pr;
    }
    int rc = data_add(p, pos[0], pos[1], &ao, &r, &err);
    end_progress(&pr);
    if (rc)
        return fail_ferr(&err);
    if (o->json) {
        add_json(&r);
    } else {
        char b[32], s[32], d[32];
        fmt_bytes(b, sizeof(b), r.bytes);
        fmt_bytes(s, sizeof(s), r.bytes_sent);
        fmt_bytes(d, sizeof(d), r.bytes_deduplicated);
        if (r.created)
            printf("data:/%s/%" PRId64 " created (%.12s)\n", r.name, r.version, r.digest);
        else
            printf("data:/%s/%" PRId64 " unchanged: the latest version has this content "
                   "(%.12s)\n",
                   r.name, r.version, r.digest);
        printf("  %" PRId64 " file%s, %s; %" PRId64 " object%s: %" PRId64 " sent (%s in %" PRId64
               " pack%s), %" PRId64 " already stored (%s)\n",
               r.files, PLURAL(r.files), b, r.objects, PLURAL(r.objects), r.objects_sent, s,
               r.packs, PLURAL(r.packs), r.objects_deduplicated, d);
        if (r.profiled_files)
            printf("  profiled %d CSV file%s\n", r.profiled_files,
                   r.profiled_files == 1 ? "" : "s");
    }
    data_add_result_release(&r);
    return 0;
}

/* ---------- list, versions ---------- */

static void aliases_text(const struct kv_list *l, int with_version, struct sbuf *out)
{
    for (size_t i = 0; i < l->n; i++) {
        sbuf_addf(out, "%s@%s", i ? " " : "", l->v[i].key);
        if (with_version && l->v[i].value && *l->v[i].value)
            sbuf_addf(out, "=%s", l->v[i].value);
    }
}

static int do_list(struct data_port *p, struct opts *o)
{
    struct dataset_info_list l;
    struct ferr err = FERR_INIT;
    if (data_port_list(p, &l, &err))
        return fail_ferr(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, api_dataset_info_to_json(&l.v[i]));
        cli_print_json(json_pack("{s:o}", "datasets", a));
    } else {
        static const char *const head[] = {"NAME", "LATEST",  "VERSIONS",
                                           "SIZE", "UPDATED", "ALIASES"};
        struct table t;
        table_init(&t, 6, head);
        for (size_t i = 0; i < l.n; i++) {
            const struct dataset_info *d = &l.v[i];
            char sz[32], up[64];
            struct sbuf al = SBUF_INIT;
            fmt_bytes(sz, sizeof(sz), d->total_size_bytes);
            fmt_time(up, sizeof(up), d->updated_ms);
            aliases_text(&d->aliases, 1, &al);
            table_add(&t, d->name);
            if (d->latest_version > 0)
                table_addf(&t, "%" PRId64, d->latest_version);
            else
                table_add(&t, "-");
            table_addf(&t, "%" PRId64, d->version_count);
            table_add(&t, sz);
            table_add(&t, up);
            table_add(&t, al.len ? al.buf : "-");
            sbuf_release(&al);
        }
        table_print(&t);
        table_release(&t);
    }
    dataset_info_list_release(&l);
    return 0;
}

static int do_versions(struct data_port *p, struct opts *o, const char *name)
{
    struct data_version_list l;
    struct ferr err = FERR_INIT;
    if (data_port_versions(p, name, &l, &err))
        return fail_ferr(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, api_data_version_to_json(&l.v[i]));
        cli_print_json(json_pack("{s:o}", "dataset_versions", a));
    } else {
        static const char *const head[] = {"VERSION", "CREATED", "AUTHOR",  "FILES",
                                           "SIZE",    "DIGEST",  "ALIASES", "MESSAGE"};
        struct table t;
        table_init(&t, 8, head);
        for (size_t i = 0; i < l.n; i++) {
            const struct data_version *v = &l.v[i];
            char sz[32], cr[64];
            struct sbuf al = SBUF_INIT;
            fmt_bytes(sz, sizeof(sz), v->size_bytes);
            fmt_time(cr, sizeof(cr), v->created_ms);
            aliases_text(&v->aliases, 0, &al);
            table_addf(&t, "%" PRId64, v->version);
            table_add(&t, cr);
            table_add(&t, v->author && *v->author ? v->author : "-");
            table_addf(&t, "%" PRId64, v->file_count);
            table_add(&t, sz);
            table_addf(&t, "%.12s", v->digest ? v->digest : "");
            table_add(&t, al.len ? al.buf : "-");
            table_add(&t, v->message ? v->message : "");
            sbuf_release(&al);
        }
        table_print(&t);
        table_release(&t);
    }
    data_version_list_release(&l);
    return 0;
}

/* ---------- show ---------- */

static void show_profile(const char *text)
{
    json_t *prof = text ? json_loads(text, 0, NULL) : NULL;
    json_t *files = json_object_get(prof, "files"), *f;
    const char *path;
    if (json_object_size(files))
        printf("profile:\n");
    json_object_foreach(files, path, f)
    {
        json_t *cols = json_object_get(f, "columns"), *c;
        size_t i;
        printf("  %s: %" JSON_INTEGER_FORMAT " rows, %zu columns\n", path,
               json_integer_value(json_object_get(f, "rows")), json_array_size(cols));
        json_array_foreach(cols, i, c)
        {
            json_t *mn = json_object_get(c, "min"), *mx = json_object_get(c, "max");
            printf("    %-24s %-8s nulls %" JSON_INTEGER_FORMAT ", distinct %" JSON_INTEGER_FORMAT,
                   json_string_value(json_object_get(c, "name")),
                   json_string_value(json_object_get(c, "type")),
                   json_integer_value(json_object_get(c, "nulls")),
                   json_integer_value(json_object_get(c, "distinct")));
            if (json_is_number(mn) && json_is_number(mx))
                printf(", min %.6g, max %.6g", json_number_value(mn), json_number_value(mx));
            printf("\n");
        }
    }
    json_t *skipped = json_object_get(prof, "skipped"), *s;
    size_t i;
    json_array_foreach(skipped, i, s)
    {
        printf("  %s: not profiled: %s\n", json_string_value(json_object_get(s, "path")),
               json_string_value(json_object_get(s, "reason")));
    }
    json_decref(prof);
}

static void show_manifest(const struct data_manifest *m)
{
    enum { SHOWN = 50 };
    printf("files (%zu, %" PRId64 " bytes):\n", m->nfiles, data_manifest_size(m));
    for (size_t i = 0; i < m->nfiles && i < SHOWN; i++) {
        char sz[32];
        fmt_bytes(sz, sizeof(sz), m->files[i].size);
        printf("  %s %10s  %.12s  %s\n", m->files[i].exec ? "0755" : "0644", sz, m->files[i].sha256,
               m->files[i].path);
    }
    if (m->nfiles > SHOWN)
        printf("  ... and %zu more\n", m->nfiles - SHOWN);
    for (size_t i = 0; i < m->ndirs && i < SHOWN; i++)
        printf("  dir  %s/\n", m->dirs[i]);
    for (size_t i = 0; i < m->nlinks && i < SHOWN; i++)
        printf("  link %s -> %s\n", m->links[i].path, m->links[i].target);
}

static int do_show(struct data_port *p, struct opts *o, const char *uri)
{
    struct data_ref ref = DATA_REF_INIT;
    struct data_version v;
    struct data_manifest m = DATA_MANIFEST_INIT;
    struct ferr err = FERR_INIT;
    memset(&v, 0, sizeof(v));
    if (data_uri_parse(uri, &ref, &err))
        return cli_usagef("%s", err.msg);
    int rc = data_port_get_version(p, &ref, 1, &v, &err) ||
                     data_manifest_parse(v.manifest ? v.manifest : "",
                                         v.manifest ? strlen(v.manifest) : 0, &m, &err)
                 ? fail_ferr(&err)
                 : 0;
    if (!rc && o->json) {
        json_t *j = api_data_version_to_json(&v);
        if (!json_object_get(j, "manifest"))
            json_object_set_new(j, "manifest", data_manifest_to_json(&m));
        cli_print_json(json_pack("{s:o}", "dataset_version", j));
    } else if (!rc) {
        char cr[64], sz[32];
        struct sbuf al = SBUF_INIT;
        fmt_time(cr, sizeof(cr), v.created_ms);
        fmt_bytes(sz, sizeof(sz), v.size_bytes);
        aliases_text(&v.aliases, 0, &al);
        printf("data:/%s/%" PRId64 "\n", v.name, v.version);
        printf("digest   %s\n", v.digest);
        printf("created  %s by %s\n", cr, v.author && *v.author ? v.author : "-");
        printf("size     %" PRId64 " file%s, %s\n", v.file_count, PLURAL(v.file_count), sz);
        if (v.message && *v.message)
            printf("message  %s\n", v.message);
        printf("aliases  %s\n", al.len ? al.buf : "-");
        for (size_t i = 0; i < v.tags.n; i++)
            printf("tag      %s=%s\n", v.tags.v[i].key, v.tags.v[i].value);
        sbuf_release(&al);
        show_manifest(&m);
        show_profile(v.profile);
    }
    data_manifest_release(&m);
    data_version_release(&v);
    data_ref_release(&ref);
    return rc;
}

/* ---------- diff ---------- */

/* The CSV file path of version `version` of name, written below tmp/tag. */
static int fetch_file(struct data_port *p, const char *name, int64_t version, const char *path,
                      const char *tmp, const char *tag, struct sbuf *local, struct ferr *err)
{
    struct data_ref ref = {(char *)name, DATA_REF_VERSION, version, NULL, NULL};
    struct data_version v;
    struct sbuf dst = SBUF_INIT;
    sbuf_addf(&dst, "%s/%s", tmp, tag);
    int rc = data_port_get_version(p, &ref, 1, &v, err);
    if (!rc) {
        rc = data_get_version(p, &v, path, dst.buf, NULL, err);
        data_version_release(&v);
    }
    const char *base = strrchr(path, '/');
    sbuf_reset(local);
    sbuf_addf(local, "%s/%s", dst.buf, base ? base + 1 : path);
    sbuf_release(&dst);
    return rc;
}

static json_t *rows_diff(struct data_port *p, const char *name, int64_t from, int64_t to,
                         const char *path, struct ferr *err)
{
    const char *tmpdir = getenv("TMPDIR");
    struct sbuf tmp = SBUF_INIT, a = SBUF_INIT, b = SBUF_INIT;
    struct csv_diff d = CSV_DIFF_INIT;
    json_t *out = NULL;
    int made = 0;
    sbuf_addf(&tmp, "%s/ferry-data-diff-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(tmp.buf)) {
        ferr_set(err, FERR_IO_ERROR, "cannot create a temporary directory '%.300s': %s", tmp.buf,
                 strerror(errno));
        goto out;
    }
    made = 1;
    if (fetch_file(p, name, from, path, tmp.buf, "a", &a, err) ||
        fetch_file(p, name, to, path, tmp.buf, "b", &b, err))
        goto out;
    if (csv_diff_files(a.buf, b.buf, NULL, &d, err)) {
        /* not CSV after all: say so for this file, compare the others */
        out = json_pack("{s:s, s:s}", "path", path, "error", err->msg);
        goto out;
    }
    out = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "path", path, "rows_before",
                    (json_int_t)d.rows_before, "rows_after", (json_int_t)d.rows_after, "rows_added",
                    (json_int_t)d.added, "rows_removed", (json_int_t)d.removed, "rows_unchanged",
                    (json_int_t)d.unchanged);
out:
    csv_diff_release(&d);
    if (made)
        fs_remove_tree(tmp.buf);
    sbuf_release(&tmp);
    sbuf_release(&a);
    sbuf_release(&b);
    return out;
}

static void print_diff(const char *name, json_t *d)
{
    json_t *e;
    size_t i;
    printf("data:/%s/%" JSON_INTEGER_FORMAT " -> data:/%s/%" JSON_INTEGER_FORMAT
           ": %zu added, %zu removed, %zu changed, %" JSON_INTEGER_FORMAT " unchanged\n",
           name, json_integer_value(json_object_get(d, "from")), name,
           json_integer_value(json_object_get(d, "to")),
           json_array_size(json_object_get(d, "added")),
           json_array_size(json_object_get(d, "removed")),
           json_array_size(json_object_get(d, "changed")),
           json_integer_value(json_object_get(d, "unchanged")));
    json_array_foreach(json_object_get(d, "added"), i, e)
    {
        printf("  A %s (%" JSON_INTEGER_FORMAT " bytes)\n",
               json_string_value(json_object_get(e, "path")),
               json_integer_value(json_object_get(e, "size")));
    }
    json_array_foreach(json_object_get(d, "removed"), i, e)
    {
        printf("  D %s (%" JSON_INTEGER_FORMAT " bytes)\n",
               json_string_value(json_object_get(e, "path")),
               json_integer_value(json_object_get(e, "size")));
    }
    json_array_foreach(json_object_get(d, "changed"), i, e)
    {
        printf("  M %s (%" JSON_INTEGER_FORMAT " -> %" JSON_INTEGER_FORMAT " bytes)\n",
               json_string_value(json_object_get(e, "path")),
               json_integer_value(json_object_get(e, "size_before")),
               json_integer_value(json_object_get(e, "size_after")));
    }
    json_array_foreach(json_object_get(d, "csv"), i, e)
    {
        json_t *c;
        size_t k;
        printf("  csv %s: rows %" JSON_INTEGER_FORMAT " -> %" JSON_INTEGER_FORMAT "\n",
               json_string_value(json_object_get(e, "path")),
               json_integer_value(json_object_get(e, "rows_before")),
               json_integer_value(json_object_get(e, "rows_after")));
        json_array_foreach(json_object_get(e, "columns_added"), k, c)
        {
            printf("    + column %s\n", json_string_value(c));
        }
        json_array_foreach(json_object_get(e, "columns_removed"), k, c)
        {
            printf("    - column %s\n", json_string_value(c));
        }
        json_array_foreach(json_object_get(e, "columns_retyped"), k, c)
        {
            printf("    ~ column %s: %s -> %s\n", json_string_value(json_object_get(c, "name")),
                   json_string_value(json_object_get(c, "from")),
                   json_string_value(json_object_get(c, "to")));
        }
    }
    json_array_foreach(json_object_get(d, "rows"), i, e)
    {
        if (json_object_get(e, "error")) {
            printf("  rows %s: not compared: %s\n", json_string_value(json_object_get(e, "path")),
                   json_string_value(json_object_get(e, "error")));
            continue;
        }
        printf("  rows %s: %" JSON_INTEGER_FORMAT " added, %" JSON_INTEGER_FORMAT
               " removed, %" JSON_INTEGER_FORMAT " unchanged\n",
               json_string_value(json_object_get(e, "path")),
               json_integer_value(json_object_get(e, "rows_added")),
               json_integer_value(json_object_get(e, "rows_removed")),
               json_integer_value(json_object_get(e, "rows_unchanged")));
    }
}

static int do_diff(struct data_port *p, struct opts *o, char **pos)
{
    int64_t from, to;
    json_t *d = NULL;
    struct ferr err = FERR_INIT;
    if (parse_version("FROM", pos[1], &from) || parse_version("TO", pos[2], &to))
        return 2;
    if (data_port_diff(p, pos[0], from, to, &d, &err))
        return fail_ferr(&err);
    if (o->rows) {
        json_t *rows = json_array(), *e;
        size_t i;
        json_array_foreach(json_object_get(d, "changed"), i, e)
        {
            const char *path = json_string_value(json_object_get(e, "path"));
            if (!path || !data_profile_is_csv(path))
                continue;
            json_t *r = rows_diff(p, pos[0], from, to, path, &err);
            if (!r) {
                json_decref(rows);
                json_decref(d);
                return fail_ferr(&err);
            }
            json_array_append_new(rows, r);
        }
        json_object_set_new(d, "rows", rows);
    }
    if (o->json)
        cli_print_json(json_pack("{s:o}", "diff", d));
    else {
        print_diff(pos[0], d);
        json_decref(d);
    }
    return 0;
}

/* ---------- get, verify ---------- */

static int do_get(struct data_port *p, struct opts *o, const char *uri)
{
    struct data_get_opts go = {o->overwrite, NULL, NULL};
    struct progress pr = {NULL, -1};
    struct data_get_result r;
    struct ferr err = FERR_INIT;
    if (!o->dst)
        return cli_usagef("get needs the destination: --dst DIR");
    if (!o->json && isatty(STDERR_FILENO)) {
        go.progress = on_get_progress;
        go.progress_arg = &pr;
    }
    int rc = data_get(p, uri, o->dst, &go, &r, &err);
    end_progress(&pr);
    if (rc)
        return fail_ferr(&err);
    if (o->json) {
        cli_print_json(json_pack("{s:s, s:I, s:s, s:s, s:I, s:I}", "name", r.name, "version",
                                 (json_int_t)r.version, "digest", r.digest, "dst", o->dst, "files",
                                 (json_int_t)r.files, "bytes", (json_int_t)r.bytes));
    } else {
        char b[32];
        fmt_bytes(b, sizeof(b), r.bytes);
        printf("data:/%s/%" PRId64 " -> %s (%" PRId64 " file%s, %s, verified)\n", r.name, r.version,
               o->dst, r.files, PLURAL(r.files), b);
    }
    data_get_result_release(&r);
    return 0;
}

static int do_verify(struct data_port *p, struct opts *o, const char *name)
{
    struct data_verify_report r = DATA_VERIFY_REPORT_INIT;
    struct ferr err = FERR_INIT;
    if (data_verify_datasets(p, name, &r, &err)) {
        data_verify_report_release(&r);
        return fail_ferr(&err);
    }
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < r.n; i++)
            json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s}", "digest", r.v[i].digest,
                                               "state", r.v[i].missing ? "missing" : "corrupt",
                                               "message", r.v[i].msg, "example", r.v[i].example));
        cli_print_json(json_pack("{s:I, s:I, s:I, s:I, s:o}", "datasets", (json_int_t)r.datasets,
                                 "versions", (json_int_t)r.versions, "objects",
                                 (json_int_t)r.objects, "bytes", (json_int_t)r.bytes, "damaged",
                                 a));
    } else {
        char b[32];
        fmt_bytes(b, sizeof(b), r.bytes);
        for (size_t i = 0; i < r.n; i++)
            printf("%s %s (%s): %s\n", r.v[i].missing ? "missing" : "corrupt", r.v[i].digest,
                   r.v[i].example, r.v[i].msg);
        printf("%" PRId64 " objects (%s) of %" PRId64 " versions in %" PRId64
               " datasets checked: %s\n",
               r.objects, b, r.versions, r.datasets, r.n ? "DAMAGED" : "all good");
    }
    int rc = r.n ? 1 : 0;
    data_verify_report_release(&r);
    return rc;
}

/* ---------- alias, tag, delete, log ---------- */

static int do_alias(struct data_port *p, struct opts *o, char **pos, int npos)
{
    struct ferr err = FERR_INIT;
    int64_t version = 0;
    if (npos != (o->del ? 2 : 3))
        return cli_usage(usage);
    if (data_validate_name(pos[0], &err) || data_validate_alias(pos[1], &err))
        return cli_usagef("%s", err.msg);
    if (!o->del && parse_version("VERSION", pos[2], &version))
        return 2;
    if (data_port_set_alias(p, pos[0], pos[1], o->del ? 0 : version, &err))
        return fail_ferr(&err);
    if (o->del)
        printf("data:/%s@%s deleted\n", pos[0], pos[1]);
    else
        printf("data:/%s@%s -> data:/%s/%" PRId64 "\n", pos[0], pos[1], pos[0], version);
    return 0;
}

/* The version number a URI names (an alias or latest resolved). */
static int resolve(struct data_port *p, const char *uri, struct data_ref *ref, int64_t *version,
                   struct ferr *err)
{
    struct data_version v;
    if (data_uri_parse(uri, ref, err))
        return -2;
    if (ref->kind == DATA_REF_VERSION) {
        *version = ref->version;
        return 0;
    }
    if (data_port_get_version(p, ref, 0, &v, err))
        return -1;
    *version = v.version;
    data_version_release(&v);
    return 0;
}

static int do_tag(struct data_port *p, struct opts *o, char **pos, int npos)
{
    struct data_ref ref = DATA_REF_INIT;
    struct ferr err = FERR_INIT;
    struct sbuf key = SBUF_INIT;
    const char *value = NULL;
    int64_t version = 0;
    int rc = 0;
    if (npos != 2)
        return cli_usage(usage);
    if (o->del) {
        sbuf_addstr(&key, pos[1]);
    } else {
        const char *eq = strchr(pos[1], '=');
        if (!eq || eq == pos[1])
            return cli_usagef("tag takes KEY=VALUE, not '%s'", pos[1]);
        sbuf_add(&key, pos[1], (size_t)(eq - pos[1]));
        value = eq + 1;
    }
    int r = resolve(p, pos[0], &ref, &version, &err);
    if (r == -2)
        rc = cli_usagef("%s", err.msg);
    else if (r || data_port_set_tag(p, ref.name, version, key.buf, value, &err))
        rc = fail_ferr(&err);
    else if (value)
        printf("data:/%s/%" PRId64 " tag %s=%s\n", ref.name, version, key.buf, value);
    else
        printf("data:/%s/%" PRId64 " tag %s deleted\n", ref.name, version, key.buf);
    sbuf_release(&key);
    data_ref_release(&ref);
    return rc;
}

static int do_delete(struct data_port *p, char **pos, int npos)
{
    struct ferr err = FERR_INIT;
    int64_t version = 0;
    if (npos < 1 || npos > 2)
        return cli_usage(usage);
    if (npos == 2 && parse_version("VERSION", pos[1], &version))
        return 2;
    if (data_port_delete(p, pos[0], version, &err))
        return fail_ferr(&err);
    if (version)
        printf("data:/%s/%" PRId64 " deleted\n", pos[0], version);
    else
        printf("dataset %s deleted\n", pos[0]);
    return 0;
}

static int do_log(struct data_port *p, struct opts *o, const char *uri)
{
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    char *pinned = NULL;
    if (!o->run_id)
        return cli_usagef("log needs the run: --run-id ID");
    if (cli_open(&c))
        return 1;
    int rc = data_log_uri(c, p, o->run_id, uri, o->context, &pinned, &err);
    client_close(c);
    if (rc)
        return fail_ferr(&err);
    if (o->json)
        cli_print_json(json_pack("{s:s, s:s}", "run_id", o->run_id, "source", pinned));
    else
        printf("%s logged as a dataset input of run %s\n", pinned, o->run_id);
    free(pinned);
    return 0;
}

/* ---------- dispatch ---------- */

struct action {
    const char *name;
    int min, max; /* positional arguments */
};

static const struct action actions[] = {
    {"add", 2, 2},  {"list", 0, 0},   {"versions", 1, 1}, {"show", 1, 1},
    {"diff", 3, 3}, {"get", 1, 1},    {"verify", 0, 1},   {"alias", 2, 3},
    {"tag", 2, 2},  {"delete", 1, 2}, {"log", 1, 1},
};

static int run(struct data_port *p, struct opts *o, const char *a, char **pos, int npos)
{
    if (!strcmp(a, "add"))
        return do_add(p, o, pos);
    if (!strcmp(a, "list"))
        return do_list(p, o);
    if (!strcmp(a, "versions"))
        return do_versions(p, o, pos[0]);
    if (!strcmp(a, "show"))
        return do_show(p, o, pos[0]);
    if (!strcmp(a, "diff"))
        return do_diff(p, o, pos);
    if (!strcmp(a, "get"))
        return do_get(p, o, pos[0]);
    if (!strcmp(a, "verify"))
        return do_verify(p, o, npos ? pos[0] : NULL);
    if (!strcmp(a, "alias"))
        return do_alias(p, o, pos, npos);
    if (!strcmp(a, "tag"))
        return do_tag(p, o, pos, npos);
    if (!strcmp(a, "delete"))
        return do_delete(p, pos, npos);
    return do_log(p, o, pos[0]);
}

int cmd_data(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof(o));
    if (argc < 2)
        return cli_usage(usage);
    const char *action = argv[1];
    if (!strcmp(action, "-h") || !strcmp(action, "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    size_t k = 0;
    while (k < sizeof(actions) / sizeof(actions[0]) && strcmp(action, actions[k].name))
        k++;
    if (k == sizeof(actions) / sizeof(actions[0]))
        return cli_usagef("unknown action '%s'; see 'ferry data --help'", action);
    int prc = parse(argc - 1, argv + 1, &o);
    if (prc) {
        kv_list_release(&o.tags);
        return prc < 0 ? 0 : prc;
    }
    char **pos = argv + 1 + optind;
    int npos = argc - 1 - optind;
    if (npos < actions[k].min || npos > actions[k].max) {
        kv_list_release(&o.tags);
        return cli_usage(usage);
    }
    struct data_port *p = NULL;
    struct ferr err = FERR_INIT;
    int rc;
    if (data_port_open(cli_tracking_uri, &p, &err))
        rc = cli_fail(&err);
    else
        rc = run(p, &o, action, pos, npos);
    data_port_close(p);
    kv_list_release(&o.tags);
    return rc;
}
