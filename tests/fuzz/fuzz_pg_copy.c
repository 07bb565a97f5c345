/* SPDX-License-Identifier: MIT
 * libFuzzer target: the parser of PostgreSQL's COPY binary format
 * (store/postgres/pg_copy.c), which reads what a server sends. The input is
 * parsed as one message, then again as two (cut where its first byte says)
 * sharing one parse. Each message is a copy of exactly its size, every
 * field handed over must lie inside it and is read whole, and the parse
 * must answer 0 or -1. Nothing may crash, leak or trip UBSan. */
#include "store/postgres/pg_int.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct msg {
    const unsigned char *p;
    size_t len;
    unsigned sum;
};

static void on_row(void *arg, const struct pg_copy_row *row)
{
    struct msg *m = arg;
    if (row->n < 0 || row->n > PG_COPY_MAX_FIELDS)
        abort();
    for (int i = 0; i < row->n; i++) {
        if (!row->v[i]) {
            if (row->len[i])
                abort();
            continue;
        }
        if (row->len[i] < 0 || row->v[i] < m->p || (size_t)(row->v[i] - m->p) > m->len ||
            (size_t)row->len[i] > m->len - (size_t)(row->v[i] - m->p))
            abort();
        for (int k = 0; k < row->len[i]; k++)
            m->sum += row->v[i][k];
    }
}

/* One message of n bytes at d, from a copy of that size: 0 or -1. */
static int parse(struct pg_copy_parse *st, const uint8_t *d, size_t n)
{
    unsigned char *p = malloc(n ? n : 1);
    if (!p)
        return -1;
    memcpy(p, d, n);
    struct msg m = {p, n, 0};
    int rc = pg_copy_parse_message(st, p, n, on_row, &m);
    free(p);
    if (rc != 0 && rc != -1)
        abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pg_copy_parse one = {0, 0};
    (void)parse(&one, data, size);
    if (size) {
        size_t cut = (size_t)data[0] * size / 256;
        struct pg_copy_parse two = {0, 0};
        if (!parse(&two, data, cut))
            (void)parse(&two, data + cut, size - cut);
    }
    return 0;
}
