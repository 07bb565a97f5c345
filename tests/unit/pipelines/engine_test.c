/* SPDX-License-Identifier: MIT
 * pipelines/engine.c end to end on an embedded store, with real
 * processes: a DAG whose independent steps overlap in time (and do not
 * with --parallel 1), the runs and tags it leaves, a failed step's
 * dependants SKIPPED while the others finish, retries in the same run,
 * a timeout, a declared output not written, SIGTERM cancelling (runs
 * KILLED, exit 143, nothing left in the step's process group), a rerun
 * entirely from the cache and --no-cache, and the per-step overhead of
 * empty steps (printed). */
#include "../test.h"
#include "proc_group.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "client/client.h"
#include "client/client_artifacts.h"
#include "client/client_lineage.h"
#include "pipelines/engine.h"
#include "pipelines/executor.h"
#include "pipelines/plan.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct seen {
    enum pipe_event_kind kind;
    char step[64];
    enum pipe_step_state state;
    char run_id[64];
    char reason[256];
    int attempt;
    int64_t at_ms;
};

struct events {
    struct seen v[256];
    size_t n;
    char pipeline_run[64];
    const char *kill_on_start; /* a step: SIGTERM ourselves 300 ms after it starts */
    pid_t killer;
};

static void on_event(void *arg, const struct pipe_event *ev)
{
    struct events *e = arg;
    pipe_event_print(stderr, ev);
    if (ev->pipeline_run_id)
        snprintf(e->pipeline_run, sizeof(e->pipeline_run), "%s", ev->pipeline_run_id);
    if (e->n == sizeof(e->v) / sizeof(e->v[0]))
        return;
    struct seen *s = &e->v[e->n++];
    s->kind = ev->kind;
    snprintf(s->step, sizeof(s->step), "%s", ev->step ? ev->step : "");
    s->state = ev->state;
    snprintf(s->run_id, sizeof(s->run_id), "%s", ev->run_id ? ev->run_id : "");
    snprintf(s->reason, sizeof(s->reason), "%s", ev->reason ? ev->reason : "");
    s->attempt = ev->attempt;
    s->at_ms = ftime_now_ms();
    if (ev->kind == PIPE_EVENT_STEP_STARTED && e->kill_on_start && ev->step &&
        !strcmp(ev->step, e->kill_on_start)) {
        pid_t parent = getpid();
        e->killer = fork();
        if (e->killer == 0) {
            struct timespec t = {0, 300000000L};
            nanosleep(&t, NULL);
            kill(parent, SIGTERM);
            _exit(0);
        }
    }
}

/* The last event of kind for step. */
static const struct seen *find(const struct events *e, enum pipe_event_kind kind, const char *step)
{
    const struct seen *found = NULL;
    for (size_t i = 0; i < e->n; i++)
        if (e->v[i].kind == kind && !strcmp(e->v[i].step, step))
            found = &e->v[i];
    return found;
}

static enum pipe_step_state end_state(const struct events *e, const char *step)
{
    const struct seen *s = find(e, PIPE_EVENT_STEP_ENDED, step);
    if (!s)
        FAIL_AT("no end event for step %s", step);
    return s->state;
}

static char *tmp_path(const char *name)
{
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/%s", test_tmpdir(), name);
    return sbuf_detach(&p, NULL);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ASSERT(f && fputs(text, f) >= 0 && fclose(f) == 0);
}

/* A project dir with pipeline.yaml, an embedded store, TMPDIR inside the
 * test's directory. */
static struct client *setup(const char *yaml)
{
    char *proj = tmp_path("proj"), *tmp = tmp_path("tmp"), *store = tmp_path("store");
    ASSERT(mkdir(proj, 0700) == 0 || access(proj, F_OK) == 0);
    ASSERT(mkdir(tmp, 0700) == 0 || access(tmp, F_OK) == 0);
    ASSERT(mkdir(store, 0700) == 0 || access(store, F_OK) == 0);
    setenv("TMPDIR", tmp, 1);
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/pipeline.yaml", proj);
    write_text(p.buf, yaml);
    sbuf_reset(&p);
    sbuf_addf(&p, "sqlite://%s/t.db", store);
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(client_open(p.buf, &c, &err), &err);
    sbuf_release(&p);
    free(proj);
    free(tmp);
    free(store);
    return c;
}

