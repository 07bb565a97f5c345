/* SPDX-License-Identifier: MIT
 * The datasets area's streaming rows and the server's data root (see
 * data_routes.h). An upload is fed to data/objects.h's ingest piece by
 * piece as it arrives: nothing is recorded unless the whole pack verified.
 * A download is produced while it is sent: the objects are located first
 * (a digest the store lacks is refused before any byte), then each is read
 * from its pack or loose file and framed by a pack writer
 * (artifacts/data_pack.h) into the few bytes the connection asks for next,
 * so its length is known up front and no pack is ever held whole. */
#include "server/data_routes.h"
#include "server/server_int.h"
#include "api/datasets_ops.h"
#include "artifacts/data_pack.h"
#include "base/json.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "data/objects.h"
#include "domain/data_manifest.h"
#include "http/request.h"
#include "store/datasets.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define DOWNLOAD_BODY_MAX ((size_t)16 << 20)
#define DOWNLOAD_MAX      DATASETS_MISSING_MAX /* objects in one download */
#define READ_PIECE        ((size_t)256 << 10)

/* What data_root_open found, for the server's life. */
struct data_root {
    struct api_data_root api;  /* what the rows see */
    struct artifact_repo *own; /* opened here (not the proxied destination) */
    char *dir, *via_rel, *why; /* the strings api points at */
};

/* The data root, or -1 with err set (NOT_IMPLEMENTED saying why). */
static struct artifact_repo *data_repo(struct server_ctx *ctx, struct ferr *err)
{
    if (!exec_store(ctx->exec)) {
        ferr_set(err, FERR_NOT_IMPLEMENTED,
                 "dataset objects are not served by a server that forwards to another tracking "
                 "server (%s): send them to that server",
                 exec_name(ctx->exec));
        return NULL;
    }
    if (!ctx->data || !ctx->data->api.repo) {
        ferr_set(err, FERR_NOT_IMPLEMENTED, "%s",
                 ctx->data && ctx->data->why ? ctx->data->why : "this server keeps no datasets");
        return NULL;
    }
    return ctx->data->api.repo;
}

/* ---------- upload: a pack into the data root ---------- */

struct upload {
    struct data_ingest *in; /* until finished or aborted */
    uint64_t bytes;
};

static int too_large(struct ferr *err)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "the pack exceeds the limit of %llu bytes for one upload: send the objects "
                    "in several packs",
                    (unsigned long long)DATASETS_UPLOAD_MAX);
}

static int upload_begin(struct http_request *rq, struct ferr *err)
{
    struct server_ctx *ctx = http_ctx(rq);
    const char *len = http_header(rq, "Content-Length");
    struct artifact_repo *repo = data_repo(ctx, err);
    if (!repo)
        return -1;
    if (len && strtoull(len, NULL, 10) > DATASETS_UPLOAD_MAX)
        return too_large(err);
    struct upload *u = xcalloc(1, sizeof(*u));
    http_set_state(rq, u);
    if (data_ingest_begin(exec_store(ctx->exec), repo, &u->in, err)) {
        u->in = NULL;
        return -1;
    }
    return 0;
}

static int upload_data(struct http_request *rq, const char *p, size_t n, struct ferr *err)
{
    struct upload *u = http_state(rq);
    if (!u || !u->in)
        return 0;
    u->bytes += n;
    int rc = u->bytes > DATASETS_UPLOAD_MAX ? too_large(err) : data_ingest_feed(u->in, p, n, err);
    if (rc) {
        data_ingest_abort(u->in);
        u->in = NULL;
    }
    return rc;
}

static void upload_end(struct http_request *rq)
{
    struct upload *u = http_state(rq);
    if (!u)
        return;
    data_ingest_abort(u->in); /* the client went away mid-upload */
    free(u);
}

static const struct http_body_ops upload_body = {upload_begin, upload_data, upload_end};

static int h_upload(struct http_request *rq, struct ferr *err)
{
    struct upload *u = http_state(rq);
    struct data_ingest_result res;
    if (!u || !u->in || !u->bytes)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the upload holds no pack (the body is empty)");
    struct data_ingest *in = u->in;
    u->in = NULL;
    memset(&res, 0, sizeof(res));
    if (data_ingest_finish(in, &res, err))
        return -1;
    struct sbuf out = SBUF_INIT;
    sbuf_addf(&out, "{\"stored\":%lld,\"bytes\":%lld,\"objects\":%lld,\"received_bytes\":%lld}",
              (long long)res.stored, (long long)res.stored_bytes, (long long)res.objects,
              (long long)res.bytes);
    return http_respond(rq, 200, "application/json", &out) ? -1 : 0;
}

/* ---------- download: a pack of stored objects ---------- */

struct download {
    struct store *store;
    struct artifact_repo *repo;
    char (*digests)[65]; /* distinct, in the order asked */
    struct data_location *locs;
    size_t n, next;             /* objects; the next to open */
    struct artifact_reader *rd; /* the object being sent */
    int64_t left;               /* its bytes still to send */
    struct data_pack_writer *w; /* frames into out */
    struct sbuf out;            /* framed bytes not yet sent */
    size_t sent;                /* of out */
    int finished, failed;
};

