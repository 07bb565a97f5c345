/* SPDX-License-Identifier: MIT
 * The step cache: find a previous successful execution of a step with the
 * same fingerprint and bring its outputs back into the step's output dir.
 *
 * Lookup goes through the lineage store (client/client_lineage.h,
 * cache/lookup): the latest COMPLETE execution with that fingerprint whose
 * run is not deleted, no older than max_age_ms when that is set. Then each
 * declared output is restored: `outputs/<path>` of the run that wrote it
 * (the run its recorded uri names) is downloaded into a temporary directory
 * inside out_dir, its digest (pipelines/output_digest.h) checked against
 * the recorded one, and only when every output came back intact are they
 * renamed into place (<out_dir>/<path>). Anything else is a miss and leaves
 * out_dir as it was: no such execution, a declared output the execution did
 * not record, an artifact gone (deleted, its run's artifacts removed) or
 * failing to download, a digest that differs. The reason is kept in
 * hit->miss for the engine to print.
 *
 * A hit hands back the original run and its outputs (uris at the original
 * artifacts, digests, sizes) for pipelines/step_record.h to record the
 * CACHED step with. Not here: deciding whether to look (--no-cache,
 * cache: false, --from), making the CACHED run. */
#ifndef FERRY_PIPELINES_STEP_CACHE_H
#define FERRY_PIPELINES_STEP_CACHE_H

#include "base/ferr.h"
#include "client/client.h"
#include "pipelines/step_record.h"

#include <stddef.h>
#include <stdint.h>

struct step_cache_query {
    const char *fingerprint;                /* 64 hex (pipelines/fingerprint.h) */
    int64_t max_age_ms;                     /* cache_max_age; 0: no limit */
    const struct step_output_decl *outputs; /* the step's declared outputs */
    size_t noutputs;
    const char *out_dir; /* the step's output dir: must exist */
};

struct step_cache_hit {
    char *run_id;                /* the run whose outputs are reused (cachedFrom) */
    int64_t ended_ms;            /* when that execution ended */
    struct step_outputs outputs; /* in declaration order; uris of the original artifacts */
    char miss[512];              /* after a miss: why, for messages ("" when nothing matched) */
};

#define STEP_CACHE_HIT_INIT                                                                        \
    {                                                                                              \
        NULL, 0, STEP_OUTPUTS_INIT, ""                                                             \
    }

/* Accepts NULL; leaves h as STEP_CACHE_HIT_INIT. */
void step_cache_hit_release(struct step_cache_hit *h);

/* Looks q->fingerprint up and restores the outputs (above): 1 on a hit
 * (*hit filled, the outputs in place), 0 on a miss (hit->miss says why;
 * nothing else set), -1 with err set when the lookup itself failed (the
 * store or server unreachable, no permission): the engine should then run
 * the step rather than fail it. *hit must be STEP_CACHE_HIT_INIT (or
 * released) on entry. */
int step_cache_lookup(struct client *c, const struct step_cache_query *q,
                      struct step_cache_hit *hit, struct ferr *err) WARN_UNUSED;

/* The restore half of step_cache_lookup, for an execution already found:
 * run_id (its run) and the outputs it recorded (name, uri, type, digest:
 * as cache/lookup answers them). 1 when every declared output came back
 * with its digest (*hit filled), 0 on a miss (hit->miss says why, out_dir
 * as it was), -1 with err set for a local failure (out_dir not writable). */
int step_cache_restore(struct client *c, const struct step_cache_query *q, const char *run_id,
                       int64_t ended_ms, const struct step_outputs *recorded,
                       struct step_cache_hit *hit, struct ferr *err) WARN_UNUSED;

/* Splits "runs:/<run_id>/<path>" into its run id and path (new strings):
 * 0, or -1 (INVALID_PARAMETER_VALUE) for anything else. */
int step_cache_parse_run_uri(const char *uri, char **run_id, char **path,
                             struct ferr *err) WARN_UNUSED;

#endif