static int run_it(struct client *c, struct pipe_run_opts *o, const struct kv_list *params,
                  struct events *ev)
{
    struct pipe_plan plan;
    struct ferr err = FERR_INIT;
    char *proj = tmp_path("proj");
    struct pipe_plan_opts po = {proj, NULL, NULL, params, NULL, "local", 0};
    ASSERT_OK(pipe_plan_load(c, &po, &plan, &err), &err);
    const char *kill_on_start = ev->kill_on_start;
    memset(ev, 0, sizeof(*ev));
    ev->kill_on_start = kill_on_start;
    o->on_event = on_event;
    o->event_arg = ev;
    o->terminal = stderr;
    int rc = pipeline_run(c, &plan, o, &err);
    if (rc == 1 && err.msg[0])
        fprintf(stderr, "    pipeline_run: %s\n", err.msg);
    pipe_plan_release(&plan);
    free(proj);
    return rc;
}

static void get_run(struct client *c, const char *id, struct run *out)
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(client_get_run(c, id, out, &err), &err);
}

/* The text of artifact path of run, downloaded into the test's directory. */
static char *artifact_text(struct client *c, const char *run, const char *path)
{
    struct ferr err = FERR_INIT;
    struct sbuf dst = SBUF_INIT, file = SBUF_INIT, text = SBUF_INIT;
    sbuf_addf(&dst, "%s/dl-%s", test_tmpdir(), run);
    ASSERT(mkdir(dst.buf, 0700) == 0 || access(dst.buf, F_OK) == 0);
    ASSERT_OK(client_download_artifacts(c, run, path, dst.buf, NULL, NULL, &err), &err);
    const char *base = strrchr(path, '/');
    sbuf_addf(&file, "%s/%s", dst.buf, base ? base + 1 : path);
    if (sbuf_read_file(&text, file.buf, 1 << 20) < 0)
        FAIL_AT("cannot read %s", file.buf);
    sbuf_release(&dst);
    sbuf_release(&file);
    return sbuf_detach(&text, NULL);
}

static const char DAG[] = "name: dag\n"
                          "params: {greeting: hello}\n"
                          "steps:\n"
                          "  a:\n"
                          "    run: 'sleep 0.4; echo {params.greeting} a > {outputs.o}'\n"
                          "    outputs: {o: a.txt}\n"
                          "  b:\n"
                          "    run: 'sleep 0.4; echo b > {outputs.o}; echo to the terminal'\n"
                          "    outputs: {o: b.txt}\n"
                          "  c:\n"
                          "    run: 'cat {inputs.x} {steps.b.outputs.o} > {outputs.both}'\n"
                          "    inputs: {x: '{steps.a.outputs.o}'}\n"
                          "    outputs: {both: both.txt}\n";

