/* SPDX-License-Identifier: MIT
 * The local executor: process groups on this machine (see the header).
 *
 * A job's life: started (leader running, output open) -> the leader is
 * reaped (its status kept; anything else left in its group gets TERM) ->
 * the group is empty and the output at its end -> its event. A timeout or
 * a cancel sends TERM to the group at once; KILL follows kill_grace_ms
 * later if the group is not empty by then. */
#include "pipelines/executor_local.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "base/banned.h"

extern char **environ;

#define GRACE_DEFAULT_MS 5000
#define TICK_MS          20           /* checks without a pidfd, and of a group being emptied */
#define GIVE_UP_NS       1000000000LL /* after KILL: a group we cannot empty (EPERM) */
#define LINE_MAX_BYTES   65536        /* a longer line reaches the terminal in pieces */

struct job {
    int id;
    void *user;
    char *name;
    pid_t pgid;      /* the leader's pid, which is the group's id */
    int leader_live; /* not reaped yet */
    int status;      /* the leader's wait status, once reaped */
    int out_fd;      /* the output pipe's read end; -1 after its end */
    int pid_fd;      /* a pidfd of the leader, or -1 */
    int log_fd;      /* the log file, appending */
    int log_failed;  /* warned once already */
    int group_empty; /* nothing left in the group */
    int timed_out, cancelled;
    int killed;       /* KILL sent */
    struct sbuf line; /* the terminal's partial line */
    int64_t started_ms, ended_ms;
    int64_t deadline_ns; /* the timeout (monotonic); 0: none */
    int64_t kill_at_ns;  /* KILL after TERM; 0: no TERM sent */
    int64_t give_up_ns;  /* after KILL: stop waiting for the group */
};

struct local {
    struct executor base;
    FILE *term;
    int64_t grace_ns;
    struct job **jobs;
    size_t n, alloc;
    int next_id;
    int subreaper_set; /* counted in subreaper_users */
    struct pollfd *pfd;
    struct job **pjob; /* the job of each pfd entry (NULL: the interrupt fd) */
    size_t palloc;
};

#ifdef __linux__
/* Executors open, and whether the first made ferry a subreaper (one
 * process-wide setting: the executor is driven by one thread). */
static int subreaper_users, subreaper_ours;
#endif

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* ferry's environment without the keys extra sets, then extra. The
 * strings are borrowed. */
static char **build_env(const char *const *extra)
{
    size_t n = 0, m = 0, k = 0;
    while (environ && environ[n])
        n++;
    while (extra && extra[m])
        m++;
    char **env = xcalloc(n + m + 1, sizeof(*env));
    for (size_t i = 0; i < n; i++) {
        size_t key = strcspn(environ[i], "=");
        int overridden = 0;
        for (size_t j = 0; j < m && !overridden; j++)
            overridden = !strncmp(environ[i], extra[j], key) && extra[j][key] == '=';
        if (!overridden)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++)
        env[k++] = (char *)extra[j];
    env[k] = NULL;
    return env;
}

static void say(int fd, const char *msg)
{
    ssize_t w = write(fd, msg, strlen(msg));
    (void)w;
}

/* Between fork and exec: async-signal-safe calls only. */
static void child(int in, int out, const char *cwd, const char *script, char **env,
                  const char *chdir_msg)
{
    struct sigaction dfl;
    sigset_t none;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    /* ferry's handlers and ignored signals are not the step's */
    sigaction(SIGINT, &dfl, NULL);
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGPIPE, &dfl, NULL);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    setpgid(0, 0);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(127);
    if (chdir(cwd) < 0) {
        say(2, chdir_msg);
        _exit(127);
    }
    static char sh[] = "sh", dash_c[] = "-c";
    char *argv[] = {sh, dash_c, (char *)script, NULL};
    execve("/bin/sh", argv, env);
    say(2, "ferry: cannot run /bin/sh\n");
    _exit(127);
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
/* glibc's, declared by <spawn.h> only under _GNU_SOURCE. */
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *restrict fa,
                                                const char *restrict path);

