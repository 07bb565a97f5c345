/* SPDX-License-Identifier: MIT */
#include "artifacts/fd_reader.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

struct fd_reader {
    struct artifact_reader base;
    int fd; /* -1 once taken */
    char *name;
};

static ssize_t fd_read(struct artifact_reader *base, void *buf, size_t cap, struct ferr *err)
{
    struct fd_reader *rd = (struct fd_reader *)base;
    for (;;) {
        ssize_t n = rd->fd >= 0 ? read(rd->fd, buf, cap) : 0;
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return ferr_set(err, FERR_IO_ERROR, "reading artifact '%.300s': %s", rd->name,
                            strerror(errno));
    }
}

static int fd_take(struct artifact_reader *base)
{
    struct fd_reader *rd = (struct fd_reader *)base;
    int fd = rd->fd;
    rd->fd = -1;
    return fd;
}

static void fd_close(struct artifact_reader *base)
{
    struct fd_reader *rd = (struct fd_reader *)base;
    if (rd->fd >= 0)
        close(rd->fd);
    free(rd->name);
    free(rd);
}

static const struct artifact_reader_ops fd_reader_ops = {fd_read, fd_take, fd_close};

struct artifact_reader *artifact_fd_reader(int fd, int64_t size, const char *name)
{
    struct fd_reader *rd = xcalloc(1, sizeof(*rd));
    rd->base.ops = &fd_reader_ops;
    rd->base.size = size;
    rd->fd = fd;
    rd->name = xstrdup(name);
    return &rd->base;
}
