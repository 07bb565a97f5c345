/* SPDX-License-Identifier: MIT
 * libFuzzer target: the JSON request decoding every REST operation relies
 * on. Arbitrary bytes are parsed as a request body and fed to every codec
 * decoder, typed field getter and operation row's decoder; nothing may
 * crash, leak or trip UBSan, and a request a row takes must be taken again
 * once the client encodes it. */
#include "api/codec.h"
#include "api/op.h"
#include "base/json.h"
#include "domain/validate.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fields(json_t *j)
{
    struct ferr err = FERR_INIT;
    const char *s;
    int64_t i;
    double d;
    int b;
    json_t *a;
    static const char *const names[] = {"run_id",        "key",  "value",
                                        "timestamp",     "step", "max_results",
                                        "experiment_id", "name", "tags"};
    for (size_t k = 0; k < sizeof(names) / sizeof(*names); k++) {
        (void)fjson_get_str(j, names[k], JSON_OPTIONAL, &s, &err);
        (void)fjson_get_int64(j, names[k], JSON_REQUIRED, &i, &err);
        (void)fjson_get_double(j, names[k], JSON_OPTIONAL, &d, &err);
        (void)fjson_get_bool(j, names[k], JSON_OPTIONAL, &b, &err);
        (void)fjson_get_array(j, names[k], JSON_OPTIONAL, &a, &err);
    }
}

static void decoders(json_t *j)
{
    struct ferr err = FERR_INIT;
    struct metric_list ml;
    struct kv_list kv;
    struct metric m;
    struct run r;
    struct experiment e;
    struct dataset_input di;
    if (!codec_metric_list_from_json(json_object_get(j, "metrics"), &ml, &err)) {
        if (!validate_batch(&ml, NULL, NULL, &err)) {
            struct sbuf sb = SBUF_INIT;
            codec_write_metrics_response(&sb, &ml, NULL);
            sbuf_release(&sb);
        }
        metric_list_release(&ml);
    }
    if (!codec_kv_list_from_json(json_object_get(j, "params"), "params", &kv, &err)) {
        (void)validate_batch(NULL, &kv, NULL, &err);
        kv_list_release(&kv);
    }
    if (!codec_metric_from_json(j, &m, &err)) {
        (void)validate_metric(&m, &err);
        free(m.key);
        free(m.run_id);
    }
    if (!codec_run_from_json(j, &r, &err)) {
        json_decref(codec_run_to_json(&r));
        run_release(&r);
    }
    if (!codec_experiment_from_json(j, &e, &err)) {
        json_decref(codec_experiment_to_json(&e));
        experiment_release(&e);
    }
    if (!codec_dataset_input_from_json(j, &di, &err)) {
        (void)validate_dataset_input(&di, &err);
        dataset_input_release(&di);
    }
}

/* Every row's request decoder (api/op.h), as the server runs it. What one
 * accepts, encoded again as the REST transport would send it, must be
 * accepted again: the two directions agree. */
static void rows(json_t *j)
{
    codec_normalize_request(j);
    for (const struct api_area *const *a = api_areas; *a; a++) {
        for (size_t i = 0; i < (*a)->n; i++) {
            const struct api_op *op = (*a)->ops[i];
            struct ferr err = FERR_INIT;
            if (!op->req)
                continue;
            void *req = calloc(1, op->req->size), *again = calloc(1, op->req->size);
            if (!req || !again)
                abort();
            if (api_decode_request(op, j, req, &err) == 0) {
                json_t *wire = api_encode_request(op, req);
                if (!wire || api_decode_request(op, wire, again, &err)) {
                    fprintf(stderr, "%s: a request it took is refused once re-encoded: %s\n",
                            op->name, err.msg);
                    abort();
                }
                api_release_request(op, again);
                json_decref(wire);
                api_release_request(op, req);
            }
            free(req);
            free(again);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ferr err = FERR_INIT;
    (void)fjson_parse_error((const char *)data, size, &err);
    json_t *j = json_loadb((const char *)data, size, 0, NULL);
    if (!j)
        return 0;
    fields(j);
    decoders(j);
    if (json_is_object(j))
        rows(j);
    json_decref(j);
    return 0;
}
