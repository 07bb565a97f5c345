/* SPDX-License-Identifier: MIT
 * Whole results by COPY ... TO STDOUT (FORMAT binary) (pg_int.h's
 * pg_copy_rows). A 100,000-point history read in single-row mode
 * (pg_run_rows) makes libpq build and free one PGresult per row; COPY
 * sends each row as one CopyData message that PQgetCopyData hands over in
 * one buffer, which is parsed here in place.
 *
 * The binary format (PostgreSQL docs, "COPY", "Binary Format"): an
 * 11-byte signature, a 32-bit flags word and a 32-bit header extension
 * length (and that many bytes; a critical flag, bits 16-31, is refused);
 * then per row a 16-bit field count and per
 * field a 32-bit length (-1: NULL) and the bytes; a field count of -1
 * ends the data. The server sends the header with the first row, and every
 * row whole in one message; a row cut across messages is refused as
 * malformed rather than reassembled. The parse (pg_copy_parse_message)
 * needs no connection: tests/unit/store/pg_copy_test.c and
 * tests/fuzz/fuzz_pg_copy.c feed it bytes of their own. */
#include "store/postgres/pg_int.h"

#include <stdint.h>
#include <string.h>

#include "base/banned.h"

static const unsigned char signature[11] = "PGCOPY\n\377\r\n";

static int32_t be32(const unsigned char *p)
{
    return (int32_t)pg_be_int(p, 4);
}

int pg_copy_parse_message(struct pg_copy_parse *st, const unsigned char *p, size_t len,
                          pg_copy_fn fn, void *arg)
{
    size_t off = 0;
    if (!st->header_done) {
        if (len < 19 || memcmp(p, signature, sizeof(signature)))
            return -1;
        /* Flag bits 16-31 mark what a reader must understand (bit 16: each
         * row carries an OID, which nothing here asks for); bits 0-15 may
         * be ignored. */
        if ((uint32_t)be32(p + 11) >> 16)
            return -1;
        int32_t ext = be32(p + 15);
        if (ext < 0 || (size_t)ext > len - 19)
            return -1;
        off = 19 + (size_t)ext;
        st->header_done = 1;
    }
    while (off < len && !st->ended) {
        if (len - off < 2)
            return -1;
        int nf = (int)pg_be_int(p + off, 2);
        off += 2;
        if (nf == -1) {
            st->ended = 1;
            break;
        }
        if (nf < 0 || nf > PG_COPY_MAX_FIELDS)
            return -1;
        struct pg_copy_row row;
        row.n = nf;
        for (int i = 0; i < nf; i++) {
            if (len - off < 4)
                return -1;
            int32_t fl = be32(p + off);
            off += 4;
            if (fl < -1 || (fl > 0 && (size_t)fl > len - off))
                return -1;
            row.v[i] = fl < 0 ? NULL : p + off;
            row.len[i] = fl < 0 ? 0 : fl;
            off += fl < 0 ? 0 : (size_t)fl;
        }
        fn(arg, &row);
    }
    return 0;
}

/* Reads the COPY's data to its end (even after a failure, so that the
 * connection is left idle): 0, or -1 with err set. */
static int read_copy(struct pg_conn *c, struct pg_copy_parse *st, pg_copy_fn fn, void *arg,
                     const char *what, struct ferr *err)
{
    int rc = 0, len;
    char *buf;
    while ((len = PQgetCopyData(c->conn, &buf, 0)) > 0) {
        if (!rc && pg_copy_parse_message(st, (const unsigned char *)buf, (size_t)len, fn, arg))
            rc = ferr_set(err, FERR_INTERNAL_ERROR, "malformed COPY data while %s", what);
        PQfreemem(buf);
    }
    if (len == -2 && !rc)
        rc = pg_fail(c, what, err);
    return rc;
}

int pg_copy_rows(struct pg_conn *c, const char *sql, pg_copy_fn fn, void *arg, const char *what,
                 struct ferr *err)
{
    if (pg_flush_deferred(c, what, err))
        return -1;
    PGresult *r = PQexec(c->conn, sql);
    if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
        pg_fail_result(c, r, what, err);
        PQclear(r);
        while ((r = PQgetResult(c->conn))) /* none left after an error, normally */
            PQclear(r);
        return -1;
    }
    PQclear(r);
    struct pg_copy_parse st = {0, 0};
    int rc = read_copy(c, &st, fn, arg, what, err);
    int done = 0;
    while ((r = PQgetResult(c->conn))) { /* the COPY's own result, to the end */
        if (PQresultStatus(r) == PGRES_COMMAND_OK)
            done = 1;
        else if (!rc)
            rc = (pg_fail_result(c, r, what, err), -1);
        PQclear(r);
    }
    if (!rc && !done) /* no final result: the connection went away */
        return pg_fail(c, what, err);
    if (!rc && !st.ended)
        return ferr_set(err, FERR_INTERNAL_ERROR, "COPY data ended early while %s", what);
    if (!rc)
        c->sqlstate[0] = '\0';
    return rc;
}
