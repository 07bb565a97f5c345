/* SPDX-License-Identifier: MIT */
#include "test_server.h"
#include "../test.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t server_pid;

void test_server_kill(void)
{
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, NULL, 0);
        server_pid = 0;
    }
}

void test_server_stop(void)
{
    int st = 0;
    ASSERT(server_pid > 0);
    ASSERT(kill(server_pid, SIGTERM) == 0);
    ASSERT(waitpid(server_pid, &st, 0) == server_pid);
    server_pid = 0;
    ASSERT(WIFEXITED(st));
    ASSERT_INT_EQ(WEXITSTATUS(st), 0);
}

/* Reads the server's stdout until its "listening on URL" line. */
static int read_url(int fd, struct sbuf *url)
{
    struct sbuf out = SBUF_INIT;
    char buf[512];
    struct pollfd p = {fd, POLLIN, 0};
    int rc = -1;
    while (poll(&p, 1, 20000) == 1) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        sbuf_add(&out, buf, (size_t)n);
        char *at = strstr(out.buf, "http://"), *nl = at ? strchr(at, '\n') : NULL;
        if (nl) {
            sbuf_add(url, at, (size_t)(nl - at));
            rc = 0;
            break;
        }
    }
    sbuf_release(&out);
    return rc;
}

int test_server_start(struct sbuf *url, const char *artifacts_dest)
{
    char self[4096], exe[4200], db[4200], log[4200];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    ASSERT(n > 0);
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    snprintf(exe, sizeof(exe), "%s/ferry", self);
    snprintf(db, sizeof(db), "sqlite://%s/server.db", test_tmpdir());
    snprintf(log, sizeof(log), "%s/server.err", test_tmpdir());
    if (access(exe, X_OK) != 0)
        return -1;
    int fds[2];
    ASSERT(pipe(fds) == 0);
    server_pid = fork();
    ASSERT(server_pid >= 0);
    if (server_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);    /* a failed or timed-out test kills it too */
        FILE *f = freopen(log, "w", stderr); /* its log stays out of the report */
        (void)f;
        dup2(fds[1], 1);
        close(fds[0]);
        if (artifacts_dest)
            execl(exe, "ferry", "server", "--host", "127.0.0.1", "--port", "0",
                  "--backend-store-uri", db, "--artifacts-destination", artifacts_dest, "-q",
                  (char *)NULL);
        else
            execl(exe, "ferry", "server", "--host", "127.0.0.1", "--port", "0",
                  "--backend-store-uri", db, "-q", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    atexit(test_server_kill);
    ASSERT(read_url(fds[0], url) == 0);
    close(fds[0]);
    return 0;
}
