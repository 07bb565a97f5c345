/* SPDX-License-Identifier: MIT
 * Tokenizer and recursive-descent parser for search filters and order_by
 * clauses (grammar in filter.h). The whole input is tokenized first; the
 * parser then walks the token array. Inputs are bounded (64 KiB, nesting
 * depth 64) so hostile filters cost little. */
#include "store/filter.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

#define MAX_FILTER_LEN (64 * 1024)
#define MAX_DEPTH      64

enum tok { T_EOF, T_IDENT, T_STRING, T_DQUOTED, T_BACKTICK, T_NUMBER, T_OP, T_LP, T_RP, T_COMMA };

struct token {
    enum tok t;
    size_t pos;   /* 1-based column in the input */
    char *text;   /* identifier, operator, unescaped string, or number text */
    double num;
};

struct parser {
    const char *input;
    enum filter_domain dom;
    struct token *toks;
    size_t n, alloc, i;
    int depth;
    struct ferr *err;
};

const char *fop_name(enum fop op)
{
    static const char *const names[] = {"=", "!=", ">", ">=", "<", "<=",
                                        "LIKE", "ILIKE", "IN", "NOT IN"};
    return names[op];
}

/* "invalid search expression '<input>': <what> '<tok>' <hint> at position N" */
static int fail_hint(struct parser *p, size_t pos, const char *what, const char *tok,
                     const char *hint)
{
    return ferr_set(p->err, FERR_INVALID_PARAMETER_VALUE,
                    "invalid search expression '%.80s%s': %s%s%.60s%s%s%s at position %zu",
                    p->input, strlen(p->input) > 80 ? "..." : "", what, tok ? " '" : "",
                    tok ? tok : "", tok ? "'" : "", hint ? " " : "", hint ? hint : "", pos);
}

static int fail(struct parser *p, size_t pos, const char *what, const char *tok)
{
    return fail_hint(p, pos, what, tok, NULL);
}

static void push(struct parser *p, enum tok t, size_t pos, char *text)
{
    ALLOC_GROW(p->toks, p->n + 1, p->alloc);
    p->toks[p->n++] = (struct token){t, pos, text, 0};
}

static int ident_char(unsigned char c, int first)
{
    if (isalpha(c) || c == '_' || c >= 0x80)
        return 1;
    return !first && (isdigit(c) || c == '.' || c == '-' || c == '/' || c == ':');
}

/* A quoted string starting at s[*i] (the quote char q); '' or \q escape q. */
static int lex_quoted(struct parser *p, size_t *i, char q, enum tok t)
{
    const char *s = p->input;
    size_t start = *i;
    struct sbuf sb = SBUF_INIT;
    for ((*i)++; s[*i]; (*i)++) {
        if (s[*i] == '\\' && (s[*i + 1] == q || s[*i + 1] == '\\')) {
            sbuf_addch(&sb, s[++*i]);
        } else if (s[*i] == q && s[*i + 1] == q) {
            sbuf_addch(&sb, q);
            (*i)++;
        } else if (s[*i] == q) {
            (*i)++;
            push(p, t, start + 1, sbuf_detach(&sb, NULL));
            return 0;
        } else {
            sbuf_addch(&sb, s[*i]);
        }
    }
    sbuf_release(&sb);
    return fail(p, start + 1, "unterminated quoted string starting", NULL);
}

static int lex_number(struct parser *p, size_t *i)
{
    const char *s = p->input + *i;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || isnan(v) || isinf(v) || ident_char((unsigned char)*end, 0))
        return fail(p, *i + 1, "invalid number", NULL);
    push(p, T_NUMBER, *i + 1, xstrndup(s, (size_t)(end - s)));
    p->toks[p->n - 1].num = v;
    *i += (size_t)(end - s);
    return 0;
}

static int lex_op(struct parser *p, size_t *i)
{
    const char *s = p->input + *i;
    static const char *const ops[] = {"!=", ">=", "<=", "=", ">", "<"};
    if (!strncmp(s, "<>", 2) || !strncmp(s, "==", 2))
        return fail(p, *i + 1, "unsupported comparator", s[0] == '<' ? "<>" : "==");
    for (size_t k = 0; k < sizeof(ops) / sizeof(*ops); k++) {
        size_t n = strlen(ops[k]);
        if (!strncmp(s, ops[k], n)) {
            push(p, T_OP, *i + 1, xstrdup(ops[k]));
            *i += n;
            return 0;
        }
    }
    char c[2] = {s[0], 0};
    return fail(p, *i + 1, "unexpected character", c);
}

