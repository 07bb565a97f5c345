/* SPDX-License-Identifier: MIT
 * Tokenizer and recursive-descent parser for search filters and order_by
 * clauses (grammar and limits in filter.h). The whole input is tokenized
 * first; the parser then walks the token array, type-checking each comparison
 * as it goes. Nothing here knows SQL: search_sql.c compiles the AST. */
#include "store/filter.h"
#include "base/utf8.h"
#include "domain/trace.h"
#include "base/xalloc.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

#define INPUT_SNIPPET 48 /* bytes of the input quoted in a message */
#define TOKEN_SNIPPET 32 /* bytes of a token or key quoted in a message */

enum tok { T_EOF, T_WORD, T_SQUOTE, T_DQUOTE, T_BTICK, T_NUMBER, T_OP, T_LP, T_RP, T_COMMA };

struct token {
    enum tok t;
    size_t pos; /* 0-based byte offset in the input */
    size_t len; /* bytes of input it spans */
    int glued;  /* no white space before it */
    char *text; /* word, operator, unquoted text or number literal; NULL otherwise */
    double num; /* T_NUMBER */
};

struct parser {
    const char *input;
    const char *what; /* "filter" or "order_by clause", for messages */
    enum filter_domain dom;
    struct token *toks;
    size_t n, alloc, i;
    int depth;
    size_t ncmp, nvalues;
    struct ferr *err;
};

/* A parsed key: entity and name. */
struct keyref {
    enum fentity entity;
    char *key;
    int numeric;
    size_t pos; /* 0-based */
};

const char *fop_name(enum fop op)
{
    static const char *const names[] = {"=",  "!=",   ">",     ">=", "<",
                                        "<=", "LIKE", "ILIKE", "IN", "NOT IN"};
    return names[op];
}

/* ---------- messages ---------- */

void filter_add_snippet(struct sbuf *sb, const char *s, size_t n, size_t max)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t used = 0;
    for (size_t i = 0; i < n;) {
        size_t len = utf8_seq(u + i, n - i);
        if (used + (len ? len : 1) > max) {
            sbuf_addstr(sb, "...");
            return;
        }
        if (!len || (len == 1 && (u[i] < 0x20 || u[i] == 0x7f)))
            sbuf_addch(sb, '?');
        else
            sbuf_add(sb, s + i, len);
        used += len ? len : 1;
        i += len ? len : 1;
    }
}

int filter_fail(struct ferr *err, const char *what, const char *input, const char *problem)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "invalid %s '", what);
    filter_add_snippet(&sb, input, strlen(input), INPUT_SNIPPET);
    sbuf_addf(&sb, "': %s", problem);
    size_t cut = sizeof(err->msg) - 1;
    if (sb.len > cut) { /* keep whole characters */
        while (cut > 0 && ((unsigned char)sb.buf[cut] & 0xC0) == 0x80)
            cut--;
        sbuf_setlen(&sb, cut);
    }
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s", sb.buf);
    sbuf_release(&sb);
    return -1;
}

/* Fails with "<problem> at position <pos+1>[ (<hint>)]"; any user text in
 * problem must be sanitized already. */
static int fail(struct parser *p, size_t pos, const char *problem, const char *hint)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "%s at position %zu", problem, pos + 1);
    if (hint)
        sbuf_addf(&sb, " (%s)", hint);
    int rc = filter_fail(p->err, p->what, p->input, sb.buf);
    sbuf_release(&sb);
    return rc;
}

/* Appends a token as the user wrote it: quoted tokens with their quotes,
 * others in single quotes, the end as "end of input". */
static void add_token(struct sbuf *sb, const struct parser *p, const struct token *t)
{
    if (t->t == T_EOF) {
        sbuf_addstr(sb, "end of input");
        return;
    }
    int quoted = t->t == T_SQUOTE || t->t == T_DQUOTE || t->t == T_BTICK;
    if (!quoted)
        sbuf_addch(sb, '\'');
    filter_add_snippet(sb, p->input + t->pos, t->len, TOKEN_SNIPPET);
    if (!quoted)
        sbuf_addch(sb, '\'');
}