TEST(engine_runs_a_dag_with_independent_steps_overlapping)
{
    struct client *c = setup(DAG);
    struct events ev = {0};
    struct pipe_run_opts o = PIPE_RUN_OPTS_INIT;
    ASSERT_INT_EQ(run_it(c, &o, NULL, &ev), 0);
    ASSERT_INT_EQ(end_state(&ev, "a"), PIPE_STEP_COMPLETE);
    ASSERT_INT_EQ(end_state(&ev, "b"), PIPE_STEP_COMPLETE);
    ASSERT_INT_EQ(end_state(&ev, "c"), PIPE_STEP_COMPLETE);
    /* a and b both started before either ended; c after both */
    const struct seen *sa = find(&ev, PIPE_EVENT_STEP_STARTED, "a"),
                      *sb = find(&ev, PIPE_EVENT_STEP_STARTED, "b"),
                      *ea = find(&ev, PIPE_EVENT_STEP_ENDED, "a"),
                      *eb = find(&ev, PIPE_EVENT_STEP_ENDED, "b"),
                      *sc = find(&ev, PIPE_EVENT_STEP_STARTED, "c");
    ASSERT(sa && sb && ea && eb && sc);
    ASSERT(sa < ea && sb < ea && sa < eb && sb < eb);
    ASSERT(sc > ea && sc > eb);
    /* the runs: the pipeline's FINISHED with its params, the steps its children */
    struct run pr, cr;
    get_run(c, ev.pipeline_run, &pr);
    ASSERT_STR_EQ(run_status_name(pr.info.status), "FINISHED");
    ASSERT_STR_EQ(kv_list_get(&pr.tags, "ferry.pipeline.name"), "dag");
    ASSERT_STR_EQ(kv_list_get(&pr.tags, "mlflow.source.type"), "PROJECT");
    ASSERT_STR_EQ(kv_list_get(&pr.params, "greeting"), "hello");
    get_run(c, find(&ev, PIPE_EVENT_STEP_ENDED, "c")->run_id, &cr);
    ASSERT_STR_EQ(run_status_name(cr.info.status), "FINISHED");
    ASSERT_STR_EQ(cr.info.run_name, "c");
    ASSERT_STR_EQ(cr.info.experiment_id, pr.info.experiment_id);
    ASSERT_STR_EQ(kv_list_get(&cr.tags, "mlflow.parentRunId"), ev.pipeline_run);
    ASSERT_STR_EQ(kv_list_get(&cr.tags, "ferry.pipeline.runId"), ev.pipeline_run);
    ASSERT_STR_EQ(kv_list_get(&cr.tags, "ferry.pipeline.step"), "c");
    ASSERT_STR_EQ(kv_list_get(&cr.tags, "ferry.pipeline.step.state"), "COMPLETE");
    ASSERT_STR_EQ(kv_list_get(&cr.tags, "ferry.pipeline.step.attempts"), "1");
    ASSERT_INT_EQ(strlen(kv_list_get(&cr.tags, "ferry.pipeline.step.fingerprint")), 64);
    /* b's log and output, the pipeline's spec, as artifacts */
    const char *b_run = find(&ev, PIPE_EVENT_STEP_ENDED, "b")->run_id;
    char *text = artifact_text(c, b_run, "logs/output.log");
    ASSERT_STR_EQ(text, "to the terminal\n");
    free(text);
    text = artifact_text(c, b_run, "outputs/b.txt");
    ASSERT_STR_EQ(text, "b\n");
    free(text);
    text = artifact_text(c, b_run, "pipeline/outputs.json");
    ASSERT_CONTAINS(text, "\"o\"");
    free(text);
    text = artifact_text(c, ev.pipeline_run, "pipeline/pipeline.json");
    ASSERT_CONTAINS(text, "\"dag\"");
    free(text);
    /* the lineage executions: every step COMPLETE, with its fingerprint */
    struct lineage_execution_list xl = {0};
    struct ferr err = FERR_INIT;
    ASSERT_OK(client_lineage_executions_list(c, ev.pipeline_run, 0, NULL, &xl, &err), &err);
    ASSERT_INT_EQ(xl.n, 3);
    for (size_t i = 0; i < xl.n; i++) {
        ASSERT_STR_EQ(xl.v[i].state, "COMPLETE");
        ASSERT_STR_EQ(xl.v[i].pipeline, "dag");
        ASSERT_INT_EQ(strlen(xl.v[i].fingerprint), 64);
        ASSERT(xl.v[i].ended_ms >= xl.v[i].started_ms);
    }
    lineage_execution_list_release(&xl);
    /* the step output dirs are gone */
    struct sbuf base = SBUF_INIT;
    sbuf_addf(&base, "%s/tmp/ferry-pipeline-%s", test_tmpdir(), ev.pipeline_run);
    ASSERT(access(base.buf, F_OK) != 0);
    sbuf_release(&base);
    run_release(&pr);
    run_release(&cr);
    client_close(c);
}

TEST(engine_parallel_one_runs_one_step_at_a_time)
{
    struct client *c = setup(DAG);
    struct events ev = {0};
    struct pipe_run_opts o = PIPE_RUN_OPTS_INIT;
    o.parallel = 1;
    ASSERT_INT_EQ(run_it(c, &o, NULL, &ev), 0);
    const struct seen *sa = find(&ev, PIPE_EVENT_STEP_STARTED, "a"),
                      *sb = find(&ev, PIPE_EVENT_STEP_STARTED, "b"),
                      *ea = find(&ev, PIPE_EVENT_STEP_ENDED, "a");
    ASSERT(sa && sb && ea);
    ASSERT(sa < ea && ea < sb);
    client_close(c);
}

