/* SPDX-License-Identifier: MIT */
#include "models/pyproc.h"
#include "models/pyworker_source.h"
#include "base/sandbox.h"
#include "base/ftime.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include "base/banned.h"

/* A payload larger than this is a broken worker, not an answer. */
#define MAX_PAYLOAD ((uint64_t)1 << 30)
/* The worker's end of the socket pair, as pyworker.py is told. */
#define WORKER_FD 3

struct header {
    uint32_t type, reserved;
    uint64_t len;
};

const char *pyproc_python(void)
{
    const char *p = getenv("FERRY_PYTHON");
    return p && *p ? p : "/usr/bin/python3";
}

/* Closes every descriptor above WORKER_FD. Runs between fork and exec, so
 * only async-signal-safe calls. */
static void close_others(long max)
{
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, WORKER_FD + 1, ~0U, 0) == 0)
        return;
#endif
    for (long fd = WORKER_FD + 1; fd < max; fd++)
        close((int)fd);
}

/* The child's side: lower privileges, then exec. Never returns. */
static void become_worker(int sock, int devnull, pid_t parent, const struct sandbox_id *id,
                          long max_fd, char *const argv[], char *const envp[])
{
    struct rlimit zero = {0, 0};
    /* Either may sit where the other goes (devnull at WORKER_FD once ferry
     * holds few descriptors, e.g. serving a directory with no store): both
     * move above the targets first. */
    if ((sock = fcntl(sock, F_DUPFD, WORKER_FD + 1)) < 0 ||
        (devnull = fcntl(devnull, F_DUPFD, WORKER_FD + 1)) < 0)
        _exit(126);
    if (dup2(sock, WORKER_FD) < 0 || dup2(devnull, 0) < 0 || dup2(2, 1) < 0)
        _exit(126);
    close_others(max_fd);
    if (chdir("/") < 0)
        _exit(126);
    /* a worker writes no files at all */
    if (setrlimit(RLIMIT_FSIZE, &zero) < 0 || sandbox_enter(id, parent) < 0)
        _exit(126);
    execve(argv[0], argv, envp);
    _exit(127);
}

int pyproc_spawn(struct pyproc *p, const char *python, struct ferr *err)
{
    /* execve takes char *const[]; string literals are const here */
    static char e_path[] = "PATH=/usr/bin:/bin", e_lang[] = "LANG=C.UTF-8",
                e_home[] = "HOME=/nonexistent", e_omp[] = "OMP_NUM_THREADS=1",
                e_blas[] = "OPENBLAS_NUM_THREADS=1", e_mkl[] = "MKL_NUM_THREADS=1",
                e_seed[] = "PYTHONHASHSEED=0";
    static char a_isolated[] = "-I", a_nopyc[] = "-B", a_cmd[] = "-c";
    char *const envp[] = {e_path, e_lang, e_home, e_omp, e_blas, e_mkl, e_seed, NULL};
    char fdarg[16];
    int sv[2];
    struct sandbox_id id;
    p->pid = 0;
    p->fd = -1;
    if (access(python, X_OK) < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cannot run the Python interpreter '%.200s' (%s): install python3 and "
                        "python3-sklearn, or set FERRY_PYTHON",
                        python, strerror(errno));
    snprintf(fdarg, sizeof(fdarg), "%d", WORKER_FD);
    char *const argv[] = {(char *)python,          a_isolated, a_nopyc, a_cmd,
                          (char *)pyworker_source, fdarg,      NULL};
    if (sandbox_identity(NULL, &id, err))
        return -1;
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536)
        max_fd = 65536;
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0)
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot open /dev/null: %s", strerror(errno));
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        int e = errno;
        close(devnull);
        return ferr_set(err, FERR_INTERNAL_ERROR, "socketpair: %s", strerror(e));
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        become_worker(sv[1], devnull, parent, &id, max_fd, argv, envp);
    int e = errno;
    close(sv[1]);
    close(devnull);
    if (pid < 0) {
        close(sv[0]);
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start a Python worker: %s", strerror(e));
    }
    int fl = fcntl(sv[0], F_GETFL);
    if (fl < 0 || fcntl(sv[0], F_SETFL, fl | O_NONBLOCK) < 0) {
        e = errno;
        p->pid = pid;
        p->fd = sv[0];
        pyproc_stop(p, 1, NULL);
        return ferr_set(err, FERR_INTERNAL_ERROR, "fcntl: %s", strerror(e));
    }
    p->pid = pid;
    p->fd = sv[0];
    return 0;
}

