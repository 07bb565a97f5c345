/* SPDX-License-Identifier: MIT
 * libFuzzer target: `ferry drift`'s input path. The bytes are written to a
 * file under /tmp and read by csv_columns_read twice (a reference and a
 * current table); when both parse, drift_report_compute runs the default
 * report over them (some columns forced to cat) and the report becomes JSON
 * and HTML. Checked beyond "nothing crashes, leaks or trips UBSan": a
 * failed read leaves no table and says where (the path in its message), a
 * table has as many values in every column as rows, every code of a text
 * column is in its dictionary or the missing code, and the report's
 * counted columns agree with its tested ones. */
#include "fuzz_input.h"
#include "base/ferr.h"
#include "base/sbuf.h"
#include "data/csv_columns.h"
#include "monitor/drift_html.h"
#include "monitor/drift_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_table(const struct column_table *t)
{
    for (size_t c = 0; c < t->ncols; c++) {
        const struct drift_column *col = &t->cols[c];
        if (col->n != t->nrows)
            abort();
        if (!col->is_text)
            continue;
        for (size_t i = 0; i < col->n; i++)
            if (col->codes[i] != DRIFT_CODE_MISSING && col->codes[i] >= col->dict.n)
                abort();
    }
}

static struct column_table *read_table(const char *path)
{
    struct column_table *t = NULL;
    struct ferr err = FERR_INIT;
    if (csv_columns_read(path, 1, &t, &err)) {
        if (t || !strstr(err.msg, path))
            abort();
        return NULL;
    }
    check_table(t);
    return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/ferry-fuzz-drift-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    int ok = write(fd, data, size) == (ssize_t)size;
    close(fd);
    struct column_table *ref = ok ? read_table(path) : NULL;
    struct column_table *cur = ref ? read_table(path) : NULL;
    unlink(path);
    if (ref && cur) {
        struct drift_options o;
        struct drift_column_option cat = {.has_kind = 1, .kind = DRIFT_KIND_CAT};
        struct drift_report *r = NULL;
        struct ferr err = FERR_INIT;
        drift_options_init(&o);
        o.threads = 1;
        if (ref->ncols > 1 && size % 2) { /* the second column forced to cat */
            cat.name = ref->cols[1].name;
            o.cols = &cat;
            o.ncols = 1;
        }
        if (!drift_report_compute(ref, cur, &o, &r, &err)) {
            size_t tested = 0;
            for (size_t i = 0; i < r->ncols; i++)
                tested += r->cols[i].tested;
            if (tested != r->number_of_columns || r->number_of_drifted_columns > tested)
                abort();
            json_decref(drift_report_json(r));
            struct sbuf sb = SBUF_INIT;
            drift_html_render(r, "ref", "cur", &sb);
            sbuf_release(&sb);
            drift_report_free(r);
        }
    }
    column_table_free(ref);
    column_table_free(cur);
    return 0;
}
