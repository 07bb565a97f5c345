/* SPDX-License-Identifier: MIT
 * The data port's two implementations (data_port.h). The JSON rows are the
 * datasets area's operation rows (api/datasets_ops.h) on both sides: run
 * in-process on the store (api_exec, as an embedded client does) or sent to
 * the server (client_call). Objects: embedded, the data root is read and
 * written here (data/objects.h); remote, packs travel over the streaming
 * rows with http_client_post_stream. Packs are generated from the local
 * files while they are sent (struct gen) and verified while they arrive
 * (the pack reader). */
#include "data/data_port.h"
#include "api/datasets_ops.h"
#include "api/op.h"
#include "artifacts/data_pack.h"
#include "artifacts/repo.h"
#include "base/env.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "client/client.h"
#include "client/transport.h"
#include "data/objects.h"
#include "domain/data_manifest.h"
#include "domain/data_version.h"
#include "http/client.h"
#include "store/store.h"
#include "store/uri.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

#define GEN_PIECE      ((size_t)1 << 20) /* bytes read from a local file at once */
#define VERIFY_BATCH   2000              /* objects per download when verifying remotely */
#define MISSING_BATCH  100000            /* digests per objects/missing */
#define DOWNLOAD_BATCH 20000             /* digests per download request */

struct data_port {
    int remote;
    /* embedded */
    struct store *store;
    int own_store;
    struct artifact_repo *repo; /* the data root; opened on first use when owned */
    int own_repo;
    char *root_dir; /* the data root's directory (embedded from a URI) */
    /* remote */
    struct client *client;    /* the JSON rows */
    struct http_client *http; /* the streaming rows */
};

/* ---------- opening ---------- */

static int is_http(const char *uri)
{
    return !strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8);
}

char *data_port_root_dir(const char *uri)
{
    const char *env = env_get("ARTIFACTS_DESTINATION");
    if (env && *env)
        return xstrdup(env);
    const char *db = store_uri_sqlite_path(uri);
    if (!db)
        return xstrdup("mlartifacts");
    const char *slash = strrchr(db, '/');
    struct sbuf sb = SBUF_INIT;
    if (slash)
        sbuf_add(&sb, db, (size_t)(slash - db) + (slash == db));
    else
        sbuf_addstr(&sb, ".");
    sbuf_addstr(&sb, sb.buf[sb.len - 1] == '/' ? "mlartifacts" : "/mlartifacts");
    return sbuf_detach(&sb, NULL);
}

int data_port_open(const char *tracking_uri, struct data_port **out, struct ferr *err)
{
    const char *uri = tracking_uri && *tracking_uri ? tracking_uri : client_default_uri();
    struct data_port *p = xcalloc(1, sizeof(*p));
    *out = NULL;
    if (is_http(uri)) {
        p->remote = 1;
        if (client_open(uri, &p->client, err) || http_client_open(uri, &p->http, err)) {
            data_port_close(p);
            return -1;
        }
    } else {
        struct store_opts opts = STORE_OPTS_INIT;
        if (store_open(uri, &opts, &p->store, err)) {
            data_port_close(p);
            return -1;
        }
        p->own_store = 1;
        p->own_repo = 1;
        p->root_dir = data_port_root_dir(uri);
    }
    *out = p;
    return 0;
}

int data_port_open_local(struct store *store, struct artifact_repo *data_root,
                         struct data_port **out, struct ferr *err)
{
    if (!store || !data_root)
        return ferr_set(err, FERR_NOT_IMPLEMENTED, "datasets need a store and a data root");
    struct data_port *p = xcalloc(1, sizeof(*p));
    p->store = store;
    p->repo = data_root;
    *out = p;
    return 0;
}

void data_port_close(struct data_port *p)
{
    if (!p)
        return;
    if (p->own_repo)
        artifact_repo_close(p->repo);
    if (p->own_store)
        store_close(p->store);
    client_close(p->client);
    http_client_close(p->http);
    free(p->root_dir);
    free(p);
}

int data_port_is_remote(const struct data_port *p)
{
    return p->remote;
}

