/* SPDX-License-Identifier: MIT */
#include "gateway/pred_logger.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/json.h"
#include "base/log.h"
#include "base/rng.h"
#include "base/sbuf.h"
#include "base/secret.h"
#include "base/xalloc.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

#define DEFAULT_CAPACITY 50000
#define DEFAULT_BATCH    1000
#define DEFAULT_FLUSH_MS 100
#define PUT_ATTEMPTS     3
#define MAX_TAGS         32
#define MAX_TAG_LEN      128

/* ---------- targets ---------- */

enum col_action { COL_KEEP, COL_HASH, COL_DROP };

struct plog_target {
    atomic_int refs;
    char *deployment, *model, *task;
    int64_t revision, version;
    int shadow;
    double sample;
    int64_t max_payload;
    char **names; /* NULL: positional */
    size_t nnames;
    char **exclude, **hash;
    size_t nexclude, nhash;
    /* The writer thread's alone (one writer per process): the plan for
     * the last input width seen, and the class names of the last count. */
    size_t plan_width; /* 0: none yet */
    unsigned char *plan;
    char *columns_text;
    size_t classes_n;
    char *classes_text;
    int warned_key;
};

static char **copy_list(char *const *v, size_t n)
{
    char **out = xcalloc(n + 1, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        out[i] = xstrdup(v[i]);
    return out;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

struct plog_target *plog_target_new(const struct plog_target_spec *spec)
{
    struct plog_target *t = xcalloc(1, sizeof(*t));
    atomic_init(&t->refs, 1);
    t->deployment = xstrdup(spec->deployment ? spec->deployment : "");
    t->model = xstrdup(spec->model ? spec->model : "");
    t->task = xstrdup(spec->task ? spec->task : "");
    t->revision = spec->revision;
    t->version = spec->version;
    t->shadow = spec->shadow;
    t->sample = 1;
    t->max_payload = 0;
    if (spec->log) {
        t->sample = spec->log->sample;
        t->max_payload = spec->log->max_payload_bytes;
        t->exclude = copy_list(spec->log->exclude_columns, spec->log->nexclude);
        t->nexclude = spec->log->nexclude;
        t->hash = copy_list(spec->log->hash_columns, spec->log->nhash);
        t->nhash = spec->log->nhash;
    }
    if (spec->columns) {
        t->names = copy_list((char *const *)spec->columns, spec->ncolumns);
        t->nnames = spec->ncolumns;
    }
    return t;
}

void plog_target_ref(struct plog_target *t)
{
    atomic_fetch_add(&t->refs, 1);
}

void plog_target_unref(struct plog_target *t)
{
    if (!t || atomic_fetch_sub(&t->refs, 1) != 1)
        return;
    free(t->deployment);
    free(t->model);
    free(t->task);
    free_list(t->names, t->nnames);
    free_list(t->exclude, t->nexclude);
    free_list(t->hash, t->nhash);
    free(t->plan);
    free(t->columns_text);
    free(t->classes_text);
    free(t);
}

int plog_target_sampled(const struct plog_target *t)
{
    if (t->sample >= 1)
        return 1;
    if (t->sample <= 0)
        return 0;
    return rng_unit(rng_thread()) < t->sample;
}

static int listed(char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], name))
            return 1;
    return 0;
}

struct plog_batch;
static void batch_keep_string(struct plog_batch *b, char *s);

/* The plan for inputs width wide (writer thread): what each column
 * becomes, and the kept columns' names as JSON. A replaced names text
 * goes to the batch b, freed after its write: rows of b encoded before
 * the width changed still point at it. */
