/* SPDX-License-Identifier: MIT
 * A pipeline's spec (issue 20): `pipeline.yaml`, or one entry of an
 * MLproject's `pipelines: {NAME: {...}}` (the same without `name`), read
 * as JSON (base/yaml_json.h: numbers and booleans may arrive as strings)
 * into plain structs: params, steps, templates parsed into references,
 * each step's upstream and downstream steps, a topological order. Every
 * refusal is INVALID_PARAMETER_VALUE naming the step and the field
 * ("pipeline spec: step 'train': params.alpha: unknown reference
 * '{params.alfa}'"). No I/O here: whether a path exists, a data: URI
 * resolves or an entry point takes these params is pipelines/plan.h's.
 *
 *   name    required in pipeline.yaml: [A-Za-z0-9][A-Za-z0-9._-]*, <= 256
 *   params  {X: SCALAR} (a string param with that default; null: required)
 *           or {X: {type: string|float|int|path|data, default: SCALAR}}
 *           (no default: required); a default must be of its type
 *   steps   {S: STEP} in file order, 1..10,000
 * STEP (exactly one of run, entry_point, uses):
 *   run          a shell command template (substitutions shell-quoted)
 *   entry_point  an MLproject entry point of the project
 *   uses         a built-in step, "ferry/NAME" (domain/builtin_steps.h): its
 *                outputs are the built-in's (the step may not declare
 *                `outputs` nor `params`)
 *   with         {K: VALUE} (uses only): the built-in's settings, checked
 *                against its table (unknown key, missing required one);
 *                VALUE is any JSON/YAML value whose strings are templates
 *   params       {K: TEMPLATE}: for entry_point its parameters; for run
 *                logged with the step's run
 *   inputs       {K: TEMPLATE}: after substitution a data: URI, or exactly
 *                one `{steps.S.outputs.X}` (nothing else around it), or a
 *                path relative to the project dir; only {params.X} and
 *                that one step output reference may appear in it
 *   outputs      {K: PATH} or {K: {path: PATH, type: file|dataset|model|
 *                metrics}} (default file): PATH relative, no "..", no
 *                empty or "." component, no two outputs of a step on the
 *                same path or one inside the other
 *   deps         [PATH]: project-relative files/dirs the step's code is
 *                (for caching; no "..", not absolute)
 *   env          {VAR: TEMPLATE} (VAR: [A-Za-z_][A-Za-z0-9_]*)
 *   after        [S]: ordering without data
 *   retries      0..10 (default 0)
 *   timeout      a duration (base/duration.h: "30m"; default none)
 *   cache        bool (default true)
 *   cache_max_age a duration (default none)
 * Names of params, steps, inputs, outputs: [A-Za-z0-9_][A-Za-z0-9_-]*, <= 128
 * (no dots, so a reference reads one way). Unknown keys anywhere are
 * refused.
 *
 * TEMPLATES: text with {REF}; `{{` and `}}` are literal braces (a lone
 * `}` is literal too). REF is one of
 *   params.X                 the pipeline's bound param X (declared)
 *   inputs.X                 this step's input X (absolute local path)
 *   outputs.X                this step's output X (absolute local path)
 *   steps.S.outputs.X        S's output X (absolute local path)
 *   steps.S.outputs.X.uri    runs:/<run that produced it>/outputs/<path>
 *   steps.S.run_id           S's run id
 *   run_id                   this step's run id
 *   pipeline.run_id          the pipeline run's id
 * Any steps.S... (and `after`) makes S upstream; a cycle is refused naming
 * it ("cycle: a -> b -> a"). Inputs may use only params.X and one whole
 * steps.S.outputs.X. A step output referenced outside `inputs` becomes an
 * implicit input of the step named "S.X" (pipelines/plan.h lists them).
 *
 * Ownership: the struct owns every string and array it points at;
 * pipeline_spec_release frees them. Thread-safety: a parsed spec is
 * read-only, usable from any thread. */
#ifndef FERRY_DOMAIN_PIPELINE_SPEC_H
#define FERRY_DOMAIN_PIPELINE_SPEC_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PIPE_NAME_MAX       256   /* the pipeline's name */
#define PIPE_IDENT_MAX      128   /* params', steps', inputs', outputs' names */
#define PIPE_STEPS_MAX      10000 /* steps in a pipeline */
#define PIPE_RETRIES_MAX    10
#define PIPE_SPEC_MAX_BYTES (16 * 1024 * 1024) /* a pipeline.yaml read from disk */