/* The data root, opened (and its directory created) on first use. */
static int need_repo(struct data_port *p, struct ferr *err)
{
    if (p->repo)
        return 0;
    if (artifact_repo_open(p->root_dir, &p->repo, err))
        return -1;
    return 0;
}

/* ---------- the JSON rows ---------- */

/* One row over the port's transport; resp NULL: the answer is dropped. */
static int call(struct data_port *p, const struct api_op *op, void *req, void *resp,
                struct ferr *err)
{
    if (p->remote)
        return client_call(p->client, op, req, resp, err);
    struct api_env env = {p->store, NULL, 0, NULL, NULL, 0, 0, NULL, NULL};
    void *scratch = !resp && op->resp ? xcalloc(1, op->resp->size) : NULL;
    int rc = api_exec(&env, op, req, resp ? resp : scratch, err);
    if (scratch) {
        if (!rc)
            api_release_response(op, scratch);
        free(scratch);
    }
    return rc;
}

static const char *author(void)
{
    const char *u = getenv("USER");
    if (!u || !*u)
        u = getenv("LOGNAME");
    if (u && *u)
        return u;
    struct passwd *pw = getpwuid(getuid());
    return pw && pw->pw_name ? pw->pw_name : "";
}

int data_port_create_version(struct data_port *p, const char *name, const char *manifest_json,
                             const char *message, const struct kv_list *tags,
                             const char *profile_json, struct data_version *out, int *created,
                             struct ferr *err)
{
    json_error_t je;
    json_t *manifest = json_loads(manifest_json, 0, &je), *profile = NULL;
    struct rs_dataset_create r;
    int rc = -1;
    memset(&r, 0, sizeof(r));
    memset(out, 0, sizeof(*out));
    if (!manifest)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the manifest is not JSON: %s", je.text);
    if (profile_json && !(profile = json_loads(profile_json, 0, &je))) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the profile is not JSON: %s", je.text);
        goto out;
    }
    struct rq_dataset_create q = {name,         manifest, NULL,    message ? message : "",
                                  {NULL, 0, 0}, profile,  author()};
    if (tags)
        q.tags = *tags; /* borrowed: the row only reads it */
    if (call(p, &api_datasets_version_create, &q, &r, err))
        goto out;
    *out = r.dataset_version;
    memset(&r.dataset_version, 0, sizeof(r.dataset_version));
    if (created)
        *created = r.created;
    api_release_response(&api_datasets_version_create, &r);
    rc = 0;
out:
    json_decref(manifest);
    json_decref(profile);
    return rc;
}

int data_port_get_version(struct data_port *p, const struct data_ref *ref, int with_manifest,
                          struct data_version *out, struct ferr *err)
{
    char num[32];
    struct rq_dataset_ref q = {ref->name, NULL, NULL, with_manifest};
    struct rs_dataset_version r;
    memset(&r, 0, sizeof(r));
    memset(out, 0, sizeof(*out));
    if (ref->kind == DATA_REF_VERSION) {
        snprintf(num, sizeof(num), "%" PRId64, ref->version);
        q.version = num;
    } else if (ref->kind == DATA_REF_ALIAS) {
        q.alias = ref->alias;
    } else {
        q.version = "latest";
    }
    if (call(p, &api_datasets_version_get, &q, &r, err))
        return -1;
    *out = r.dataset_version;
    memset(&r.dataset_version, 0, sizeof(r.dataset_version));
    api_release_response(&api_datasets_version_get, &r);
    return 0;
}

int data_port_list(struct data_port *p, struct dataset_info_list *out, struct ferr *err)
{
    char *token = NULL;
    memset(out, 0, sizeof(*out));
    do {
        struct rq_datasets_list q = {DATASETS_PAGE_MAX, token};
        struct dataset_info_list page;
        memset(&page, 0, sizeof(page));
        int rc = call(p, &api_datasets_list, &q, &page, err);
        free(token);
        token = NULL;
        if (rc) {
            dataset_info_list_release(out);
            return -1;
        }
        for (size_t i = 0; i < page.n; i++) {
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            out->v[out->n++] = page.v[i];
        }
        page.n = 0;
        token = page.next_page_token;
        page.next_page_token = NULL;
        dataset_info_list_release(&page);
    } while (token);
    return 0;
}