TEST(engine_a_failed_step_skips_its_dependants_and_the_rest_finish)
{
    struct client *c = setup("name: f\n"
                             "steps:\n"
                             "  bad: {run: 'echo oops; exit 3', outputs: {o: o.txt}}\n"
                             "  after_bad: {run: 'cat {steps.bad.outputs.o}'}\n"
                             "  after_that: {run: 'true', after: [after_bad]}\n"
                             "  other: {run: 'sleep 0.3; echo fine'}\n");
    struct events ev = {0};
    struct pipe_run_opts o = PIPE_RUN_OPTS_INIT;
    ASSERT_INT_EQ(run_it(c, &o, NULL, &ev), 1);
    ASSERT_INT_EQ(end_state(&ev, "bad"), PIPE_STEP_FAILED);
    ASSERT_STR_EQ(find(&ev, PIPE_EVENT_STEP_ENDED, "bad")->reason, "exit 3");
    ASSERT_INT_EQ(end_state(&ev, "after_bad"), PIPE_STEP_SKIPPED);
    ASSERT_STR_EQ(find(&ev, PIPE_EVENT_STEP_ENDED, "after_bad")->reason, "bad failed");
    ASSERT_STR_EQ(find(&ev, PIPE_EVENT_STEP_ENDED, "after_bad")->run_id, "");
    ASSERT_INT_EQ(end_state(&ev, "after_that"), PIPE_STEP_SKIPPED);
    ASSERT_INT_EQ(end_state(&ev, "other"), PIPE_STEP_COMPLETE);
    const struct seen *end = find(&ev, PIPE_EVENT_PIPELINE_ENDED, "");
    ASSERT(end && end->state == PIPE_STEP_FAILED);
    struct run pr, br;
    get_run(c, ev.pipeline_run, &pr);
    ASSERT_STR_EQ(run_status_name(pr.info.status), "FAILED");
    get_run(c, find(&ev, PIPE_EVENT_STEP_ENDED, "bad")->run_id, &br);
    ASSERT_STR_EQ(run_status_name(br.info.status), "FAILED");
    ASSERT_STR_EQ(kv_list_get(&br.tags, "ferry.pipeline.step.state"), "FAILED");
    run_release(&pr);
    run_release(&br);
    client_close(c);
}

TEST(engine_retries_in_the_same_run_then_a_timeout_and_a_missing_output_fail)
{
    char *counter = tmp_path("count");
    struct sbuf yaml = SBUF_INIT;
    sbuf_addf(&yaml,
              "name: r\n"
              "steps:\n"
              "  flaky:\n"
              "    run: 'n=$(cat %s 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s; "
              "echo attempt $n; test $n -ge 2 && echo ok > {outputs.o}'\n"
              "    outputs: {o: o.txt}\n"
              "    retries: 2\n"
              "  slow: {run: 'sleep 20', timeout: 300ms}\n"
              "  lazy: {run: 'true', outputs: {o: {path: sub/o.txt, type: metrics}}}\n",
              counter, counter);
    struct client *c = setup(yaml.buf);
    struct events ev = {0};
    struct pipe_run_opts o = PIPE_RUN_OPTS_INIT;
    o.kill_grace_ms = 300;
    int64_t t0 = ftime_mono_ns();
    ASSERT_INT_EQ(run_it(c, &o, NULL, &ev), 1);
    ASSERT((ftime_mono_ns() - t0) / 1000000 < 10000);
    ASSERT_INT_EQ(end_state(&ev, "flaky"), PIPE_STEP_COMPLETE);
    const struct seen *retry = find(&ev, PIPE_EVENT_STEP_RETRY, "flaky");
    ASSERT(retry);
    ASSERT_INT_EQ(retry->attempt, 2);
    ASSERT_STR_EQ(retry->reason, "exit 1");
    struct run fr;
    get_run(c, find(&ev, PIPE_EVENT_STEP_ENDED, "flaky")->run_id, &fr);
    ASSERT_STR_EQ(kv_list_get(&fr.tags, "ferry.pipeline.step.attempts"), "2");
    /* one log: both attempts, and why the first was run again */
    char *text = artifact_text(c, fr.info.run_id, "logs/output.log");
    ASSERT_CONTAINS(text, "attempt 1\nferry: attempt 1 failed (exit 1): running it again\n"
                          "attempt 2\n");
    free(text);
    run_release(&fr);
    ASSERT_INT_EQ(end_state(&ev, "slow"), PIPE_STEP_FAILED);
    ASSERT_STR_EQ(find(&ev, PIPE_EVENT_STEP_ENDED, "slow")->reason, "timed out after 300ms");
    ASSERT_INT_EQ(end_state(&ev, "lazy"), PIPE_STEP_FAILED);
    ASSERT_CONTAINS(find(&ev, PIPE_EVENT_STEP_ENDED, "lazy")->reason,
                    "did not write its declared output o");
    sbuf_release(&yaml);
    free(counter);
    client_close(c);
}

