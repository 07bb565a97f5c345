/* SPDX-License-Identifier: MIT
 * A pool of long-lived Python workers (pyproc.h) holding one model, shared
 * by every thread that scores with it.
 *
 * Callers queue jobs; each worker has a dispatcher thread that takes every
 * queued job of the same width (up to PYPOOL_MAX_BATCH_ROWS rows) and
 * scores them in one call, so concurrent small requests cost one Python
 * round trip instead of one each. A worker that dies or overruns the
 * timeout is killed, its jobs are answered TEMPORARILY_UNAVAILABLE (never
 * left waiting), and it is started again. Internal to models/. */
#ifndef FERRY_MODELS_PYPOOL_H
#define FERRY_MODELS_PYPOOL_H

#include "base/ferr.h"
#include "models/model_io.h"

#include <jansson.h>
#include <stddef.h>

#define PYPOOL_MAX_BATCH_ROWS 8192

struct pypool;

struct pypool_opts {
    const char *python; /* the interpreter (pyproc_python()) */
    int workers;        /* processes; <= 0: one per online CPU */
    int64_t timeout_ms; /* per batch; a worker over it is killed */
    const void *load;   /* the LOAD frame's payload (see pyworker.py) */
    size_t load_len;
};

/* Starts every worker and waits until each has loaded the model; the
 * first load error (the Python exception) fails the whole start. */
int pypool_start(const struct pypool_opts *o, struct pypool **out, struct ferr *err) WARN_UNUSED;

/* Scores rows x cols values. out->values (numbers) or out->json (anything
 * else) are the caller's. BAD_REQUEST when the model raised on these rows,
 * TEMPORARILY_UNAVAILABLE when its worker died or timed out. */
int pypool_predict(struct pypool *p, const double *values, size_t rows, size_t cols,
                   struct model_output *out, struct ferr *err) WARN_UNUSED;

/* Adds what the workers said of the model at load time (model_class,
 * predict_fn, features, python), the pool's size and its restarts. */
void pypool_describe(struct pypool *p, json_t *into);

/* Stops the workers after the queued jobs are answered. */
void pypool_stop(struct pypool *p);

#endif
