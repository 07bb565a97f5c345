/* SPDX-License-Identifier: MIT
 * libFuzzer target: `ferry data diff --rows`. The bytes, cut at their
 * first NUL (or in the middle), are two CSV files compared by
 * csv_diff_files both ways with examples. Checked beyond "nothing crashes,
 * leaks or trips UBSan": the counts add up (unchanged + added = rows after,
 * unchanged + removed = rows before), one way's added is the other way's
 * removed, examples never outnumber their count or the cap, a file compared
 * with itself changes nothing, and a failure leaves the result empty. */
#include "base/ferr.h"
#include "data/csv_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int put(char *path, const uint8_t *data, size_t size)
{
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    int ok = write(fd, data, size) == (ssize_t)size;
    close(fd);
    return ok ? 0 : -1;
}

static int diff(const char *a, const char *b, struct csv_diff *d)
{
    struct csv_diff_opts o = {3};
    struct ferr err = FERR_INIT;
    if (csv_diff_files(a, b, &o, d, &err)) {
        if (d->rows_before || d->nadded_rows || d->columns_added || !err.msg[0])
            abort();
        return -1;
    }
    if (d->unchanged + d->added != d->rows_after || d->unchanged + d->removed != d->rows_before)
        abort();
    if (d->nadded_rows > 3 || d->nadded_rows > d->added || d->nremoved_rows > 3 ||
        d->nremoved_rows > d->removed)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t cut = nul ? (size_t)(nul - data) : size / 2;
    char pa[] = "/tmp/ferry-fuzz-csvdiff-XXXXXX", pb[] = "/tmp/ferry-fuzz-csvdiff-XXXXXX";
    int ra = put(pa, data, cut);
    int rb = put(pb, data + cut + (nul != NULL), size - cut - (nul != NULL));
    if (!ra && !rb) {
        struct csv_diff ab = CSV_DIFF_INIT, ba = CSV_DIFF_INIT, aa = CSV_DIFF_INIT;
        if (!diff(pa, pb, &ab) && !diff(pb, pa, &ba)) {
            if (ab.added != ba.removed || ab.removed != ba.added ||
                ab.ncolumns_added != ba.ncolumns_removed)
                abort();
        }
        if (!diff(pa, pa, &aa) && (aa.added || aa.removed || aa.ncolumns_added || aa.reordered))
            abort();
        csv_diff_release(&ab);
        csv_diff_release(&ba);
        csv_diff_release(&aa);
    }
    if (!ra)
        unlink(pa);
    if (!rb)
        unlink(pb);
    return 0;
}
