/* SPDX-License-Identifier: MIT
 * MLflow's search-filter grammar, parsed into an AST. Internal to store/
 * (and its tests and fuzz target); search_sql.c compiles the AST to SQL.
 *
 *   filter     := or_expr
 *   or_expr    := and_expr { OR and_expr }          (ferry extension)
 *   and_expr   := unary { AND unary }
 *   unary      := NOT unary | '(' or_expr ')' | comparison   (NOT, parens: extension)
 *   comparison := key op value | key [NOT] IN '(' value {',' value} ')'
 *   key        := entity '.' name | entity '.' quoted | attribute
 *   entity     := metric[s] | param[s] | tag[s] | attribute[s] | attr | run | dataset[s]
 *   op         := = | != | > | >= | < | <= | LIKE | ILIKE
 *   value      := 'single' | "double" | number
 * Names may contain dots (metrics.train.loss has the key "train.loss") or be
 * quoted with backticks or double quotes. Keywords are case-insensitive.
 * Every comparison is type-checked here (metrics take numbers, params and tags
 * strings, ...) so errors name the token and its position. */
#ifndef FERRY_STORE_FILTER_H
#define FERRY_STORE_FILTER_H

#include "base/ferr.h"
#include <stddef.h>

/* What is being searched: decides which entities and attributes exist. */
enum filter_domain { FILTER_RUNS, FILTER_EXPERIMENTS };

enum fentity { FE_METRIC, FE_PARAM, FE_TAG, FE_ATTR, FE_DATASET };

enum fop { FOP_EQ, FOP_NE, FOP_GT, FOP_GE, FOP_LT, FOP_LE, FOP_LIKE, FOP_ILIKE, FOP_IN, FOP_NOT_IN };

enum fnode_kind { FN_AND, FN_OR, FN_NOT, FN_CMP };

struct fvalue {
    int is_num;
    double num;
    char *str; /* the literal text; for numbers too */
};

struct fnode {
    enum fnode_kind kind;
    struct fnode *left, *right; /* AND/OR: both; NOT: left */
    /* FN_CMP */
    enum fentity entity;
    char *key; /* metric/param/tag name, or the canonical attribute name */
    enum fop op;
    struct fvalue *values; /* one, or the IN list */
    size_t nvalues;
};

/* Parses s. Returns 0 with *out the AST (NULL for an empty or blank filter),
 * or -1 with err INVALID_PARAMETER_VALUE naming the offending token. */
int filter_parse(const char *s, enum filter_domain dom, struct fnode **out,
                 struct ferr *err) WARN_UNUSED;
void fnode_free(struct fnode *n);

/* One order_by clause: "<key> [ASC|DESC]". */
struct forder {
    enum fentity entity;
    char *key;
    int descending;
};

int filter_parse_order(const char *s, enum filter_domain dom, struct forder *out,
                       struct ferr *err) WARN_UNUSED;
void forder_release(struct forder *o);

const char *fop_name(enum fop op);

#endif
