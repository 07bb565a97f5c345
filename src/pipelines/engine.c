/* SPDX-License-Identifier: MIT
 * The pipeline engine (see the header): the pipeline run, the scheduling
 * loop (a FIFO of ready steps, at most `parallel` jobs, one wait on the
 * executor and the signal pipe), the end. A step's own life is
 * engine_step.c's. */
#include "pipelines/engine_int.h"
#include "pipelines/executor_local.h"
#include "projects/run_setup.h"
#include "client/client_artifacts.h"
#include "data/data_port.h"
#include "base/fs_tree.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/sigpipe.h"
#include "base/xalloc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

#define PARALLEL_DEFAULT 4

static int write_file(const char *path, const char *text, struct ferr *err)
{
    FILE *f = fopen(path, "w");
    size_t n = strlen(text);
    if (!f)
        return ferr_set(err, FERR_IO_ERROR, "cannot write %s: %s", path, strerror(errno));
    /* fclose is called once whatever happened: a failed fclose has closed
     * the stream already, a second one would free it twice */
    int bad = fwrite(text, 1, n, f) != n, e = errno;
    if (fclose(f) != 0 && !bad) {
        bad = 1;
        e = errno;
    }
    if (bad)
        return ferr_set(err, FERR_IO_ERROR, "cannot write %s: %s", path, strerror(e));
    return 0;
}

/* The pipeline's spec as the artifact pipeline/pipeline.json. */
static int log_spec(struct engine *e, struct ferr *err)
{
    if (!e->plan->spec_json)
        return 0;
    struct sbuf dir = SBUF_INIT, path = SBUF_INIT;
    int rc = -1;
    sbuf_addf(&dir, "%s/.pipeline", e->base);
    sbuf_addf(&path, "%s/pipeline.json", dir.buf);
    if (mkdir(dir.buf, 0700) < 0 && errno != EEXIST)
        ferr_set(err, FERR_IO_ERROR, "cannot create %s: %s", dir.buf, strerror(errno));
    else if (!write_file(path.buf, e->plan->spec_json, err))
        rc = client_log_artifacts(e->c, e->run_id, path.buf, "pipeline", NULL, NULL, err);
    sbuf_release(&dir);
    sbuf_release(&path);
    return rc;
}

static void pipeline_execution(struct engine *e, const char *state, int64_t ended_ms)
{
    struct ferr err = FERR_INIT;
    struct step_exec x = {e->run_id, e->plan->spec.name, e->run_id, "", state, "",
                          "",        e->started_ms,      ended_ms};
    if (step_record_execution(e->c, &x, &err))
        engine_lineage_failed(e, &err);
}

/* The pipeline run and its working directory; -1 before the run exists
 * leaves nothing behind, after it the caller ends the run FAILED. */
static int setup(struct engine *e, struct ferr *err)
{
    const struct pipe_run_opts *o = e->o;
    const char *name = e->plan->spec.name;
    const char *exp_name = o->experiment_name ? o->experiment_name : o->experiment_id ? NULL : name;
    struct kv_list tags = {0};
    struct run run;
    if (run_setup_experiment(e->c, exp_name, o->experiment_id, &e->exp_id, err))
        return -1;
    run_setup_source_tags(&tags, e->plan->source_name, &e->plan->src);
    kv_list_add(&tags, "ferry.pipeline.name", name);
    kv_list_add(&tags, "mlflow.project.env", env_manager_name(e->plan->envm));
    /* started by a trigger of `ferry server` (server/trigger_scheduler.h),
     * which finds the run by these tags when the process ends */
    const char *trig = getenv("FERRY_TRIGGER"), *firing = getenv("FERRY_TRIGGER_FIRING");
    if (trig && *trig && firing && *firing) {
        kv_list_add(&tags, "ferry.trigger.name", trig);
        kv_list_add(&tags, "ferry.trigger.firingId", firing);
    }
    struct run_create rc = {e->exp_id, run_setup_user(), o->run_name ? o->run_name : name,
                            TIME_NONE, tags};
    int r = client_create_run(e->c, &rc, &run, err);
    kv_list_release(&tags);
    if (r)
        return -1;
    e->run_id = xstrdup(run.info.run_id);
    e->started_ms = run.info.start_time;
    run_release(&run);
    const char *tmp = getenv("TMPDIR");
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/ferry-pipeline-%s", tmp && *tmp ? tmp : "/tmp", e->run_id);
    e->base = sbuf_detach(&p, NULL);
    sbuf_addf(&p, "%s/.logs", e->base);
    if (mkdir(e->base, 0700) < 0 || mkdir(p.buf, 0700) < 0) {
        ferr_set(err, FERR_IO_ERROR, "cannot create %s: %s", p.buf, strerror(errno));
        sbuf_release(&p);
        return -1;
    }
    sbuf_release(&p);
    if (e->plan->params.n && client_log_batch(e->c, e->run_id, NULL, &e->plan->params, NULL, err))
        return -1;
    if (log_spec(e, err))
        return -1;
    pipeline_execution(e, "RUNNING", 0);
    return 0;
}