/* Fails with "<before><the token> at position N (hint)". */
static int fail_tok(struct parser *p, const struct token *t, const char *before, const char *hint)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, before);
    add_token(&sb, p, t);
    int rc = fail(p, t->pos, sb.buf, hint);
    sbuf_release(&sb);
    return rc;
}

/* Fails with "<before>'<text>' at position N (hint)" for user text. */
static int fail_text(struct parser *p, size_t pos, const char *before, const char *text, size_t n,
                     const char *hint)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "%s'", before);
    filter_add_snippet(&sb, text, n, TOKEN_SNIPPET);
    sbuf_addch(&sb, '\'');
    int rc = fail(p, pos, sb.buf, hint);
    sbuf_release(&sb);
    return rc;
}

static struct token *cur(struct parser *p)
{
    return &p->toks[p->i];
}

/* The token k after the current one (the final T_EOF when past the end). */
static struct token *peek(struct parser *p, size_t k)
{
    return &p->toks[p->i + k < p->n ? p->i + k : p->n - 1];
}

static int unexpected(struct parser *p, const char *expected)
{
    return fail_tok(p, cur(p), "unexpected ", expected);
}

/* ---------- tokenizer ---------- */

static void push(struct parser *p, enum tok t, size_t pos, size_t end, char *text)
{
    ALLOC_GROW(p->toks, p->n + 1, p->alloc);
    int glued = pos > 0 && !isspace((unsigned char)p->input[pos - 1]);
    p->toks[p->n++] = (struct token){t, pos, end - pos, glued, text, 0};
}

static int word_char(unsigned char c, int first)
{
    if (isalpha(c) || c == '_' || c >= 0x80)
        return 1;
    return !first && (isdigit(c) || c == '.' || c == '-' || c == '/' || c == ':');
}

/* A quoted text starting at input[*i] (the quote q). The quote doubled or
 * after a backslash stands for itself; a doubled backslash for one. */
static int lex_quoted(struct parser *p, size_t *i, enum tok t)
{
    const char *s = p->input;
    size_t start = *i;
    char q = s[start];
    struct sbuf sb = SBUF_INIT;
    for (size_t k = start + 1; s[k]; k++) {
        if (s[k] == '\\' && (s[k + 1] == q || s[k + 1] == '\\')) {
            sbuf_addch(&sb, s[++k]);
        } else if (s[k] == q && s[k + 1] == q) {
            sbuf_addch(&sb, q);
            k++;
        } else if (s[k] == q) {
            *i = k + 1;
            push(p, t, start, *i, sbuf_detach(&sb, NULL));
            return 0;
        } else {
            sbuf_addch(&sb, s[k]);
        }
    }
    sbuf_release(&sb);
    return fail(p, start, "unterminated quoted string", "add the closing quote");
}

/* Length of a decimal number at s ([+-] digits [. digits] [e [+-] digits]),
 * 0 if there is none. */
static size_t number_len(const char *s)
{
    size_t k = (*s == '+' || *s == '-') ? 1 : 0, digits = 0;
    while (isdigit((unsigned char)s[k]))
        k++, digits++;
    if (s[k] == '.')
        for (k++; isdigit((unsigned char)s[k]); k++)
            digits++;
    if (!digits)
        return 0;
    if (s[k] == 'e' || s[k] == 'E') {
        size_t e = k + 1 + (s[k + 1] == '+' || s[k + 1] == '-');
        if (!isdigit((unsigned char)s[e]))
            return 0;
        while (isdigit((unsigned char)s[e]))
            e++;
        k = e;
    }
    return k;
}

static int lex_number(struct parser *p, size_t *i)
{
    const char *s = p->input + *i;
    size_t n = number_len(s), end = n;
    while (s[end] && word_char((unsigned char)s[end], 0))
        end++;
    if (!n || end != n)
        return fail_text(p, *i, "invalid number ", s, end ? end : 1, NULL);
    char *text = xstrndup(s, n);
    double v = strtod(text, NULL);
    if (isinf(v) || isnan(v)) {
        free(text);
        return fail_text(p, *i, "out-of-range number ", s, n, NULL);
    }
    push(p, T_NUMBER, *i, *i + n, text);
    p->toks[p->n - 1].num = v;
    *i += n;
    return 0;
}