int data_port_versions(struct data_port *p, const char *name, struct data_version_list *out,
                       struct ferr *err)
{
    char *token = NULL;
    memset(out, 0, sizeof(*out));
    do {
        struct rq_dataset_versions q = {name, DATASETS_PAGE_MAX, token};
        struct data_version_list page;
        memset(&page, 0, sizeof(page));
        int rc = call(p, &api_datasets_versions, &q, &page, err);
        free(token);
        token = NULL;
        if (rc) {
            data_version_list_release(out);
            return -1;
        }
        for (size_t i = 0; i < page.n; i++) {
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            out->v[out->n++] = page.v[i];
        }
        page.n = 0;
        token = page.next_page_token;
        page.next_page_token = NULL;
        data_version_list_release(&page);
    } while (token);
    return 0;
}

int data_port_delete(struct data_port *p, const char *name, int64_t version, struct ferr *err)
{
    if (version <= 0) {
        struct rq_dataset_name q = {name};
        return call(p, &api_datasets_delete, &q, NULL, err);
    }
    char num[32];
    snprintf(num, sizeof(num), "%" PRId64, version);
    struct rq_dataset_ref q = {name, num, NULL, 0};
    return call(p, &api_datasets_version_delete, &q, NULL, err);
}

int data_port_set_alias(struct data_port *p, const char *name, const char *alias, int64_t version,
                        struct ferr *err)
{
    char num[32];
    snprintf(num, sizeof(num), "%" PRId64, version);
    struct rq_dataset_alias q = {name, alias, version > 0 ? num : NULL};
    return call(p, version > 0 ? &api_datasets_alias_set : &api_datasets_alias_delete, &q, NULL,
                err);
}

int data_port_set_tag(struct data_port *p, const char *name, int64_t version, const char *key,
                      const char *value, struct ferr *err)
{
    char num[32];
    snprintf(num, sizeof(num), "%" PRId64, version);
    struct rq_dataset_tag q = {name, num, key, value};
    return call(p, value ? &api_datasets_tag_set : &api_datasets_tag_delete, &q, NULL, err);
}

int data_port_diff(struct data_port *p, const char *name, int64_t from, int64_t to, json_t **out,
                   struct ferr *err)
{
    char a[32], b[32];
    struct rs_dataset_diff r;
    memset(&r, 0, sizeof(r));
    *out = NULL;
    snprintf(a, sizeof(a), "%" PRId64, from);
    snprintf(b, sizeof(b), "%" PRId64, to);
    struct rq_dataset_diff q = {name, a, b};
    if (call(p, &api_datasets_diff, &q, &r, err))
        return -1;
    *out = r.diff.j ? r.diff.j : json_object();
    r.diff.j = NULL;
    api_release_response(&api_datasets_diff, &r);
    return 0;
}

/* ---------- which objects are missing ---------- */

struct digest_ix {
    const char *d;
    size_t i;
};

static int cmp_ix(const void *a, const void *b)
{
    return strcmp(((const struct digest_ix *)a)->d, ((const struct digest_ix *)b)->d);
}

/* Marks in missing[] every index whose digest is d (ix sorted by digest). */
static void mark(const struct digest_ix *ix, size_t n, const char *d, unsigned char *missing)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix[mid].d, d) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < n && !strcmp(ix[lo].d, d); lo++)
        missing[ix[lo].i] = 1;
}

static int missing_batch(struct data_port *p, const char *const *digests, size_t n,
                         unsigned char *missing, struct ferr *err)
{
    struct rq_objects_missing q = {(const char **)digests, n};
    struct rs_objects_missing r;
    memset(&r, 0, sizeof(r));
    if (call(p, &api_datasets_objects_missing, &q, &r, err))
        return -1;
    struct digest_ix *ix = xmalloc(n * sizeof(*ix));
    for (size_t i = 0; i < n; i++)
        ix[i] = (struct digest_ix){digests[i], i};
    qsort(ix, n, sizeof(*ix), cmp_ix);
    size_t k;
    json_t *d;
    json_array_foreach(r.missing.j, k, d)
    {
        if (json_is_string(d))
            mark(ix, n, json_string_value(d), missing);
    }
    free(ix);
    api_release_response(&api_datasets_objects_missing, &r);
    return 0;
}

