/* SPDX-License-Identifier: MIT
 * api/webhook_send.h: MLflow's delivery format with OpenSSL's HMAC and
 * SHA-256, sent by http/post.h. */
#include "api/webhook_send.h"
#include "base/b64.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

char *webhook_body(const char *ev, int64_t time_ms, json_t *data, size_t *len)
{
    char entity[64], iso[96]; /* room for any int the format can print (-O2 checks) */
    const char *dot = strchr(ev, '.');
    size_t el = dot ? (size_t)(dot - ev) : strlen(ev);
    snprintf(entity, sizeof(entity), "%.*s", (int)(el < 63 ? el : 63), ev);
    time_t t = (time_t)(time_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    /* Python's datetime.isoformat() of an aware UTC time, as MLflow sends */
    snprintf(iso, sizeof(iso), "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (int)(time_ms % 1000) * 1000);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:O}", "entity", entity, "action", dot ? dot + 1 : "",
                            "timestamp", iso, "data", data ? data : json_null());
    char *text = fjson_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    *len = strlen(text);
    return text;
}

int webhook_sign(const char *secret, const char *delivery_id, int64_t timestamp_s, const char *body,
                 size_t n, char out[WEBHOOK_SIGNATURE_MAX])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int maclen = 0;
    static const unsigned char nokey = 0;
    size_t keylen = secret ? strlen(secret) : 0;
    struct sbuf msg = SBUF_INIT, sig = SBUF_INIT;
    int rc = -1;
    out[0] = '\0';
    sbuf_addf(&msg, "%s.%lld.", delivery_id ? delivery_id : "", (long long)timestamp_s);
    sbuf_add(&msg, body, n);
    if (HMAC(EVP_sha256(), keylen ? (const void *)secret : &nokey, (int)keylen,
             (const unsigned char *)msg.buf, msg.len, mac, &maclen) &&
        maclen == 32) {
        sbuf_addstr(&sig, "v1,");
        b64_encode(&sig, mac, maclen);
        if (sig.len < WEBHOOK_SIGNATURE_MAX) {
            memcpy(out, sig.buf, sig.len + 1);
            rc = 0;
        }
    }
    sbuf_release(&msg);
    sbuf_release(&sig);
    OPENSSL_cleanse(mac, sizeof(mac));
    return rc;
}

void webhook_delivery_id(const char *webhook_id, int64_t event_id,
                         char out[WEBHOOK_DELIVERY_ID_LEN + 1])
{
    unsigned char h[SHA256_DIGEST_LENGTH];
    char name[128];
    int n = snprintf(name, sizeof(name), "%.80s:%lld", webhook_id, (long long)event_id);
    SHA256((const unsigned char *)name, (size_t)n, h);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x80); /* version 8 */
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80); /* variant 10 */
    snprintf(out, WEBHOOK_DELIVERY_ID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1],
             h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14],
             h[15]);
}

int webhook_send(const struct webhook *w, const char *delivery_id, int64_t timestamp_s,
                 const char *body, size_t n, long timeout_ms, size_t keep_body,
                 struct http_post_result *out)
{
    char sig[WEBHOOK_SIGNATURE_MAX], h_id[96], h_ts[48], h_sig[96];
    const char *headers[4];
    size_t nh = 0;
    int64_t ts = timestamp_s > 0 ? timestamp_s : (int64_t)time(NULL);
    headers[nh++] = "Content-Type: application/json";
    snprintf(h_id, sizeof(h_id), "X-MLflow-Delivery-Id: %s", delivery_id);
    headers[nh++] = h_id;
    snprintf(h_ts, sizeof(h_ts), "X-MLflow-Timestamp: %lld", (long long)ts);
    headers[nh++] = h_ts;
    if (w->secret && *w->secret) {
        if (webhook_sign(w->secret, delivery_id, ts, body, n, sig)) {
            memset(out, 0, sizeof(*out));
            snprintf(out->error, sizeof(out->error), "cannot sign the delivery");
            return -1;
        }
        snprintf(h_sig, sizeof(h_sig), "X-MLflow-Signature: %s", sig);
        headers[nh++] = h_sig;
    }
    struct http_post p = {w->url, headers, nh, body, n, timeout_ms, keep_body};
    return http_post_send(&p, out);
}

json_t *webhook_example_data(const char *ev)
{
    if (!strcmp(ev, "registered_model.created") || !strcmp(ev, "prompt.created"))
        return json_pack("{s:s, s:{s:s}, s:s}", "name", "example_model", "tags", "example_key",
                         "example_value", "description", "An example registered model");
    if (!strcmp(ev, "model_version.created"))
        return json_pack("{s:s, s:s, s:s, s:s, s:{s:s}, s:s}", "name", "example_model", "version",
                         "1", "source", "runs:/abcd1234abcd5678/model", "run_id",
                         "abcd1234abcd5678", "tags", "example_key", "example_value", "description",
                         "An example model version");
    if (!strcmp(ev, "prompt_version.created"))
        return json_pack("{s:s, s:s, s:s, s:{s:s}, s:s}", "name", "example_prompt", "version", "1",
                         "template", "Hello {{name}}!", "tags", "example_key", "example_value",
                         "description", "An example prompt version");
    if (!strcmp(ev, "model_version_tag.set") || !strcmp(ev, "prompt_version_tag.set"))
        return json_pack("{s:s, s:s, s:s, s:s}", "name", "example_model", "version", "1", "key",
                         "example_key", "value", "example_value");
    if (!strcmp(ev, "model_version_tag.deleted") || !strcmp(ev, "prompt_version_tag.deleted"))
        return json_pack("{s:s, s:s, s:s}", "name", "example_model", "version", "1", "key",
                         "example_key");
    if (!strcmp(ev, "prompt_tag.set"))
        return json_pack("{s:s, s:s, s:s}", "name", "example_prompt", "key", "example_key", "value",
                         "example_value");
    if (!strcmp(ev, "prompt_tag.deleted"))
        return json_pack("{s:s, s:s}", "name", "example_prompt", "key", "example_key");
    if (!strcmp(ev, "model_version_alias.created") || !strcmp(ev, "prompt_alias.created"))
        return json_pack("{s:s, s:s, s:s}", "name", "example_model", "alias", "example_alias",
                         "version", "1");
    if (!strcmp(ev, "model_version_alias.deleted") || !strcmp(ev, "prompt_alias.deleted"))
        return json_pack("{s:s, s:s}", "name", "example_model", "alias", "example_alias");
    if (!strcmp(ev, "model_version.stage_changed"))
        return json_pack("{s:s, s:s, s:s, s:s}", "name", "example_model", "version", "1",
                         "from_stage", "Staging", "to_stage", "Production");
    if (!strcmp(ev, "deployment.promoted") || !strcmp(ev, "deployment.rolled_back"))
        return json_pack("{s:s, s:s, s:I, s:I}", "deployment", "example_deployment", "action",
                         !strcmp(ev, "deployment.promoted") ? "promote" : "rollback", "revision",
                         (json_int_t)1, "change", (json_int_t)2);
    return NULL;
}