static int lex_op(struct parser *p, size_t *i)
{
    static const char *const ops[] = {"!=", ">=", "<=", "=", ">", "<"};
    const char *s = p->input + *i;
    if (!strncmp(s, "<>", 2) || !strncmp(s, "==", 2))
        return fail_text(p, *i, "unsupported comparator ", s, 2, s[0] == '<' ? "use !=" : "use =");
    for (size_t k = 0; k < sizeof(ops) / sizeof(*ops); k++) {
        size_t n = strlen(ops[k]);
        if (!strncmp(s, ops[k], n)) {
            push(p, T_OP, *i, *i + n, xstrdup(ops[k]));
            *i += n;
            return 0;
        }
    }
    return fail_text(p, *i, "unexpected character ", s, 1, NULL);
}

static int starts_number(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    return isdigit((unsigned char)s[0]) || (s[0] == '.' && isdigit((unsigned char)s[1]));
}

/* One token at input[*i] (not white space). */
static int lex_one(struct parser *p, size_t *i)
{
    const char *s = p->input;
    unsigned char c = (unsigned char)s[*i];
    enum tok prev = p->n ? p->toks[p->n - 1].t : T_EOF;
    int after_quote = *i > 0 && (prev == T_BTICK || prev == T_DQUOTE || prev == T_SQUOTE) &&
                      p->toks[p->n - 1].pos + p->toks[p->n - 1].len == *i;
    if (c == '\'' || c == '"' || c == '`')
        return lex_quoted(p, i, c == '\'' ? T_SQUOTE : c == '"' ? T_DQUOTE : T_BTICK);
    if (c == '(' || c == ')' || c == ',') {
        push(p, c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA, *i, *i + 1, NULL);
        (*i)++;
        return 0;
    }
    if (word_char(c, 1) || (c == '.' && after_quote)) { /* `metrics`.acc */
        size_t st = (*i)++;
        while (word_char((unsigned char)s[*i], 0))
            (*i)++;
        push(p, T_WORD, st, *i, xstrndup(s + st, *i - st));
        return 0;
    }
    if (starts_number(s + *i))
        return lex_number(p, i);
    return lex_op(p, i);
}

static int tokenize(struct parser *p)
{
    size_t i = 0;
    while (p->input[i]) {
        if (isspace((unsigned char)p->input[i]))
            i++;
        else if (lex_one(p, &i))
            return -1;
    }
    push(p, T_EOF, i, i, NULL);
    return 0;
}

/* ---------- keys ---------- */

static int is_kw(const struct token *t, const char *kw)
{
    return t->t == T_WORD && !strcasecmp(t->text, kw);
}

