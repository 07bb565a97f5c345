/* SPDX-License-Identifier: MIT
 * One step's life in the engine (pipelines/engine_int.h):
 *
 *   start:  its output dir and log dir, its child run, its inputs (data:
 *           fetched, local paths and upstream outputs digested), its
 *           fingerprint, its render (the run id is in it); then the cache
 *           (a hit: CACHED, ended at once) or its job (RUNNING: params,
 *           the fingerprint tag and a RUNNING execution recorded first);
 *   end:    a failed attempt (non-zero exit, a signal, a timeout, a
 *           declared output missing) is retried in the same run while
 *           attempts remain, its output dir emptied and its log appended;
 *           else COMPLETE (outputs logged and recorded), FAILED or KILLED
 *           (the log, the state and the execution recorded, dependants
 *           SKIPPED).
 * Every failure of ferry's own on the way (the store, an artifact upload)
 * fails this step with the message as its reason; the pipeline goes on. */
#include "pipelines/engine_int.h"
#include "pipelines/step_cache.h"
#include "projects/run_setup.h"
#include "client/client_artifacts.h"
#include "data/data_fetch.h"
#include "data/data_port.h"
#include "base/duration.h"
#include "base/fs_tree.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

static const struct pipe_step *spec_step(const struct engine *e, size_t i)
{
    return &e->plan->spec.steps[i];
}

/* "a/b", a new string. */
static char *join(const char *a, const char *b)
{
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/%s", a, b);
    return sbuf_detach(&p, NULL);
}

static void emit_step(struct engine *e, size_t i, enum pipe_event_kind kind, const char *reason)
{
    struct eng_step *s = &e->s[i];
    struct pipe_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.step = spec_step(e, i)->name;
    ev.state = s->state;
    ev.run_id = s->run_id;
    ev.cached_from = s->cached_from;
    ev.reason = reason;
    ev.attempt = s->attempts;
    if (kind == PIPE_EVENT_STEP_ENDED && s->started_ms && s->ended_ms >= s->started_ms)
        ev.seconds = (double)(s->ended_ms - s->started_ms) / 1000.0;
    engine_emit(e, &ev);
}

/* Appends a line of ferry's own to the step's log (why an attempt ended). */
static void log_note(struct eng_step *s, const char *text)
{
    FILE *f = s->log_path ? fopen(s->log_path, "a") : NULL;
    if (!f)
        return;
    fprintf(f, "ferry: %s\n", text);
    if (fclose(f) != 0)
        log_warn("cannot write %s", s->log_path);
}

static int make_dir(const char *path, struct ferr *err)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST)
        return ferr_set(err, FERR_IO_ERROR, "cannot create %s: %s", path, strerror(errno));
    return 0;
}

static int make_dirs(struct engine *e, size_t i, struct ferr *err)
{
    struct eng_step *s = &e->s[i];
    const char *name = spec_step(e, i)->name;
    struct sbuf p = SBUF_INIT;
    s->out_dir = join(e->base, name);
    sbuf_addf(&p, "%s/.logs/%s", e->base, name);
    s->log_path = join(p.buf, "output.log");
    int rc = make_dir(s->out_dir, err) || make_dir(p.buf, err) ? -1 : 0;
    sbuf_release(&p);
    return rc;
}

static int create_run(struct engine *e, size_t i, struct ferr *err)
{
    struct eng_step *s = &e->s[i];
    const char *name = spec_step(e, i)->name;
    struct kv_list tags = {0};
    struct run run;
    run_setup_source_tags(&tags, e->plan->source_name, &e->plan->src);
    kv_list_add(&tags, "mlflow.parentRunId", e->run_id);
    kv_list_add(&tags, "ferry.pipeline.name", e->plan->spec.name);
    kv_list_add(&tags, "ferry.pipeline.runId", e->run_id);
    kv_list_add(&tags, "ferry.pipeline.step", name);
    struct run_create rc = {e->exp_id, run_setup_user(), name, TIME_NONE, tags};
    int r = client_create_run(e->c, &rc, &run, err);
    kv_list_release(&tags);
    if (r)
        return -1;
    s->run_id = xstrdup(run.info.run_id);
    run_release(&run);
    e->run_ids[i] = s->run_id;
    return 0;
}

