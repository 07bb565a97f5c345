/* SPDX-License-Identifier: MIT
 * The prediction log's record (issue 17): one row of one scored request,
 * as the gateway (and `ferry models serve --log-predictions`) keeps it,
 * and its compact encoding. Pure data and bytes: no store, no clock.
 *
 * Identity. A request gets ferry's own id, a UUIDv7 (base/ids.h), which
 * the answer returns as X-Ferry-Request-Id; its 16 bytes (rid) are the
 * log's key with the row index: one row's id is "<uuid>/<row>", and a
 * one-row request's row is named by the bare uuid too. The first 48 bits
 * of a UUIDv7 are its Unix time in ms, so the key orders rows by time and
 * an id alone tells the day (the partition) a row lives in. A caller's
 * X-Request-Id is kept as caller_id, an alias feedback may name.
 *
 * Encoding. Inputs and outputs are not JSON text per row: each is a byte
 * string of tagged values (pred_enc_* / pred_dec_*):
 *   0x00                 null (a missing value, NaN)
 *   0x01 + zigzag varint an integral number within +-2^53
 *   0x02 + 4 bytes       a number a float32 holds exactly (XGBoost's outputs)
 *   0x03 + 8 bytes       any other finite number (IEEE 754 little-endian)
 *   0x04 + varint + bytes  a string
 *   0x05 + 8 bytes       a keyed hash (hash_columns: HMAC-SHA256's first 8 bytes)
 * Counts are unsigned LEB128 varints. An inputs blob is a count and that
 * many values, in the order of the row's target's columns (the names are
 * kept once per target, not per row). An outputs blob is the prediction
 * (one value; a list of values when the model answers several per row is
 * a count then the values, see pred_outputs_*), then a count of class
 * probabilities and those values, in the order of the target's classes.
 *
 * A target here is the log's dictionary entry for what answered: the
 * deployment, its revision, the model version, shadow or not, the input
 * column names and the class names; rows name their target, so a row
 * costs its key, its times, its status and its values. */
#ifndef FERRY_DOMAIN_PREDICTION_H
#define FERRY_DOMAIN_PREDICTION_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PRED_RID_BYTES 16

/* What answered a row: the log's dictionary entry. */
struct pred_target {
    char *deployment;
    int64_t revision;
    char *model; /* registered model name */
    int64_t version;
    int shadow;    /* 1: a shadow's answer, never returned to the caller */
    char *columns; /* JSON array text of the input column names ("[]" when unknown) */
    char *classes; /* JSON array text of the class names the probabilities are of; "[]" none */
    char *task;    /* "classification" | "regression" | "" (not known) */
};
void pred_target_release(struct pred_target *t);
void pred_target_copy(const struct pred_target *from, struct pred_target *to);
/* 1 when a and b are the same dictionary entry (every field equal). */
int pred_target_equal(const struct pred_target *a, const struct pred_target *b);

/* One logged row. Strings and blobs are owned (pred_row_release). */
struct pred_row {
    unsigned char rid[PRED_RID_BYTES]; /* the request's UUIDv7 */
    uint32_t row;                      /* index in the request, from 0 */
    uint32_t nrows;                    /* rows in the request */
    int64_t time_ms;                   /* when the request arrived (= the rid's time) */
    struct pred_target target;
    char *caller_id; /* the caller's X-Request-Id; NULL: none */
    char *tags;      /* X-Ferry-Tags, canonical "k=v,k=v" (sorted by key); NULL: none */
    uint32_t latency_us;
    int status; /* the HTTP status of the request (200, 400, 500, 503) */
    unsigned char *inputs;
    size_t ninputs;
    unsigned char *outputs; /* NULL when the request failed */
    size_t noutputs;
    /* read side only: the label (canonical text, see pred_label_text) */
    char *label;      /* NULL: not labeled */
    int64_t label_ms; /* when the label was given */
};
void pred_row_release(struct pred_row *r);

struct pred_row_list {
    struct pred_row *v;
    size_t n, alloc;
};
void pred_row_list_release(struct pred_row_list *l);

/* ---- ids ---- */

/* The 16 bytes of a UUIDv7 text (36 characters, lower or upper case hex);
 * -1 when text is not one. */
