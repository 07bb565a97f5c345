/* SPDX-License-Identifier: MIT
 * What a pipeline step consumed and produced, and recording it:
 *   - its inputs (struct step_input: a name, the uri that is the node id in
 *     the lineage graph, a type and a digest), made from a data: input's
 *     fetch result, from the producing step's recorded output, or from a
 *     local path;
 *   - its outputs (struct step_output), collected from the step's output
 *     directory after it ran (each declared output must exist) with their
 *     digests (pipelines/output_digest.h);
 *   - recording: the outputs logged as artifacts `outputs/<path>` of the
 *     step's run, the artifact `pipeline/outputs.json`
 *     ({name: {path, type, digest, size, uri}}, keys sorted), the lineage
 *     execution (executions/put) and its events (events/log: one "input"
 *     event per input, one "output" event per output, each at its uri and
 *     digest).
 * A CACHED step records the original run's outputs (their uris point at
 * the artifacts of the run that wrote them, which are not uploaded again):
 * its pipeline/outputs.json and its output events name those artifacts, so
 * the lineage graph joins the cached step to the very artifacts it reused.
 *
 * Not here: running the step (pipelines/engine.h), the fingerprint
 * (pipelines/fingerprint.h), the cache lookup (pipelines/step_cache.h).
 * Every fallible function returns 0, or -1 with err set; outputs are the
 * caller's. */
#ifndef FERRY_PIPELINES_STEP_RECORD_H
#define FERRY_PIPELINES_STEP_RECORD_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "client/client.h"

#include <stddef.h>
#include <stdint.h>

struct data_fetched;
struct pipe_plan;
struct pipeline_spec;

/* ---------- inputs ---------- */

/* One input of a step as the fingerprint and the lineage see it. */
struct step_input {
    char *name;      /* the step's name for it: "raw", or "S.X" for an implicit input */
    char *uri;       /* data:/NAME/V[/PATH], runs:/<run>/outputs/<path> or file://<abs path> */
    char *type;      /* "dataset" for data: and local directories, "file" for a local
                        file, the producer's output type for a step output */
    char digest[65]; /* 64 lowercase hex */
};

#define STEP_INPUT_INIT                                                                            \
    {                                                                                              \
        NULL, NULL, NULL, ""                                                                       \
    }

/* Accepts NULL; leaves in as STEP_INPUT_INIT. */
void step_input_release(struct step_input *in);
/* A data: input: uri = f->pinned (the URI by version number, "/PATH" kept),
 * digest = f->digest (the pinned version's digest, also for a /PATH inside
 * it), type "dataset". *out is initialised here. */
void step_input_from_data(struct step_input *out, const char *name, const struct data_fetched *f);
/* A local path (absolute; a relative one is taken against the current
 * directory): uri file://<abs path>, digest and type from output_digest
 * (RESOURCE_DOES_NOT_EXIST when it is gone). *out is set only on success. */
int step_input_from_path(struct step_input *out, const char *name, const char *path,
                         struct ferr *err) WARN_UNUSED;

/* ---------- outputs ---------- */

/* One declared output of a step, as the spec gives it (borrowed strings). */
struct step_output_decl {
    const char *name; /* "train" */
    const char *path; /* relative to the step's output dir: "train.csv", "model" */
    const char *type; /* "file", "dataset", "model" or "metrics"; NULL: "file" */
};

/* One output as written and recorded. */
struct step_output {
    char *name;
    char *path; /* relative to the step's output dir */
    char *type;
    char digest[65]; /* output_digest: a file's SHA-256, a directory's manifest digest */
    int64_t size;    /* bytes (a directory: the sum of its files) */
    int is_dir;
    char *uri; /* runs:/<run that wrote it>/outputs/<path> */
};

struct step_outputs {
    struct step_output *v; /* in declaration order */
    size_t n, alloc;
};

#define STEP_OUTPUTS_INIT                                                                          \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Accepts NULL; leaves l as STEP_OUTPUTS_INIT. */
void step_outputs_release(struct step_outputs *l);
/* The output named name, or NULL. */
const struct step_output *step_outputs_find(const struct step_outputs *l, const char *name);
/* A producer's output as a consumer's input named name: its uri, type and
 * digest. *out is initialised here. */