static void cancel_all(struct engine *e, int sig)
{
    e->cancelled = sig;
    for (size_t i = 0; i < e->plan->spec.nsteps; i++)
        if (e->s[i].state == PIPE_STEP_RUNNING)
            executor_cancel(e->x, e->s[i].job);
}

/* A signal waiting on the pipe cancels the pipeline; a second one kills
 * what still runs without waiting for the grace period. */
static void check_signal(struct engine *e)
{
    int sig = sigpipe_take();
    if (sig)
        cancel_all(e, e->cancelled ? e->cancelled : sig);
}

/* Runs steps until none is running and none can start; -1 when the
 * executor itself failed (err). */
static int schedule(struct engine *e, struct ferr *err)
{
    size_t parallel = e->o->parallel > 0 ? (size_t)e->o->parallel : PARALLEL_DEFAULT;
    for (;;) {
        while (!e->cancelled && e->running < parallel && e->ready_head < e->ready_tail) {
            engine_step_start(e, e->ready[e->ready_head++]);
            check_signal(e);
        }
        if (e->running == 0)
            return 0;
        struct executor_event ev;
        int r = executor_wait(e->x, sigpipe_fd(), &ev, err);
        if (r < 0)
            return -1;
        if (r == 1)
            engine_step_job_ended(e, &ev);
        else
            check_signal(e);
    }
}

/* The end: steps never started SKIPPED, the pipeline run's state. */
static int finish(struct engine *e)
{
    const struct pipeline_spec *spec = &e->plan->spec;
    struct pipe_event ev;
    struct ferr err = FERR_INIT;
    memset(&ev, 0, sizeof(ev));
    for (size_t k = 0; k < spec->nsteps; k++) {
        size_t i = spec->order[k];
        struct eng_step *s = &e->s[i];
        if (s->state == PIPE_STEP_PENDING) {
            struct pipe_event sk;
            memset(&sk, 0, sizeof(sk));
            s->state = PIPE_STEP_SKIPPED;
            s->reason = xstrdup(e->cancelled ? "cancelled" : "not started");
            sk.kind = PIPE_EVENT_STEP_ENDED;
            sk.step = spec->steps[i].name;
            sk.state = s->state;
            sk.reason = s->reason;
            engine_emit(e, &sk);
        }
        ev.complete += s->state == PIPE_STEP_COMPLETE;
        ev.cached += s->state == PIPE_STEP_CACHED;
        ev.failed += s->state == PIPE_STEP_FAILED;
        ev.killed += s->state == PIPE_STEP_KILLED;
        ev.skipped += s->state == PIPE_STEP_SKIPPED;
    }
    enum run_status status = RUN_FINISHED;
    ev.state = PIPE_STEP_COMPLETE;
    ev.exit_status = 0;
    if (e->cancelled) {
        status = RUN_KILLED;
        ev.state = PIPE_STEP_KILLED;
        ev.exit_status = 128 + e->cancelled;
    } else if (ev.complete + ev.cached < spec->nsteps) {
        status = RUN_FAILED;
        ev.state = PIPE_STEP_FAILED;
        ev.exit_status = 1;
    }
    int64_t now = ftime_now_ms();
    pipeline_execution(e,
                       ev.state == PIPE_STEP_COMPLETE ? "COMPLETE"
                       : ev.state == PIPE_STEP_KILLED ? "KILLED"
                                                      : "FAILED",
                       now);
    if (client_update_run(e->c, e->run_id, status, now, NULL, &err)) {
        log_warn("cannot end the pipeline run %s: %s", e->run_id, err.msg);
        if (!ev.exit_status)
            ev.exit_status = 1;
    }
    ev.kind = PIPE_EVENT_PIPELINE_ENDED;
    ev.seconds = (double)(now - e->started_ms) / 1000.0;
    engine_emit(e, &ev);
    return ev.exit_status;
}

