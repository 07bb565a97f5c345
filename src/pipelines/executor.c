/* SPDX-License-Identifier: MIT
 * The executor interface's calls: each goes to the executor's ops. */
#include "pipelines/executor.h"

#include <assert.h>

#include "base/banned.h"

int executor_start(struct executor *x, const struct executor_job *job, int *id, struct ferr *err)
{
    return x->ops->start(x, job, id, err);
}

int executor_wait(struct executor *x, int interrupt_fd, struct executor_event *ev, struct ferr *err)
{
    assert(interrupt_fd >= 0 || x->ops->running(x) > 0);
    return x->ops->wait(x, interrupt_fd, ev, err);
}

void executor_cancel(struct executor *x, int id)
{
    x->ops->cancel(x, id);
}

size_t executor_running(const struct executor *x)
{
    return x->ops->running(x);
}

void executor_close(struct executor *x)
{
    if (x)
        x->ops->close(x);
}