/* One input made local: its path and its lineage/fingerprint record. */
static int resolve_input(struct engine *e, const struct pipe_input *in, struct step_input *out,
                         char **path, struct ferr *err)
{
    switch (in->kind) {
    case PIPE_INPUT_PATH:
        *path = xstrdup(in->path);
        return step_input_from_path(out, in->name, in->path, err);
    case PIPE_INPUT_DATA: {
        struct data_fetch_opts fo = {NULL, 0};
        struct data_fetched f = DATA_FETCHED_INIT;
        if (!e->port && data_port_open(client_uri(e->c), &e->port, err))
            return -1;
        if (data_fetch(e->port, in->uri, &fo, &f, err))
            return -1;
        *path = xstrdup(f.path);
        step_input_from_data(out, in->name, &f);
        data_fetched_release(&f);
        return 0;
    }
    case PIPE_INPUT_STEP: {
        const struct eng_step *from = &e->s[in->step];
        if (in->output >= from->outputs.n)
            return ferr_set(err, FERR_INTERNAL_ERROR, "step '%s' has no output #%zu",
                            spec_step(e, in->step)->name, in->output);
        const struct step_output *o = &from->outputs.v[in->output];
        *path = join(from->out_dir, o->path);
        step_input_from_output(out, in->name, o);
        return 0;
    }
    }
    return ferr_set(err, FERR_INTERNAL_ERROR, "input '%s': unknown kind", in->name);
}

static int resolve_inputs(struct engine *e, size_t i, struct ferr *err)
{
    struct eng_step *s = &e->s[i];
    const struct pipe_plan_step *ps = &e->plan->steps[i];
    s->inputs = xcalloc(ps->ninputs + 1, sizeof(*s->inputs));
    s->input_paths = xcalloc(ps->ninputs + 1, sizeof(*s->input_paths));
    for (size_t k = 0; k < ps->ninputs; k++) {
        struct ferr ierr = FERR_INIT;
        s->ninputs = k + 1; /* released whole, even part-way */
        if (resolve_input(e, &ps->inputs[k], &s->inputs[k], &s->input_paths[k], &ierr))
            return ferr_set(err, ierr.code, "input '%s': %s", ps->inputs[k].name, ierr.msg);
    }
    return 0;
}

static int fingerprint(struct engine *e, size_t i, struct ferr *err)
{
    struct eng_step *s = &e->s[i];
    const struct pipe_step *st = spec_step(e, i);
    const struct pipe_plan_step *ps = &e->plan->steps[i];
    struct kv_list code = {0};
    int rc = -1;
    if (st->ndeps) {
        if (fingerprint_deps(e->plan->dir, (const char *const *)st->deps, st->ndeps, &code, err))
            goto out;
    } else if (!e->tree_digest[0] && fingerprint_tree_digest(e->plan->dir, e->tree_digest, err)) {
        goto out;
    }
    if (!e->have_fp_env) {
        if (step_fp_env_make(e->plan->envm, &e->plan->proj, e->plan->dir, &e->fp_env, err))
            goto out;
        e->have_fp_env = 1;
    }
    json_t *j = pipe_step_to_json(&e->plan->spec, i, 0);
    struct step_fp fp = {j,         &ps->param_values, &ps->params, &code, e->tree_digest,
                         s->inputs, s->ninputs,        &e->fp_env};
    rc = step_fingerprint(&fp, s->fingerprint, NULL, err);
    json_decref(j);
out:
    kv_list_release(&code);
    return rc;
}

static int render(struct engine *e, size_t i, struct pipe_rendered *r, struct ferr *err)
{
    struct eng_step *s = &e->s[i];
    struct pipe_step_bindings b = {
        s->out_dir,
        s->run_id,
        e->run_id,
        (const char *const *)s->input_paths,
        (const char *const *)e->run_ids,
        (const char *const *)e->out_dirs,
        (const char *const *)e->out_runs,
        NULL,
    };
    return pipe_step_render(e->plan, i, &b, r, err);
}

