/* SPDX-License-Identifier: MIT
 * The prediction log's record and its compact encoding (prediction.h).
 *
 * One addition to the header's byte layout: an outputs blob's prediction
 * is one tagged value (the usual case), or, when a model answers several
 * values per row, the byte 0x06, a count and that many values. 0x06 is
 * no value's tag, so the two cannot be confused and the one-value case
 * costs nothing extra. */
#include "domain/prediction.h"

#include "base/xalloc.h"
#include "domain/quality.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

enum { TAG_NULL, TAG_INT, TAG_F32, TAG_F64, TAG_STR, TAG_HASH, TAG_LIST };

#define INT_EXACT 9007199254740992.0 /* 2^53 */

/* ---- targets and rows ---- */

void pred_target_release(struct pred_target *t)
{
    if (!t)
        return;
    free(t->deployment);
    free(t->model);
    free(t->columns);
    free(t->classes);
    free(t->task);
    memset(t, 0, sizeof(*t));
}

void pred_target_copy(const struct pred_target *from, struct pred_target *to)
{
    to->deployment = xstrdup_or_null(from->deployment);
    to->revision = from->revision;
    to->model = xstrdup_or_null(from->model);
    to->version = from->version;
    to->shadow = from->shadow;
    to->columns = xstrdup_or_null(from->columns);
    to->classes = xstrdup_or_null(from->classes);
    to->task = xstrdup_or_null(from->task);
}