static void plan_for(struct plog_target *t, size_t width, int have_key, struct plog_batch *b)
{
    if (t->plan_width == width && t->plan)
        return;
    free(t->plan);
    if (t->columns_text)
        batch_keep_string(b, t->columns_text);
    t->columns_text = NULL;
    t->plan = xcalloc(width + 1, 1);
    t->plan_width = width;
    struct sbuf sb = SBUF_INIT;
    int named = t->names && t->nnames == width, need_key = 0;
    sbuf_addch(&sb, '[');
    for (size_t i = 0; i < width; i++) {
        char pos[32];
        snprintf(pos, sizeof(pos), "%zu", i);
        const char *name = named ? t->names[i] : pos;
        if (listed(t->exclude, t->nexclude, name)) {
            t->plan[i] = COL_DROP;
        } else if (listed(t->hash, t->nhash, name)) {
            t->plan[i] = have_key ? COL_HASH : COL_DROP;
            need_key |= !have_key;
        } else {
            t->plan[i] = COL_KEEP;
        }
        if (t->plan[i] != COL_DROP) {
            if (sb.len > 1)
                sbuf_addch(&sb, ',');
            fjson_add_string(&sb, name);
        }
    }
    sbuf_addch(&sb, ']');
    t->columns_text = sbuf_detach(&sb, NULL);
    if (need_key && !t->warned_key) {
        log_warn("deployment '%s': hash_columns are left out of the prediction log: "
                 "FERRY_LOG_HASH_KEY is not set",
                 t->deployment);
        t->warned_key = 1;
    }
}

/* "[0,1,...,n-1]": the classes of n probabilities (writer thread); a
 * replaced text goes to b, as in plan_for. */
static const char *classes_for(struct plog_target *t, size_t n, struct plog_batch *b)
{
    if (!n)
        return "[]";
    if (t->classes_text && t->classes_n == n)
        return t->classes_text;
    struct sbuf sb = SBUF_INIT;
    sbuf_addch(&sb, '[');
    for (size_t i = 0; i < n; i++)
        sbuf_addf(&sb, "%s%zu", i ? "," : "", i);
    sbuf_addch(&sb, ']');
    if (t->classes_text)
        batch_keep_string(b, t->classes_text);
    t->classes_text = sbuf_detach(&sb, NULL);
    t->classes_n = n;
    return t->classes_text;
}

/* ---------- hashing and tags ---------- */

uint64_t plog_hash_number(const struct secret_mac *mac, double v)
{
    char text[64];
    unsigned char h[32];
    if (!mac)
        return 0;
    if (v == floor(v) && fabs(v) <= 9007199254740992.0)
        snprintf(text, sizeof(text), "%lld", (long long)v);
    else
        snprintf(text, sizeof(text), "%.17g", v);
    if (secret_mac_compute(mac, text, strlen(text), h))
        return 0;
    uint64_t out = 0;
    for (int i = 0; i < 8; i++)
        out = out << 8 | h[i];
    return out;
}

struct tag {
    const char *k, *v;
    size_t kn, vn;
};

static int tag_cmp(const void *a, const void *b)
{
    const struct tag *x = a, *y = b;
    size_t n = x->kn < y->kn ? x->kn : y->kn;
    int c = memcmp(x->k, y->k, n);
    return c ? c : (x->kn > y->kn) - (x->kn < y->kn);
}

static void trim(const char **p, size_t *n)
{
    while (*n && (**p == ' ' || **p == '\t')) {
        (*p)++;
        (*n)--;
    }
    while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t'))
        (*n)--;
}

static int printable(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < 33 || p[i] > 126)
            return 0;
    return 1;
}

void plog_tags_canonical(const char *tags, struct sbuf *out)
{
    struct tag v[MAX_TAGS];
    size_t n = 0;
    sbuf_reset(out);
    for (const char *s = tags; s && *s && n < MAX_TAGS;) {
        size_t len = strcspn(s, ",");
        const char *eq = memchr(s, '=', len);
        if (eq) {
            struct tag t = {s, eq + 1, (size_t)(eq - s), len - (size_t)(eq - s) - 1};
            trim(&t.k, &t.kn);
            trim(&t.v, &t.vn);
            if (t.kn && t.kn <= MAX_TAG_LEN && t.vn <= MAX_TAG_LEN && printable(t.k, t.kn) &&
                printable(t.v, t.vn) && !memchr(t.k, '=', t.kn) && !memchr(t.v, '=', t.vn)) {
                int dup = 0;
                for (size_t i = 0; i < n && !dup; i++)
                    dup = v[i].kn == t.kn && !memcmp(v[i].k, t.k, t.kn);
                if (!dup)
                    v[n++] = t;
            }
        }
        s += len + (s[len] == ',');
    }
    /* stable for equal keys is moot: keys are unique here */
    qsort(v, n, sizeof(*v), tag_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sbuf_addch(out, ',');
        sbuf_add(out, v[i].k, v[i].kn);
        sbuf_addch(out, '=');
        sbuf_add(out, v[i].v, v[i].vn);
    }
}

