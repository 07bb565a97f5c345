/* SPDX-License-Identifier: MIT */
#include "store/sqlfrag.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

void sql_frag_init(struct sql_frag *f)
{
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

static struct sql_bind *push(struct sql_frag *f, enum sql_bind_type t)
{
    ALLOC_GROW(f->binds, f->n + 1, f->alloc);
    struct sql_bind *b = &f->binds[f->n++];
    memset(b, 0, sizeof(*b));
    b->type = t;
    sbuf_addch(&f->sql, '?');
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
}

void sql_frag_append(struct sql_frag *dst, const struct sql_frag *src)
{
    sbuf_add(&dst->sql, src->sql.buf, src->sql.len);
    for (size_t i = 0; i < src->n; i++) {
        ALLOC_GROW(dst->binds, dst->n + 1, dst->alloc);
        dst->binds[dst->n] = src->binds[i];
        if (src->binds[i].text)
            dst->binds[dst->n].text = xstrdup(src->binds[i].text);
        dst->n++;
    }
}