static int is_reserved(const struct token *t)
{
    static const char *const kws[] = {"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "ASC", "DESC"};
    for (size_t k = 0; k < sizeof(kws) / sizeof(*kws); k++)
        if (is_kw(t, kws[k]))
            return 1;
    return 0;
}

static int is_quoted(const struct token *t)
{
    return t->t == T_SQUOTE || t->t == T_DQUOTE || t->t == T_BTICK;
}

struct attr {
    const char *name, *canonical;
    int numeric;
};

/* MLflow's names, including its aliases (created, "Run name", ...). */
static const struct attr run_attrs[] = {
    {"run_id", "run_id", 0},
    {"run_name", "run_name", 0},
    {"run name", "run_name", 0},
    {"Run name", "run_name", 0},
    {"Run Name", "run_name", 0},
    {"status", "status", 0},
    {"user_id", "user_id", 0},
    {"artifact_uri", "artifact_uri", 0},
    {"lifecycle_stage", "lifecycle_stage", 0},
    {"start_time", "start_time", 1},
    {"created", "start_time", 1},
    {"Created", "start_time", 1},
    {"end_time", "end_time", 1},
    {NULL, NULL, 0},
};

static const struct attr experiment_filter_attrs[] = {
    {"name", "name", 0},
    {"creation_time", "creation_time", 1},
    {"last_update_time", "last_update_time", 1},
    {NULL, NULL, 0},
};

static const struct attr experiment_order_attrs[] = {
    {"name", "name", 0},
    {"experiment_id", "experiment_id", 1},
    {"creation_time", "creation_time", 1},
    {"last_update_time", "last_update_time", 1},
    {NULL, NULL, 0},
};

/* The registry (MLflow's search_registered_models / search_model_versions). */
static const struct attr model_attrs[] = {
    {"name", "name", 0},
    {"creation_timestamp", "creation_timestamp", 1},
    {"last_updated_timestamp", "last_updated_timestamp", 1},
    {"timestamp", "last_updated_timestamp", 1},
    {NULL, NULL, 0},
};

static const struct attr version_attrs[] = {
    {"name", "name", 0},
    {"version_number", "version_number", 1},
    {"version", "version_number", 1},
    {"run_id", "run_id", 0},
    {"source_path", "source_path", 0},
    {"source", "source_path", 0},
    {"current_stage", "current_stage", 0},
    {"creation_timestamp", "creation_timestamp", 1},
    {"last_updated_timestamp", "last_updated_timestamp", 1},
    {"timestamp", "last_updated_timestamp", 1},
    {NULL, NULL, 0},
};

/* MLflow 3's logged models, with its aliases. */
static const struct attr logged_model_attrs[] = {
    {"name", "name", 0},
    {"model_id", "model_id", 0},
    {"model_type", "model_type", 0},
    {"status", "status", 0},
    {"status_message", "status_message", 0},
    {"source_run_id", "source_run_id", 0},
    {"experiment_id", "experiment_id", 0},
    {"artifact_location", "artifact_location", 0},
    {"creation_timestamp", "creation_timestamp", 1},
    {"creation_timestamp_ms", "creation_timestamp", 1},
    {"creation_time", "creation_timestamp", 1},
    {"last_updated_timestamp", "last_updated_timestamp", 1},
    {"last_updated_timestamp_ms", "last_updated_timestamp", 1},
    {NULL, NULL, 0},
};

static const struct attr dataset_attrs[] = {
    {"name", "name", 0}, {"digest", "digest", 0}, {"context", "context", 0}, {NULL, NULL, 0}};

/* Traces (MLflow's SearchTraceUtils, 2.x and 3.x). name and run_id are
 * resolved further (trace_remap). Ordering takes experiment_id too. */
#define TRACE_ATTRS                                                                                \
    {"request_id", "request_id", 0}, {"timestamp", "timestamp_ms", 1},                             \
        {"timestamp_ms", "timestamp_ms", 1}, {"execution_time", "execution_time_ms", 1},           \
        {"execution_time_ms", "execution_time_ms", 1}, {"end_time", "end_time_ms", 1},             \
        {"end_time_ms", "end_time_ms", 1}, {"status", "status", 0},                                \
        {"client_request_id", "client_request_id", 0}, {"name", "name", 0},                        \
    {                                                                                              \
        "run_id", "run_id", 0                                                                      \
    }
static const struct attr trace_filter_attrs[] = {TRACE_ATTRS, {NULL, NULL, 0}};
static const struct attr trace_order_attrs[] = {
    TRACE_ATTRS, {"experiment_id", "experiment_id", 1}, {NULL, NULL, 0}};

#define RUNS          (1u << FILTER_RUNS)
#define LOGGED_MODELS (1u << FILTER_LOGGED_MODELS)
#define TRACES        (1u << FILTER_TRACES)

static int entity_of(const char *s, size_t n, enum filter_domain dom, enum fentity *out)
{
    /* scope: 0 everywhere; 1 runs and logged models; 2 runs only */
    static const struct {
        const char *name;
        enum fentity e;
        unsigned domains; /* 0: every domain; else a bit (1u << domain) for each */
    } tab[] = {
        {"metric", FE_METRIC, RUNS | LOGGED_MODELS},
        {"metrics", FE_METRIC, RUNS | LOGGED_MODELS},
        {"param", FE_PARAM, RUNS | LOGGED_MODELS},
        {"params", FE_PARAM, RUNS | LOGGED_MODELS},
        {"parameter", FE_PARAM, RUNS | LOGGED_MODELS},
        {"parameters", FE_PARAM, RUNS | LOGGED_MODELS},
        {"tag", FE_TAG, 0},
        {"tags", FE_TAG, 0},
        {"attribute", FE_ATTR, 0},
        {"attributes", FE_ATTR, 0},
        {"attr", FE_ATTR, 0},
        {"run", FE_ATTR, RUNS},
        {"dataset", FE_DATASET, RUNS},
        {"datasets", FE_DATASET, RUNS},
        {"trace", FE_ATTR, TRACES},
        {"request_metadata", FE_METADATA, TRACES},
        {"metadata", FE_METADATA, TRACES},
    };
    for (size_t i = 0; i < sizeof(tab) / sizeof(*tab); i++) {
        if (strlen(tab[i].name) == n && !strncasecmp(tab[i].name, s, n) &&
            (!tab[i].domains || (tab[i].domains & (1u << dom)))) {
            *out = tab[i].e;
            return 0;
        }
    }
    return -1;
}

#undef RUNS
#undef LOGGED_MODELS
#undef TRACES

/* The attribute table for an entity in this parse, and what to call its
 * members in messages. */
static const struct attr *attr_table(const struct parser *p, enum fentity e, int for_order,
                                     const char **hint)
{
    if (e == FE_DATASET) {
        *hint = "expected name, digest or context";
        return dataset_attrs;
    }
    if (p->dom == FILTER_RUNS) {
        *hint = "expected run_id, run_name, status, user_id, artifact_uri, lifecycle_stage, "
                "start_time, end_time or created";
        return run_attrs;
    }
    if (p->dom == FILTER_MODELS) {
        *hint = "expected name, creation_timestamp or last_updated_timestamp";
        return model_attrs;
    }
    if (p->dom == FILTER_LOGGED_MODELS) {
        *hint = "expected name, model_id, model_type, status, status_message, source_run_id, "
                "experiment_id, artifact_location, creation_timestamp or last_updated_timestamp";
        return logged_model_attrs;
    }
    if (p->dom == FILTER_TRACES) {
        *hint = "expected request_id, timestamp, execution_time, end_time, status, "
                "client_request_id, name or run_id";
        return for_order ? trace_order_attrs : trace_filter_attrs;
    }
    if (p->dom == FILTER_MODEL_VERSIONS) {
        *hint = "expected name, version_number, run_id, source_path, current_stage, "
                "creation_timestamp or last_updated_timestamp";
        return version_attrs;
    }
    if (for_order) {
        *hint = "expected name, experiment_id, creation_time or last_update_time";
        return experiment_order_attrs;
    }
    *hint = "expected name, creation_time or last_update_time";
    return experiment_filter_attrs;
}

/* Resolves k->key for attributes and datasets to its canonical name. */
static int resolve_attr(struct parser *p, struct keyref *k, int for_order)
{
    const char *hint;
    const struct attr *a = attr_table(p, k->entity, for_order, &hint);
    for (; a->name; a++)
        if (!strcmp(a->name, k->key))
            break;
    if (!a->name)
        return fail_text(p, k->pos,
                         k->entity == FE_DATASET ? "unknown dataset attribute "
                                                 : "unknown attribute ",
                         k->key, strlen(k->key), hint);
    free(k->key);
    k->key = xstrdup(a->canonical);
    k->numeric = a->numeric;
    if (p->dom == FILTER_TRACES && k->entity == FE_ATTR) { /* name, run_id */
        int tag = !strcmp(k->key, "name");
        if (tag || !strcmp(k->key, "run_id")) {
            free(k->key);
            k->key = xstrdup(tag ? TRACE_TAG_NAME : TRACE_METADATA_SOURCE_RUN);
            k->entity = tag ? FE_TAG : FE_METADATA;
        }
    }
    return 0;
}

/* The name after "<entity>.": the rest of the word, or a quoted token. */
static int key_name(struct parser *p, const char *rest, const char *ent, size_t entlen,
                    struct keyref *k)
{
    if (*rest) {
        k->key = xstrdup(rest);
        return 0;
    }
    if (!is_quoted(cur(p))) {
        struct sbuf sb = SBUF_INIT;
        sbuf_addstr(&sb, "expected a name after '");
        filter_add_snippet(&sb, ent, entlen, TOKEN_SNIPPET);
        sbuf_addstr(&sb, ".'");
        int rc = fail_tok(p, cur(p), "unexpected ", sb.buf);
        sbuf_release(&sb);
        return rc;
    }
    k->key = xstrdup(cur(p)->text);
    p->i++;
    return 0;
}

static int key_entity(struct parser *p, const char *ent, size_t entlen, struct keyref *k)
{
    if (!entity_of(ent, entlen, p->dom, &k->entity))
        return 0;
    return fail_text(
        p, k->pos, "unknown entity type ", ent, entlen,
        p->dom == FILTER_RUNS            ? "expected metrics, params, tags, attributes or datasets"
        : p->dom == FILTER_LOGGED_MODELS ? "expected metrics, params, tags or attributes"
        : p->dom == FILTER_TRACES        ? "expected tags, attributes or request_metadata"
                                         : "expected tags or attributes");
}

/* key := entity '.' name | name, with either part possibly quoted. */
static int parse_key(struct parser *p, int for_order, struct keyref *k)
{
    struct token *t = cur(p), *next = peek(p, 1);
    memset(k, 0, sizeof(*k));
    k->pos = t->pos;
    k->entity = FE_ATTR;
    if (t->t == T_WORD && !is_reserved(t)) {
        const char *dot = strchr(t->text, '.');
        p->i++;
        if (!dot)
            k->key = xstrdup(t->text);
        else if (key_entity(p, t->text, (size_t)(dot - t->text), k) ||
                 key_name(p, dot + 1, t->text, (size_t)(dot - t->text), k))
            return -1;
    } else if (is_quoted(t) && next->t == T_WORD && next->glued && next->text[0] == '.') {
        p->i += 2; /* `metrics`.acc */
        if (key_entity(p, t->text, strlen(t->text), k) ||
            key_name(p, next->text + 1, t->text, strlen(t->text), k))
            return -1;
    } else if (t->t == T_BTICK || t->t == T_DQUOTE) {
        k->key = xstrdup(t->text); /* `Run Name` = 'x' */
        p->i++;
    } else {
        return unexpected(p, "expected a key such as metrics.acc or params.lr");
    }
    if (!*k->key)
        return fail(p, k->pos, "empty key name", NULL);
    k->numeric = k->entity == FE_METRIC;
    if (k->entity == FE_ATTR || k->entity == FE_DATASET)
        return resolve_attr(p, k, for_order);
    return 0;
}

/* ---------- comparisons ---------- */

static int parse_op(struct parser *p, enum fop *op)
{
    static const char *const sym[] = {"=", "!=", ">", ">=", "<", "<="};
    struct token *t = cur(p);
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
    } else if (is_kw(t, "NOT") && is_kw(peek(p, 1), "IN")) {
        *op = FOP_NOT_IN;
        p->i++;
    } else {
        return unexpected(p, "expected a comparator: =, !=, >, >=, <, <=, LIKE, ILIKE, IN or "
                             "NOT IN");
    }
    p->i++;
    return 0;
}

