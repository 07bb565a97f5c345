/* SPDX-License-Identifier: MIT
 * MLflow's REST JSON shapes <-> domain structs. ONE codec, used by the server
 * (decode requests, encode responses) and by the REST client (encode requests,
 * decode responses), so both sides always agree.
 *
 * Conventions (MLflow 2.x on the wire): int64 fields are JSON numbers (and are
 * accepted as decimal strings), doubles NaN/Infinity/-Infinity travel as
 * strings, optional fields are omitted when unset, tags/params are arrays of
 * {"key","value"} objects.
 *
 * *_to_json return a new reference. *_from_json return 0 or -1 with err set to
 * INVALID_PARAMETER_VALUE naming the field; on failure *out is released. */
#ifndef FERRY_API_CODEC_H
#define FERRY_API_CODEC_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "domain/domain.h"

#include <jansson.h>
#include <stdint.h>

json_t *codec_kv_list_to_json(const struct kv_list *l);
json_t *codec_metric_to_json(const struct metric *m);
json_t *codec_experiment_to_json(const struct experiment *e);
json_t *codec_run_info_to_json(const struct run_info *ri);
json_t *codec_dataset_input_to_json(const struct dataset_input *di);
json_t *codec_run_to_json(const struct run *r);

/* arr may be NULL (empty). field names the array in error messages. */
int codec_kv_list_from_json(json_t *arr, const char *field, struct kv_list *out,
                            struct ferr *err) WARN_UNUSED;
int codec_metric_from_json(json_t *j, struct metric *out, struct ferr *err) WARN_UNUSED;
int codec_metric_list_from_json(json_t *arr, struct metric_list *out, struct ferr *err) WARN_UNUSED;
int codec_experiment_from_json(json_t *j, struct experiment *out, struct ferr *err) WARN_UNUSED;
int codec_run_info_from_json(json_t *j, struct run_info *out, struct ferr *err) WARN_UNUSED;
int codec_dataset_input_from_json(json_t *j, struct dataset_input *out,
                                  struct ferr *err) WARN_UNUSED;
int codec_run_from_json(json_t *j, struct run *out, struct ferr *err) WARN_UNUSED;

/* Fast writers for the large responses (metric histories, search results),
 * straight into a buffer without building a jansson tree. Output is byte-for-
 * byte valid JSON of the same shape as the *_to_json functions. */
void codec_write_metric(struct sbuf *sb, const struct metric *m, int with_run_id);
/* {"metrics": [...]} plus "next_page_token" when given. */
void codec_write_metrics_response(struct sbuf *sb, const struct metric_list *l,
                                  const char *next_page_token);

/* Protobuf's JSON mapping as MLflow parses requests: enums (status,
 * run_view_type, view_type) may come as numbers and a numeric experiment_id
 * (or experiment_ids entry) is taken as its decimal string. Rewrites those
 * fields of the request object in place so handlers see strings only. */
void codec_normalize_request(json_t *in);

/* Small readers of request and answer objects the JSON rows share: s, or
 * "" for NULL; j's string member key as a new string ("" when absent or
 * not a string); j's integer member key, also from a decimal string, 0
 * when absent or malformed. */
const char *codec_or_empty(const char *s);
char *codec_str_field(json_t *j, const char *key);
int64_t codec_int_field(json_t *j, const char *key);

#endif