static int to_out(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    (void)err;
    sbuf_add(&((struct download *)ctx)->out, buf, n);
    return 0;
}

static void download_free(void *arg)
{
    struct download *d = arg;
    if (!d)
        return;
    artifact_reader_close(d->rd);
    data_pack_writer_free(d->w);
    sbuf_release(&d->out);
    free(d->digests);
    free(d->locs);
    free(d);
}

/* Frames more of the pack into d->out: a piece of the current object, the
 * next object's header, or the end. -1 with err set when an object cannot
 * be read whole. */
static int download_more(struct download *d, struct ferr *err)
{
    if (d->rd && d->left > 0) {
        char buf[64 << 10];
        size_t cap = (int64_t)sizeof(buf) < d->left ? sizeof(buf) : (size_t)d->left;
        ssize_t n = artifact_reader_read(d->rd, buf, cap, err);
        if (n < 0)
            return -1;
        if (n == 0)
            return ferr_set(err, FERR_IO_ERROR, "object '%s' is shorter than stored",
                            d->digests[d->next - 1]);
        d->left -= n;
        return data_pack_writer_data(d->w, buf, (size_t)n, err);
    }
    artifact_reader_close(d->rd);
    d->rd = NULL;
    if (d->next == d->n) {
        d->finished = 1;
        return data_pack_writer_finish(d->w, NULL, NULL, err);
    }
    size_t i = d->next++;
    if (data_object_open(d->repo, d->digests[i], &d->locs[i], &d->rd, err))
        return -1;
    d->left = d->locs[i].size;
    return data_pack_writer_object(d->w, d->digests[i], d->locs[i].size, NULL, err);
}

static long download_read(void *arg, uint64_t pos, char *buf, size_t cap)
{
    (void)pos; /* sequential */
    struct download *d = arg;
    struct ferr err = FERR_INIT;
    while (d->sent == d->out.len && !d->finished && !d->failed) {
        sbuf_setlen(&d->out, 0);
        d->sent = 0;
        if (download_more(d, &err)) {
            d->failed = 1;
            log_warn("a dataset download was cut short: %s", err.msg);
        }
    }
    if (d->sent == d->out.len)
        return d->failed ? -1 : 0;
    size_t n = d->out.len - d->sent < cap ? d->out.len - d->sent : cap;
    memcpy(buf, d->out.buf + d->sent, n);
    d->sent += n;
    return (long)n;
}

struct pos {
    const char *digest;
    size_t i;
};

static int by_digest(const void *a, const void *b)
{
    const struct pos *x = a, *y = b;
    int c = strcmp(x->digest, y->digest);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* digests[0..n) without their repeats (the first of each kept), in order. */
static size_t distinct(char (*digests)[65], size_t n)
{
    struct pos *p = xcalloc(n + 1, sizeof(*p));
    unsigned char *drop = xcalloc(n + 1, 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        p[i] = (struct pos){digests[i], i};
    qsort(p, n, sizeof(*p), by_digest);
    for (size_t i = 1; i < n; i++)
        if (!strcmp(p[i].digest, p[i - 1].digest))
            drop[p[i].i] = 1;
    for (size_t i = 0; i < n; i++)
        if (!drop[i])
            memmove(digests[k++], digests[i], 65);
    free(p);
    free(drop);
    return k;
}

/* The request's digests, distinct, in order; -1 with err set. */
static int download_digests(struct http_request *rq, struct download *d, struct ferr *err)
{
    size_t len, i;
    const char *body = http_body(rq, &len);
    json_error_t je;
    json_t *j = len ? fjson_loadb_capped(body, len, fjson_cap(len, 4), &je) : NULL, *it;
    json_t *arr = json_object_get(j, "digests");
    int rc = 0;
    if (!json_is_object(j))
        rc =
            ferr_set(err, FERR_BAD_REQUEST, "the request body must be a JSON object {\"digests\"}");
    else if (!json_is_array(arr))
        rc = fjson_missing(err, "digests");
    else if (json_array_size(arr) > DOWNLOAD_MAX)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "too many digests (%zu): at most %d in one download", json_array_size(arr),
                      DOWNLOAD_MAX);
    if (rc) {
        json_decref(j);
        return -1;
    }
    d->digests = xcalloc(json_array_size(arr) + 1, sizeof(*d->digests));
    json_array_foreach(arr, i, it)
    {
        const char *s = json_string_value(it);
        if (!s)
            rc = fjson_invalid(err, "digests", it);
        else if (data_validate_digest(s, "object digest", err))
            rc = -1;
        if (rc)
            break;
        memcpy(d->digests[d->n++], s, 65);
    }
    json_decref(j);
    if (!rc)
        d->n = distinct(d->digests, d->n);
    return rc;
}

/* Where every object lies, in one store call: RESOURCE_DOES_NOT_EXIST
 * naming the first the store lacks. *size gets the pack's length. */
static int download_locate(struct download *d, int64_t *size, struct ferr *err)
{
    struct data_object *o = xcalloc(d->n + 1, sizeof(*o));
    size_t missing = 0;
    int rc = d->n ? store_data_objects_locate(d->store, (const char(*)[65])d->digests, d->n, o,
                                              &missing, err)
                  : 0;
    d->locs = xcalloc(d->n + 1, sizeof(*d->locs));
    *size = DATA_PACK_MAGIC_LEN + DATA_PACK_END_LEN;
    for (size_t i = 0; !rc && i < d->n; i++) {
        if (!o[i].digest[0]) {
            rc = ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "object '%s' is not stored",
                          d->digests[i]);
            break;
        }
        memcpy(d->locs[i].pack, o[i].pack, sizeof(d->locs[i].pack));
        d->locs[i].offset = o[i].offset;
        d->locs[i].size = o[i].size;
        *size += DATA_PACK_OBJ_HDR_LEN + o[i].size;
    }
    free(o);
    return rc;
}