/* The job's environment: the run's variables, the pipeline's, `env:`. */
static char **job_env(struct engine *e, size_t i, const struct kv_list *step_env)
{
    struct eng_step *s = &e->s[i];
    struct kv_list env = {0};
    const char *py = getenv("FERRY_PYTHON");
    run_setup_env(e->c, s->run_id, e->exp_id, &env);
    kv_list_set(&env, "FERRY_PYTHON", py && *py ? py : "/usr/bin/python3");
    kv_list_set(&env, "FERRY_PIPELINE_RUN_ID", e->run_id);
    kv_list_set(&env, "FERRY_STEP", spec_step(e, i)->name);
    kv_list_set(&env, "FERRY_STEP_OUTPUTS", s->out_dir);
    for (size_t k = 0; k < step_env->n; k++)
        kv_list_set(&env, step_env->v[k].key, step_env->v[k].value);
    char **v = xcalloc(env.n + 1, sizeof(*v));
    for (size_t k = 0; k < env.n; k++) {
        struct sbuf kv = SBUF_INIT;
        sbuf_addf(&kv, "%s=%s", env.v[k].key, env.v[k].value);
        v[k] = sbuf_detach(&kv, NULL);
    }
    kv_list_release(&env);
    return v;
}

static int start_job(struct engine *e, size_t i, struct ferr *err)
{
    struct eng_step *s = &e->s[i];
    const struct pipe_step *st = spec_step(e, i);
    struct executor_job job = {
        st->name,       s->script, e->plan->dir, (const char *const *)s->env, s->log_path,
        st->timeout_ms, s};
    if (executor_start(e->x, &job, &s->job, err))
        return -1;
    s->attempts++;
    s->state = PIPE_STEP_RUNNING;
    e->running++;
    return 0;
}

/* The lineage execution (warned, not failed, when it cannot be written). */
static void record_execution(struct engine *e, size_t i, const char *state)
{
    struct eng_step *s = &e->s[i];
    struct ferr err = FERR_INIT;
    struct step_exec x = {
        s->run_id,
        e->plan->spec.name,
        e->run_id,
        spec_step(e, i)->name,
        state,
        s->fingerprint,
        s->cached_from,
        s->started_ms,
        !strcmp(state, "RUNNING") ? 0 : s->ended_ms,
    };
    if (step_record_execution(e->c, &x, &err))
        engine_lineage_failed(e, &err);
}

static void record_events(struct engine *e, size_t i, const struct step_outputs *out)
{
    struct eng_step *s = &e->s[i];
    struct ferr err = FERR_INIT;
    if (step_record_events(e->c, s->run_id, s->inputs, s->ninputs, out, &err))
        engine_lineage_failed(e, &err);
}

/* The step's final tags: its state, attempts, and (CACHED) where from. */
static int end_tags(struct engine *e, size_t i, const struct kv_list *params, struct ferr *err)
{
    struct eng_step *s = &e->s[i];
    struct kv_list tags = {0};
    char n[16];
    snprintf(n, sizeof(n), "%d", s->attempts);
    kv_list_add(&tags, "ferry.pipeline.step.state", pipe_step_state_name(s->state));
    kv_list_add(&tags, "ferry.pipeline.step.attempts", n);
    if (s->fingerprint[0])
        kv_list_add(&tags, "ferry.pipeline.step.fingerprint", s->fingerprint);
    if (s->cached_from)
        kv_list_add(&tags, "ferry.pipeline.step.cachedFrom", s->cached_from);
    int rc =
        client_log_batch(e->c, s->run_id, NULL, params && params->n ? params : NULL, &tags, err);
    kv_list_release(&tags);
    return rc;
}

/* The outputs as artifacts and pipeline/outputs.json; a step that declares
 * none has nothing to record (an empty outputs.json would cost two fsyncs
 * of the artifact store per step and say nothing). */
