/* SPDX-License-Identifier: MIT */
#include "base/yaml_json.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "base/banned.h"

#define YAML_MAX_DEPTH 64
/* Values a document may expand to. Aliases (*a) make libyaml share one
 * node, which converting copies each time: nine levels of nine aliases are
 * 480 bytes of text and 9^9 values. MLmodel and MLproject files hold tens. */
#define YAML_MAX_VALUES 100000

static json_t *scalar(const yaml_node_t *n)
{
    const char *v = (const char *)n->data.scalar.value;
    size_t len = n->data.scalar.length;
    if (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        if (len == 0 || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
            !strcmp(v, "NULL"))
            return json_null();
        if (!strcmp(v, "true") || !strcmp(v, "True"))
            return json_true();
        if (!strcmp(v, "false") || !strcmp(v, "False"))
            return json_false();
    }
    return json_stringn(v, len); /* NULL when not UTF-8 */
}

static json_t *convert(yaml_document_t *doc, yaml_node_t *n, int depth, size_t *values)
{
    if (!n || depth > YAML_MAX_DEPTH || ++*values > YAML_MAX_VALUES)
        return NULL;
    if (n->type == YAML_SCALAR_NODE)
        return scalar(n);
    if (n->type == YAML_SEQUENCE_NODE) {
        json_t *a = json_array();
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
             it++) {
            json_t *v = convert(doc, yaml_document_get_node(doc, *it), depth + 1, values);
            if (!v || json_array_append_new(a, v)) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    json_t *o = json_object();
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        json_t *v = convert(doc, yaml_document_get_node(doc, p->value), depth + 1, values);
        if (!k || k->type != YAML_SCALAR_NODE || !v ||
            json_object_setn_new(o, (const char *)k->data.scalar.value, k->data.scalar.length, v)) {
            json_decref(v);
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

int yaml_to_json(const char *text, size_t n, json_t **out, struct ferr *err)
{
    yaml_parser_t p;
    yaml_document_t doc;
    *out = NULL;
    if (!yaml_parser_initialize(&p))
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the YAML parser");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, n);
    if (!yaml_parser_load(&p, &doc)) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid YAML at line %zu, column %zu: %s",
                 p.problem_mark.line + 1, p.problem_mark.column + 1,
                 p.problem ? p.problem : "syntax error");
        yaml_parser_delete(&p);
        return -1;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    size_t values = 0;
    *out = root ? convert(&doc, root, 0, &values) : json_object();
    yaml_document_delete(&doc);
    yaml_parser_delete(&p);
    if (!*out && values > YAML_MAX_VALUES)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "unsupported YAML: the document expands to more than %d values "
                        "(aliases)",
                        YAML_MAX_VALUES);
    if (!*out)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "unsupported YAML: keys must be scalars, text UTF-8, nesting at most %d",
                        YAML_MAX_DEPTH);
    return 0;
}

/* ---------- writing ---------- */

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
    sbuf_add(data, buffer, size);
    return 1;
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev)
{
    return yaml_emitter_emit(e, ev) ? 0 : -1;
}

static int emit_scalar(yaml_emitter_t *e, const char *v, int plain_ok)
{
    yaml_event_t ev;
    if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(uintptr_t)v, (int)strlen(v),
                                      plain_ok, 1, YAML_ANY_SCALAR_STYLE))
        return -1;
    return emit(e, &ev);
}

static int emit_value(yaml_emitter_t *e, json_t *v, int depth)
{
    yaml_event_t ev;
    char num[64];
    if (depth > YAML_MAX_DEPTH)
        return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *x;
        if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
            emit(e, &ev))
            return -1;
        json_object_foreach(v, k, x)
        {
            if (emit_scalar(e, k, 1) || emit_value(e, x, depth + 1))
                return -1;
        }
        return yaml_mapping_end_event_initialize(&ev) ? emit(e, &ev) : -1;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
            emit(e, &ev))
            return -1;
        json_array_foreach(v, i, x)
        {
            if (emit_value(e, x, depth + 1))
                return -1;
        }
        return yaml_sequence_end_event_initialize(&ev) ? emit(e, &ev) : -1;
    }
    case JSON_STRING:
        /* Strings that would read back as something else are quoted by
         * libyaml only when plain style is refused: refuse it for those. */
        {
            const char *s = json_string_value(v);
            int plain = *s && strcmp(s, "null") && strcmp(s, "~") && strcmp(s, "true") &&
                        strcmp(s, "false") && strcmp(s, "True") && strcmp(s, "False") &&
                        strcmp(s, "Null") && strcmp(s, "NULL");
            return emit_scalar(e, s, plain);
        }
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return emit_scalar(e, num, 1);
    case JSON_REAL:
        snprintf(num, sizeof(num), "%.17g", json_real_value(v));
        return emit_scalar(e, num, 1);
    case JSON_TRUE:
        return emit_scalar(e, "true", 1);
    case JSON_FALSE:
        return emit_scalar(e, "false", 1);
    default:
        return emit_scalar(e, "null", 1);
    }
}

int json_to_yaml(json_t *doc, struct sbuf *out, struct ferr *err)
{
    yaml_emitter_t e;
    yaml_event_t ev;
    if (!yaml_emitter_initialize(&e))
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot start the YAML emitter");
    yaml_emitter_set_output(&e, write_handler, out);
    yaml_emitter_set_unicode(&e, 1);
    yaml_emitter_set_width(&e, -1);
    int rc = !yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || emit(&e, &ev) ||
             !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || emit(&e, &ev) ||
             emit_value(&e, doc, 0) || !yaml_document_end_event_initialize(&ev, 1) ||
             emit(&e, &ev) || !yaml_stream_end_event_initialize(&ev) || emit(&e, &ev);
    if (rc)
        ferr_set(err, FERR_INTERNAL_ERROR, "cannot write YAML: %s",
                 e.problem ? e.problem : "emitter error");
    yaml_emitter_delete(&e);
    return rc ? -1 : 0;
}