static void engine_release(struct engine *e)
{
    size_t n = e->plan->spec.nsteps;
    for (size_t i = 0; e->s && i < n; i++)
        engine_step_release(&e->s[i]);
    free(e->s);
    free(e->ready);
    free(e->run_ids);
    free(e->out_dirs);
    free(e->out_runs);
    if (e->have_fp_env)
        step_fp_env_release(&e->fp_env);
    data_port_close(e->port);
    if (e->base && fs_remove_tree(e->base))
        log_warn("cannot remove %s", e->base);
    free(e->base);
    free(e->exp_id);
    free(e->run_id);
}

int pipeline_run(struct client *c, struct pipe_plan *plan, const struct pipe_run_opts *o,
                 struct ferr *err)
{
    static const struct pipe_run_opts defaults = PIPE_RUN_OPTS_INIT;
    struct engine e;
    size_t n = plan->spec.nsteps;
    int rc = 1, sig_open = 0;
    memset(&e, 0, sizeof(e));
    e.c = c;
    e.plan = plan;
    e.o = o ? o : &defaults;
    e.s = xcalloc(n + 1, sizeof(*e.s));
    e.ready = xcalloc(n + 1, sizeof(*e.ready));
    e.run_ids = xcalloc(n + 1, sizeof(*e.run_ids));
    e.out_dirs = xcalloc(n + 1, sizeof(*e.out_dirs));
    e.out_runs = xcalloc(n + 1, sizeof(*e.out_runs));
    /* signals from here on are the pipeline's to handle; a closed
     * terminal (`| head`) must not kill ferry and orphan the steps */
    struct sigaction ign, old_pipe;
    memset(&ign, 0, sizeof(ign));
    ign.sa_handler = SIG_IGN;
    sigemptyset(&ign.sa_mask);
    (void)sigaction(SIGPIPE, &ign, &old_pipe);
    if (sigpipe_open(err))
        goto out;
    sig_open = 1;
    if (setup(&e, err))
        goto fail_run;
    if (e.o->executor) {
        e.x = e.o->executor;
    } else {
        struct executor_local_opts xo = {e.o->quiet      ? NULL
                                         : e.o->terminal ? e.o->terminal
                                                         : stdout,
                                         e.o->kill_grace_ms};
        if (executor_local_open(&xo, &e.x, err))
            goto fail_run;
        e.own_x = 1;
    }
    struct pipe_event started;
    memset(&started, 0, sizeof(started));
    started.kind = PIPE_EVENT_PIPELINE_STARTED;
    started.state = PIPE_STEP_RUNNING;
    engine_emit(&e, &started);
    /* The project tree is digested before any step runs: a step that
     * writes into the project must not change the fingerprints of the
     * steps after it (a rerun would then never be entirely cached). A
     * failure here is the first such step's failure, at its start. */
    for (size_t i = 0; i < n; i++) {
        struct ferr terr = FERR_INIT;
        if (plan->spec.steps[i].ndeps)
            continue;
        if (fingerprint_tree_digest(plan->dir, e.tree_digest, &terr)) {
            e.tree_digest[0] = '\0';
            log_warn("pipeline %s: %s", plan->spec.name, terr.msg);
        }
        break;
    }
    for (size_t k = 0; k < n; k++) {
        size_t i = plan->spec.order[k];
        e.s[i].waiting = plan->spec.steps[i].nupstream;
        if (!e.s[i].waiting)
            e.ready[e.ready_tail++] = i;
    }
    check_signal(&e);
    if (schedule(&e, err)) {
        /* the executor failed: what runs is cancelled (closing it) */
        log_warn("pipeline %s: %s", plan->spec.name, err->msg);
        cancel_all(&e, 0);
        /* their runs end FAILED here: no event will come to end them */
        for (size_t i = 0; i < n; i++)
            engine_step_abandon(&e, i, err->msg);
        goto fail_run;
    }
    rc = finish(&e);
    goto out;
fail_run:
    rc = 1;
    if (e.run_id) {
        struct ferr ignored = FERR_INIT;
        pipeline_execution(&e, "FAILED", ftime_now_ms());
        if (client_update_run(c, e.run_id, RUN_FAILED, ftime_now_ms(), NULL, &ignored))
            log_warn("cannot mark the pipeline run %s FAILED: %s", e.run_id, ignored.msg);
    }
out:
    if (e.own_x)
        executor_close(e.x);
    if (sig_open)
        sigpipe_close();
    (void)sigaction(SIGPIPE, &old_pipe, NULL);
    engine_release(&e);
    return rc;
}