/* What to call a key's kind in messages: "metrics", "attribute 'status'". */
static void add_kind(struct sbuf *sb, const struct fnode *n, int plural)
{
    static const char *const kinds[] = {"metric",    "param",   "tag",
                                        "attribute", "dataset", "request metadata"};
    sbuf_addstr(sb, kinds[n->entity]);
    if (plural && n->entity != FE_ATTR) {
        if (n->entity != FE_METADATA)
            sbuf_addch(sb, 's');
        return;
    }
    sbuf_addstr(sb, n->entity == FE_DATASET ? " attribute '" : " '");
    filter_add_snippet(sb, n->key, strlen(n->key), TOKEN_SNIPPET);
    sbuf_addch(sb, '\'');
}

/* Metrics and time attributes take =, !=, <, <=, >, >=; the rest take =,
 * !=, LIKE, ILIKE, IN and NOT IN (MLflow allows IN only on some: a
 * superset). */
static int check_op(struct parser *p, const struct fnode *n, const struct token *optok)
{
    int ordering = n->op >= FOP_GT && n->op <= FOP_LE;
    int textual = n->op >= FOP_LIKE;
    if (n->numeric ? !textual : !ordering)
        return 0;
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "comparator '%s' is not allowed for ", fop_name(n->op));
    add_kind(&sb, n, 1);
    int rc =
        fail(p, optok->pos, sb.buf,
             n->numeric ? "use =, !=, >, >=, < or <=" : "use =, !=, LIKE, ILIKE, IN or NOT IN");
    sbuf_release(&sb);
    return rc;
}