int pred_rid_parse(const char *text, size_t len, unsigned char out[PRED_RID_BYTES]);
/* The 36-character text (lower case) and a NUL into out[37]. */
void pred_rid_text(const unsigned char rid[PRED_RID_BYTES], char out[37]);
/* The Unix ms time a UUIDv7 carries. */
int64_t pred_rid_time_ms(const unsigned char rid[PRED_RID_BYTES]);
/* The smallest rid of time ms (for range scans: [rid_min(a), rid_min(b))). */
void pred_rid_min(int64_t ms, unsigned char out[PRED_RID_BYTES]);
/* A feedback id: "<uuid>" (row 0, *row_given 0), "<uuid>/<row>"
 * (*row_given 1); -1 when id is neither (it may be a caller's id). */
int pred_feedback_id_parse(const char *id, unsigned char rid[PRED_RID_BYTES], uint32_t *row,
                           int *row_given);

/* ---- values ---- */

enum pred_value_kind { PV_NULL, PV_NUMBER, PV_STRING, PV_HASH };

struct pred_value {
    enum pred_value_kind kind;
    double num;      /* PV_NUMBER */
    const char *str; /* PV_STRING: len bytes inside the blob (not NUL-terminated) */
    size_t len;
    uint64_t hash; /* PV_HASH */
};

void pred_enc_count(struct sbuf *b, uint64_t n);
void pred_enc_null(struct sbuf *b);
/* A non-finite v is written as null. */
void pred_enc_number(struct sbuf *b, double v);
void pred_enc_string(struct sbuf *b, const char *s, size_t len);
void pred_enc_hash(struct sbuf *b, uint64_t h);
/* A JSON scalar (number, string, boolean as 0/1, null); -1 for an array or
 * object (nothing written). */
int pred_enc_json(struct sbuf *b, const json_t *v);

struct pred_reader {
    const unsigned char *p, *end;
};
/* Each returns 0, or -1 when the bytes are cut short or malformed (a
 * corrupt row: the reader's caller skips it and says so). */
int pred_dec_count(struct pred_reader *r, uint64_t *out) WARN_UNUSED;
int pred_dec_value(struct pred_reader *r, struct pred_value *out) WARN_UNUSED;

/* A value as JSON: number, string, null, or "hash:<16 hex digits>". */
json_t *pred_value_json(const struct pred_value *v);

/* ---- outputs ---- */

/* Decoded outputs: the prediction (prediction_n values; 1 for a label or
 * a number per row) and the class probabilities. Pointers into the blob
 * (strings) stay valid while it lives. */
#define PRED_MAX_OUTPUTS 64
struct pred_outputs {
    struct pred_value prediction[PRED_MAX_OUTPUTS];
    size_t prediction_n;
    double proba[PRED_MAX_OUTPUTS];
    size_t proba_n;
};
/* Writes outputs: n prediction values (1 for the usual one-per-row) and
 * nproba class probabilities (0: none). */
void pred_outputs_encode(struct sbuf *b, const struct pred_value *prediction, size_t n,
                         const double *proba, size_t nproba);
int pred_outputs_decode(const unsigned char *blob, size_t len,
                        struct pred_outputs *out) WARN_UNUSED;

/* ---- labels ---- */

/* The canonical text of a label or a predicted class (a JSON scalar):
 * numbers and booleans as domain/quality.h's quality_label_number ("1" for
 * 1, 1.0 and true), strings as themselves. Appended to b; -1 for arrays,
 * objects and null (nothing appended). */
int pred_label_text(struct sbuf *b, const json_t *v);
/* The same for a decoded value (PV_HASH and PV_NULL: -1). */
int pred_label_text_value(struct sbuf *b, const struct pred_value *v);

/* ---- JSON ---- */

/* A row as the API answers it:
 *   {"request_id": "<uuid>" (one-row request) or "<uuid>/<row>", "row",
 *    "time" (ms), "deployment", "revision", "model": "name/version",
 *    "shadow", "status", "latency_ms", "caller_request_id", "tags": {k: v},
 *    "inputs": {column: value}, "prediction": value (a list when several),
 *    "probabilities": {class: p}, "label", "label_time"}
 * (absent fields left out). A blob that does not decode gives
 * "corrupt": true in place of its fields. */
json_t *pred_row_json(const struct pred_row *r);

#endif