int data_port_missing(struct data_port *p, const char *const *digests, size_t n,
                      unsigned char *missing, struct ferr *err)
{
    memset(missing, 0, n);
    for (size_t i = 0; i < n; i += MISSING_BATCH) {
        size_t m = n - i < MISSING_BATCH ? n - i : MISSING_BATCH;
        if (missing_batch(p, digests + i, m, missing + i, err))
            return -1;
    }
    return 0;
}

/* ---------- sending a pack made from local files ---------- */

struct gen {
    const struct data_port_object *v;
    size_t n, i;
    int fd;
    const char *fd_path; /* the file fd reads */
    int64_t pos, left;   /* of the current object: next file offset, bytes to go */
    struct data_pack_writer *w;
    struct sbuf out; /* made, not handed out yet */
    size_t taken;    /* of out */
    int finished;
    char *piece;
    struct ferr err;
    int failed;
};

static int gen_sink(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    (void)err;
    struct gen *g = ctx;
    sbuf_add(&g->out, buf, n);
    return 0;
}

static void gen_init(struct gen *g, const struct data_port_object *v, size_t n)
{
    memset(g, 0, sizeof(*g));
    g->v = v;
    g->n = n;
    g->fd = -1;
    sbuf_init(&g->out, 2 * GEN_PIECE);
    g->w = data_pack_writer_new(gen_sink, g);
    g->piece = xmalloc(GEN_PIECE);
}

static void gen_release(struct gen *g)
{
    if (g->fd >= 0)
        close(g->fd);
    data_pack_writer_free(g->w);
    sbuf_release(&g->out);
    free(g->piece);
}

static int64_t pack_size(const struct data_port_object *v, size_t n)
{
    int64_t s = DATA_PACK_MAGIC_LEN + DATA_PACK_END_LEN;
    for (size_t i = 0; i < n; i++)
        s += DATA_PACK_OBJ_HDR_LEN + v[i].size;
    return s;
}

/* Makes the next part of the pack into g->out. */
static int gen_step(struct gen *g)
{
    if (g->left > 0) {
        size_t want = g->left < (int64_t)GEN_PIECE ? (size_t)g->left : GEN_PIECE;
        ssize_t got = pread(g->fd, g->piece, want, (off_t)g->pos);
        if (got < 0 && errno == EINTR)
            return 0;
        if (got < 0)
            return ferr_set(&g->err, FERR_IO_ERROR, "cannot read '%.300s': %s", g->fd_path,
                            strerror(errno));
        if (got == 0)
            return ferr_set(&g->err, FERR_INVALID_PARAMETER_VALUE,
                            "'%.300s' changed while it was added (it is shorter now)", g->fd_path);
        g->pos += got;
        g->left -= got;
        return data_pack_writer_data(g->w, g->piece, (size_t)got, &g->err);
    }
    if (g->i == g->n) {
        g->finished = 1;
        return data_pack_writer_finish(g->w, NULL, NULL, &g->err);
    }
    const struct data_port_object *o = &g->v[g->i++];
    if (!g->fd_path || strcmp(g->fd_path, o->path)) {
        if (g->fd >= 0)
            close(g->fd);
        g->fd_path = o->path;
        g->fd = open(o->path, O_RDONLY | O_CLOEXEC);
        if (g->fd < 0)
            return ferr_set(&g->err, FERR_IO_ERROR, "cannot read '%.300s': %s", o->path,
                            strerror(errno));
    }
    g->pos = o->offset;
    g->left = o->size;
    return data_pack_writer_object(g->w, o->digest, o->size, NULL, &g->err);
}

/* Fills at most cap bytes of buf with the pack: how many, 0 at the end,
 * -1 (g->err set) on failure. */