/* A quoted integer given to a time attribute: created > '1700000000000'. */
static int lenient_integer(struct fvalue *v)
{
    const char *s = v->str;
    size_t k = (*s == '-' || *s == '+') ? 1 : 0;
    if (!isdigit((unsigned char)s[k]) || strlen(s) > 20)
        return 0;
    for (; s[k]; k++)
        if (!isdigit((unsigned char)s[k]))
            return 0;
    v->is_num = 1;
    v->num = strtod(s, NULL);
    return 1;
}

static int check_value(struct parser *p, const struct fnode *n, struct fvalue *v,
                       const struct token *t)
{
    if (n->numeric == v->is_num)
        return 0;
    if (n->numeric && n->entity == FE_ATTR && lenient_integer(v))
        return 0;
    struct sbuf sb = SBUF_INIT;
    add_kind(&sb, n, 0);
    sbuf_addstr(&sb, n->numeric ? " takes a number, not " : " takes a quoted string, not ");
    int rc = fail_tok(p, t, sb.buf, NULL);
    sbuf_release(&sb);
    return rc;
}

static int parse_value(struct parser *p, struct fnode *n, struct fvalue *v)
{
    struct token *t = cur(p);
    if (t->t != T_SQUOTE && t->t != T_DQUOTE && t->t != T_NUMBER)
        return unexpected(p, "expected a number or a quoted string");
    if (++p->nvalues > FILTER_MAX_VALUES)
        return fail(p, t->pos, "too many values", "at most 10000 in a filter");
    v->is_num = t->t == T_NUMBER;
    v->num = t->num;
    v->str = xstrdup(t->text);
    p->i++;
    return check_value(p, n, v, t);
}

