/* SPDX-License-Identifier: MIT
 * pipelines/executor_local.c with real processes: exit codes, the log file
 * and the terminal's "[NAME] " lines, the job's environment (ferry's own
 * untouched), jobs overlapping in time, a timeout (TERM, then KILL for a
 * script that ignores TERM), cancel and a script's leftovers (nothing of
 * the group survives, not even a zombie), the interrupt descriptor, a bad
 * working directory. */
#include "../test.h"
#include "proc_group.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "pipelines/executor_local.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void nap_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static char *path_in_tmp(const char *name)
{
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/%s", test_tmpdir(), name);
    return sbuf_detach(&p, NULL);
}

static char *slurp(const char *path)
{
    struct sbuf s = SBUF_INIT;
    if (sbuf_read_file(&s, path, 1 << 20) < 0)
        sbuf_addstr(&s, "(unreadable)");
    return sbuf_detach(&s, NULL);
}

/* The number a script wrote into path (its $$: the group's id). */
static long wait_for_pid(const char *path)
{
    for (int i = 0; i < 500; i++) {
        FILE *f = fopen(path, "r");
        long pid = 0;
        if (f) {
            int got = fscanf(f, "%ld", &pid);
            fclose(f);
            if (got == 1 && pid > 0)
                return pid;
        }
        nap_ms(10);
    }
    FAIL_AT("%s never appeared", path);
}

static struct executor *open_local(FILE *term, int64_t grace_ms)
{
    struct executor *x = NULL;
    struct ferr err = FERR_INIT;
    struct executor_local_opts o = {term, grace_ms};
    ASSERT_OK(executor_local_open(&o, &x, &err), &err);
    return x;
}

static int start(struct executor *x, const char *name, const char *script, const char *log,
                 int64_t timeout_ms, const char *const *env)
{
    struct ferr err = FERR_INIT;
    struct executor_job job = {name, script, test_tmpdir(), env, log, timeout_ms, (void *)name};
    int id = 0;
    ASSERT_OK(executor_start(x, &job, &id, &err), &err);
    ASSERT(id > 0);
    return id;
}

static void wait_one(struct executor *x, struct executor_event *ev)
{
    struct ferr err = FERR_INIT;
    int r = executor_wait(x, -1, ev, &err);
    if (r != 1)
        FAIL_AT("executor_wait: %d: %s", r, err.msg);
}

TEST(executor_local_exit_codes_log_env_and_prefixed_lines)
{
    FILE *term = tmpfile();
    ASSERT(term);
    struct executor *x = open_local(term, 0);
    char *loga = path_in_tmp("a.log"), *logb = path_in_tmp("b.log");
    const char *env[] = {"FERRY_TEST_FOO=bar", "HOME=/elsewhere", NULL};
    start(x, "a", "echo one; echo two >&2; echo \"$FERRY_TEST_FOO $HOME\"; pwd; printf tail", loga,
          0, env);
    start(x, "b", "exit 3", logb, 0, NULL);
    ASSERT_INT_EQ(executor_running(x), 2);
    int seen_a = 0, seen_b = 0;
    for (int i = 0; i < 2; i++) {
        struct executor_event ev;
        wait_one(x, &ev);
        ASSERT_INT_EQ(ev.end, EXECUTOR_EXITED);
        ASSERT(ev.ended_ms >= ev.started_ms);
        if (!strcmp(ev.user, "a")) {
            seen_a++;
            ASSERT_INT_EQ(ev.status, 0);
        } else {
            seen_b++;
            ASSERT_INT_EQ(ev.status, 3);
        }
    }
    ASSERT(seen_a == 1 && seen_b == 1);
    ASSERT_INT_EQ(executor_running(x), 0);
    ASSERT(getenv("FERRY_TEST_FOO") == NULL); /* set for the job only */
    char *log = slurp(loga);
    struct sbuf want = SBUF_INIT;
    sbuf_addf(&want, "one\ntwo\nbar /elsewhere\n%s\ntail", test_tmpdir());
    ASSERT_STR_EQ(log, want.buf);
    free(log);
    /* a second job on the same log appends (a retry) */
    start(x, "a", "echo again", loga, 0, NULL);
    struct executor_event ev;
    wait_one(x, &ev);
    log = slurp(loga);
    ASSERT_CONTAINS(log, "tailagain\n");
    free(log);
    /* the terminal: whole lines, prefixed, the last unterminated one too */
    fflush(term);
    rewind(term);
    char buf[4096];
    size_t k = fread(buf, 1, sizeof(buf) - 1, term);
    buf[k] = '\0';
    ASSERT_CONTAINS(buf, "[a] one\n[a] two\n[a] bar /elsewhere\n");
    ASSERT_CONTAINS(buf, "[a] tail\n");
    ASSERT_CONTAINS(buf, "[a] again\n");
    ASSERT(!strstr(buf, "[b]"));
    executor_close(x);
    fclose(term);
    sbuf_release(&want);
    free(loga);
    free(logb);
}