/* ---------- the queue ---------- */

struct plog_item {
    struct plog_item *next;
    struct plog_target *t;
    char rid[REQUEST_ID_LEN + 1];
    char *caller_id, *tags; /* in storage; NULL: none */
    uint32_t latency_us;
    int status;
    int no_inputs;
    size_t nrows;
    int64_t queued_ms;
    struct score_capture cap;
    char storage[];
};

struct pred_logger {
    struct pred_logger_opts o;
    struct secret_mac *mac; /* NULL: no FERRY_LOG_HASH_KEY */
    pthread_mutex_t mu;
    pthread_cond_t wake;
    struct plog_item *head, *tail;
    size_t queued; /* rows */
    int stopping;
    pthread_t thread;
    atomic_ullong logged, dropped, failed;
    int64_t last_error_ms;
    int gave_up; /* writer thread: a write failed while stopping */
};

/* Monotonic ms: the queue's ages and the writer's timed waits. */
static int64_t mono_ms(void)
{
    return ftime_mono_ns() / 1000000;
}

static void item_free(struct plog_item *it)
{
    plog_target_unref(it->t);
    score_capture_release(&it->cap);
    free(it);
}

int pred_logger_submit(struct pred_logger *lg, struct plog_target *t, const struct plog_request *rq,
                       struct score_capture *cap)
{
    size_t nrows = cap->values && cap->rows ? cap->rows : 1;
    pthread_mutex_lock(&lg->mu);
    /* a request of more rows than the queue holds is dropped too: the
     * bound is on memory, whatever one request brings */
    int full = lg->stopping || lg->queued + nrows > lg->o.capacity;
    pthread_mutex_unlock(&lg->mu);
    if (full) { /* a cheap look first: a full queue costs the request no copy */
        atomic_fetch_add(&lg->dropped, nrows);
        score_capture_release(cap);
        return -1;
    }
    size_t cn = rq->caller_id ? strlen(rq->caller_id) + 1 : 0;
    size_t tn = rq->tags && *rq->tags ? strlen(rq->tags) + 1 : 0;
    struct plog_item *it = xcalloc(1, sizeof(*it) + cn + tn);
    plog_target_ref(t);
    it->t = t;
    snprintf(it->rid, sizeof(it->rid), "%s", rq->rid);
    if (cn) {
        it->caller_id = it->storage;
        memcpy(it->caller_id, rq->caller_id, cn);
    }
    if (tn) {
        it->tags = it->storage + cn;
        memcpy(it->tags, rq->tags, tn);
    }
    it->latency_us = rq->latency_us;
    it->status = rq->status;
    it->nrows = nrows;
    it->cap = *cap;
    memset(cap, 0, sizeof(*cap));
    if (t->max_payload > 0 && rq->body_len > (size_t)t->max_payload)
        it->no_inputs = 1;
    pthread_mutex_lock(&lg->mu);
    if (lg->stopping || lg->queued + nrows > lg->o.capacity) {
        pthread_mutex_unlock(&lg->mu); /* filled meanwhile: the bound holds */
        atomic_fetch_add(&lg->dropped, nrows);
        item_free(it);
        return -1;
    }
    it->queued_ms = mono_ms();
    if (lg->tail)
        lg->tail->next = it;
    else
        lg->head = it;
    lg->tail = it;
    lg->queued += nrows;
    /* the writer wakes on its own every flush_ms; a full batch wakes it now */
    if (lg->queued >= lg->o.batch_rows)
        pthread_cond_signal(&lg->wake);
    pthread_mutex_unlock(&lg->mu);
    return 0;
}

void pred_logger_counts(struct pred_logger *lg, struct pred_logger_counts *out)
{
    memset(out, 0, sizeof(*out));
    if (!lg)
        return;
    out->logged = atomic_load(&lg->logged);
    out->dropped = atomic_load(&lg->dropped);
    out->failed = atomic_load(&lg->failed);
    pthread_mutex_lock(&lg->mu);
    out->queued = lg->queued;
    pthread_mutex_unlock(&lg->mu);
}

/* ---------- encoding (the writer thread) ---------- */

