/* SPDX-License-Identifier: MIT */
#include "read_fd.h"

int open_read_fd(struct artifact_repo *r, const char *path, int *fd, int64_t *size,
                 struct ferr *err)
{
    struct artifact_reader *rd;
    *fd = -1;
    if (artifact_open_read(r, path, &rd, err))
        return -1;
    *size = artifact_reader_size(rd);
    *fd = artifact_reader_take_fd(rd);
    artifact_reader_close(rd);
    return *fd >= 0 ? 0 : ferr_set(err, FERR_INTERNAL_ERROR, "not a local file");
}