TEST(executor_local_jobs_overlap_in_time)
{
    struct executor *x = open_local(NULL, 0);
    char *log = path_in_tmp("o.log");
    int64_t t0 = ftime_mono_ns();
    start(x, "s1", "sleep 0.4", log, 0, NULL);
    start(x, "s2", "sleep 0.4", log, 0, NULL);
    struct executor_event e1, e2;
    wait_one(x, &e1);
    wait_one(x, &e2);
    double took = (double)(ftime_mono_ns() - t0) / 1e9;
    ASSERT_INT_EQ(e1.status, 0);
    ASSERT_INT_EQ(e2.status, 0);
    /* both started before either ended (the time is only printed: a
     * loaded machine stretches it) */
    ASSERT(e1.started_ms < e2.ended_ms && e2.started_ms < e1.ended_ms);
    fprintf(stderr, "    two 0.4 s jobs at once: %.2f s\n", took);
    executor_close(x);
    free(log);
}

TEST(executor_local_timeout_terms_then_kills_the_group)
{
    struct executor *x = open_local(NULL, 300);
    char *log = path_in_tmp("t.log"), *pidf = path_in_tmp("t.pid");
    struct sbuf script = SBUF_INIT;
    /* TERM ignored by the shell and (inherited) by its sleep: KILL needed */
    sbuf_addf(&script, "trap '' TERM; echo $$ > %s; sleep 20; echo never", pidf);
    int64_t t0 = ftime_mono_ns();
    start(x, "slow", script.buf, log, 200, NULL);
    long pgid = wait_for_pid(pidf);
    struct executor_event ev;
    wait_one(x, &ev);
    double took = (double)(ftime_mono_ns() - t0) / 1e9;
    ASSERT_INT_EQ(ev.end, EXECUTOR_TIMED_OUT);
    if (took < 0.45 || took > 6)
        FAIL_AT("timeout 0.2 s + grace 0.3 s took %.2f s", took);
    ASSERT_INT_EQ(group_size(pgid), 0);
    /* a script that honours TERM ends at its timeout, without the grace */
    executor_close(x);
    x = open_local(NULL, 10000);
    t0 = ftime_mono_ns();
    start(x, "polite", "sleep 20", log, 200, NULL);
    wait_one(x, &ev);
    took = (double)(ftime_mono_ns() - t0) / 1e9;
    ASSERT_INT_EQ(ev.end, EXECUTOR_TIMED_OUT);
    if (took > 5) /* not the 10 s grace */
        FAIL_AT("a job honouring TERM took %.2f s to end", took);
    char *text = slurp(log);
    ASSERT(!strstr(text, "never"));
    free(text);
    executor_close(x);
    sbuf_release(&script);
    free(log);
    free(pidf);
}

TEST(executor_local_cancel_leaves_no_process_in_the_group)
{
    struct executor *x = open_local(NULL, 10000);
    char *log = path_in_tmp("c.log"), *pidf = path_in_tmp("c.pid");
    struct sbuf script = SBUF_INIT;
    sbuf_addf(&script, "sleep 20 & sleep 20 & echo $$ > %s; wait", pidf);
    int id = start(x, "c", script.buf, log, 0, NULL);
    int other = start(x, "d", "sleep 0.2", log, 0, NULL);
    long pgid = wait_for_pid(pidf);
    ASSERT(group_size(pgid) >= 3);
    int64_t t0 = ftime_mono_ns();
    executor_cancel(x, id);
    executor_cancel(x, 9999); /* unknown: ignored */
    int got_c = 0, got_d = 0;
    for (int i = 0; i < 2; i++) {
        struct executor_event ev;
        wait_one(x, &ev);
        if (ev.id == id) {
            got_c = 1;
            ASSERT_INT_EQ(ev.end, EXECUTOR_CANCELLED);
        } else {
            got_d = 1;
            ASSERT_INT_EQ(ev.id, other);
            ASSERT_INT_EQ(ev.end, EXECUTOR_EXITED); /* the other job is not touched */
        }
    }
    ASSERT(got_c && got_d);
    double took = (double)(ftime_mono_ns() - t0) / 1e9;
    if (took > 5) /* not the 10 s grace */
        FAIL_AT("a cancel honoured at once took %.2f s", took);
    ASSERT_INT_EQ(group_size(pgid), 0);
    executor_close(x);
    sbuf_release(&script);
    free(log);
    free(pidf);
}

