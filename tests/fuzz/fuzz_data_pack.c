/* SPDX-License-Identifier: MIT
 * libFuzzer target: pack streams as an upload brings them, fed in two
 * pieces split where the first byte says. Any input is accepted or
 * refused with INVALID_PARAMETER_VALUE; an accepted pack holds exactly the
 * objects the handler saw, and writing them again gives back the input
 * byte for byte (the format has one spelling). Nothing may crash, leak or
 * trip UBSan. */
#include "artifacts/data_pack.h"
#include "base/ferr.h"
#include "base/sbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct got {
    struct sbuf data;  /* every object's bytes, one after another */
    struct sbuf index; /* per object: hex[65] + int64 size */
    int64_t left;
};

static int g_begin(void *ctx, const char hex[65], int64_t size, int64_t offset, struct ferr *err)
{
    struct got *g = ctx;
    (void)offset;
    (void)err;
    if (size > 1 << 20)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "too big for the fuzzer");
    sbuf_add(&g->index, hex, 65);
    sbuf_add(&g->index, &size, sizeof(size));
    g->left = size;
    return 0;
}

static int g_data(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    struct got *g = ctx;
    (void)err;
    if ((int64_t)n > g->left)
        abort();
    g->left -= (int64_t)n;
    sbuf_add(&g->data, buf, n);
    return 0;
}

static int g_end(void *ctx, const char hex[65], int64_t size, struct ferr *err)
{
    struct got *g = ctx;
    (void)hex;
    (void)size;
    (void)err;
    if (g->left)
        abort();
    return 0;
}

static const struct data_pack_handler handler = {g_begin, g_data, g_end};

static int to_sbuf(void *ctx, const void *buf, size_t n, struct ferr *err)
{
    (void)err;
    sbuf_add(ctx, buf, n);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct got g = {SBUF_INIT, SBUF_INIT, 0};
    struct ferr err = FERR_INIT;
    size_t split = size ? data[0] % (size + 1) : 0;
    struct data_pack_reader *r = data_pack_reader_new(&handler, &g);
    int64_t count = 0;
    int rc = data_pack_reader_feed(r, data, split, &err);
    if (!rc)
        rc = data_pack_reader_feed(r, data + split, size - split, &err);
    if (!rc)
        rc = data_pack_reader_finish(r, &count, &err);
    data_pack_reader_free(r);
    if (rc && err.code != FERR_INVALID_PARAMETER_VALUE)
        abort();
    if (!rc) {
        size_t rec = 65 + sizeof(int64_t), nobj = g.index.len / rec;
        if ((int64_t)nobj != count)
            abort();
        struct sbuf again = SBUF_INIT;
        struct data_pack_writer *w = data_pack_writer_new(to_sbuf, &again);
        size_t off = 0;
        for (size_t i = 0; i < nobj; i++) {
            int64_t n;
            memcpy(&n, g.index.buf + i * rec + 65, sizeof(n));
            if (data_pack_writer_put(w, g.index.buf + i * rec, g.data.buf + off, (size_t)n, NULL,
                                     &err))
                abort();
            off += (size_t)n;
        }
        if (data_pack_writer_finish(w, NULL, NULL, &err))
            abort();
        data_pack_writer_free(w);
        if (again.len != size || memcmp(again.buf, data, size))
            abort();
        sbuf_release(&again);
    }
    sbuf_release(&g.data);
    sbuf_release(&g.index);
    return 0;
}
