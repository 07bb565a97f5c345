/* SPDX-License-Identifier: MIT
 * libFuzzer target: the MLmodel YAML parser (mlmodel_parse, which
 * mlmodel_read_dir feeds with the file's text) and its signature columns.
 * Whatever parses must have a flavors mapping and well-formed columns,
 * and must survive a write and a second read unchanged (the header
 * promises unknown keys survive a read and write). Whatever fails must
 * fail with INVALID_PARAMETER_VALUE and a message. Nothing may crash,
 * leak or trip UBSan. */
#include "models/mlmodel.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_columns(const struct model_column *c, size_t n)
{
    volatile size_t sum = 0;
    if (n && !c)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (!c[i].type)
            abort();
        sum += strlen(c[i].type) + (c[i].name ? strlen(c[i].name) : 0);
        sum += c[i].dtype ? strlen(c[i].dtype) : 0;
        if (c[i].ndim && !c[i].shape)
            abort();
        for (size_t k = 0; k < c[i].ndim; k++)
            sum += (size_t)c[i].shape[k];
    }
    (void)sum;
}

static void check_model(const struct mlmodel *m)
{
    const char *name;
    json_t *conf;
    if (!json_is_object(m->doc) || !json_is_object(m->flavors))
        abort();
    json_object_foreach(m->flavors, name, conf)
    {
        if (mlmodel_flavor(m, name) != (json_is_object(conf) ? conf : NULL))
            abort();
        (void)mlmodel_flavor_str(m, name, "data");
        (void)mlmodel_flavor_str(m, name, "loader_module");
    }
    check_columns(m->signature.inputs, m->signature.ninputs);
    check_columns(m->signature.outputs, m->signature.noutputs);
}

/* Written out and read back, the document is the same. */
static void check_round_trip(const struct mlmodel *m)
{
    struct sbuf text = SBUF_INIT;
    struct mlmodel again;
    struct ferr err = FERR_INIT;
    if (mlmodel_write(m, &text, &err) || mlmodel_parse(text.buf, text.len, &again, &err))
        abort();
    if (!json_equal(m->doc, again.doc) || again.signature.ninputs != m->signature.ninputs ||
        again.signature.noutputs != m->signature.noutputs)
        abort();
    mlmodel_release(&again);
    sbuf_release(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mlmodel m;
    struct ferr err = FERR_INIT;
    if (mlmodel_parse((const char *)data, size, &m, &err)) {
        if (err.code != FERR_INVALID_PARAMETER_VALUE || !err.msg[0] || m.doc)
            abort();
        return 0;
    }
    check_model(&m);
    check_round_trip(&m);
    mlmodel_release(&m);
    return 0;
}