TEST(executor_local_what_a_script_leaves_running_is_ended_with_it)
{
    struct executor *x = open_local(NULL, 300);
    char *log = path_in_tmp("l.log"), *pidf = path_in_tmp("l.pid");
    struct sbuf script = SBUF_INIT;
    /* one leftover honours TERM, one ignores it; both hold the output */
    sbuf_addf(&script, "sleep 20 & (trap '' TERM; sleep 20) & echo $$ > %s; echo done", pidf);
    start(x, "l", script.buf, log, 0, NULL);
    struct executor_event ev;
    wait_one(x, &ev);
    ASSERT_INT_EQ(ev.end, EXECUTOR_EXITED);
    ASSERT_INT_EQ(ev.status, 0);
    long pgid = wait_for_pid(pidf);
    ASSERT_INT_EQ(group_size(pgid), 0);
    char *text = slurp(log);
    ASSERT_STR_EQ(text, "done\n");
    free(text);
    executor_close(x);
    sbuf_release(&script);
    free(log);
    free(pidf);
}

TEST(executor_local_interrupt_fd_and_close_with_jobs_running)
{
    struct executor *x = open_local(NULL, 300);
    char *log = path_in_tmp("i.log"), *pidf = path_in_tmp("i.pid");
    struct sbuf script = SBUF_INIT;
    sbuf_addf(&script, "echo $$ > %s; sleep 20", pidf);
    int p[2];
    ASSERT(pipe(p) == 0);
    start(x, "i", script.buf, log, 0, NULL);
    long pgid = wait_for_pid(pidf);
    ASSERT(write(p[1], "x", 1) == 1);
    struct executor_event ev;
    struct ferr err = FERR_INIT;
    ASSERT_INT_EQ(executor_wait(x, p[0], &ev, &err), 0);
    ASSERT_INT_EQ(executor_wait(x, p[0], &ev, &err), 0); /* not consumed */
    ASSERT_INT_EQ(executor_running(x), 1);
    executor_close(x); /* cancels and waits */
    ASSERT_INT_EQ(group_size(pgid), 0);
    close(p[0]);
    close(p[1]);
    sbuf_release(&script);
    free(log);
    free(pidf);
}

TEST(executor_local_bad_cwd_and_bad_log)
{
    struct executor *x = open_local(NULL, 0);
    struct ferr err = FERR_INIT;
    char *log = path_in_tmp("w.log");
    struct executor_job job = {"w", "echo hi", "/nonexistent/dir", NULL, log, 0, NULL};
    int id = 0;
    ASSERT_OK(executor_start(x, &job, &id, &err), &err);
    struct executor_event ev;
    wait_one(x, &ev);
    ASSERT_INT_EQ(ev.end, EXECUTOR_EXITED);
    ASSERT_INT_EQ(ev.status, 127);
    char *text = slurp(log);
    ASSERT_CONTAINS(text, "cannot change to the directory /nonexistent/dir");
    free(text);
    job.log_path = "/nonexistent/dir/x.log";
    ASSERT_FAILS(executor_start(x, &job, &id, &err), &err, FERR_IO_ERROR);
    ASSERT_INT_EQ(executor_running(x), 0);
    executor_close(x);
    free(log);
}

TEST(executor_local_a_second_cancel_kills_at_once)
{
    struct executor *x = open_local(NULL, 20000);
    char *log = path_in_tmp("h.log"), *pidf = path_in_tmp("h.pid");
    struct sbuf script = SBUF_INIT;
    sbuf_addf(&script, "trap '' TERM; echo $$ > %s; sleep 20", pidf);
    int id = start(x, "h", script.buf, log, 0, NULL);
    long pgid = wait_for_pid(pidf);
    int64_t t0 = ftime_mono_ns();
    executor_cancel(x, id); /* TERM: ignored; KILL would come 20 s later */
    nap_ms(100);
    ASSERT(group_size(pgid) > 0);
    executor_cancel(x, id); /* the second: KILL now */
    struct executor_event ev;
    wait_one(x, &ev);
    ASSERT_INT_EQ(ev.end, EXECUTOR_CANCELLED);
    double took = (double)(ftime_mono_ns() - t0) / 1e9;
    if (took > 10)
        FAIL_AT("a second cancel took %.2f s", took);
    ASSERT_INT_EQ(group_size(pgid), 0);
    executor_close(x);
    sbuf_release(&script);
    free(log);
    free(pidf);
}