static int record_outputs(struct engine *e, size_t i, int upload, struct ferr *err)
{
    struct eng_step *s = &e->s[i];
    if (!spec_step(e, i)->noutputs)
        return 0;
    return step_record_outputs(e->c, s->run_id, s->out_dir, &s->outputs, upload, err);
}

static enum run_status run_status_of(enum pipe_step_state st)
{
    return st == PIPE_STEP_KILLED ? RUN_KILLED : st == PIPE_STEP_FAILED ? RUN_FAILED : RUN_FINISHED;
}

/* Ends step i FAILED or KILLED (state already set), recording what can be
 * recorded; its dependants SKIPPED. */
static void end_failed(struct engine *e, size_t i, const char *reason)
{
    struct eng_step *s = &e->s[i];
    struct ferr err = FERR_INIT;
    const char *name = spec_step(e, i)->name;
    if (!s->ended_ms)
        s->ended_ms = ftime_now_ms();
    free(s->reason);
    s->reason = xstrdup(reason);
    if (s->state == PIPE_STEP_FAILED) {
        struct sbuf note = SBUF_INIT;
        sbuf_addf(&note, "step %s failed: %s", name, reason);
        log_note(s, note.buf);
        sbuf_release(&note);
    }
    if (s->run_id) {
        const char *state = s->state == PIPE_STEP_KILLED ? "KILLED" : "FAILED";
        if ((access(s->log_path, F_OK) == 0 &&
             client_log_artifacts(e->c, s->run_id, s->log_path, "logs", NULL, NULL, &err)) ||
            end_tags(e, i, NULL, &err) ||
            client_update_run(e->c, s->run_id, run_status_of(s->state), s->ended_ms, NULL, &err))
            log_warn("step %s: cannot record its end: %s", name, err.msg);
        record_execution(e, i, state);
        record_events(e, i, NULL);
    }
    emit_step(e, i, PIPE_EVENT_STEP_ENDED, reason);
    engine_skip_dependants(e, i);
}

static void fail_step(struct engine *e, size_t i, const char *reason)
{
    e->s[i].state = PIPE_STEP_FAILED;
    end_failed(e, i, reason);
}

/* The end both good outcomes share, once the step's run is finished: its
 * execution (state CACHED or COMPLETE) and events recorded, then its output
 * run published to its dependants before they are released. */
static void end_ok(struct engine *e, size_t i, const char *state)
{
    struct eng_step *s = &e->s[i];
    record_execution(e, i, state);
    record_events(e, i, &s->outputs);
    e->out_runs[i] = s->output_run;
    emit_step(e, i, PIPE_EVENT_STEP_ENDED, NULL);
    engine_release_dependants(e, i);
}

static void end_cached(struct engine *e, size_t i, struct step_cache_hit *hit,
                       const struct kv_list *params)
{
    struct eng_step *s = &e->s[i];
    struct ferr err = FERR_INIT;
    s->cached_from = xstrdup(hit->run_id);
    s->output_run = xstrdup(hit->run_id);
    s->outputs = hit->outputs;
    memset(&hit->outputs, 0, sizeof(hit->outputs));
    s->state = PIPE_STEP_CACHED;
    s->ended_ms = ftime_now_ms();
    if (end_tags(e, i, params, &err) || record_outputs(e, i, 0, &err) ||
        client_update_run(e->c, s->run_id, RUN_FINISHED, s->ended_ms, NULL, &err)) {
        free(s->cached_from);
        s->cached_from = NULL;
        fail_step(e, i, err.msg);
        return;
    }
    end_ok(e, i, "CACHED");
}