static ssize_t gen_read(struct gen *g, char *buf, size_t cap)
{
    if (g->failed)
        return -1;
    if (g->taken == g->out.len) {
        sbuf_reset(&g->out);
        g->taken = 0;
        while (g->out.len < cap && !g->finished)
            if (gen_step(g)) {
                g->failed = 1;
                return -1;
            }
    }
    size_t n = g->out.len - g->taken < cap ? g->out.len - g->taken : cap;
    memcpy(buf, g->out.buf + g->taken, n);
    g->taken += n;
    return (ssize_t)n;
}

static ssize_t gen_read_http(void *arg, char *buf, size_t cap)
{
    return gen_read(arg, buf, cap);
}

/* Embedded: the objects straight from the local files into an ingest
 * (no pack stream in between: each byte is hashed once, by the ingest). */
static int put_local(struct data_port *p, const struct data_port_object *v, size_t n,
                     struct ferr *err)
{
    struct data_ingest *in = NULL;
    char *piece = xmalloc(GEN_PIECE);
    int fd = -1, rc = -1;
    const char *fd_path = NULL;
    if (data_ingest_begin(p->store, p->repo, &in, err))
        goto out;
    for (size_t i = 0; i < n; i++) {
        if (!fd_path || strcmp(fd_path, v[i].path)) {
            if (fd >= 0)
                close(fd);
            fd_path = v[i].path;
            if ((fd = open(fd_path, O_RDONLY | O_CLOEXEC)) < 0) {
                ferr_set(err, FERR_IO_ERROR, "cannot read '%.300s': %s", fd_path, strerror(errno));
                goto out;
            }
        }
        if (data_ingest_object(in, v[i].digest, v[i].size, err))
            goto out;
        for (int64_t pos = v[i].offset, left = v[i].size; left > 0;) {
            size_t want = left < (int64_t)GEN_PIECE ? (size_t)left : GEN_PIECE;
            ssize_t got = pread(fd, piece, want, (off_t)pos);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0) {
                ferr_set(err, got ? FERR_IO_ERROR : FERR_INVALID_PARAMETER_VALUE,
                         got ? "cannot read '%.300s': %s"
                             : "'%.300s' changed while it was added (it is shorter now)%s",
                         fd_path, got ? strerror(errno) : "");
                goto out;
            }
            if (data_ingest_data(in, piece, (size_t)got, err))
                goto out;
            pos += got;
            left -= got;
        }
        if (data_ingest_object_end(in, err)) {
            if (err->code == FERR_INVALID_PARAMETER_VALUE)
                ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                         "'%.300s' changed while it was added (its bytes no longer hash to %s)",
                         fd_path, v[i].digest);
            goto out;
        }
    }
    rc = data_ingest_finish(in, NULL, err);
    in = NULL; /* freed by finish either way */
out:
    data_ingest_abort(in);
    if (fd >= 0)
        close(fd);
    free(piece);
    return rc;
}

int data_port_put_objects(struct data_port *p, const struct data_port_object *v, size_t n,
                          int64_t *bytes_sent, struct ferr *err)
{
    struct gen g;
    int64_t size = pack_size(v, n);
    int rc;
    if (bytes_sent)
        *bytes_sent = 0;
    if (size - DATA_PACK_MAGIC_LEN - DATA_PACK_END_LEN > (int64_t)DATASETS_UPLOAD_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a pack of %" PRId64 " bytes is over "
                        "the 1 GiB a request may carry",
                        size);
    if (!p->remote && need_repo(p, err))
        return -1;
    if (p->remote) {
        struct http_stream s = {NULL, gen_read_http, size, NULL, &g};
        json_t *ans = NULL;
        gen_init(&g, v, n);
        rc = http_client_post_stream(p->http, "", &DATASETS_UPLOAD_PATH[1], &s, &ans, err);
        if (rc && g.failed)
            *err = g.err; /* the local file's problem, not the transfer's */
        json_decref(ans);
        gen_release(&g);
    } else {
        rc = put_local(p, v, n, err);
    }
    if (!rc && bytes_sent)
        *bytes_sent = size;
    return rc;
}

/* ---------- receiving objects ---------- */

/* A download answered as a pack, fed to a verifying reader whose objects
 * go to the sink in the order asked. */
