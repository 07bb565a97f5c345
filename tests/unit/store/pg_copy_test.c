/* SPDX-License-Identifier: MIT
 * store/postgres/pg_copy.c: the parser of COPY's binary format, fed byte
 * buffers of the test's making, no server. Good data: values, NULLs, empty
 * fields and rows, a header extension, rows spread over messages, the
 * trailer. Bad data, each refused with -1 and no row from the fault on: a
 * cut header, a wrong signature, extension lengths out of range, field
 * counts and lengths that are negative (other than -1, NULL), too big or
 * past the end. Then every cut of a good message and every byte of it
 * overwritten. Each message is parsed from a buffer of exactly its size
 * and the rows' bytes are all read, so ASan catches a read past the end. */
#include "../test.h"
#include "base/sbuf.h"
#include "store/postgres/pg_int.h"

#include <stdint.h>

#define MAX_ROWS 8

/* What the parser handed over. */
struct seen {
    const unsigned char *base; /* the message being parsed */
    size_t size;
    int rows;
    int n[MAX_ROWS];
    int len[MAX_ROWS][PG_COPY_MAX_FIELDS]; /* -1: NULL */
    int64_t first[MAX_ROWS];               /* the first field as an int8, 0 if not one */
    double third[MAX_ROWS];                /* the third as a float8, 0 if not one */
    unsigned sum;                          /* of every field's bytes, so all are read */
};

static void on_row(void *arg, const struct pg_copy_row *row)
{
    struct seen *s = arg;
    ASSERT(row->n >= 0 && row->n <= PG_COPY_MAX_FIELDS);
    for (int i = 0; i < row->n; i++) {
        if (!row->v[i]) {
            ASSERT_INT_EQ(row->len[i], 0);
            continue;
        }
        ASSERT(row->len[i] >= 0);
        ASSERT(row->v[i] >= s->base && (size_t)(row->v[i] - s->base) + row->len[i] <= s->size);
        for (int k = 0; k < row->len[i]; k++)
            s->sum += row->v[i][k];
    }
    if (s->rows < MAX_ROWS) {
        s->n[s->rows] = row->n;
        for (int i = 0; i < row->n; i++)
            s->len[s->rows][i] = row->v[i] ? row->len[i] : -1;
        s->first[s->rows] = row->n && row->len[0] == 8 ? pg_be_int(row->v[0], 8) : 0;
        s->third[s->rows] = row->n > 2 && row->len[2] == 8 ? pg_be_real(row->v[2], 8) : 0;
    }
    s->rows++;
}

/* Parses n bytes of b as one message, from a copy of exactly that size. */
static int parse_bytes(struct pg_copy_parse *st, const char *b, size_t n, struct seen *s)
{
    unsigned char *p = malloc(n ? n : 1);
    ASSERT(p != NULL);
    memcpy(p, b, n);
    s->base = p;
    s->size = n;
    int rc = pg_copy_parse_message(st, p, n, on_row, s);
    free(p);
    s->base = NULL;
    return rc;
}

static int parse(struct pg_copy_parse *st, const struct sbuf *sb, struct seen *s)
{
    return parse_bytes(st, sb->buf, sb->len, s);
}

/* ---------- building the format ---------- */

static void be(struct sbuf *sb, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--)
        sbuf_addch(sb, (char)(v >> (8 * i) & 0xff));
}

/* The signature, a zero flags word and an extension of ext bytes. */
static void header(struct sbuf *sb, uint32_t ext)
{
    sbuf_add(sb, "PGCOPY\n\377\r\n", 11);
    be(sb, 0, 4);
    be(sb, ext, 4);
    for (uint32_t i = 0; i < ext; i++)
        sbuf_addch(sb, 'x');
}

static void count(struct sbuf *sb, int16_t nf)
{
    be(sb, (uint16_t)nf, 2);
}

static void int8_field(struct sbuf *sb, int64_t v)
{
    be(sb, 8, 4);
    be(sb, (uint64_t)v, 8);
}

static void null_field(struct sbuf *sb)
{
    be(sb, (uint32_t)-1, 4);
}

static void trailer(struct sbuf *sb)
{
    count(sb, -1);
}

/* A whole COPY in one message: rows (7, NULL, 2.5 as a float8) and
 * (8, ""), then the trailer; a header extension of 3 bytes. */
static void good(struct sbuf *sb)
{
    header(sb, 3);
    count(sb, 3);
    int8_field(sb, 7);
    null_field(sb);
    double d = 2.5;
    uint64_t bits;
    memcpy(&bits, &d, sizeof(bits));
    be(sb, 8, 4);
    be(sb, bits, 8);
    count(sb, 2);
    int8_field(sb, 8);
    be(sb, 0, 4); /* an empty text */
    trailer(sb);
}