void step_input_from_output(struct step_input *out, const char *name, const struct step_output *o);

/* After step `step` ran in run run_id: every declared output must exist
 * below out_dir, else INVALID_STATE "step S did not write its declared
 * output X (outputs/train.csv)" (the first one missing); each is digested
 * (a file or directory that cannot be digested fails with output_digest's
 * error, naming the step). uri = runs:/<run_id>/outputs/<path>. *out is
 * initialised here (release it, also after a failure). */
int step_outputs_collect(const char *step, const char *run_id, const char *out_dir,
                         const struct step_output_decl *decl, size_t n, struct step_outputs *out,
                         struct ferr *err) WARN_UNUSED;

/* ---------- from the plan (pipelines/plan.h) ---------- */

/* Step i's declared outputs as decls: a new array of
 * spec->steps[i].noutputs entries (free() it; NULL when there are none),
 * its strings borrowed from spec (type: pipe_output_type_name). */
struct step_output_decl *step_output_decls(const struct pipeline_spec *spec, size_t i);

/* The inputs of plan step i, in the plan's order (plan->steps[i].inputs,
 * implicit "S.X" ones included), into out[0..plan->steps[i].ninputs)
 * (initialised here; release with step_inputs_release, also after a
 * failure): a PATH input through step_input_from_path (its digest read
 * now), a DATA input from the plan's pinned uri and version digest, a
 * STEP input from produced[S] (indexed by step: what step S recorded, its
 * collected outputs when COMPLETE or hit.outputs when CACHED; only the
 * entries of steps upstream of i are read). A producer that recorded no
 * such output is INVALID_STATE naming both steps. */
int step_inputs_for_plan(const struct pipe_plan *plan, size_t i,
                         const struct step_outputs *produced, struct step_input *out,
                         struct ferr *err) WARN_UNUSED;
/* Releases in[0..n). Accepts NULL. Does not free in itself. */
void step_inputs_release(struct step_input *in, size_t n);

/* ---------- recording ---------- */

/* Logs run_id's outputs: with upload, each output <out_dir>/<path> as the
 * artifacts outputs/<path> of run_id (a directory with everything below
 * it); then, always, the artifact pipeline/outputs.json (written through a
 * temporary file outside out_dir). A CACHED step passes upload 0 and the
 * original run's outputs (their uris name the original artifacts). */
int step_record_outputs(struct client *c, const char *run_id, const char *out_dir,
                        const struct step_outputs *o, int upload, struct ferr *err) WARN_UNUSED;
/* The text of pipeline/outputs.json for o into out (appended): compact,
 * keys sorted, {name: {"digest", "path", "size", "type", "uri"}}. */
int step_outputs_json(const struct step_outputs *o, struct sbuf *out, struct ferr *err) WARN_UNUSED;

/* One lineage execution row (lineage-store's executions/put; upsert by
 * run_id). Strings are borrowed; NULL is "". */
struct step_exec {
    const char *run_id;
    const char *pipeline;        /* the pipeline's name */
    const char *pipeline_run_id; /* the pipeline run; for the pipeline run itself, its own id */
    const char *step;            /* "" (or NULL) for the pipeline run itself */
    const char *state;           /* RUNNING, COMPLETE, FAILED, KILLED or CACHED */
    const char *fingerprint;     /* "" when none (the pipeline run, a step not yet fingerprinted) */
    const char *cached_from;     /* the original run of a CACHED step, else "" */
    int64_t started_ms, ended_ms; /* ms since the epoch; ended 0 while RUNNING */
};

/* executions/put of e. */
int step_record_execution(struct client *c, const struct step_exec *e,
                          struct ferr *err) WARN_UNUSED;
/* events/log for run_id: an "input" event per input (name, its uri, type
 * and digest) and an "output" event per output (its uri: for a CACHED step
 * the original artifact), sent in requests of at most 1000 events. in or
 * out may be empty (a failed step records its inputs only). */
int step_record_events(struct client *c, const char *run_id, const struct step_input *in,
                       size_t nin, const struct step_outputs *out, struct ferr *err) WARN_UNUSED;

#endif