/* What child() does, through posix_spawn: the parent is not copied (no
 * page table to copy, no copy-on-write faults after it), which is most of
 * what starting a step costs ferry. -1 when it cannot (then fork does it,
 * and reports a bad cwd in the log as 127). */
static int spawn(int in, int out, const char *cwd, const char *script, char **env, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t dfl, none;
    static char sh[] = "sh", dash_c[] = "-c";
    char *argv[] = {sh, dash_c, (char *)script, NULL};
    if (posix_spawn_file_actions_init(&fa))
        return -1;
    if (posix_spawnattr_init(&at)) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGPIPE);
    sigemptyset(&none);
    int rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                               POSIX_SPAWN_SETSIGMASK) ||
             posix_spawnattr_setpgroup(&at, 0) || posix_spawnattr_setsigdefault(&at, &dfl) ||
             posix_spawnattr_setsigmask(&at, &none) ||
             posix_spawn_file_actions_adddup2(&fa, in, 0) ||
             posix_spawn_file_actions_adddup2(&fa, out, 1) ||
             posix_spawn_file_actions_adddup2(&fa, out, 2) ||
             posix_spawn_file_actions_addchdir_np(&fa, cwd);
    if (!rc)
        rc = posix_spawn(pid, "/bin/sh", &fa, &at, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    return rc ? -1 : 0;
}
#else
static int spawn(int in, int out, const char *cwd, const char *script, char **env, pid_t *pid)
{
    (void)in, (void)out, (void)cwd, (void)script, (void)env, (void)pid;
    return -1;
}
#endif

static void job_free(struct job *j)
{
    if (!j)
        return;
    if (j->out_fd >= 0)
        close(j->out_fd);
    if (j->pid_fd >= 0)
        close(j->pid_fd);
    if (j->log_fd >= 0)
        close(j->log_fd);
    sbuf_release(&j->line);
    free(j->name);
    free(j);
}

static int local_start(struct executor *xb, const struct executor_job *job, int *id,
                       struct ferr *err)
{
    struct local *x = (struct local *)xb;
    int p[2] = {-1, -1}, in = -1, logfd = -1;
    struct sbuf msg = SBUF_INIT;
    logfd = open(job->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (logfd < 0)
        return ferr_set(err, FERR_IO_ERROR, "cannot open the log %s: %s", job->log_path,
                        strerror(errno));
    in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in < 0 || pipe(p) < 0) {
        ferr_set(err, FERR_INTERNAL_ERROR, "cannot start %s: %s", job->name, strerror(errno));
        goto fail;
    }
    (void)fcntl(p[0], F_SETFD, FD_CLOEXEC);
    (void)fcntl(p[1], F_SETFD, FD_CLOEXEC);
    (void)fcntl(p[0], F_SETFL, O_NONBLOCK);
    sbuf_addf(&msg, "ferry: cannot change to the directory %s\n", job->cwd);
    char **env = build_env(job->env);
    if (x->term)
        (void)fflush(x->term);
    pid_t pid = -1;
    int fork_errno = 0;
    if (spawn(in, p[1], job->cwd, job->script, env, &pid) < 0) {
        pid = fork();
        if (pid == 0)
            child(in, p[1], job->cwd, job->script, env, msg.buf);
        fork_errno = errno;
    }
    free(env);
    close(p[1]);
    p[1] = -1;
    close(in);
    in = -1;
    if (pid < 0) {
        ferr_set(err, FERR_INTERNAL_ERROR, "fork: %s", strerror(fork_errno));
        goto fail;
    }
    (void)setpgid(pid, pid); /* also here: no window where kill(-pid) misses */
    struct job *j = xcalloc(1, sizeof(*j));
    j->id = ++x->next_id;
    j->user = job->user;
    j->name = xstrdup(job->name ? job->name : "");
    j->pgid = pid;
    j->leader_live = 1;
    j->out_fd = p[0];
    j->pid_fd = pidfd_of(pid);
    j->log_fd = logfd;
    sbuf_init(&j->line, 0);
    j->started_ms = ftime_now_ms();
    if (job->timeout_ms > 0)
        j->deadline_ns = ftime_mono_ns() + job->timeout_ms * 1000000LL;
    if (x->n == x->alloc) {
        x->alloc = x->alloc ? 2 * x->alloc : 8;
        x->jobs = xrealloc(x->jobs, x->alloc * sizeof(*x->jobs));
    }
    x->jobs[x->n++] = j;
    *id = j->id;
    sbuf_release(&msg);
    return 0;
fail:
    if (p[0] >= 0)
        close(p[0]);
    if (p[1] >= 0)
        close(p[1]);
    if (in >= 0)
        close(in);
    close(logfd);
    sbuf_release(&msg);
    return -1;
}