/* 1: a hit, ended CACHED; 0: run it. */
static int try_cache(struct engine *e, size_t i, const struct kv_list *params)
{
    struct eng_step *s = &e->s[i];
    const struct pipe_step *st = spec_step(e, i);
    if (e->o->no_cache || !st->cache || e->plan->steps[i].from)
        return 0;
    struct step_cache_query q = {s->fingerprint, st->cache_max_age_ms, s->decl, st->noutputs,
                                 s->out_dir};
    struct step_cache_hit hit = STEP_CACHE_HIT_INIT;
    struct ferr err = FERR_INIT;
    int r = step_cache_lookup(e->c, &q, &hit, &err);
    if (r < 0)
        log_warn("step %s: the cache lookup failed, running it: %s", st->name, err.msg);
    if (r == 1)
        end_cached(e, i, &hit, params);
    step_cache_hit_release(&hit);
    return r == 1;
}

void engine_step_start(struct engine *e, size_t i)
{
    struct eng_step *s = &e->s[i];
    const struct pipe_step *st = spec_step(e, i);
    struct pipe_rendered r = PIPE_RENDERED_INIT;
    struct ferr err = FERR_INIT;
    struct kv_list tags = {0};
    s->started_ms = ftime_now_ms();
    s->decl = xcalloc(st->noutputs + 1, sizeof(*s->decl));
    for (size_t k = 0; k < st->noutputs; k++) {
        s->decl[k].name = st->outputs[k].name;
        s->decl[k].path = st->outputs[k].path;
        s->decl[k].type = pipe_output_type_name(st->outputs[k].type);
    }
    if (make_dirs(e, i, &err) || create_run(e, i, &err))
        goto fail;
    e->out_dirs[i] = s->out_dir;
    if (resolve_inputs(e, i, &err) || fingerprint(e, i, &err) || render(e, i, &r, &err))
        goto fail;
    if (try_cache(e, i, &r.params))
        goto out;
    kv_list_add(&tags, "ferry.pipeline.step.fingerprint", s->fingerprint);
    if (client_log_batch(e->c, s->run_id, NULL, r.params.n ? &r.params : NULL, &tags, &err))
        goto fail;
    record_execution(e, i, "RUNNING");
    s->script = sbuf_detach(&r.script, NULL);
    s->env = job_env(e, i, &r.env);
    if (start_job(e, i, &err))
        goto fail;
    emit_step(e, i, PIPE_EVENT_STEP_STARTED, NULL);
    goto out;
fail:
    fail_step(e, i, err.msg);
out:
    kv_list_release(&tags);
    pipe_rendered_release(&r);
}

/* Why an attempt failed, into why; 0 when it succeeded (outputs collected). */
static int attempt_failed(struct engine *e, size_t i, const struct executor_event *ev,
                          struct sbuf *why)
{
    struct eng_step *s = &e->s[i];
    const struct pipe_step *st = spec_step(e, i);
    struct ferr err = FERR_INIT;
    char d[24];
    switch (ev->end) {
    case EXECUTOR_EXITED:
        if (ev->status != 0) {
            sbuf_addf(why, "exit %d", ev->status);
            return 1;
        }
        step_outputs_release(&s->outputs);
        if (step_outputs_collect(st->name, s->run_id, s->out_dir, s->decl, st->noutputs,
                                 &s->outputs, &err)) {
            sbuf_addstr(why, err.msg);
            return 1;
        }
        return 0;
    case EXECUTOR_SIGNALED:
        sbuf_addf(why, "killed by signal %d", ev->status);
        return 1;
    case EXECUTOR_TIMED_OUT:
        duration_format(st->timeout_ms, d);
        sbuf_addf(why, "timed out after %s", d);
        return 1;
    case EXECUTOR_CANCELLED:
        sbuf_addstr(why, "cancelled");
        return 1;
    }
    return 1;
}

static void end_complete(struct engine *e, size_t i)
{
    struct eng_step *s = &e->s[i];
    struct ferr err = FERR_INIT;
    s->state = PIPE_STEP_COMPLETE;
    s->output_run = xstrdup(s->run_id);
    if (record_outputs(e, i, 1, &err) ||
        client_log_artifacts(e->c, s->run_id, s->log_path, "logs", NULL, NULL, &err) ||
        end_tags(e, i, NULL, &err) ||
        client_update_run(e->c, s->run_id, RUN_FINISHED, s->ended_ms, NULL, &err)) {
        fail_step(e, i, err.msg);
        return;
    }
    end_ok(e, i, "COMPLETE");
}

