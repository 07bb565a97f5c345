/* SPDX-License-Identifier: MIT */
#include "models/mlmodel.h"
#include "base/yaml_json.h"
#include "base/xalloc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MLMODEL_MAX_BYTES (4 * 1024 * 1024)

static const char *str_field(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static void columns_release(struct model_column *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].type);
        free(v[i].dtype);
        free(v[i].shape);
    }
    free(v);
}

/* A signature part is a JSON array inside a YAML string. */
static int parse_columns(const char *text, const char *part, struct model_column **out, size_t *n,
                         int *tensor, struct ferr *err)
{
    json_error_t je;
    *out = NULL;
    *n = 0;
    if (!text)
        return 0;
    json_t *a = json_loads(text, 0, &je), *c;
    size_t i;
    if (!json_is_array(a)) {
        json_decref(a);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "MLmodel signature %s is not a JSON list of columns", part);
    }
    *out = xcalloc(json_array_size(a) + 1, sizeof(**out));
    json_array_foreach(a, i, c)
    {
        struct model_column *col = &(*out)[i];
        const char *type = str_field(c, "type");
        if (!type) {
            columns_release(*out, i);
            *out = NULL;
            json_decref(a);
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "MLmodel signature %s: column %zu has no type", part, i);
        }
        col->name = xstrdup_or_null(str_field(c, "name"));
        col->type = xstrdup(type);
        json_t *req = json_object_get(c, "required");
        col->required = req ? json_is_true(req) : 1;
        if (!strcmp(type, "tensor")) {
            json_t *spec = json_object_get(c, "tensor-spec"), *d;
            size_t k;
            *tensor = 1;
            col->dtype = xstrdup_or_null(str_field(spec, "dtype"));
            json_t *shape = json_object_get(spec, "shape");
            col->shape = xcalloc(json_array_size(shape) + 1, sizeof(*col->shape));
            json_array_foreach(shape, k, d)
            {
                col->shape[k] = (long long)json_integer_value(d);
            }
            col->ndim = json_array_size(shape);
        }
    }
    *n = json_array_size(a);
    json_decref(a);
    return 0;
}

int mlmodel_parse(const char *text, size_t n, struct mlmodel *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (yaml_to_json(text, n, &out->doc, err))
        return -1;
    if (!json_is_object(out->doc) || !json_is_object(json_object_get(out->doc, "flavors"))) {
        mlmodel_release(out);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "not an MLmodel file: it has no 'flavors' mapping");
    }
    out->flavors = json_object_get(out->doc, "flavors");
    out->artifact_path = str_field(out->doc, "artifact_path");
    out->run_id = str_field(out->doc, "run_id");
    out->model_uuid = str_field(out->doc, "model_uuid");
    out->utc_time_created = str_field(out->doc, "utc_time_created");
    json_t *sig = json_object_get(out->doc, "signature");
    struct model_signature *s = &out->signature;
    if (json_is_object(sig) && (parse_columns(str_field(sig, "inputs"), "inputs", &s->inputs,
                                              &s->ninputs, &s->tensor_based, err) ||
                                parse_columns(str_field(sig, "outputs"), "outputs", &s->outputs,
                                              &s->noutputs, &s->tensor_based, err))) {
        mlmodel_release(out);
        return -1;
    }
    return 0;
}

int mlmodel_read_dir(const char *dir, struct mlmodel *out, struct ferr *err)
{
    struct sbuf path = SBUF_INIT, text = SBUF_INIT;
    int rc;
    memset(out, 0, sizeof(*out));
    sbuf_addf(&path, "%s/MLmodel", dir);
    if (sbuf_read_file(&text, path.buf, MLMODEL_MAX_BYTES) == 0)
        rc = mlmodel_parse(text.buf, text.len, out, err);
    else if (errno == EFBIG)
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.300s' is larger than 4 MB", path.buf);
    else
        rc = ferr_set(err, errno == ENOENT ? FERR_RESOURCE_DOES_NOT_EXIST : FERR_IO_ERROR,
                      "cannot read '%.300s': %s", path.buf, strerror(errno));
    sbuf_release(&path);
    sbuf_release(&text);
    return rc;
}

json_t *mlmodel_flavor(const struct mlmodel *m, const char *name)
{
    json_t *f = json_object_get(m->flavors, name);
    return json_is_object(f) ? f : NULL;
}

const char *mlmodel_flavor_str(const struct mlmodel *m, const char *flavor, const char *key)
{
    return str_field(mlmodel_flavor(m, flavor), key);
}

int mlmodel_write(const struct mlmodel *m, struct sbuf *out, struct ferr *err)
{
    return json_to_yaml(m->doc, out, err);
}

void mlmodel_release(struct mlmodel *m)
{
    json_decref(m->doc);
    columns_release(m->signature.inputs, m->signature.ninputs);
    columns_release(m->signature.outputs, m->signature.noutputs);
    memset(m, 0, sizeof(*m));
}