static int parse_in_list(struct parser *p, struct fnode *n)
{
    size_t alloc = 0;
    if (cur(p)->t != T_LP)
        return unexpected(p, "expected '(' after IN");
    p->i++;
    if (cur(p)->t == T_RP)
        return fail(p, cur(p)->pos, "empty IN list", "expected a value");
    for (;;) {
        ALLOC_GROW(n->values, n->nvalues + 1, alloc);
        memset(&n->values[n->nvalues], 0, sizeof(*n->values));
        n->nvalues++;
        if (parse_value(p, n, &n->values[n->nvalues - 1]))
            return -1;
        if (cur(p)->t == T_RP)
            break;
        if (cur(p)->t != T_COMMA)
            return unexpected(p, "expected ',' or ')' in the IN list");
        p->i++;
    }
    p->i++;
    return 0;
}

static int parse_cmp(struct parser *p, struct fnode **out)
{
    struct fnode *n = xcalloc(1, sizeof(*n));
    struct keyref k;
    n->kind = FN_CMP;
    *out = n;
    if (++p->ncmp > FILTER_MAX_COMPARISONS)
        return fail(p, cur(p)->pos, "too many comparisons", "at most 200 in a filter");
    int rc = parse_key(p, 0, &k);
    n->key = k.key;
    if (rc)
        return -1;
    n->entity = k.entity;
    n->numeric = k.numeric;
    n->pos = k.pos + 1;
    struct token *optok = cur(p);
    if (parse_op(p, &n->op) || check_op(p, n, optok))
        return -1;
    if (n->op == FOP_IN || n->op == FOP_NOT_IN)
        return parse_in_list(p, n);
    n->values = xcalloc(1, sizeof(*n->values));
    n->nvalues = 1;
    return parse_value(p, n, &n->values[0]);
}

/* ---------- expressions ---------- */

static int parse_or(struct parser *p, struct fnode **out);

static struct fnode *new_node(enum fnode_kind kind, struct fnode *left)
{
    struct fnode *n = xcalloc(1, sizeof(*n));
    n->kind = kind;
    n->left = left;
    return n;
}