static int tokenize(struct parser *p)
{
    const char *s = p->input;
    size_t i = 0;
    while (s[i]) {
        unsigned char c = (unsigned char)s[i];
        if (isspace(c)) {
            i++;
        } else if (c == '\'' || c == '"' || c == '`') {
            if (lex_quoted(p, &i, (char)c, c == '\'' ? T_STRING : c == '"' ? T_DQUOTED : T_BACKTICK))
                return -1;
        } else if (c == '(' || c == ')' || c == ',') {
            push(p, c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA, i + 1, NULL);
            i++;
        } else if (isdigit(c) || ((c == '-' || c == '+' || c == '.') &&
                                  (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '.'))) {
            if (lex_number(p, &i))
                return -1;
        } else if (ident_char(c, 1)) {
            size_t st = i;
            while (ident_char((unsigned char)s[i], 0))
                i++;
            push(p, T_IDENT, st + 1, xstrndup(s + st, i - st));
        } else if (lex_op(p, &i)) {
            return -1;
        }
    }
    push(p, T_EOF, i + 1, NULL);
    return 0;
}

static struct token *cur(struct parser *p)
{
    return &p->toks[p->i];
}

static int is_kw(const struct token *t, const char *kw)
{
    return t->t == T_IDENT && !strcasecmp(t->text, kw);
}

static const char *tok_text(const struct token *t)
{
    switch (t->t) {
    case T_EOF:
        return "end of input";
    case T_LP:
        return "(";
    case T_RP:
        return ")";
    case T_COMMA:
        return ",";
    default:
        return t->text;
    }
}

static int unexpected(struct parser *p, const char *expected)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "expected %s, got", expected);
    int rc = fail(p, cur(p)->pos, sb.buf, tok_text(cur(p)));
    sbuf_release(&sb);
    return rc;
}

/* Attribute tables: canonical name, numeric?, aliases. */
struct attr {
    const char *name, *canonical;
    int numeric;
};

static const struct attr run_attrs[] = {
    {"run_id", "run_id", 0},           {"run_name", "run_name", 0},
    {"status", "status", 0},           {"user_id", "user_id", 0},
    {"artifact_uri", "artifact_uri", 0}, {"lifecycle_stage", "lifecycle_stage", 0},
    {"start_time", "start_time", 1},   {"end_time", "end_time", 1},
    {"created", "start_time", 1},      {"Created", "start_time", 1},
    {NULL, NULL, 0},
};

static const struct attr experiment_attrs[] = {
    {"name", "name", 0},
    {"experiment_id", "experiment_id", 1},
    {"creation_time", "creation_time", 1},
    {"last_update_time", "last_update_time", 1},
    {NULL, NULL, 0},
};

static const struct attr dataset_attrs[] = {
    {"name", "name", 0}, {"digest", "digest", 0}, {"context", "context", 0}, {NULL, NULL, 0}};

static const struct attr *find_attr(const struct attr *tab, const char *name)
{
    for (; tab->name; tab++)
        if (!strcmp(tab->name, name))
            return tab;
    return NULL;
}

static int entity_of(const char *prefix, size_t n, enum filter_domain dom, enum fentity *out)
{
    static const struct {
        const char *name;
        enum fentity e;
        int runs_only;
    } tab[] = {
        {"metric", FE_METRIC, 1},   {"metrics", FE_METRIC, 1},     {"param", FE_PARAM, 1},
        {"params", FE_PARAM, 1},    {"parameter", FE_PARAM, 1},    {"parameters", FE_PARAM, 1},
        {"tag", FE_TAG, 0},         {"tags", FE_TAG, 0},           {"attribute", FE_ATTR, 0},
        {"attributes", FE_ATTR, 0}, {"attr", FE_ATTR, 0},          {"run", FE_ATTR, 1},
        {"dataset", FE_DATASET, 1}, {"datasets", FE_DATASET, 1},
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(*tab); i++) {
        if (strlen(tab[i].name) == n && !strncasecmp(tab[i].name, prefix, n) &&
            (dom == FILTER_RUNS || !tab[i].runs_only)) {
            *out = tab[i].e;
            return 0;
        }
    }
    return -1;
}

