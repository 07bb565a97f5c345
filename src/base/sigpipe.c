/* SPDX-License-Identifier: MIT */
#include "base/sigpipe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

static int fds[2] = {-1, -1};
static struct sigaction old_int, old_term;
static int installed;

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t w = write(fds[1], &b, 1); /* a full pipe already holds a signal */
    (void)w;
    errno = saved;
}

int sigpipe_open(struct ferr *err)
{
    struct sigaction sa;
    if (pipe(fds) < 0)
        return ferr_set(err, FERR_INTERNAL_ERROR, "pipe: %s", strerror(errno));
    for (int i = 0; i < 2; i++)
        (void)fcntl(fds[i], F_SETFD, FD_CLOEXEC);
    (void)fcntl(fds[1], F_SETFL, O_NONBLOCK);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, &old_int) < 0 || sigaction(SIGTERM, &sa, &old_term) < 0) {
        int e = errno;
        sigpipe_close();
        return ferr_set(err, FERR_INTERNAL_ERROR, "sigaction: %s", strerror(e));
    }
    installed = 1;
    return 0;
}

int sigpipe_fd(void)
{
    return fds[0];
}

int sigpipe_take(void)
{
    struct pollfd p = {fds[0], POLLIN, 0};
    unsigned char b;
    if (fds[0] < 0 || poll(&p, 1, 0) <= 0 || read(fds[0], &b, 1) != 1)
        return 0;
    return b;
}

void sigpipe_close(void)
{
    if (installed) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        installed = 0;
    }
    for (int i = 0; i < 2; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}
