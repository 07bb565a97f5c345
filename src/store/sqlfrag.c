/* SPDX-License-Identifier: MIT
 * SQL fragments: text plus bound values (sqlfrag.h). Each value's
 * placeholder position is kept so that appending one frag to another can
 * renumber it, for dialects whose placeholders carry numbers ($1, $2). */
#include "store/sqlfrag.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void sql_frag_init(struct sql_frag *f, const struct sql_dialect *d)
{
    f->dialect = d;
    sbuf_init(&f->sql, 0);
    f->binds = NULL;
    f->n = f->alloc = 0;
}

void sql_frag_release(struct sql_frag *f)
{
    if (!f)
        return;
    sbuf_release(&f->sql);
    for (size_t i = 0; i < f->n; i++)
        free(f->binds[i].text);
    free(f->binds);
    f->binds = NULL;
    f->n = f->alloc = 0;
}

/* A new bind slot, its placeholder appended to the text. */
static struct sql_bind *push(struct sql_frag *f, enum sql_bind_type t)
{
    ALLOC_GROW(f->binds, f->n + 1, f->alloc);
    struct sql_bind *b = &f->binds[f->n++];
    memset(b, 0, sizeof(*b));
    b->type = t;
    b->at = f->sql.len;
    f->dialect->placeholder(&f->sql, f->n);
    b->len = f->sql.len - b->at;
    return b;
}

void sql_frag_text(struct sql_frag *f, const char *s)
{
    push(f, SQL_BIND_TEXT)->text = xstrdup(s);
}

void sql_frag_int(struct sql_frag *f, int64_t v)
{
    push(f, SQL_BIND_INT)->i = v;
}

void sql_frag_real(struct sql_frag *f, double v)
{
    push(f, SQL_BIND_REAL)->d = v;
    if (f->dialect->real_cast) /* after the placeholder, which renumbering rewrites */
        sbuf_addstr(&f->sql, f->dialect->real_cast);
}

void sql_frag_append(struct sql_frag *dst, const struct sql_frag *src)
{
    size_t from = 0; /* src text copied so far */
    for (size_t i = 0; i < src->n; i++) {
        const struct sql_bind *b = &src->binds[i];
        sbuf_add(&dst->sql, src->sql.buf + from, b->at - from);
        from = b->at + b->len;
        ALLOC_GROW(dst->binds, dst->n + 1, dst->alloc);
        struct sql_bind *nb = &dst->binds[dst->n++];
        *nb = *b;
        if (b->text)
            nb->text = xstrdup(b->text);
        nb->at = dst->sql.len;
        dst->dialect->placeholder(&dst->sql, dst->n);
        nb->len = dst->sql.len - nb->at;
    }
    sbuf_add(&dst->sql, src->sql.buf + from, src->sql.len - from);
}