enum pipe_param_type {
    PIPE_PARAM_STRING,
    PIPE_PARAM_FLOAT,
    PIPE_PARAM_INT,
    PIPE_PARAM_PATH, /* made absolute against the project dir when bound */
    PIPE_PARAM_DATA, /* a data: URI, pinned to its version number when bound */
};

enum pipe_output_type { PIPE_OUT_FILE, PIPE_OUT_DATASET, PIPE_OUT_MODEL, PIPE_OUT_METRICS };

enum pipe_step_kind { PIPE_STEP_RUN, PIPE_STEP_ENTRY_POINT, PIPE_STEP_USES };

/* What a template's piece is. PIPE_REF_TEXT is literal text (braces
 * already unescaped); every other kind is a {REF}. */
enum pipe_ref_kind {
    PIPE_REF_TEXT,
    PIPE_REF_PARAM,           /* {params.X}: name = X */
    PIPE_REF_INPUT,           /* {inputs.X}: name = X, index = the input's index in step->inputs */
    PIPE_REF_OUTPUT,          /* {outputs.X}: name = X, index = the output's index */
    PIPE_REF_STEP_OUTPUT,     /* {steps.S.outputs.X}: step = S, name = X, index = X's index in S */
    PIPE_REF_STEP_OUTPUT_URI, /* {steps.S.outputs.X.uri}: as above */
    PIPE_REF_STEP_RUN_ID,     /* {steps.S.run_id}: step = S */
    PIPE_REF_RUN_ID,          /* {run_id} */
    PIPE_REF_PIPELINE_RUN_ID, /* {pipeline.run_id} */
};

struct pipe_ref {
    enum pipe_ref_kind kind;
    char *text;   /* PIPE_REF_TEXT: the literal text; else NULL */
    char *name;   /* the param, input or output name; NULL for run ids and text */
    size_t step;  /* PIPE_REF_STEP_*: the referenced step's index in spec->steps */
    size_t index; /* PIPE_REF_INPUT/OUTPUT/STEP_OUTPUT*: see above; else 0 */
};

/* A parsed template: text as written, and its pieces in order. */
struct pipe_template {
    char *text;
    struct pipe_ref *parts;
    size_t nparts;
};

/* A named template: a step's param, input or env variable. */
struct pipe_named {
    char *name;
    struct pipe_template t;
};

struct pipe_param {
    char *name;
    enum pipe_param_type type;
    char *def; /* the default as text, NULL: required */
};

struct pipe_output {
    char *name;
    char *path; /* normalised: relative, no "./", no trailing '/' */
    enum pipe_output_type type;
};

struct pipe_step {
    char *name;
    enum pipe_step_kind kind;
    struct pipe_template run; /* PIPE_STEP_RUN; else empty (text NULL) */
    char *entry_point;        /* PIPE_STEP_ENTRY_POINT; else NULL */
    char *uses;               /* PIPE_STEP_USES: "ferry/NAME"; else NULL */
    /* PIPE_STEP_USES: `with` as written (NULL when absent), and per key a
     * template whose expansion (each reference's value JSON-escaped, see
     * pipe_with_quote) is the value's JSON text: strings inside are
     * templates, the JSON's own braces are written doubled. */
    json_t *with_json;
    struct pipe_named *with;
    size_t nwith;
    struct pipe_named *params;
    size_t nparams;
    struct pipe_named *inputs;
    size_t ninputs;
    struct pipe_output *outputs;
    size_t noutputs;
    char **deps; /* project-relative paths, as written */
    size_t ndeps;
    struct pipe_named *env;
    size_t nenv;
    size_t *after; /* step indexes named in `after`, as written */
    size_t nafter;
    int retries;              /* 0..10 */
    int64_t timeout_ms;       /* 0: none */
    int cache;                /* 1 (default) or 0 */
    int64_t cache_max_age_ms; /* 0: none */
    /* Derived. upstream: every step this one waits for (after + every
     * steps.S reference), ascending, unique; downstream: the steps whose
     * upstream holds this one, ascending. */
    size_t *upstream;
    size_t nupstream;
    size_t *downstream;
    size_t ndownstream;
    /* Every {params.X} name this step uses anywhere (run, params, inputs,
     * env), unique, in order of first use: the fingerprint covers their
     * values. */
    char **param_refs;
    size_t nparam_refs;
};

struct pipeline_spec {
    char *name;
    struct pipe_param *params;
    size_t nparams;
    struct pipe_step *steps; /* in file order */
    size_t nsteps;
    size_t *order; /* nsteps step indexes, upstream before downstream (ties: file order) */
};