TEST(engine_sigterm_cancels_running_steps_and_leaves_no_process)
{
    char *pidf = tmp_path("pid");
    struct sbuf yaml = SBUF_INIT;
    sbuf_addf(&yaml,
              "name: k\n"
              "steps:\n"
              "  long: {run: 'echo $$ > %s; sleep 20 & sleep 20; echo never'}\n"
              "  next: {run: 'true', after: [long]}\n",
              pidf);
    struct client *c = setup(yaml.buf);
    struct events ev = {0};
    ev.kill_on_start = "long";
    struct pipe_run_opts o = PIPE_RUN_OPTS_INIT;
    o.kill_grace_ms = 500;
    int64_t t0 = ftime_mono_ns();
    ASSERT_INT_EQ(run_it(c, &o, NULL, &ev), 128 + SIGTERM);
    ASSERT((ftime_mono_ns() - t0) / 1000000 < 10000);
    int st;
    ASSERT(ev.killer > 0 && waitpid(ev.killer, &st, 0) == ev.killer);
    ASSERT_INT_EQ(end_state(&ev, "long"), PIPE_STEP_KILLED);
    ASSERT_INT_EQ(end_state(&ev, "next"), PIPE_STEP_SKIPPED);
    FILE *f = fopen(pidf, "r");
    long pgid = 0;
    ASSERT(f && fscanf(f, "%ld", &pgid) == 1);
    fclose(f);
    ASSERT_INT_EQ(group_size(pgid), 0);
    struct run pr, lr;
    get_run(c, ev.pipeline_run, &pr);
    ASSERT_STR_EQ(run_status_name(pr.info.status), "KILLED");
    get_run(c, find(&ev, PIPE_EVENT_STEP_ENDED, "long")->run_id, &lr);
    ASSERT_STR_EQ(run_status_name(lr.info.status), "KILLED");
    ASSERT_STR_EQ(kv_list_get(&lr.tags, "ferry.pipeline.step.state"), "KILLED");
    struct lineage_execution_list xl = {0};
    struct ferr err = FERR_INIT;
    ASSERT_OK(client_lineage_executions_list(c, ev.pipeline_run, 0, NULL, &xl, &err), &err);
    ASSERT_INT_EQ(xl.n, 1); /* next never ran */
    ASSERT_STR_EQ(xl.v[0].state, "KILLED");
    lineage_execution_list_release(&xl);
    /* the handlers are ferry's own again */
    struct sigaction now;
    ASSERT(sigaction(SIGTERM, NULL, &now) == 0 && now.sa_handler == SIG_DFL);
    run_release(&pr);
    run_release(&lr);
    sbuf_release(&yaml);
    free(pidf);
    client_close(c);
}

TEST(engine_rerun_is_cached_and_no_cache_runs_again)
{
    struct client *c = setup(DAG);
    struct events ev = {0};
    struct pipe_run_opts o = PIPE_RUN_OPTS_INIT;
    ASSERT_INT_EQ(run_it(c, &o, NULL, &ev), 0);
    char first_a[64];
    snprintf(first_a, sizeof(first_a), "%s", find(&ev, PIPE_EVENT_STEP_ENDED, "a")->run_id);
    ASSERT_INT_EQ(run_it(c, &o, NULL, &ev), 0);
    ASSERT_INT_EQ(end_state(&ev, "a"), PIPE_STEP_CACHED);
    ASSERT_INT_EQ(end_state(&ev, "b"), PIPE_STEP_CACHED);
    ASSERT_INT_EQ(end_state(&ev, "c"), PIPE_STEP_CACHED);
    struct run ar;
    get_run(c, find(&ev, PIPE_EVENT_STEP_ENDED, "a")->run_id, &ar);
    ASSERT_STR_EQ(kv_list_get(&ar.tags, "ferry.pipeline.step.cachedFrom"), first_a);
    ASSERT_STR_EQ(kv_list_get(&ar.tags, "ferry.pipeline.step.state"), "CACHED");
    run_release(&ar);
    /* a param used by a only: a and its dependant c run again, b stays cached */
    struct kv_list params = {0};
    kv_list_add(&params, "greeting", "bonjour");
    ASSERT_INT_EQ(run_it(c, &o, &params, &ev), 0);
    ASSERT_INT_EQ(end_state(&ev, "a"), PIPE_STEP_COMPLETE);
    ASSERT_INT_EQ(end_state(&ev, "b"), PIPE_STEP_CACHED);
    ASSERT_INT_EQ(end_state(&ev, "c"), PIPE_STEP_COMPLETE);
    kv_list_release(&params);
    o.no_cache = 1;
    ASSERT_INT_EQ(run_it(c, &o, NULL, &ev), 0);
    ASSERT_INT_EQ(end_state(&ev, "a"), PIPE_STEP_COMPLETE);
    ASSERT_INT_EQ(end_state(&ev, "b"), PIPE_STEP_COMPLETE);
    client_close(c);
}