struct plog_batch {
    struct pred_row *rows;
    size_t n, alloc;
    char **strings; /* per item: canonical tags (freed after the write) */
    size_t ns, salloc;
};

static void batch_keep_string(struct plog_batch *b, char *s)
{
    if (b->ns == b->salloc) {
        b->salloc = b->salloc ? 2 * b->salloc : 64;
        b->strings = xrealloc(b->strings, b->salloc * sizeof(*b->strings));
    }
    b->strings[b->ns++] = s;
}

static struct pred_row *batch_row(struct plog_batch *b)
{
    if (b->n == b->alloc) {
        b->alloc = b->alloc ? 2 * b->alloc : 256;
        b->rows = xrealloc(b->rows, b->alloc * sizeof(*b->rows));
    }
    struct pred_row *r = &b->rows[b->n++];
    memset(r, 0, sizeof(*r));
    return r;
}

/* Rows borrow their target's strings and the item's: only the blobs are
 * the batch's own (batch_clear frees them, not pred_row_release). */
static void batch_clear(struct plog_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->rows[i].inputs);
        free(b->rows[i].outputs);
    }
    for (size_t i = 0; i < b->ns; i++)
        free(b->strings[i]);
    b->n = b->ns = 0;
}

static void encode_inputs(struct pred_logger *lg, const struct plog_item *it, size_t r,
                          struct sbuf *sb)
{
    const struct plog_target *t = it->t;
    const double *v = it->cap.values + r * it->cap.cols;
    size_t kept = 0;
    for (size_t c = 0; c < it->cap.cols; c++)
        kept += t->plan[c] != COL_DROP;
    pred_enc_count(sb, kept);
    for (size_t c = 0; c < it->cap.cols; c++) {
        if (t->plan[c] == COL_KEEP)
            pred_enc_number(sb, v[c]);
        else if (t->plan[c] == COL_HASH)
            isnan(v[c]) ? pred_enc_null(sb) : pred_enc_hash(sb, plog_hash_number(lg->mac, v[c]));
    }
}

/* A JSON value of a non-numeric answer as a logged value (strings point
 * into j). */
static void json_value(json_t *j, struct pred_value *out)
{
    memset(out, 0, sizeof(*out));
    if (json_is_number(j)) {
        out->kind = PV_NUMBER;
        out->num = json_number_value(j);
    } else if (json_is_boolean(j)) {
        out->kind = PV_NUMBER;
        out->num = json_is_true(j);
    } else if (json_is_string(j)) {
        out->kind = PV_STRING;
        out->str = json_string_value(j);
        out->len = json_string_length(j);
    } else {
        out->kind = PV_NULL;
    }
}

static void encode_outputs(const struct plog_item *it, json_t *answers, size_t r, struct sbuf *sb)
{
    const struct model_output *o = &it->cap.out;
    struct pred_value pv[PRED_MAX_OUTPUTS];
    size_t n = 0;
    if (answers) {
        json_t *a = json_array_get(answers, r);
        if (json_is_array(a)) {
            for (size_t k = 0; k < json_array_size(a) && n < PRED_MAX_OUTPUTS; k++)
                json_value(json_array_get(a, k), &pv[n++]);
        } else {
            json_value(a, &pv[n++]);
        }
    } else {
        for (size_t k = 0; k < o->cols && n < PRED_MAX_OUTPUTS; k++) {
            memset(&pv[n], 0, sizeof(pv[n]));
            pv[n].kind = PV_NUMBER;
            pv[n++].num = o->values[r * o->cols + k];
        }
    }
    size_t np = o->nproba < PRED_MAX_OUTPUTS ? o->nproba : PRED_MAX_OUTPUTS;
    pred_outputs_encode(sb, pv, n, np ? o->proba + r * o->nproba : NULL, np);
}