/* Another attempt: the output dir emptied, the same script and log. */
static int retry(struct engine *e, size_t i, const char *why)
{
    struct eng_step *s = &e->s[i];
    struct ferr err = FERR_INIT;
    struct sbuf note = SBUF_INIT;
    sbuf_addf(&note, "attempt %d failed (%s): running it again", s->attempts, why);
    log_note(s, note.buf);
    sbuf_release(&note);
    step_outputs_release(&s->outputs);
    if (fs_remove_tree(s->out_dir) || make_dir(s->out_dir, &err) || start_job(e, i, &err)) {
        s->ended_ms = ftime_now_ms();
        fail_step(e, i, err.msg[0] ? err.msg : "cannot empty its output directory");
        return -1;
    }
    emit_step(e, i, PIPE_EVENT_STEP_RETRY, why);
    return 0;
}

void engine_step_job_ended(struct engine *e, const struct executor_event *ev)
{
    size_t i = (size_t)((struct eng_step *)ev->user - e->s);
    struct eng_step *s = &e->s[i];
    struct sbuf why = SBUF_INIT;
    e->running--;
    s->ended_ms = ev->ended_ms;
    if (!attempt_failed(e, i, ev, &why)) {
        end_complete(e, i);
    } else if (ev->end == EXECUTOR_CANCELLED) {
        s->state = PIPE_STEP_KILLED;
        end_failed(e, i, why.buf);
    } else if (!e->cancelled && s->attempts <= spec_step(e, i)->retries) {
        (void)retry(e, i, why.buf);
    } else {
        fail_step(e, i, why.buf);
    }
    sbuf_release(&why);
}

void engine_step_abandon(struct engine *e, size_t i, const char *reason)
{
    struct eng_step *s = &e->s[i];
    if (s->state != PIPE_STEP_RUNNING)
        return;
    e->running--;
    s->ended_ms = ftime_now_ms();
    fail_step(e, i, reason);
}

void engine_skip_dependants(struct engine *e, size_t i)
{
    const struct pipeline_spec *spec = &e->plan->spec;
    unsigned char *mask = xcalloc(spec->nsteps, 1);
    struct sbuf why = SBUF_INIT;
    sbuf_addf(&why, "%s %s", spec->steps[i].name,
              e->s[i].state == PIPE_STEP_KILLED ? "was killed" : "failed");
    pipeline_spec_mark_dependants(spec, i, mask);
    for (size_t k = 0; k < spec->nsteps; k++) {
        size_t d = spec->order[k];
        if (d == i || !mask[d] || e->s[d].state != PIPE_STEP_PENDING)
            continue;
        e->s[d].state = PIPE_STEP_SKIPPED;
        e->s[d].reason = xstrdup(why.buf);
        emit_step(e, d, PIPE_EVENT_STEP_ENDED, why.buf);
    }
    sbuf_release(&why);
    free(mask);
}

void engine_release_dependants(struct engine *e, size_t i)
{
    const struct pipe_step *st = spec_step(e, i);
    for (size_t k = 0; k < st->ndownstream; k++) {
        size_t d = st->downstream[k];
        if (e->s[d].waiting > 0 && --e->s[d].waiting == 0 && e->s[d].state == PIPE_STEP_PENDING)
            e->ready[e->ready_tail++] = d;
    }
}

void engine_step_release(struct eng_step *s)
{
    for (size_t k = 0; k < s->ninputs; k++) {
        step_input_release(&s->inputs[k]);
        free(s->input_paths[k]);
    }
    free(s->inputs);
    free(s->input_paths);
    for (size_t k = 0; s->env && s->env[k]; k++)
        free(s->env[k]);
    free(s->env);
    step_outputs_release(&s->outputs);
    free(s->decl);
    free(s->run_id);
    free(s->output_run);
    free(s->cached_from);
    free(s->out_dir);
    free(s->log_path);
    free(s->script);
    free(s->reason);
}