struct recv {
    const struct data_port_sink *sink;
    const char *const *digests;
    size_t n, k;
    struct data_pack_reader *rd;
    struct ferr err;
};

static int recv_begin(void *ctx, const char hex[65], int64_t size, int64_t offset, struct ferr *err)
{
    (void)offset;
    struct recv *r = ctx;
    if (r->k >= r->n || strcmp(hex, r->digests[r->k]))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the server sent object '%s', not the one asked for", hex);
    return r->sink->begin ? r->sink->begin(r->sink->arg, hex, size, err) : 0;
}

static int recv_data(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    struct recv *r = ctx;
    return r->sink->data ? r->sink->data(r->sink->arg, buf, n, err) : 0;
}

static int recv_end(void *ctx, const char hex[65], int64_t size, struct ferr *err)
{
    (void)hex;
    (void)size;
    struct recv *r = ctx;
    r->k++;
    return r->sink->end ? r->sink->end(r->sink->arg, err) : 0;
}

static const struct data_pack_handler recv_handler = {recv_begin, recv_data, recv_end};

static int recv_write(void *arg, const char *buf, size_t n)
{
    struct recv *r = arg;
    return data_pack_reader_feed(r->rd, buf, n, &r->err);
}

static int get_remote(struct data_port *p, const char *const *digests, size_t n,
                      const struct data_port_sink *sink, struct ferr *err)
{
    struct recv r = {sink, digests, n, 0, NULL, FERR_INIT};
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, json_string(digests[i]));
    json_t *body = json_pack("{s:o}", "digests", list);
    r.rd = data_pack_reader_new(&recv_handler, &r);
    struct http_stream s = {body, NULL, 0, recv_write, &r};
    int rc = http_client_post_stream(p->http, "", &DATASETS_DOWNLOAD_PATH[1], &s, NULL, err);
    if (rc && r.err.code != FERR_OK)
        *err = r.err;
    int64_t count = 0;
    if (!rc && data_pack_reader_finish(r.rd, &count, err))
        rc = -1;
    if (!rc && r.k != n)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "the server sent %zu of the %zu objects asked for", r.k, n);
    unsigned char alive;
    struct ferr ping = FERR_INIT;
    if (rc && err->code == FERR_IO_ERROR && r.k < n &&
        !missing_batch(p, digests + r.k, 1, &alive, &ping)) {
        /* the server is there but cut the answer off: it could not read the
         * next object */
        char why[sizeof(err->msg)];
        snprintf(why, sizeof(why), "%s", err->msg);
        ferr_set(err, FERR_IO_ERROR,
                 "the server cut the download off before object '%s' (%zu of %zu): one "
                 "of the objects from there on is missing or unreadable on the server "
                 "('ferry data verify' names it): %.500s",
                 digests[r.k], r.k + 1, n, why);
    }
    data_pack_reader_free(r.rd);
    json_decref(body);
    return rc;
}

/* data_export's sink: the pack it writes, read back through the verifying
 * reader as a download's is. */
static int export_sink(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    (void)err;
    struct recv *r = ctx;
    return data_pack_reader_feed(r->rd, buf, n, &r->err);
}

/* Embedded: the stored objects framed as a pack (data_export: locations
 * looked up in one batch, each pack file opened once) and verified by the
 * same reader as a download. */
static int get_local(struct data_port *p, const char *const *digests, size_t n,
                     const struct data_port_sink *sink, struct ferr *err)
{
    struct recv r = {sink, digests, n, 0, NULL, FERR_INIT};
    char(*v)[65] = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n; i++)
        snprintf(v[i], sizeof(v[i]), "%s", digests[i]);
    r.rd = data_pack_reader_new(&recv_handler, &r);
    int rc = data_export(p->store, p->repo, (const char(*)[65])v, n, export_sink, &r, NULL, err);
    if (rc && r.err.code != FERR_OK)
        *err = r.err;
    if (!rc && data_pack_reader_finish(r.rd, NULL, err))
        rc = -1;
    if (!rc && r.k != n)
        rc = ferr_set(err, FERR_INTERNAL_ERROR, "%zu of the %zu objects were read", r.k, n);
    data_pack_reader_free(r.rd);
    free(v);
    return rc;
}