static int h_download(struct http_request *rq, struct ferr *err)
{
    struct server_ctx *ctx = http_ctx(rq);
    struct artifact_repo *repo = data_repo(ctx, err);
    if (!repo)
        return -1;
    struct download *d = xcalloc(1, sizeof(*d));
    d->store = exec_store(ctx->exec);
    d->repo = repo;
    sbuf_init(&d->out, 0);
    if (download_digests(rq, d, err))
        goto fail;
    int64_t size;
    if (download_locate(d, &size, err))
        goto fail;
    d->w = data_pack_writer_new(to_out, d);
    return http_respond_stream(rq, 200, "application/octet-stream", size, download_read, d,
                               download_free)
               ? -1
               : 0;
fail:
    download_free(d);
    return -1;
}

/* ---------- rows ---------- */

static const struct api_op upload = {.name = "datasets/objects/upload",
                                     .root = "/api/2.0/ferry",
                                     .path = "datasets/objects/upload",
                                     .methods = HTTP_POST,
                                     .call = HTTP_POST,
                                     .res = {ACCESS_EDIT, LOC_NONE, NULL},
                                     .stream = h_upload,
                                     .body = &upload_body};
static const struct api_op download = {.name = "datasets/objects/download",
                                       .root = "/api/2.0/ferry",
                                       .path = "datasets/objects/download",
                                       .methods = HTTP_POST,
                                       .call = HTTP_POST,
                                       .max_body = DOWNLOAD_BODY_MAX,
                                       .res = {ACCESS_READ, LOC_NONE, NULL},
                                       .stream = h_download};
static const struct api_op *const data_ops[] = {&upload, &download};
const struct api_area data_routes_area = {"datasets-objects", data_ops,
                                          sizeof(data_ops) / sizeof(*data_ops)};

/* ---------- the data root ---------- */

int data_root_open(struct server_ctx *ctx, struct ferr *err)
{
    struct data_root *d = xcalloc(1, sizeof(*d));
    const char *def = exec_default_artifact_root(ctx->exec);
    char *local = NULL;
    ctx->data = d;
    if (ctx->artifacts) {
        d->api.repo = ctx->artifacts;
        d->dir = xstrdup(ctx->artifacts_dir);
        d->api.proxied = 1;
    } else if (def && artifact_repo_local_dir(def, &local, err) == 1) {
        if (artifact_repo_open(local, &d->own, err)) {
            free(local);
            return -1;
        }
        d->api.repo = d->own;
        d->dir = local;
    } else {
        struct sbuf why = SBUF_INIT;
        free(local);
        sbuf_addf(&why,
                  "this server keeps no datasets: it serves no artifacts and its default "
                  "artifact root (%s) is not a local directory; start it with --serve-artifacts "
                  "(datasets then live in its --artifacts-destination)",
                  def ? def : "none");
        d->why = sbuf_detach(&why, NULL);
        d->api.why_not = d->why;
    }
    if (d->dir) {
        struct artifact_repo *via = NULL;
        struct sbuf rel = SBUF_INIT;
        struct ferr ignore = FERR_INIT;
        d->api.dir = d->dir;
        if (ctx->roots && artifact_roots_find(ctx->roots, d->dir, &via, &rel, &ignore) == 1) {
            d->api.via = via;
            d->via_rel = sbuf_detach(&rel, NULL);
            d->api.via_rel = d->via_rel;
        }
        sbuf_release(&rel);
    }
    api_datasets_set_root(&d->api);
    return 0;
}

void data_root_close(struct server_ctx *ctx)
{
    struct data_root *d = ctx ? ctx->data : NULL;
    if (!d)
        return;
    if (api_datasets_root() == &d->api)
        api_datasets_set_root(NULL);
    artifact_repo_close(d->own);
    free(d->dir);
    free(d->via_rel);
    free(d->why);
    free(d);
    ctx->data = NULL;
}