/* Complete lines of the job's output to the terminal, each prefixed; at
 * the output's end (final), the rest as a line of its own. */
static void to_terminal(struct local *x, struct job *j, const char *buf, size_t n, int final)
{
    if (!x->term)
        return;
    struct sbuf out = SBUF_INIT;
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (buf[i] != '\n' && j->line.len + (i - start) < LINE_MAX_BYTES)
            continue;
        sbuf_addf(&out, "[%s] ", j->name);
        sbuf_add(&out, j->line.buf, j->line.len);
        sbuf_add(&out, buf + start, i - start);
        sbuf_addch(&out, '\n');
        sbuf_reset(&j->line);
        start = buf[i] == '\n' ? i + 1 : i;
        if (buf[i] != '\n')
            i--; /* this byte begins the next piece */
    }
    sbuf_add(&j->line, buf + start, n - start);
    if (final && j->line.len) {
        sbuf_addf(&out, "[%s] %s\n", j->name, j->line.buf);
        sbuf_reset(&j->line);
    }
    /* a closed terminal must not stop the step: errors ignored */
    if (out.len && fwrite(out.buf, 1, out.len, x->term) == out.len)
        (void)fflush(x->term);
    sbuf_release(&out);
}

static void to_log(struct job *j, const char *buf, size_t n)
{
    while (n > 0 && !j->log_failed) {
        ssize_t w = write(j->log_fd, buf, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            log_warn("cannot write the log of step %s: %s", j->name, strerror(errno));
            j->log_failed = 1;
            return;
        }
        buf += w;
        n -= (size_t)w;
    }
}

static void close_output(struct local *x, struct job *j)
{
    to_terminal(x, j, "", 0, 1);
    close(j->out_fd);
    j->out_fd = -1;
}

/* One read of the job's output; its end closes it. 1: bytes moved, 0: the
 * end, -1: nothing there yet. */
static int read_output(struct local *x, struct job *j)
{
    char buf[65536];
    ssize_t k = read(j->out_fd, buf, sizeof(buf));
    if (k > 0) {
        to_log(j, buf, (size_t)k);
        to_terminal(x, j, buf, (size_t)k, 0);
        return 1;
    }
    if (k < 0 && (errno == EINTR || errno == EAGAIN))
        return -1;
    close_output(x, j);
    return 0;
}

static void term_group(struct local *x, struct job *j, int64_t now)
{
    if (j->kill_at_ns)
        return;
    (void)kill(-j->pgid, SIGTERM);
    (void)kill(-j->pgid, SIGCONT); /* a stopped process must see its TERM */
    j->kill_at_ns = now + x->grace_ns;
}

/* 1 when nothing is left in the job's group; reaps what of it ended (its
 * orphans are ours when ferry is a subreaper). Only after the leader's own
 * status is kept, so this never takes it. */
static int group_gone(struct job *j)
{
    int st;
    while (waitpid(-j->pgid, &st, WNOHANG) > 0)
        ;
    return kill(-j->pgid, 0) < 0 && errno == ESRCH;
}

static void reap_leader(struct local *x, struct job *j, int64_t now)
{
    int st = 0;
    pid_t r = waitpid(j->pgid, &st, WNOHANG);
    if (r == 0 || (r < 0 && errno == EINTR))
        return;
    if (r < 0) { /* someone else reaped it: its status is lost */
        log_warn("step %s: its exit status was taken elsewhere", j->name);
        st = 255 << 8;
    }
    j->leader_live = 0;
    j->status = st;
    j->ended_ms = ftime_now_ms();
    if (j->pid_fd >= 0)
        close(j->pid_fd);
    j->pid_fd = -1;
    if (group_gone(j))
        j->group_empty = 1;
    else
        term_group(x, j, now); /* what the script left running */
}