/* ---------- good data ---------- */

TEST(pg_copy_parse_rows_nulls_and_the_trailer)
{
    struct sbuf sb = SBUF_INIT;
    good(&sb);
    sbuf_add(&sb, "after", 5); /* bytes after the trailer are not read as rows */
    struct pg_copy_parse st = {0, 0};
    struct seen s = {0};
    ASSERT_INT_EQ(parse(&st, &sb, &s), 0);
    ASSERT(st.header_done && st.ended);
    ASSERT_INT_EQ(s.rows, 2);
    ASSERT_INT_EQ(s.n[0], 3);
    ASSERT_INT_EQ(s.first[0], 7);
    ASSERT_INT_EQ(s.len[0][1], -1);
    ASSERT_INT_EQ(s.len[0][2], 8);
    ASSERT(s.third[0] == 2.5);
    ASSERT_INT_EQ(s.n[1], 2);
    ASSERT_INT_EQ(s.first[1], 8);
    ASSERT_INT_EQ(s.len[1][1], 0);

    /* a later message after the trailer: nothing more */
    sbuf_reset(&sb);
    count(&sb, 1);
    int8_field(&sb, 9);
    ASSERT_INT_EQ(parse(&st, &sb, &s), 0);
    ASSERT_INT_EQ(s.rows, 2);
    sbuf_release(&sb);
}

TEST(pg_copy_parse_rows_across_messages)
{
    struct sbuf sb = SBUF_INIT;
    struct pg_copy_parse st = {0, 0};
    struct seen s = {0};
    header(&sb, 0); /* the header alone */
    ASSERT_INT_EQ(parse(&st, &sb, &s), 0);
    ASSERT(st.header_done && !st.ended && s.rows == 0);
    sbuf_reset(&sb); /* an empty message */
    ASSERT_INT_EQ(parse(&st, &sb, &s), 0);
    count(&sb, 1);
    int8_field(&sb, 1);
    count(&sb, 0); /* a row of no fields */
    ASSERT_INT_EQ(parse(&st, &sb, &s), 0);
    ASSERT_INT_EQ(s.rows, 2);
    ASSERT_INT_EQ(s.n[1], 0);
    sbuf_reset(&sb);
    count(&sb, PG_COPY_MAX_FIELDS); /* the most fields a row may have */
    for (int i = 0; i < PG_COPY_MAX_FIELDS; i++)
        int8_field(&sb, i);
    ASSERT_INT_EQ(parse(&st, &sb, &s), 0);
    ASSERT_INT_EQ(s.rows, 3);
    ASSERT(!st.ended);
    sbuf_reset(&sb);
    trailer(&sb);
    ASSERT_INT_EQ(parse(&st, &sb, &s), 0);
    ASSERT(st.ended);
    ASSERT_INT_EQ(s.rows, 3);
    sbuf_release(&sb);
}

/* ---------- bad data ---------- */

/* Parses sb on a fresh state: must fail, with `rows` rows seen before. */
static void refused(const struct sbuf *sb, int rows, const char *what)
{
    struct pg_copy_parse st = {0, 0};
    struct seen s = {0};
    if (parse(&st, sb, &s) != -1)
        FAIL_AT("%s: accepted", what);
    if (s.rows != rows)
        FAIL_AT("%s: %d rows handed over, expected %d", what, s.rows, rows);
    if (st.ended)
        FAIL_AT("%s: taken as ended", what);
}

TEST(pg_copy_parse_refuses_bad_headers)
{
    struct sbuf full = SBUF_INIT, sb = SBUF_INIT;
    header(&full, 0);
    trailer(&full);
    for (size_t n = 0; n < 19; n++) { /* a header cut short */
        sbuf_reset(&sb);
        sbuf_add(&sb, full.buf, n);
        refused(&sb, 0, "a cut header");
    }
    for (size_t i = 0; i < 11; i++) { /* each byte of the signature wrong */
        sbuf_reset(&sb);
        sbuf_add(&sb, full.buf, full.len);
        sb.buf[i] ^= 0x20;
        refused(&sb, 0, "a wrong signature");
    }
    /* extension lengths: negative, past the end by one, far past it */
    const uint32_t ext[] = {0xffffffffu, 0x80000000u, 3, 0x7fffffffu};
    for (size_t i = 0; i < sizeof(ext) / sizeof(*ext); i++) {
        sbuf_reset(&sb);
        sbuf_add(&sb, "PGCOPY\n\377\r\n", 11);
        be(&sb, 0, 4);
        be(&sb, ext[i], 4);
        sbuf_add(&sb, "xy", 2);
        refused(&sb, 0, "a bad extension length");
    }
    /* flags: a critical bit (16: OIDs, 31) is refused, a compatible one (0, 15) is not */
    const uint32_t flags[] = {1u << 16, 1u << 31, (1u << 16) | 1u, 1u, 1u << 15};
    for (size_t i = 0; i < sizeof(flags) / sizeof(*flags); i++) {
        sbuf_reset(&sb);
        sbuf_add(&sb, "PGCOPY\n\377\r\n", 11);
        be(&sb, flags[i], 4);
        be(&sb, 0, 4);
        trailer(&sb);
        if (flags[i] >> 16) {
            refused(&sb, 0, "a critical flag");
            continue;
        }
        struct pg_copy_parse st = {0, 0};
        struct seen s = {0};
        if (parse(&st, &sb, &s) || !st.ended || s.rows)
            FAIL_AT("flags %#x: not read as an empty COPY", (unsigned)flags[i]);
    }
    sbuf_release(&full);
    sbuf_release(&sb);
}