static void encode_item(struct pred_logger *lg, struct plog_item *it, struct plog_batch *b)
{
    struct plog_target *t = it->t;
    unsigned char rid[PRED_RID_BYTES];
    if (pred_rid_parse(it->rid, strlen(it->rid), rid)) {
        atomic_fetch_add(&lg->failed, it->nrows); /* not ferry's id: cannot be */
        return;
    }
    char *tags = NULL;
    if (it->tags) {
        struct sbuf sb = SBUF_INIT;
        plog_tags_canonical(it->tags, &sb);
        if (sb.len)
            batch_keep_string(b, tags = sbuf_detach(&sb, NULL));
        sbuf_release(&sb);
    }
    int inputs = it->cap.values && !it->no_inputs;
    if (inputs)
        plan_for(t, it->cap.cols, lg->mac != NULL, b);
    int ok = it->status >= 200 && it->status < 300 && it->cap.out.rows == it->nrows;
    json_t *answers = NULL;
    if (ok && it->cap.out.json)
        answers = json_loads(it->cap.out.json, 0, NULL);
    struct pred_target target = {t->deployment,
                                 t->revision,
                                 t->model,
                                 t->version,
                                 t->shadow,
                                 inputs ? t->columns_text : (char *)"[]",
                                 (char *)(ok ? classes_for(t, it->cap.out.nproba, b) : "[]"),
                                 t->task};
    int64_t time_ms = pred_rid_time_ms(rid);
    for (size_t r = 0; r < it->nrows; r++) {
        struct pred_row *row = batch_row(b);
        struct sbuf in = SBUF_INIT, out = SBUF_INIT;
        memcpy(row->rid, rid, sizeof(rid));
        row->row = (uint32_t)r;
        row->nrows = (uint32_t)it->nrows;
        row->time_ms = time_ms;
        row->target = target;
        row->caller_id = it->caller_id;
        row->tags = tags;
        row->latency_us = it->latency_us;
        row->status = it->status;
        if (inputs)
            encode_inputs(lg, it, r, &in);
        else
            pred_enc_count(&in, 0);
        row->inputs = (unsigned char *)sbuf_detach(&in, &row->ninputs);
        if (ok) {
            encode_outputs(it, answers, r, &out);
            row->outputs = (unsigned char *)sbuf_detach(&out, &row->noutputs);
        }
        sbuf_release(&in);
        sbuf_release(&out);
    }
    json_decref(answers);
}

/* ---------- the writer ---------- */

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Worth a retry: the store or the server busy or away, not a refusal. */
static int transient(enum ferr_code code)
{
    switch (code) {
    case FERR_INVALID_PARAMETER_VALUE:
    case FERR_BAD_REQUEST:
    case FERR_ENDPOINT_NOT_FOUND:
    case FERR_PERMISSION_DENIED:
    case FERR_UNAUTHENTICATED:
    case FERR_NOT_IMPLEMENTED:
    case FERR_RESOURCE_DOES_NOT_EXIST:
        return 0;
    default:
        return 1;
    }
}

static int stopping(struct pred_logger *lg)
{
    pthread_mutex_lock(&lg->mu);
    int s = lg->stopping;
    pthread_mutex_unlock(&lg->mu);
    return s;
}

static void write_batch(struct pred_logger *lg, struct plog_batch *b)
{
    struct ferr err = FERR_INIT;
    if (!b->n)
        return;
    if (lg->gave_up) { /* stopping, and the store refused: the rest is dropped */
        atomic_fetch_add(&lg->failed, b->n);
        return;
    }
    for (int attempt = 0; attempt < PUT_ATTEMPTS; attempt++) {
        if (attempt && stopping(lg))
            break; /* a shutdown does not wait out retries */
        if (attempt)
            nap_ms(50 << (2 * attempt)); /* 200 ms, 800 ms */
        ferr_clear(&err);
        if (lg->o.put(lg->o.put_arg, b->rows, b->n, &err) == 0) {
            atomic_fetch_add(&lg->logged, b->n);
            return;
        }
        if (!transient(err.code))
            break; /* the same batch would fail the same way */
    }
    atomic_fetch_add(&lg->failed, b->n);
    /* draining at shutdown: one failed batch ends the drain, so a store
     * that is away cannot hold the exit for a queue's worth of timeouts */
    lg->gave_up = stopping(lg);
    if (ftime_now_ms() - lg->last_error_ms > 10000) {
        log_warn("cannot write %zu rows to the prediction log (dropped): %s", b->n, err.msg);
        lg->last_error_ms = ftime_now_ms();
    }
}

/* Waits for a batch's worth of rows, for the oldest to be flush_ms old,
 * or for the stop; takes up to batch_rows rows' items. NULL: stopped and
 * empty. */
