/* SPDX-License-Identifier: MIT
 * MLflow's search-filter and order_by grammars, parsed into an AST. Internal
 * to store/ (and its tests and fuzz target); search_sql.c compiles the AST to
 * SQL.
 *
 *   filter     := or_expr
 *   or_expr    := and_expr { OR and_expr }                 (OR: ferry extension)
 *   and_expr   := unary { AND unary }
 *   unary      := NOT unary | '(' or_expr ')' | comparison (NOT, parens: extension)
 *   comparison := key op value | key [NOT] IN '(' value { ',' value } ')'
 *   key        := entity '.' name | name                   (a bare name is an attribute)
 *   entity     := metric[s] | param[s] | parameter[s] | tag[s] | attribute[s] | attr
 *               | run | dataset[s]                        (runs)
 *               | tag[s] | attribute[s] | attr | trace | request_metadata | metadata
 *                                                          (traces)
 *   op         := = | != | > | >= | < | <= | LIKE | ILIKE
 *   value      := 'single quoted' | "double quoted" | number
 *   order_by   := key [ ASC | DESC ]
 *
 * AND binds tighter than OR, NOT tightest; keywords are case-insensitive.
 * Names may contain dots (metrics.train.loss is the metric "train.loss") or be
 * quoted with backticks, double or single quotes (metrics.`my metric`); an
 * entity may be quoted too (`metrics`.acc). In every quoted text, the quote
 * doubled ('it''s') or preceded by a backslash ('it\'s') stands for itself and
 * "\\" for one backslash; any other backslash is kept as it is. Numbers are
 * decimal (1, -2.5, 3e-4); NaN, infinities and hex are not numbers here.
 *
 * Every comparison is type-checked while parsing (metrics take numbers and
 * numeric comparators, params and tags strings, ...), so an error names the
 * offending token and its 1-based position:
 *   invalid filter 'metrics.acc >>> 0.5': unexpected '>' at position 14 (expected ...)
 * Inputs are bounded so hostile filters cost little: FILTER_MAX_LEN bytes,
 * FILTER_MAX_DEPTH nested parentheses / NOTs, FILTER_MAX_COMPARISONS
 * comparisons and FILTER_MAX_VALUES values. Messages never contain SQL. */
#ifndef FERRY_STORE_FILTER_H
#define FERRY_STORE_FILTER_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include <stddef.h>

#define FILTER_MAX_LEN         (64 * 1024)
#define FILTER_MAX_DEPTH       100
#define FILTER_MAX_COMPARISONS 200
#define FILTER_MAX_VALUES      10000

/* What is being searched: decides which entities and attributes exist. */
enum filter_domain {
    FILTER_RUNS,
    FILTER_EXPERIMENTS,
    FILTER_MODELS,
    FILTER_MODEL_VERSIONS,
    FILTER_LOGGED_MODELS,
    FILTER_TRACES,
};

/* FE_METADATA: a trace's request metadata (request_metadata.x, metadata.x). */
enum fentity { FE_METRIC, FE_PARAM, FE_TAG, FE_ATTR, FE_DATASET, FE_METADATA };

enum fop {
    FOP_EQ,
    FOP_NE,
    FOP_GT,
    FOP_GE,
    FOP_LT,
    FOP_LE,
    FOP_LIKE,
    FOP_ILIKE,
    FOP_IN,
    FOP_NOT_IN
};

enum fnode_kind { FN_AND, FN_OR, FN_NOT, FN_CMP };

struct fvalue {
    int is_num; /* a number (also a quoted integer given to a numeric attribute) */
    double num;
    char *str; /* the unquoted text; the literal text for numbers */
};

/* One AST node. Chains of the same operator are left-deep: a OR b OR c is
 * OR(OR(a, b), c). */
struct fnode {
    enum fnode_kind kind;
    struct fnode *left, *right; /* AND/OR: both operands; NOT: left only */
    /* FN_CMP only: */
    enum fentity entity;
    char *key;   /* metric/param/tag name, or the canonical attribute name */
    int numeric; /* the key holds numbers (metrics, time attributes) */
    enum fop op;
    struct fvalue *values; /* one value, or the IN list (never empty) */
    size_t nvalues;
    size_t pos; /* 1-based position of the key in the filter */
};

/* Parses s (NULL is the empty filter). Returns 0 with *out the AST, NULL for
 * an empty or blank filter; or -1 with *out NULL and err set to
 * INVALID_PARAMETER_VALUE naming the offending token. Free with fnode_free.
 * Thread-safe (no global state). */
int filter_parse(const char *s, enum filter_domain dom, struct fnode **out,
                 struct ferr *err) WARN_UNUSED;
/* Frees a whole tree; accepts NULL. */
void fnode_free(struct fnode *n);

/* One order_by clause: "<key> [ASC|DESC]". */
struct forder {
    enum fentity entity; /* FE_METRIC, FE_PARAM, FE_TAG or FE_ATTR */
    char *key;           /* the name, or the canonical attribute name */
    int descending;
};

/* Parses one order_by clause into *out (release with forder_release). Runs
 * order by metrics, params, tags and attributes; experiments by the
 * attributes name, experiment_id, creation_time and last_update_time;
 * traces by attributes, tags and request metadata. Trace attributes
 * name and run_id stand for the tag mlflow.traceName and the request
 * metadata mlflow.sourceRun, as MLflow reads them. Errors
 * as filter_parse; *out is then empty. */
int filter_parse_order(const char *s, enum filter_domain dom, struct forder *out,
                       struct ferr *err) WARN_UNUSED;
/* Frees o's contents; accepts NULL. */
void forder_release(struct forder *o);

/* "=", "!=", ..., "LIKE", "NOT IN". */
const char *fop_name(enum fop op);

/* Appends at most max bytes of s[0..n) to sb, cut at a character boundary
 * (then "..." follows), with control characters and invalid UTF-8 shown as
 * '?': user text made safe for an error message, which must stay valid UTF-8
 * for the JSON answer. */
void filter_add_snippet(struct sbuf *sb, const char *s, size_t n, size_t max);
/* Sets err to INVALID_PARAMETER_VALUE with
 *   "invalid <what> '<input>': <problem>"
 * the input shortened with filter_add_snippet and the whole message cut at a
 * character boundary to fit. The problem text must already be safe (see
 * filter_add_snippet). Returns -1. */
int filter_fail(struct ferr *err, const char *what, const char *input, const char *problem);

#endif