int data_port_get_objects(struct data_port *p, const char *const *digests, size_t n,
                          const struct data_port_sink *sink, struct ferr *err)
{
    if (!p->remote && need_repo(p, err))
        return -1;
    for (size_t i = 0; i < n; i += DOWNLOAD_BATCH) {
        size_t m = n - i < DOWNLOAD_BATCH ? n - i : DOWNLOAD_BATCH;
        if (p->remote ? get_remote(p, digests + i, m, sink, err)
                      : get_local(p, digests + i, m, sink, err))
            return -1;
    }
    return 0;
}

/* ---------- verifying ---------- */

struct report_adapter {
    data_port_report_fn *report;
    void *ctx;
};

static void adapt_report(void *ctx, const char hex[65], enum data_verify_state state,
                         const char *msg)
{
    struct report_adapter *a = ctx;
    a->report(a->ctx, hex, state == DATA_VERIFY_MISSING, msg);
}

/* Downloads digests and throws the verified bytes away; a batch that fails
 * is split until the bad objects are single. */
static int verify_remote(struct data_port *p, const char *const *digests, size_t n,
                         data_port_report_fn *report, void *ctx, struct ferr *err)
{
    static const struct data_port_sink discard = {NULL, NULL, NULL, NULL};
    struct ferr e = FERR_INIT;
    if (!get_remote(p, digests, n, &discard, &e))
        return 0;
    if (e.code == FERR_PERMISSION_DENIED || e.code == FERR_UNAUTHENTICATED ||
        e.code == FERR_NOT_IMPLEMENTED || e.code == FERR_ENDPOINT_NOT_FOUND) {
        *err = e;
        return -1;
    }
    if (n == 1) {
        /* A stream cut off is the server failing to read the object, unless
         * the server itself is gone: then that is the answer. */
        unsigned char ignored;
        if (e.code == FERR_IO_ERROR && data_port_missing(p, digests, 1, &ignored, err))
            return -1;
        report(ctx, digests[0], e.code != FERR_INVALID_PARAMETER_VALUE,
               e.code == FERR_IO_ERROR ? "the server could not read it (its file or pack is "
                                         "gone or short there)"
                                       : e.msg);
        return 0;
    }
    return verify_remote(p, digests, n / 2, report, ctx, err) ||
                   verify_remote(p, digests + n / 2, n - n / 2, report, ctx, err)
               ? -1
               : 0;
}

int data_port_verify_objects(struct data_port *p, const char *const *digests, size_t n,
                             data_port_report_fn *report, void *ctx, int64_t *checked,
                             struct ferr *err)
{
    if (checked)
        *checked = 0;
    if (!n)
        return 0;
    if (!p->remote) {
        if (need_repo(p, err))
            return -1;
        char(*v)[65] = xmalloc(n * sizeof(*v));
        for (size_t i = 0; i < n; i++)
            snprintf(v[i], sizeof(v[i]), "%s", digests[i]);
        struct report_adapter a = {report, ctx};
        int64_t bad = 0;
        int rc = data_verify(p->store, p->repo, (const char(*)[65])v, n, adapt_report, &a, checked,
                             &bad, err);
        free(v);
        return rc;
    }
    /* Objects with no row first: asking names them all in one request. */
    unsigned char *missing = xcalloc(n, 1);
    const char **present = xmalloc(n * sizeof(*present));
    size_t np = 0;
    int rc = data_port_missing(p, digests, n, missing, err);
    for (size_t i = 0; !rc && i < n; i++) {
        if (missing[i])
            report(ctx, digests[i], 1, "not stored (no object row)");
        else
            present[np++] = digests[i];
    }
    for (size_t i = 0; !rc && i < np; i += VERIFY_BATCH)
        rc = verify_remote(p, present + i, np - i < VERIFY_BATCH ? np - i : VERIFY_BATCH, report,
                           ctx, err);
    if (!rc && checked)
        *checked = (int64_t)n;
    free(missing);
    free(present);
    return rc;
}
