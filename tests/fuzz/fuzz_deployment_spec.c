/* SPDX-License-Identifier: MIT
 * libFuzzer target: a deployment spec as a user sends it (YAML or JSON, to
 * `ferry deployments apply` and POST deployments/apply), and a request body
 * as the gateway reads a "json:<field>" routing key from it. A spec either
 * fails with INVALID_PARAMETER_VALUE and a message, or parses; a parsed
 * spec's JSON form parses again to the same JSON (what the store keeps
 * reads back), and at every step of its rollout, and rolled back, the live
 * weights are within 0..100 and sum to 100. Nothing may crash, leak or
 * trip UBSan. */
#include "base/yaml_json.h"
#include "domain/deployment.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_weights(const struct deployment_spec *s, struct deployment_status *st)
{
    deployment_weights(s, st);
    int sum = 0;
    for (size_t i = 0; i < s->ntargets; i++) {
        if (st->weights[i] < 0 || st->weights[i] > 100)
            abort();
        sum += st->weights[i];
    }
    if (sum != 100)
        abort();
}

static void check_spec(const struct deployment_spec *s)
{
    struct ferr err = FERR_INIT;
    struct deployment_spec again;
    json_t *j = deployment_spec_to_json(s);
    if (deployment_spec_parse(j, &again, &err))
        abort();
    json_t *j2 = deployment_spec_to_json(&again);
    if (!json_equal(j, j2))
        abort();
    json_decref(j);
    json_decref(j2);
    deployment_spec_release(&again);
    struct deployment_status st;
    deployment_status_initial(s, 0, &st);
    check_weights(s, &st);
    for (size_t i = 0; s->rollout.present && i < s->rollout.nsteps; i++) {
        st.step = (int)i;
        check_weights(s, &st);
    }
    if (s->rollout.present) {
        st.phase = DEPLOY_ROLLED_BACK;
        check_weights(s, &st);
    }
    deployment_status_release(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ferr err = FERR_INIT;
    json_t *doc = NULL;
    char key[256];
    (void)deployment_json_routing_key((const char *)data, size, "user", key, sizeof(key));
    if (yaml_to_json((const char *)data, size, &doc, &err) == 0) {
        struct deployment_spec s;
        if (deployment_spec_parse(doc, &s, &err) == 0) {
            check_spec(&s);
            deployment_spec_release(&s);
        } else if (err.code != FERR_INVALID_PARAMETER_VALUE || !err.msg[0]) {
            abort();
        }
        json_decref(doc);
    }
    return 0;
}