/* Parses a key (entity + name); *numeric_attr tells attribute typing. */
static int parse_key(struct parser *p, enum fentity *ent, char **key, int *numeric)
{
    struct token *t = cur(p);
    *numeric = 0;
    if (t->t != T_IDENT)
        return unexpected(p, "a key such as metrics.acc or params.lr");
    const char *dot = strchr(t->text, '.');
    size_t pos = t->pos;
    const char *name;
    if (!dot) {
        *ent = FE_ATTR; /* a bare name is an attribute */
        name = t->text;
        p->i++;
    } else {
        if (entity_of(t->text, (size_t)(dot - t->text), p->dom, ent)) {
            struct sbuf sb = SBUF_INIT;
            sbuf_add(&sb, t->text, (size_t)(dot - t->text));
            int rc = fail_hint(p, pos, "unknown entity type", sb.buf,
                               p->dom == FILTER_RUNS
                                   ? "(expected metrics, params, tags, attributes or datasets)"
                                   : "(expected tags or attributes)");
            sbuf_release(&sb);
            return rc;
        }
        name = dot + 1;
        p->i++;
        if (!*name) { /* metrics.`quoted name` */
            t = cur(p);
            if (t->t != T_BACKTICK && t->t != T_DQUOTED)
                return unexpected(p, "a name after the entity's '.'");
            name = t->text;
            p->i++;
        }
    }
    if (!*name)
        return fail(p, pos, "empty key", NULL);
    if (*ent == FE_ATTR || *ent == FE_DATASET) {
        const struct attr *tab = *ent == FE_DATASET    ? dataset_attrs
                                 : p->dom == FILTER_RUNS ? run_attrs
                                                         : experiment_attrs;
        const struct attr *a = find_attr(tab, name);
        if (!a)
            return fail(p, pos, *ent == FE_DATASET ? "unknown dataset attribute"
                                                   : "unknown attribute",
                        name);
        *numeric = a->numeric;
        name = a->canonical;
    }
    *key = xstrdup(name);
    return 0;
}

static int parse_op(struct parser *p, enum fop *op)
{
    struct token *t = cur(p);
    static const char *const sym[] = {"=", "!=", ">", ">=", "<", "<="};
    if (t->t == T_OP) {
        for (int k = 0; k < 6; k++)
            if (!strcmp(t->text, sym[k]))
                *op = (enum fop)k;
    } else if (is_kw(t, "LIKE")) {
        *op = FOP_LIKE;
    } else if (is_kw(t, "ILIKE")) {
        *op = FOP_ILIKE;
    } else if (is_kw(t, "IN")) {
        *op = FOP_IN;
    } else if (is_kw(t, "NOT") && is_kw(&p->toks[p->i + 1], "IN")) {
        *op = FOP_NOT_IN;
        p->i++;
    } else {
        return unexpected(p, "a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN)");
    }
    p->i++;
    return 0;
}

static int parse_value(struct parser *p, struct fvalue *v)
{
    struct token *t = cur(p);
    if (t->t == T_STRING || t->t == T_DQUOTED) {
        v->is_num = 0;
    } else if (t->t == T_NUMBER) {
        v->is_num = 1;
        v->num = t->num;
    } else {
        return unexpected(p, "a value (a quoted string or a number)");
    }
    v->str = xstrdup(t->text);
    p->i++;
    return 0;
}

static int parse_values(struct parser *p, struct fnode *n)
{
    if (n->op != FOP_IN && n->op != FOP_NOT_IN) {
        n->values = xcalloc(1, sizeof(*n->values));
        if (parse_value(p, &n->values[0]))
            return -1;
        n->nvalues = 1;
        return 0;
    }
    if (cur(p)->t != T_LP)
        return unexpected(p, "'(' to start the IN list");
    p->i++;
    size_t alloc = 0;
    for (;;) {
        ALLOC_GROW(n->values, n->nvalues + 1, alloc);
        memset(&n->values[n->nvalues], 0, sizeof(*n->values));
        if (parse_value(p, &n->values[n->nvalues]))
            return -1;
        n->nvalues++;
        if (cur(p)->t == T_RP)
            break;
        if (cur(p)->t != T_COMMA)
            return unexpected(p, "',' or ')' in the IN list");
        p->i++;
    }
    p->i++;
    return 0;
}

/* Which comparators and value types each kind of key takes (MLflow's rules;
 * IN / NOT IN are allowed on every string-valued key, a ferry superset). */
static int check_types(struct parser *p, struct fnode *n, int numeric, size_t pos)
{
    int numeric_key = n->entity == FE_METRIC || (n->entity == FE_ATTR && numeric);
    int ordering = n->op >= FOP_GT && n->op <= FOP_LE;
    int textual = n->op >= FOP_LIKE;
    if (numeric_key && textual)
        return fail(p, pos, "this comparator is not allowed for numeric keys:", fop_name(n->op));
    if (!numeric_key && ordering)
        return fail(p, pos, "this comparator is only allowed for metrics and numeric attributes:",
                    fop_name(n->op));
    for (size_t i = 0; i < n->nvalues; i++) {
        struct fvalue *v = &n->values[i];
        if (numeric_key && !v->is_num) {
            /* a quoted number is fine for time attributes: created > '1700000000000' */
            char *end;
            double d = strtod(v->str, &end);
            if (n->entity == FE_METRIC || !*v->str || *end)
                return fail(p, pos, "expected a number to compare with", n->key);
            v->is_num = 1;
            v->num = d;
        }
        if (!numeric_key && v->is_num)
            return fail(p, pos, "expected a quoted string to compare with", n->key);
    }
    return 0;
}