static struct plog_item *take(struct pred_logger *lg)
{
    pthread_mutex_lock(&lg->mu);
    for (;;) {
        int64_t now = mono_ms();
        if (lg->head && (lg->stopping || lg->queued >= lg->o.batch_rows ||
                         now - lg->head->queued_ms >= lg->o.flush_ms))
            break;
        if (!lg->head && lg->stopping) {
            pthread_mutex_unlock(&lg->mu);
            return NULL;
        }
        int64_t until = lg->head ? lg->head->queued_ms + lg->o.flush_ms : now + lg->o.flush_ms;
        struct timespec ts = {(time_t)(until / 1000), (long)(until % 1000) * 1000000L};
        pthread_cond_timedwait(&lg->wake, &lg->mu, &ts);
    }
    struct plog_item *first = lg->head, *last = NULL;
    size_t rows = 0;
    while (lg->head && (!rows || rows + lg->head->nrows <= lg->o.batch_rows)) {
        last = lg->head;
        rows += last->nrows;
        lg->head = last->next;
    }
    last->next = NULL;
    if (!lg->head)
        lg->tail = NULL;
    lg->queued -= rows;
    pthread_mutex_unlock(&lg->mu);
    return first;
}

static void *writer(void *arg)
{
    struct pred_logger *lg = arg;
    struct plog_batch b;
    memset(&b, 0, sizeof(b));
    struct plog_item *items;
    while ((items = take(lg))) {
        for (struct plog_item *it = items; it; it = it->next)
            encode_item(lg, it, &b);
        write_batch(lg, &b);
        batch_clear(&b);
        while (items) {
            struct plog_item *next = items->next;
            item_free(items);
            items = next;
        }
    }
    free(b.rows);
    free(b.strings);
    return NULL;
}

/* The HMAC key: SHA-256 of $FERRY_LOG_HASH_KEY; NULL when unset. */
static struct secret_mac *hash_key(struct ferr *err)
{
    const char *k = getenv("FERRY_LOG_HASH_KEY");
    unsigned char key[32];
    char hex[65];
    if (!k || !*k)
        return NULL;
    secret_sha256_hex(k, strlen(k), hex);
    for (int i = 0; i < 32; i++) {
        unsigned v;
        char pair[3] = {hex[2 * i], hex[2 * i + 1], 0};
        if (sscanf(pair, "%2x", &v) != 1)
            return NULL;
        key[i] = (unsigned char)v;
    }
    struct secret_mac *mac = secret_mac_new(key, err);
    memset(key, 0, sizeof(key));
    return mac;
}

struct pred_logger *pred_logger_new(const struct pred_logger_opts *o, struct ferr *err)
{
    struct pred_logger *lg = xcalloc(1, sizeof(*lg));
    lg->o = *o;
    if (!lg->o.capacity)
        lg->o.capacity = DEFAULT_CAPACITY;
    if (!lg->o.batch_rows)
        lg->o.batch_rows = DEFAULT_BATCH;
    if (lg->o.flush_ms <= 0)
        lg->o.flush_ms = DEFAULT_FLUSH_MS;
    struct ferr kerr = FERR_INIT;
    lg->mac = hash_key(&kerr);
    if (kerr.code != FERR_OK)
        log_warn("FERRY_LOG_HASH_KEY cannot be used (hashed columns are left out): %s", kerr.msg);
    pthread_mutex_init(&lg->mu, NULL);
    /* the flush timer runs on the monotonic clock: a wall clock stepped
     * back must not hold the queue */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&lg->wake, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&lg->thread, NULL, writer, lg) != 0) {
        ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the prediction log's writer thread");
        pthread_cond_destroy(&lg->wake);
        pthread_mutex_destroy(&lg->mu);
        secret_mac_free(lg->mac);
        free(lg);
        return NULL;
    }
    return lg;
}

void pred_logger_free(struct pred_logger *lg)
{
    if (!lg)
        return;
    pthread_mutex_lock(&lg->mu);
    lg->stopping = 1;
    pthread_cond_signal(&lg->wake);
    pthread_mutex_unlock(&lg->mu);
    pthread_join(lg->thread, NULL);
    pthread_cond_destroy(&lg->wake);
    pthread_mutex_destroy(&lg->mu);
    secret_mac_free(lg->mac);
    free(lg);
}