TEST(engine_per_step_overhead_of_empty_steps)
{
    enum { N = 20 };
    struct sbuf yaml = SBUF_INIT;
    sbuf_addstr(&yaml, "name: empty\nsteps:\n");
    for (int i = 0; i < N; i++)
        sbuf_addf(&yaml, "  s%02d: {run: 'true'%s}\n", i, i ? ", after: [s00]" : "");
    struct client *c = setup(yaml.buf);
    struct events ev = {0};
    struct pipe_run_opts o = PIPE_RUN_OPTS_INIT;
    o.parallel = 1;
    o.no_cache = 1;
    int64_t t0 = ftime_mono_ns();
    ASSERT_INT_EQ(run_it(c, &o, NULL, &ev), 0);
    double ms = (double)(ftime_mono_ns() - t0) / 1e6;
    fprintf(stderr, "    %d empty steps, one at a time: %.0f ms, %.1f ms per step (ASan build)\n",
            N, ms, ms / N);
    ASSERT(ms / N < 1000);
    sbuf_release(&yaml);
    client_close(c);
}

/* An executor that starts jobs and then fails: what a Slurm/K8s executor
 * losing its connection looks like to the engine. */
struct broken_x {
    struct executor base;
    int next;
};
static int broken_start(struct executor *x, const struct executor_job *job, int *id,
                        struct ferr *err)
{
    (void)job;
    (void)err;
    *id = ++((struct broken_x *)x)->next;
    return 0;
}
static int broken_wait(struct executor *x, int fd, struct executor_event *ev, struct ferr *err)
{
    (void)x;
    (void)fd;
    (void)ev;
    return ferr_set(err, FERR_INTERNAL_ERROR, "the cluster went away");
}
static void broken_cancel(struct executor *x, int id)
{
    (void)x;
    (void)id;
}
static size_t broken_running(const struct executor *x)
{
    return (size_t)((const struct broken_x *)x)->next;
}
static void broken_close(struct executor *x)
{
    (void)x;
}
static const struct executor_ops broken_ops = {"broken",       broken_start,  broken_wait,
                                               broken_cancel, broken_running, broken_close};

TEST(engine_an_executor_failure_leaves_no_step_run_running)
{
    struct client *c = setup("name: xf\n"
                             "steps:\n"
                             "  a: {run: 'true'}\n"
                             "  b: {run: 'true', after: [a]}\n");
    struct events ev = {0};
    struct broken_x bx = {{&broken_ops}, 0};
    struct pipe_run_opts o = PIPE_RUN_OPTS_INIT;
    o.executor = &bx.base;
    ASSERT_INT_EQ(run_it(c, &o, NULL, &ev), 1);
    const struct seen *sa = find(&ev, PIPE_EVENT_STEP_STARTED, "a");
    ASSERT(sa && sa->run_id[0]);
    struct run pr, ar;
    get_run(c, ev.pipeline_run, &pr);
    ASSERT_STR_EQ(run_status_name(pr.info.status), "FAILED");
    get_run(c, sa->run_id, &ar);
    ASSERT_STR_EQ(run_status_name(ar.info.status), "FAILED");
    ASSERT_INT_EQ(end_state(&ev, "a"), PIPE_STEP_FAILED);
    ASSERT_INT_EQ(end_state(&ev, "b"), PIPE_STEP_SKIPPED);
    run_release(&pr);
    run_release(&ar);
    client_close(c);
}
