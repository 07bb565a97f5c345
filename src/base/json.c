/* SPDX-License-Identifier: MIT */
#include "base/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SEE_DOCS "See the API docs for more information about request parameters."

int fjson_missing(struct ferr *err, const char *path)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "Missing value for required parameter '%.300s'. " SEE_DOCS, path);
}

/* Python's name for the type a JSON value decodes to. */
static const char *py_type(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "dict";
    case JSON_ARRAY:
        return "list";
    case JSON_STRING:
        return "str";
    case JSON_INTEGER:
        return "int";
    case JSON_REAL:
        return "float";
    case JSON_TRUE:
    case JSON_FALSE:
        return "bool";
    default:
        return "NoneType";
    }
}

/* A real as Python's repr writes it: the fewest digits that read back the
 * same, with ".0" when that looks like an integer. */
static void py_float(char *buf, size_t n, double d)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    if (!strpbrk(buf, ".eEni"))
        strncat(buf, ".0", n - strlen(buf) - 1);
}

int fjson_invalid(struct ferr *err, const char *path, json_t *value)
{
    char num[40];
    char *text = NULL;
    if (json_is_real(value))
        py_float(num, sizeof(num), json_real_value(value));
    else
        text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS |
                                     JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17));
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
             "Invalid value %.500s for parameter '%.200s' supplied:  Hint: Value was of type "
             "'%s'. " SEE_DOCS,
             text                  ? text
             : json_is_real(value) ? num
                                   : "null",
             path, py_type(value));
    free(text);
    return -1;
}

static json_t *field_of(json_t *obj, const char *field, int required, struct ferr *err, int *rc)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
    if (!v || json_is_null(v)) {
        *rc = required ? fjson_missing(err, field) : 0;
        return NULL;
    }
    *rc = 1;
    return v;
}

int fjson_get_str(json_t *obj, const char *field, int required, const char **out, struct ferr *err)
{
    int rc;
    json_t *v = field_of(obj, field, required, err, &rc);
    if (!v)
        return rc;
    if (!json_is_string(v))
        return fjson_invalid(err, field, v);
    *out = json_string_value(v);
    return 1;
}

int fjson_parse_int64(const char *s, int64_t *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int fjson_get_int64(json_t *obj, const char *field, int required, int64_t *out, struct ferr *err)
{
    int rc;
    json_t *v = field_of(obj, field, required, err, &rc);
    if (!v)
        return rc;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (d == floor(d) && fabs(d) < 9.0e18) {
            *out = (int64_t)d;
            return 1;
        }
    }
    if (json_is_string(v) && fjson_parse_int64(json_string_value(v), out) == 0)
        return 1;
    return fjson_invalid(err, field, v);
}

int fjson_parse_double(const char *s, double *out)
{
    if (!strcasecmp(s, "nan")) {
        *out = NAN;
        return 0;
    }
    if (!strcasecmp(s, "infinity") || !strcasecmp(s, "inf") || !strcasecmp(s, "+inf")) {
        *out = INFINITY;
        return 0;
    }
    if (!strcasecmp(s, "-infinity") || !strcasecmp(s, "-inf")) {
        *out = -INFINITY;
        return 0;
    }
    /* Decimal notation only: strtod would also take hex ("0x10") and
     * "nan(...)", which no MLflow client sends and Python's float() refuses. */
    if (!*s || s[strspn(s, "0123456789+-.eE")])
        return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || (errno == ERANGE && isinf(v)))
        return -1;
    *out = v;
    return 0;
}

int fjson_get_double(json_t *obj, const char *field, int required, double *out, struct ferr *err)
{
    int rc;
    json_t *v = field_of(obj, field, required, err, &rc);
    if (!v)
        return rc;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 1;
    }
    if (json_is_string(v) && fjson_parse_double(json_string_value(v), out) == 0)
        return 1;
    return fjson_invalid(err, field, v);
}

int fjson_get_bool(json_t *obj, const char *field, int required, int *out, struct ferr *err)
{
    int rc;
    json_t *v = field_of(obj, field, required, err, &rc);
    if (!v)
        return rc;
    if (json_is_boolean(v)) {
        *out = json_is_true(v);
        return 1;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcasecmp(s, "true") || !strcasecmp(s, "false")) {
            *out = !strcasecmp(s, "true");
            return 1;
        }
    }
    return fjson_invalid(err, field, v);
}

int fjson_get_array(json_t *obj, const char *field, int required, json_t **out, struct ferr *err)
{
    int rc;
    json_t *v = field_of(obj, field, required, err, &rc);
    if (!v) {
        *out = NULL;
        return rc;
    }
    if (!json_is_array(v))
        return fjson_invalid(err, field, v);
    *out = v;
    return 1;
}

json_t *fjson_double(double v)
{
    if (isnan(v))
        return json_string("NaN");
    if (isinf(v))
        return json_string(v > 0 ? "Infinity" : "-Infinity");
    return json_real(v);
}

void fjson_add_double(struct sbuf *sb, double v)
{
    if (isnan(v)) {
        sbuf_addstr(sb, "\"NaN\"");
        return;
    }
    if (isinf(v)) {
        sbuf_addstr(sb, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
        return;
    }
    /* %.17g always reads back to the same double, in one call; it is also
     * what jansson writes for every other response. Searching for the
     * shortest form costs 2.5x more (45 vs 18 ms per 100k values) and that
     * dominated get-history. */
    char buf[40];
    snprintf(buf, sizeof(buf), "%.17g", v);
    sbuf_addstr(sb, buf);
    /* Keep it a JSON real so readers see a double, as MLflow's do. */
    if (!strpbrk(buf, ".eEn"))
        sbuf_addstr(sb, ".0");
}

void fjson_add_int64(struct sbuf *sb, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[n++] = '-';
    sbuf_grow(sb, (size_t)n);
    while (n)
        sb->buf[sb->len++] = tmp[--n];
    sb->buf[sb->len] = '\0';
}

/* JSON string escaping for the fast writers (same output as jansson's). */
void fjson_add_string(struct sbuf *sb, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    sbuf_addch(sb, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '"' || c == '\\') {
            sbuf_addch(sb, '\\');
            sbuf_addch(sb, (char)c);
        } else if (c < 0x20) {
            char esc[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0};
            sbuf_addstr(sb, esc);
        } else {
            sbuf_addch(sb, (char)c);
        }
    }
    sbuf_addch(sb, '"');
}

void fjson_add_error(struct sbuf *sb, const struct ferr *err)
{
    sbuf_addstr(sb, "{\"error_code\":");
    fjson_add_string(sb,
                     ferr_code_name(err->code == FERR_IO_ERROR ? FERR_INTERNAL_ERROR : err->code));
    sbuf_addstr(sb, ",\"message\":");
    fjson_add_string(sb, err->msg);
    sbuf_addch(sb, '}');
}

int fjson_parse_error(const char *body, size_t len, struct ferr *out)
{
    json_t *j = json_loadb(body, len, 0, NULL);
    const char *code = json_string_value(json_object_get(j, "error_code"));
    const char *msg = json_string_value(json_object_get(j, "message"));
    if (!code) {
        json_decref(j);
        return -1;
    }
    ferr_set(out, ferr_code_from_name(code), "%s", msg ? msg : code);
    json_decref(j);
    return 0;
}

char *fjson_dumps(const json_t *j, size_t flags)
{
    char *t = json_dumps(j, flags);
    if (!t) {
        fprintf(stderr, "ferry: out of memory encoding JSON\n");
        abort();
    }
    return t;
}