static int parse_or(struct parser *p, struct fnode **out);

static int parse_cmp(struct parser *p, struct fnode **out)
{
    struct fnode *n = xcalloc(1, sizeof(*n));
    n->kind = FN_CMP;
    *out = n;
    size_t pos = cur(p)->pos;
    int numeric;
    if (parse_key(p, &n->entity, &n->key, &numeric) || parse_op(p, &n->op) ||
        parse_values(p, n) || check_types(p, n, numeric, pos))
        return -1;
    return 0;
}

static int parse_unary(struct parser *p, struct fnode **out)
{
    *out = NULL;
    if (++p->depth > MAX_DEPTH)
        return fail(p, cur(p)->pos, "expression nested too deeply", NULL);
    int rc;
    if (is_kw(cur(p), "NOT")) {
        p->i++;
        struct fnode *n = xcalloc(1, sizeof(*n));
        n->kind = FN_NOT;
        *out = n;
        rc = parse_unary(p, &n->left);
    } else if (cur(p)->t == T_LP) {
        p->i++;
        rc = parse_or(p, out);
        if (!rc && cur(p)->t != T_RP)
            rc = unexpected(p, "')'");
        if (!rc)
            p->i++;
    } else {
        rc = parse_cmp(p, out);
    }
    p->depth--;
    return rc;
}

static int parse_binary(struct parser *p, struct fnode **out, int is_or)
{
    int rc = is_or ? parse_binary(p, out, 0) : parse_unary(p, out);
    while (!rc && is_kw(cur(p), is_or ? "OR" : "AND")) {
        p->i++;
        struct fnode *n = xcalloc(1, sizeof(*n));
        n->kind = is_or ? FN_OR : FN_AND;
        n->left = *out;
        *out = n;
        rc = is_or ? parse_binary(p, &n->right, 0) : parse_unary(p, &n->right);
    }
    return rc;
}

static int parse_or(struct parser *p, struct fnode **out)
{
    return parse_binary(p, out, 1);
}

static void parser_release(struct parser *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->toks[i].text);
    free(p->toks);
}

static int start(struct parser *p, const char *s, enum filter_domain dom, struct ferr *err)
{
    memset(p, 0, sizeof(*p));
    p->input = s;
    p->dom = dom;
    p->err = err;
    if (strlen(s) > MAX_FILTER_LEN)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "search expression too long (%zu bytes, at most %d)", strlen(s),
                        MAX_FILTER_LEN);
    return tokenize(p);
}

int filter_parse(const char *s, enum filter_domain dom, struct fnode **out, struct ferr *err)
{
    struct parser p;
    *out = NULL;
    int rc = start(&p, s ? s : "", dom, err);
    if (!rc && p.toks[0].t != T_EOF) {
        rc = parse_or(&p, out);
        if (!rc && cur(&p)->t != T_EOF)
            rc = unexpected(&p, "AND, OR or the end of the filter");
    }
    parser_release(&p);
    if (rc) {
        fnode_free(*out);
        *out = NULL;
    }
    return rc;
}

void fnode_free(struct fnode *n)
{
    if (!n)
        return;
    fnode_free(n->left);
    fnode_free(n->right);
    free(n->key);
    for (size_t i = 0; i < n->nvalues; i++)
        free(n->values[i].str);
    free(n->values);
    free(n);
}

int filter_parse_order(const char *s, enum filter_domain dom, struct forder *out,
                       struct ferr *err)
{
    struct parser p;
    int numeric;
    memset(out, 0, sizeof(*out));
    int rc = start(&p, s ? s : "", dom, err);
    if (!rc)
        rc = parse_key(&p, &out->entity, &out->key, &numeric);
    if (!rc && out->entity == FE_DATASET)
        rc = fail(&p, 1, "cannot order by a dataset attribute", NULL);
    if (!rc && (is_kw(cur(&p), "ASC") || is_kw(cur(&p), "DESC"))) {
        out->descending = is_kw(cur(&p), "DESC");
        p.i++;
    }
    if (!rc && cur(&p)->t != T_EOF)
        rc = unexpected(&p, "ASC, DESC or the end of the order_by clause");
    parser_release(&p);
    if (rc)
        forder_release(out);
    return rc;
}

void forder_release(struct forder *o)
{
    if (!o)
        return;
    free(o->key);
    o->key = NULL;
}