/* Timeouts, KILLs due, groups emptied. */
static void check_times(struct local *x, struct job *j, int64_t now)
{
    if (j->leader_live && j->pid_fd < 0)
        reap_leader(x, j, now);
    if (j->deadline_ns && j->leader_live && !j->kill_at_ns && now >= j->deadline_ns) {
        j->timed_out = 1;
        term_group(x, j, now);
    }
    if (j->kill_at_ns && !j->killed && now >= j->kill_at_ns && !j->group_empty) {
        (void)kill(-j->pgid, SIGKILL);
        j->killed = 1;
        j->give_up_ns = now + GIVE_UP_NS;
    }
    if (!j->leader_live && !j->group_empty) {
        if (group_gone(j)) {
            j->group_empty = 1;
        } else if (j->killed && now >= j->give_up_ns) {
            log_warn("step %s: processes of its group %ld survive KILL", j->name, (long)j->pgid);
            j->group_empty = 1;
        }
    }
    /* the group is gone, so are the output's writers (but one that left
     * the group): what is buffered is read, then the pipe is let go */
    if (!j->leader_live && j->group_empty && j->out_fd >= 0) {
        int r;
        while ((r = read_output(x, j)) > 0 || (r < 0 && errno == EINTR))
            ;
        if (r < 0)
            close_output(x, j);
    }
}

static int job_done(const struct job *j)
{
    return !j->leader_live && j->group_empty && j->out_fd < 0;
}

static void event_of(const struct job *j, struct executor_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    ev->id = j->id;
    ev->user = j->user;
    ev->started_ms = j->started_ms;
    ev->ended_ms = j->ended_ms ? j->ended_ms : ftime_now_ms();
    if (j->cancelled) {
        ev->end = EXECUTOR_CANCELLED;
    } else if (j->timed_out) {
        ev->end = EXECUTOR_TIMED_OUT;
    } else if (WIFSIGNALED(j->status)) {
        ev->end = EXECUTOR_SIGNALED;
        ev->status = WTERMSIG(j->status);
    } else {
        ev->end = EXECUTOR_EXITED;
        ev->status = WIFEXITED(j->status) ? WEXITSTATUS(j->status) : 255;
    }
}

/* The poll timeout in ms until the next thing due; -1: none. */
static int next_timeout(const struct local *x, int64_t now)
{
    int64_t due = -1;
    for (size_t i = 0; i < x->n; i++) {
        const struct job *j = x->jobs[i];
        int64_t t = -1;
        if ((j->leader_live && j->pid_fd < 0) || (!j->leader_live && !j->group_empty))
            t = now + TICK_MS * 1000000LL;
        if (j->deadline_ns && j->leader_live && !j->kill_at_ns && (t < 0 || j->deadline_ns < t))
            t = j->deadline_ns;
        if (j->kill_at_ns && !j->killed && (t < 0 || j->kill_at_ns < t))
            t = j->kill_at_ns;
        if (t >= 0 && (due < 0 || t < due))
            due = t;
    }
    if (due < 0)
        return -1;
    int64_t ms = (due - now + 999999) / 1000000;
    return ms < 0 ? 0 : ms > 60000 ? 60000 : (int)ms;
}

static void add_pfd(struct local *x, size_t *k, int fd, struct job *j)
{
    if (*k == x->palloc) {
        x->palloc = x->palloc ? 2 * x->palloc : 16;
        x->pfd = xrealloc(x->pfd, x->palloc * sizeof(*x->pfd));
        x->pjob = xrealloc(x->pjob, x->palloc * sizeof(*x->pjob));
    }
    x->pfd[*k].fd = fd;
    x->pfd[*k].events = POLLIN;
    x->pfd[*k].revents = 0;
    x->pjob[(*k)++] = j;
}