TEST(pg_copy_parse_refuses_bad_rows)
{
    struct sbuf sb = SBUF_INIT;
    /* after a good row, so that it is seen and nothing after it */
#define START()                                                                                    \
    do {                                                                                           \
        sbuf_reset(&sb);                                                                           \
        header(&sb, 0);                                                                            \
        count(&sb, 1);                                                                             \
        int8_field(&sb, 1);                                                                        \
    } while (0)
    START();
    sbuf_addch(&sb, 0); /* one byte of a field count */
    refused(&sb, 1, "a cut field count");
    const int16_t counts[] = {-2, INT16_MIN, PG_COPY_MAX_FIELDS + 1, INT16_MAX};
    for (size_t i = 0; i < sizeof(counts) / sizeof(*counts); i++) {
        START();
        count(&sb, counts[i]);
        for (int k = 0; k < 3; k++)
            int8_field(&sb, k);
        trailer(&sb);
        refused(&sb, 1, "a field count out of range");
    }
    START();
    count(&sb, 2); /* two fields said, one there */
    int8_field(&sb, 2);
    refused(&sb, 1, "fewer fields than counted");
    START();
    count(&sb, 2); /* two fields said, one there, then the trailer */
    int8_field(&sb, 2);
    trailer(&sb);
    refused(&sb, 1, "fewer fields than counted, then the trailer");
    START();
    count(&sb, 1);
    be(&sb, 8, 2); /* half a field length */
    refused(&sb, 1, "a cut field length");
    /* lengths past the end (by one, by far) and negative but not -1 */
    const uint32_t lens[] = {9, 0x7fffffffu, (uint32_t)-2, 0x80000000u, 0xfffffff8u};
    for (size_t i = 0; i < sizeof(lens) / sizeof(*lens); i++) {
        START();
        count(&sb, 1);
        be(&sb, lens[i], 4);
        be(&sb, 0, 8);
        refused(&sb, 1, "a bad field length");
    }
#undef START
    sbuf_release(&sb);
}

/* ---------- every cut and every byte ---------- */

TEST(pg_copy_parse_survives_every_cut_and_overwrite)
{
    struct sbuf sb = SBUF_INIT;
    good(&sb);
    for (size_t cut = 0; cut < sb.len; cut++) {
        /* the first cut bytes, then the rest in a second message */
        struct pg_copy_parse st = {0, 0};
        struct seen s = {0};
        int a = parse_bytes(&st, sb.buf, cut, &s);
        ASSERT(a == 0 || a == -1);
        ASSERT(!st.ended); /* the trailer is the last two bytes */
        ASSERT(s.rows <= 2);
        if (a)
            continue;
        int b = parse_bytes(&st, sb.buf + cut, sb.len - cut, &s);
        if (!b) /* a cut between rows: all of it, as from one message */
            ASSERT(st.ended && s.rows == 2 && s.first[0] == 7 && s.first[1] == 8);
    }
    static const unsigned char values[] = {0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff};
    for (size_t i = 0; i < sb.len; i++) {
        for (size_t k = 0; k < sizeof(values); k++) {
            char *copy = malloc(sb.len);
            ASSERT(copy != NULL);
            memcpy(copy, sb.buf, sb.len);
            copy[i] = (char)values[k];
            struct pg_copy_parse st = {0, 0};
            struct seen s = {0};
            int rc = parse_bytes(&st, copy, sb.len, &s);
            ASSERT(rc == 0 || rc == -1); /* and on_row found every field inside */
            free(copy);
        }
    }
    sbuf_release(&sb);
}