/* Waits until fd is ready for `events` or the deadline passes. */
static int wait_fd(int fd, short events, int64_t deadline_ns, struct ferr *err)
{
    for (;;) {
        int64_t left = deadline_ns - ftime_mono_ns();
        if (left <= 0)
            return ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE,
                            "the model worker did not answer in time");
        struct pollfd pfd = {fd, events, 0};
        int64_t ms = (left + 999999) / 1000000;
        int n = poll(&pfd, 1, ms > 60000 ? 60000 : (int)ms);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return ferr_set(err, FERR_INTERNAL_ERROR, "poll: %s", strerror(errno));
    }
}

static int gone(struct ferr *err)
{
    return ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "the model worker exited");
}

int pyproc_send(struct pyproc *p, uint32_t type, const struct iovec *iov, int n,
                int64_t deadline_ns, struct ferr *err)
{
    struct header h = {type, 0, 0};
    struct iovec v[16];
    if (n > 15)
        return ferr_set(err, FERR_INTERNAL_ERROR, "too many pieces for one frame");
    v[0].iov_base = &h;
    v[0].iov_len = sizeof(h);
    for (int i = 0; i < n; i++) {
        v[i + 1] = iov[i];
        h.len += iov[i].iov_len;
    }
    struct iovec *cur = v;
    int left = n + 1;
    while (left > 0) {
        struct msghdr msg;
        memset(&msg, 0, sizeof(msg));
        msg.msg_iov = cur;
        msg.msg_iovlen = (size_t)left;
        ssize_t w = sendmsg(p->fd, &msg, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                if (wait_fd(p->fd, POLLOUT, deadline_ns, err))
                    return -1;
                continue;
            }
            return errno == EPIPE || errno == ECONNRESET
                       ? gone(err)
                       : ferr_set(err, FERR_INTERNAL_ERROR, "sendmsg: %s", strerror(errno));
        }
        size_t done = (size_t)w;
        while (left > 0 && done >= cur->iov_len) {
            done -= cur->iov_len;
            cur++;
            left--;
        }
        if (left > 0) {
            cur->iov_base = (char *)cur->iov_base + done;
            cur->iov_len -= done;
        }
    }
    return 0;
}

static int read_exact(struct pyproc *p, void *buf, size_t n, int64_t deadline_ns, struct ferr *err)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(p->fd, (char *)buf + got, n - got, 0);
        if (r > 0) {
            got += (size_t)r;
        } else if (r == 0) {
            return gone(err);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (wait_fd(p->fd, POLLIN, deadline_ns, err))
                return -1;
        } else if (errno != EINTR) {
            return errno == ECONNRESET
                       ? gone(err)
                       : ferr_set(err, FERR_INTERNAL_ERROR, "recv: %s", strerror(errno));
        }
    }
    return 0;
}

int pyproc_recv(struct pyproc *p, uint32_t *type, struct sbuf *payload, int64_t deadline_ns,
                struct ferr *err)
{
    struct header h;
    sbuf_reset(payload);
    if (read_exact(p, &h, sizeof(h), deadline_ns, err))
        return -1;
    if (h.len > MAX_PAYLOAD)
        return ferr_set(err, FERR_INTERNAL_ERROR, "the model worker sent a %llu-byte frame",
                        (unsigned long long)h.len);
    sbuf_grow(payload, (size_t)h.len);
    if (read_exact(p, payload->buf, (size_t)h.len, deadline_ns, err))
        return -1;
    sbuf_setlen(payload, (size_t)h.len);
    *type = h.type;
    return 0;
}

int pyproc_alive(const struct pyproc *p)
{
    struct pollfd pfd = {p->fd, POLLIN, 0};
    if (p->pid <= 0 || p->fd < 0)
        return 0;
    return poll(&pfd, 1, 0) == 0;
}

static void describe_status(struct sbuf *why, int status)
{
    if (WIFEXITED(status))
        sbuf_addf(why, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        sbuf_addf(why, "was killed by signal %d", WTERMSIG(status));
    else
        sbuf_addstr(why, "ended");
}

void pyproc_stop(struct pyproc *p, int force, struct sbuf *why)
{
    int status = 0;
    if (force && p->pid > 0)
        kill(p->pid, SIGKILL);
    if (p->fd >= 0)
        close(p->fd); /* EOF: a healthy worker exits at once */
    p->fd = -1;
    if (p->pid <= 0)
        return;
    pid_t r = 0;
    for (int i = 0; i < 50 && (r = waitpid(p->pid, &status, WNOHANG)) == 0; i++) {
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    if (r == 0) {
        kill(p->pid, SIGKILL);
        while ((r = waitpid(p->pid, &status, 0)) < 0 && errno == EINTR)
            ;
    }
    if (why && r == p->pid)
        describe_status(why, status);
    p->pid = 0;
}