static int local_wait(struct executor *xb, int interrupt_fd, struct executor_event *ev,
                      struct ferr *err)
{
    struct local *x = (struct local *)xb;
    int interrupted = 0;
    for (;;) {
        int64_t now = ftime_mono_ns();
        for (size_t i = 0; i < x->n; i++)
            check_times(x, x->jobs[i], now);
        for (size_t i = 0; i < x->n; i++) {
            struct job *j = x->jobs[i];
            if (!job_done(j))
                continue;
            event_of(j, ev);
            x->jobs[i] = x->jobs[--x->n];
            job_free(j);
            return 1;
        }
        if (interrupted)
            return 0;
        size_t k = 0;
        if (interrupt_fd >= 0)
            add_pfd(x, &k, interrupt_fd, NULL);
        for (size_t i = 0; i < x->n; i++) {
            struct job *j = x->jobs[i];
            if (j->out_fd >= 0)
                add_pfd(x, &k, j->out_fd, j);
            if (j->leader_live && j->pid_fd >= 0)
                add_pfd(x, &k, j->pid_fd, j);
        }
        int r = poll(x->pfd, (nfds_t)k, next_timeout(x, now));
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return ferr_set(err, FERR_INTERNAL_ERROR, "poll: %s", strerror(errno));
        }
        now = ftime_mono_ns();
        for (size_t i = 0; i < k; i++) {
            struct job *j = x->pjob[i];
            if (!x->pfd[i].revents)
                continue;
            if (!j)
                interrupted = 1;
            else if (x->pfd[i].fd == j->out_fd)
                read_output(x, j);
            else if (j->leader_live)
                reap_leader(x, j, now);
        }
    }
}

/* TERM now (KILL after the grace); a job cancelled before is KILLed at
 * once when hurry is set (a second Ctrl-C). */
static void cancel_job(struct local *x, struct job *j, int hurry)
{
    int64_t now = ftime_mono_ns();
    if (j->cancelled && hurry && !j->killed && !j->group_empty) {
        (void)kill(-j->pgid, SIGKILL);
        j->killed = 1;
        j->give_up_ns = now + GIVE_UP_NS;
    }
    j->cancelled = 1;
    term_group(x, j, now);
}

static void local_cancel(struct executor *xb, int id)
{
    struct local *x = (struct local *)xb;
    for (size_t i = 0; i < x->n; i++)
        if (x->jobs[i]->id == id && !job_done(x->jobs[i]))
            cancel_job(x, x->jobs[i], 1);
}

static size_t local_running(const struct executor *xb)
{
    return ((const struct local *)xb)->n;
}

static void local_close(struct executor *xb)
{
    struct local *x = (struct local *)xb;
    struct executor_event ev;
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < x->n; i++)
        cancel_job(x, x->jobs[i], 0);
    while (x->n > 0) {
        if (local_wait(xb, -1, &ev, &err) < 0) {
            log_warn("executor: %s", err.msg);
            break;
        }
    }
    for (size_t i = 0; i < x->n; i++)
        job_free(x->jobs[i]);
#ifdef __linux__
    if (x->subreaper_set && --subreaper_users == 0 && subreaper_ours)
        (void)prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0);
#endif
    free(x->jobs);
    free(x->pfd);
    free(x->pjob);
    free(x);
}

static const struct executor_ops local_ops = {
    "local", local_start, local_wait, local_cancel, local_running, local_close,
};

int executor_local_open(const struct executor_local_opts *o, struct executor **out,
                        struct ferr *err)
{
    (void)err;
    struct local *x = xcalloc(1, sizeof(*x));
    x->base.ops = &local_ops;
    x->term = o ? o->terminal : NULL;
    x->grace_ns = (o && o->kill_grace_ms > 0 ? o->kill_grace_ms : GRACE_DEFAULT_MS) * 1000000LL;
#ifdef __linux__
    /* the first executor open makes ferry a subreaper (unless it was one),
     * the last one closed undoes it */
    int was = 0;
    if (subreaper_users == 0)
        subreaper_ours = prctl(PR_GET_CHILD_SUBREAPER, &was, 0, 0, 0) == 0 && !was &&
                         prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0;
    subreaper_users++;
    x->subreaper_set = 1;
#endif
    *out = &x->base;
    return 0;
}
