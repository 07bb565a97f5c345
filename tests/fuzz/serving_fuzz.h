/* SPDX-License-Identifier: MIT
 * What the serving-input fuzz targets share: the signatures a body is
 * parsed against (none, as a model without one has; a named one of three
 * double columns, one optional; a one-column one, which OIP treats
 * apart) and the checks on the result. On success the matrix must be
 * non-empty and every value readable, and with by_name, when there is a
 * named signature, as wide as the signature (input.h: columns are put in
 * the signature's order), and never more values than a body of its size
 * may give (input.c: a value per byte plus 64 Ki, so that no claim in a
 * body sizes a matrix); on failure the error must be a 400 with a
 * message. The caller releases the matrix only on success, as serve.c
 * does, so a failure that leaks is caught. */
#ifndef FERRY_FUZZ_SERVING_FUZZ_H
#define FERRY_FUZZ_SERVING_FUZZ_H

#include "serving/input.h"

#include <stdlib.h>

typedef int (*serving_parse_fn)(const char *body, size_t n, const struct model_signature *sig,
                                struct matrix *out, struct ferr *err);

static struct model_column serving_fuzz_named[] = {
    {(char *)"f0", (char *)"double", 1, NULL, NULL, 0},
    {(char *)"f1", (char *)"double", 1, NULL, NULL, 0},
    {(char *)"opt", (char *)"double", 0, NULL, NULL, 0},
};

static struct model_column serving_fuzz_one[] = {
    {(char *)"x", (char *)"double", 1, NULL, NULL, 0},
};

static const struct model_signature serving_fuzz_sigs[] = {
    {NULL, NULL, 0, 0, 0},
    {serving_fuzz_named, NULL, 3, 0, 0},
    {serving_fuzz_one, NULL, 1, 0, 0},
};

static inline void serving_fuzz_check(const struct model_signature *sig, int by_name, size_t n,
                                      int rc, const struct matrix *m, const struct ferr *err)
{
    if (rc) {
        if ((err->code != FERR_INVALID_PARAMETER_VALUE && err->code != FERR_BAD_REQUEST) ||
            !err->msg[0])
            abort();
        return;
    }
    if (!m->rows || !m->cols || !m->values || m->rows > 1000 * 1000)
        abort();
    if (m->cols > n + 64 * 1024 || m->rows > (n + 64 * 1024) / m->cols)
        abort();
    if (by_name && sig && sig->ninputs && sig->inputs[0].name && m->cols != sig->ninputs)
        abort();
    volatile double sum = 0;
    for (size_t i = 0; i < m->rows * m->cols; i++)
        sum += m->values[i];
    (void)sum;
}

/* Parses body against no signature at all (NULL) and each of the above. */
static inline void serving_fuzz_run(serving_parse_fn parse, int by_name, const char *body, size_t n)
{
    const size_t nsigs = sizeof(serving_fuzz_sigs) / sizeof(serving_fuzz_sigs[0]);
    for (size_t i = 0; i <= nsigs; i++) {
        const struct model_signature *sig = i ? &serving_fuzz_sigs[i - 1] : NULL;
        struct matrix m;
        struct ferr err = FERR_INIT;
        int rc = parse(body, n, sig, &m, &err);
        serving_fuzz_check(sig, by_name, n, rc, &m, &err);
        if (!rc)
            matrix_release(&m);
    }
}

#endif