static int parse_unary(struct parser *p, struct fnode **out)
{
    int rc;
    *out = NULL;
    if (++p->depth > FILTER_MAX_DEPTH)
        return fail(p, cur(p)->pos, "expression nested too deeply",
                    "at most 100 levels of parentheses and NOT");
    if (is_kw(cur(p), "NOT")) {
        p->i++;
        *out = new_node(FN_NOT, NULL);
        rc = parse_unary(p, &(*out)->left);
    } else if (cur(p)->t == T_LP) {
        p->i++;
        rc = parse_or(p, out);
        if (!rc && cur(p)->t != T_RP)
            rc = unexpected(p, "expected ')'");
        p->i += !rc;
    } else {
        rc = parse_cmp(p, out);
    }
    p->depth--;
    return rc;
}

/* and_expr, or (is_or) or_expr: a left-deep chain. */
static int parse_chain(struct parser *p, struct fnode **out, int is_or)
{
    int rc = is_or ? parse_chain(p, out, 0) : parse_unary(p, out);
    while (!rc && is_kw(cur(p), is_or ? "OR" : "AND")) {
        p->i++;
        *out = new_node(is_or ? FN_OR : FN_AND, *out);
        rc = is_or ? parse_chain(p, &(*out)->right, 0) : parse_unary(p, &(*out)->right);
    }
    return rc;
}

static int parse_or(struct parser *p, struct fnode **out)
{
    return parse_chain(p, out, 1);
}

/* ---------- entry points ---------- */

static void parser_release(struct parser *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->toks[i].text);
    free(p->toks);
}

static int start(struct parser *p, const char *s, const char *what, enum filter_domain dom,
                 struct ferr *err)
{
    memset(p, 0, sizeof(*p));
    p->input = s ? s : "";
    p->what = what;
    p->dom = dom;
    p->err = err;
    size_t len = strlen(p->input);
    if (len > FILTER_MAX_LEN) {
        struct sbuf sb = SBUF_INIT;
        sbuf_addf(&sb, "too long (%zu bytes, at most %d)", len, FILTER_MAX_LEN);
        filter_fail(err, what, p->input, sb.buf);
        sbuf_release(&sb);
        return -1;
    }
    return tokenize(p);
}

int filter_parse(const char *s, enum filter_domain dom, struct fnode **out, struct ferr *err)
{
    struct parser p;
    *out = NULL;
    int rc = start(&p, s, "filter", dom, err);
    if (!rc && p.toks[0].t != T_EOF) {
        rc = parse_or(&p, out);
        if (!rc && cur(&p)->t != T_EOF)
            rc = unexpected(&p, "expected AND, OR or the end of the filter");
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
    while (n) { /* iterative along the left spine of long chains */
        struct fnode *left = n->left;
        fnode_free(n->right);
        free(n->key);
        for (size_t i = 0; i < n->nvalues; i++)
            free(n->values[i].str);
        free(n->values);
        free(n);
        n = left;
    }
}

static int parse_order(struct parser *p, struct forder *out)
{
    struct keyref k;
    int rc = parse_key(p, 1, &k);
    out->key = k.key;
    if (rc)
        return -1;
    out->entity = k.entity;
    if (k.entity == FE_DATASET)
        return fail(p, k.pos, "cannot order by a dataset attribute",
                    "order by metrics, params, tags or attributes");
    if (p->dom == FILTER_EXPERIMENTS && k.entity != FE_ATTR)
        return fail(p, k.pos, "experiments cannot be ordered by tags",
                    "order by name, experiment_id, creation_time or last_update_time");
    if (p->dom != FILTER_RUNS && p->dom != FILTER_TRACES && k.entity != FE_ATTR)
        return fail(p, k.pos,
                    p->dom == FILTER_MODELS ? "registered models cannot be ordered by tags"
                                            : "model versions cannot be ordered by tags",
                    "order by name, version_number, creation_timestamp or "
                    "last_updated_timestamp");
    if (is_kw(cur(p), "ASC") || is_kw(cur(p), "DESC")) {
        out->descending = is_kw(cur(p), "DESC");
        p->i++;
    }
    if (cur(p)->t != T_EOF)
        return unexpected(p, "expected ASC, DESC or the end of the clause");
    return 0;
}

int filter_parse_order(const char *s, enum filter_domain dom, struct forder *out, struct ferr *err)
{
    struct parser p;
    memset(out, 0, sizeof(*out));
    int rc = start(&p, s, "order_by clause", dom, err);
    if (!rc)
        rc = parse_order(&p, out);
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