/* Parses doc into out. name: NULL for a pipeline.yaml (doc must have
 * `name`); else the name of an MLproject `pipelines:` entry (doc must not
 * have `name`). 0, or -1 with INVALID_PARAMETER_VALUE and a message naming
 * the step and field; out is set only on success. */
int pipeline_spec_parse(json_t *doc, const char *name, struct pipeline_spec *out,
                        struct ferr *err) WARN_UNUSED;
/* Accepts NULL and a zeroed struct; leaves s zeroed. */
void pipeline_spec_release(struct pipeline_spec *s);

/* The step named name: 0 with *out its index, -1 when there is none. */
int pipeline_spec_step_index(const struct pipeline_spec *s, const char *name, size_t *out);
/* The param named name, or NULL. */
const struct pipe_param *pipeline_spec_param(const struct pipeline_spec *s, const char *name);
/* Sets mask[i] = 1 for step i and every step downstream of it, directly or
 * not (mask has nsteps entries; others are left as they are). */
void pipeline_spec_mark_dependants(const struct pipeline_spec *s, size_t i, unsigned char *mask);

/* Checks value against p's type: float and int must parse in full, data
 * must be a well-formed data: URI, path must not be empty. -1 with
 * INVALID_PARAMETER_VALUE: "param 'alpha' must be a float, got 'abc'". */
int pipe_param_check(const struct pipe_param *p, const char *value, struct ferr *err) WARN_UNUSED;

const char *pipe_param_type_name(enum pipe_param_type t);
const char *pipe_output_type_name(enum pipe_output_type t);

/* The canonical JSON of the whole spec (a new reference): {"name",
 * "params": {X: {"type", "default"?}}, "steps": {S: STEP}} with steps in
 * file order and every STEP normalised as pipe_step_to_json makes it. It
 * parses back (pipeline_spec_parse(j, NULL, ...)) to an equal spec. Logged
 * by the engine as the artifact pipeline/pipeline.json. */
json_t *pipeline_spec_to_json(const struct pipeline_spec *s);
/* Step i as normalised JSON (a new reference): the kind's key (run: the
 * template text; entry_point; uses), params/inputs/env as {K: template
 * text}, outputs as {K: {"path", "type"}}, deps, after (names) -- each
 * present only when non-empty -- and, when with_exec, retries, timeout,
 * cache, cache_max_age (durations as duration_format writes them; each only
 * when not the default). Without with_exec it is the "step" object of the
 * cache fingerprint (pipelines/fingerprint.h): what does not change what a
 * step computes is left out. */
json_t *pipe_step_to_json(const struct pipeline_spec *s, size_t i, int with_exec);
/* pipe_step_to_json(s, i, 0) as compact text with sorted keys (a new
 * string, free()): the same bytes for the same step on every machine. */
char *pipe_step_canonical(const struct pipeline_spec *s, size_t i);

/* Appends r as it is written in a template ("{steps.prep.outputs.train}";
 * TEXT: the text with braces doubled). */
void pipe_ref_format(const struct pipeline_spec *s, const struct pipe_ref *r, struct sbuf *out);

/* Gives a reference's value: appends it to value (raw, unquoted), or
 * returns -1 with err set (the expansion stops). */
typedef int pipe_resolve_fn(void *arg, const struct pipe_ref *r, struct sbuf *value,
                            struct ferr *err);
/* Appends t to out, each reference replaced by what resolve gives, passed
 * through quote when it is not NULL (for `run`: projects/mlproject.h's
 * shell_quote, which this layer cannot name); 0 or the resolver's -1. */
int pipe_template_expand(const struct pipe_template *t, pipe_resolve_fn *resolve, void *arg,
                         void (*quote)(struct sbuf *out, const char *s), struct sbuf *out,
                         struct ferr *err) WARN_UNUSED;

/* The quote function for `with` templates: appends s JSON-escaped (no
 * surrounding quotes), as it sits inside a JSON string. */
void pipe_with_quote(struct sbuf *out, const char *s);
/* Expands every `with` template of st into one JSON object (a new
 * reference in *out): the rendered settings of a built-in. -1 with the
 * resolver's error, or INVALID_PARAMETER_VALUE if a value is not JSON. */
int pipe_with_expand(const struct pipe_step *st, pipe_resolve_fn *resolve, void *arg, json_t **out,
                     struct ferr *err) WARN_UNUSED;

#endif