/* NULL and "" are the same absent value. */
static int str_same(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

int pred_target_equal(const struct pred_target *a, const struct pred_target *b)
{
    return a->revision == b->revision && a->version == b->version && !a->shadow == !b->shadow &&
           str_same(a->deployment, b->deployment) && str_same(a->model, b->model) &&
           str_same(a->columns, b->columns) && str_same(a->classes, b->classes) &&
           str_same(a->task, b->task);
}

void pred_row_release(struct pred_row *r)
{
    if (!r)
        return;
    pred_target_release(&r->target);
    free(r->caller_id);
    free(r->tags);
    free(r->inputs);
    free(r->outputs);
    free(r->label);
    memset(r, 0, sizeof(*r));
}

void pred_row_list_release(struct pred_row_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        pred_row_release(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* ---- ids ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Only version 7 with RFC 9562's variant: a caller's own UUIDv4 stays a
 * caller id, never mistaken for one of ferry's. */
int pred_rid_parse(const char *text, size_t len, unsigned char out[PRED_RID_BYTES])
{
    if (!text || len != 36)
        return -1;
    unsigned char b[PRED_RID_BYTES];
    size_t o = 0;
    for (size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return -1;
            i++;
            continue;
        }
        int hi = hexval((unsigned char)text[i]), lo = hexval((unsigned char)text[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        b[o++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    if ((b[6] >> 4) != 7 || (b[8] & 0xc0) != 0x80)
        return -1;
    memcpy(out, b, sizeof(b));
    return 0;
}

void pred_rid_text(const unsigned char rid[PRED_RID_BYTES], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < PRED_RID_BYTES; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[rid[i] >> 4];
        out[o++] = hex[rid[i] & 15];
    }
    out[o] = '\0';
}

int64_t pred_rid_time_ms(const unsigned char rid[PRED_RID_BYTES])
{
    uint64_t ms = 0;
    for (int i = 0; i < 6; i++)
        ms = ms << 8 | rid[i];
    return (int64_t)ms;
}

void pred_rid_min(int64_t ms, unsigned char out[PRED_RID_BYTES])
{
    if (ms < 0)
        ms = 0;
    if (ms > 0xffffffffffffLL)
        ms = 0xffffffffffffLL;
    memset(out, 0, PRED_RID_BYTES);
    for (int i = 0; i < 6; i++)
        out[i] = (unsigned char)((uint64_t)ms >> (40 - 8 * i));
}

int pred_feedback_id_parse(const char *id, unsigned char rid[PRED_RID_BYTES], uint32_t *row,
                           int *row_given)
{
    if (!id)
        return -1;
    size_t len = strlen(id);
    if (len < 36 || pred_rid_parse(id, 36, rid))
        return -1;
    if (len == 36) {
        *row = 0;
        *row_given = 0;
        return 0;
    }
    /* "/<row>": decimal, no sign, no leading zero, within uint32. */
    const char *p = id + 36;
    if (*p++ != '/' || !*p || (p[0] == '0' && p[1]) || len - 37 > 10)
        return -1;
    uint64_t v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (v > UINT32_MAX)
        return -1;
    *row = (uint32_t)v;
    *row_given = 1;
    return 0;
}

/* ---- values ---- */

void pred_enc_count(struct sbuf *b, uint64_t n)
{
    unsigned char tmp[10];
    size_t k = 0;
    do {
        unsigned char c = n & 0x7f;
        n >>= 7;
        tmp[k++] = (unsigned char)(c | (n ? 0x80 : 0));
    } while (n);
    sbuf_add(b, tmp, k);
}

void pred_enc_null(struct sbuf *b)
{
    sbuf_addch(b, TAG_NULL);
}

static void put_le(struct sbuf *b, uint64_t v, int nbytes)
{
    unsigned char tmp[8];
    for (int i = 0; i < nbytes; i++)
        tmp[i] = (unsigned char)(v >> (8 * i));
    sbuf_add(b, tmp, (size_t)nbytes);
}

void pred_enc_number(struct sbuf *b, double v)
{
    if (!isfinite(v)) {
        pred_enc_null(b);
        return;
    }
    if (v == floor(v) && fabs(v) <= INT_EXACT) {
        int64_t i = (int64_t)v;
        sbuf_addch(b, TAG_INT);
        pred_enc_count(b, ((uint64_t)i << 1) ^ (uint64_t)(i >> 63));
        return;
    }
    float f = (float)v;
    if ((double)f == v) {
        uint32_t u;
        memcpy(&u, &f, sizeof(u));
        sbuf_addch(b, TAG_F32);
        put_le(b, u, 4);
        return;
    }
    uint64_t u;
    memcpy(&u, &v, sizeof(u));
    sbuf_addch(b, TAG_F64);
    put_le(b, u, 8);
}

void pred_enc_string(struct sbuf *b, const char *s, size_t len)
{
    sbuf_addch(b, TAG_STR);
    pred_enc_count(b, len);
    sbuf_add(b, s, len);
}

void pred_enc_hash(struct sbuf *b, uint64_t h)
{
    sbuf_addch(b, TAG_HASH);
    put_le(b, h, 8);
}

int pred_enc_json(struct sbuf *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        pred_enc_number(b, (double)json_integer_value(v));
        return 0;
    case JSON_REAL:
        pred_enc_number(b, json_real_value(v));
        return 0;
    case JSON_STRING:
        pred_enc_string(b, json_string_value(v), json_string_length(v));
        return 0;
    case JSON_TRUE:
        pred_enc_number(b, 1);
        return 0;
    case JSON_FALSE:
        pred_enc_number(b, 0);
        return 0;
    case JSON_NULL:
        pred_enc_null(b);
        return 0;
    default:
        return -1;
    }
}

int pred_dec_count(struct pred_reader *r, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end)
            return -1;
        unsigned char c = *r->p++;
        if (shift == 63 && (c & 0x7e))
            return -1; /* past 64 bits */
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int get_le(struct pred_reader *r, int nbytes, uint64_t *out)
{
    if (r->end - r->p < nbytes)
        return -1;
    uint64_t v = 0;
    for (int i = nbytes - 1; i >= 0; i--)
        v = v << 8 | r->p[i];
    r->p += nbytes;
    *out = v;
    return 0;
}

int pred_dec_value(struct pred_reader *r, struct pred_value *out)
{
    memset(out, 0, sizeof(*out));
    if (r->p >= r->end)
        return -1;
    uint64_t u;
    switch (*r->p++) {
    case TAG_NULL:
        out->kind = PV_NULL;
        return 0;
    case TAG_INT: {
        if (pred_dec_count(r, &u))
            return -1;
        int64_t i = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
        if (i > (int64_t)INT_EXACT || i < -(int64_t)INT_EXACT)
            return -1;
        out->kind = PV_NUMBER;
        out->num = (double)i;
        return 0;
    }
    case TAG_F32: {
        if (get_le(r, 4, &u))
            return -1;
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, sizeof(f));
        if (!isfinite(f))
            return -1;
        out->kind = PV_NUMBER;
        out->num = f;
        return 0;
    }
    case TAG_F64: {
        if (get_le(r, 8, &u))
            return -1;
        double d;
        memcpy(&d, &u, sizeof(d));
        if (!isfinite(d))
            return -1;
        out->kind = PV_NUMBER;
        out->num = d;
        return 0;
    }
    case TAG_STR:
        if (pred_dec_count(r, &u) || u > (uint64_t)(r->end - r->p))
            return -1;
        out->kind = PV_STRING;
        out->str = (const char *)r->p;
        out->len = (size_t)u;
        r->p += u;
        return 0;
    case TAG_HASH:
        if (get_le(r, 8, &u))
            return -1;
        out->kind = PV_HASH;
        out->hash = u;
        return 0;
    default:
        return -1;
    }
}

json_t *pred_value_json(const struct pred_value *v)
{
    switch (v->kind) {
    case PV_NUMBER:
        if (v->num == floor(v->num) && fabs(v->num) <= INT_EXACT)
            return json_integer((json_int_t)v->num);
        return json_real(v->num);
    case PV_STRING: {
        json_t *s = json_stringn(v->str, v->len);
        return s ? s : json_null(); /* not UTF-8: the log never stores such, but a blob may lie */
    }
    case PV_HASH: {
        char buf[32];
        snprintf(buf, sizeof(buf), "hash:%016llx", (unsigned long long)v->hash);
        return json_string(buf);
    }
    default:
        return json_null();
    }
}

/* ---- outputs ---- */

static void enc_value(struct sbuf *b, const struct pred_value *v)
{
    switch (v->kind) {
    case PV_NUMBER:
        pred_enc_number(b, v->num);
        break;
    case PV_STRING:
        pred_enc_string(b, v->str, v->len);
        break;
    case PV_HASH:
        pred_enc_hash(b, v->hash);
        break;
    default:
        pred_enc_null(b);
    }
}

/* More than PRED_MAX_OUTPUTS values are cut to that many: a decoder keeps
 * them in fixed arrays, and no metric reads past the first. */
void pred_outputs_encode(struct sbuf *b, const struct pred_value *prediction, size_t n,
                         const double *proba, size_t nproba)
{
    if (n > PRED_MAX_OUTPUTS)
        n = PRED_MAX_OUTPUTS;
    if (nproba > PRED_MAX_OUTPUTS)
        nproba = PRED_MAX_OUTPUTS;
    if (n == 1) {
        enc_value(b, &prediction[0]);
    } else {
        sbuf_addch(b, TAG_LIST);
        pred_enc_count(b, n);
        for (size_t i = 0; i < n; i++)
            enc_value(b, &prediction[i]);
    }
    pred_enc_count(b, nproba);
    for (size_t i = 0; i < nproba; i++)
        pred_enc_number(b, proba[i]);
}

int pred_outputs_decode(const unsigned char *blob, size_t len, struct pred_outputs *out)
{
    memset(out, 0, sizeof(*out));
    if (!blob || !len)
        return -1;
    struct pred_reader r = {blob, blob + len};
    uint64_t n;
    if (*r.p == TAG_LIST) {
        r.p++;
        if (pred_dec_count(&r, &n) || n > PRED_MAX_OUTPUTS)
            return -1;
        for (size_t i = 0; i < n; i++)
            if (pred_dec_value(&r, &out->prediction[i]))
                return -1;
        out->prediction_n = (size_t)n;
    } else {
        if (pred_dec_value(&r, &out->prediction[0]))
            return -1;
        out->prediction_n = 1;
    }
    if (pred_dec_count(&r, &n) || n > PRED_MAX_OUTPUTS)
        return -1;
    for (size_t i = 0; i < n; i++) {
        struct pred_value v;
        if (pred_dec_value(&r, &v))
            return -1;
        if (v.kind == PV_NUMBER)
            out->proba[i] = v.num;
        else if (v.kind == PV_NULL)
            out->proba[i] = NAN;
        else
            return -1;
    }
    out->proba_n = (size_t)n;
    if (r.p != r.end)
        return -1;
    return 0;
}

/* ---- labels ---- */

int pred_label_text(struct sbuf *b, const json_t *v)
{
    char buf[QUALITY_LABEL_NUMBER_MAX];
    switch (json_typeof(v)) {
    case JSON_INTEGER:
        sbuf_addstr(b, quality_label_number((double)json_integer_value(v), buf));
        return 0;
    case JSON_REAL:
        sbuf_addstr(b, quality_label_number(json_real_value(v), buf));
        return 0;
    case JSON_TRUE:
        sbuf_addch(b, '1');
        return 0;
    case JSON_FALSE:
        sbuf_addch(b, '0');
        return 0;
    case JSON_STRING:
        sbuf_add(b, json_string_value(v), json_string_length(v));
        return 0;
    default:
        return -1;
    }
}

int pred_label_text_value(struct sbuf *b, const struct pred_value *v)
{
    char buf[QUALITY_LABEL_NUMBER_MAX];
    if (v->kind == PV_NUMBER) {
        sbuf_addstr(b, quality_label_number(v->num, buf));
        return 0;
    }
    if (v->kind == PV_STRING) {
        sbuf_add(b, v->str, v->len);
        return 0;
    }
    return -1;
}

/* ---- JSON ---- */

/* A label's canonical text back as JSON: a number when the text is a
 * number's canonical form ("1", "0.5"), else the string. */
static json_t *label_json(const char *text)
{
    char *end;
    double d = strtod(text, &end);
    if (*text && !*end && isfinite(d)) {
        char buf[QUALITY_LABEL_NUMBER_MAX];
        if (strcmp(quality_label_number(d, buf), text) == 0) {
            struct pred_value v = {PV_NUMBER, d, NULL, 0, 0};
            return pred_value_json(&v);
        }
    }
    json_t *s = json_string(text);
    return s ? s : json_null();
}

/* The name of item i of a JSON array text, or its index. */
static void name_at(const json_t *names, size_t i, char *buf, size_t size)
{
    const json_t *n = json_is_array(names) ? json_array_get(names, i) : NULL;
    if (json_is_string(n))
        snprintf(buf, size, "%s", json_string_value(n));
    else
        snprintf(buf, size, "%zu", i);
}

static json_t *tags_json(const char *tags)
{
    json_t *o = json_object();
    const char *p = tags;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        if (eq) {
            char *k = xstrndup(p, (size_t)(eq - p));
            json_t *v = json_stringn(eq + 1, n - (size_t)(eq - p) - 1);
            if (v)
                json_object_set_new(o, k, v);
            free(k);
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return o;
}

static int inputs_json(const struct pred_row *r, json_t *row)
{
    struct pred_reader rd = {r->inputs, r->inputs + r->ninputs};
    uint64_t n;
    if (pred_dec_count(&rd, &n) || n > r->ninputs)
        return -1;
    json_t *cols = json_loads(r->target.columns ? r->target.columns : "[]", 0, NULL);
    json_t *o = json_object();
    for (uint64_t i = 0; i < n; i++) {
        struct pred_value v;
        if (pred_dec_value(&rd, &v)) {
            json_decref(o);
            json_decref(cols);
            return -1;
        }
        char name[512];
        name_at(cols, (size_t)i, name, sizeof(name));
        json_object_set_new(o, name, pred_value_json(&v));
    }
    json_decref(cols);
    if (rd.p != rd.end) {
        json_decref(o);
        return -1;
    }
    json_object_set_new(row, "inputs", o);
    return 0;
}

static int outputs_json(const struct pred_row *r, json_t *row)
{
    struct pred_outputs out;
    if (pred_outputs_decode(r->outputs, r->noutputs, &out))
        return -1;
    if (out.prediction_n == 1) {
        json_object_set_new(row, "prediction", pred_value_json(&out.prediction[0]));
    } else {
        json_t *a = json_array();
        for (size_t i = 0; i < out.prediction_n; i++)
            json_array_append_new(a, pred_value_json(&out.prediction[i]));
        json_object_set_new(row, "prediction", a);
    }
    if (out.proba_n) {
        json_t *classes = json_loads(r->target.classes ? r->target.classes : "[]", 0, NULL);
        json_t *o = json_object();
        for (size_t i = 0; i < out.proba_n; i++) {
            char name[512];
            name_at(classes, i, name, sizeof(name));
            json_object_set_new(o, name,
                                isfinite(out.proba[i]) ? json_real(out.proba[i]) : json_null());
        }
        json_decref(classes);
        json_object_set_new(row, "probabilities", o);
    }
    return 0;
}

json_t *pred_row_json(const struct pred_row *r)
{
    json_t *o = json_object();
    char id[37 + 12];
    pred_rid_text(r->rid, id);
    if (!(r->nrows <= 1 && r->row == 0))
        snprintf(id + 36, sizeof(id) - 36, "/%u", (unsigned)r->row);
    json_object_set_new(o, "request_id", json_string(id));
    json_object_set_new(o, "row", json_integer(r->row));
    json_object_set_new(o, "time", json_integer(r->time_ms));
    if (r->target.deployment)
        json_object_set_new(o, "deployment", json_string(r->target.deployment));
    json_object_set_new(o, "revision", json_integer(r->target.revision));
    if (r->target.model) {
        char *m = NULL;
        struct sbuf sb = SBUF_INIT;
        sbuf_addf(&sb, "%s/%lld", r->target.model, (long long)r->target.version);
        m = sbuf_detach(&sb, NULL);
        json_t *s = json_string(m);
        if (s)
            json_object_set_new(o, "model", s);
        free(m);
    }
    json_object_set_new(o, "shadow", json_boolean(r->target.shadow));
    json_object_set_new(o, "status", json_integer(r->status));
    json_object_set_new(o, "latency_ms", json_real(r->latency_us / 1000.0));
    if (r->caller_id) {
        json_t *s = json_string(r->caller_id);
        if (s)
            json_object_set_new(o, "caller_request_id", s);
    }
    if (r->tags && *r->tags)
        json_object_set_new(o, "tags", tags_json(r->tags));
    int corrupt = 0;
    if (r->inputs && r->ninputs && inputs_json(r, o))
        corrupt = 1;
    if (r->outputs && r->noutputs && outputs_json(r, o))
        corrupt = 1;
    if (corrupt) {
        json_object_del(o, "inputs");
        json_object_del(o, "prediction");
        json_object_del(o, "probabilities");
        json_object_set_new(o, "corrupt", json_true());
    }
    if (r->label) {
        json_object_set_new(o, "label", label_json(r->label));
        json_object_set_new(o, "label_time", json_integer(r->label_ms));
    }
    return o;
}
