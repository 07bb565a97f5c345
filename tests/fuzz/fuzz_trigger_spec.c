/* SPDX-License-Identifier: MIT
 * libFuzzer target: a trigger spec as a user writes it (YAML or JSON). It
 * either fails with INVALID_PARAMETER_VALUE and a "trigger spec: " message,
 * or parses into a spec whose canonical JSON reads back to the same JSON,
 * whose params render from a manual firing's fields (every field the kind
 * has is there, so rendering cannot fail), and which meets sample events
 * of every family without crashing. Nothing may crash, leak or trip UBSan. */
#include "domain/trigger_spec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const struct trigger_spec *t)
{
    static const char *const kinds[] = {"alert.opened",        "dataset.version_created",
                                        "dataset.alias_set",   "registry.create_version",
                                        "registry.transition", "registry.set_alias",
                                        "deployment.promote",  "trigger.fired"};
    struct ferr err = FERR_INIT;
    struct trigger_spec again;
    json_t *j = trigger_spec_json(t);
    if (trigger_spec_from_json(j, &again, &err))
        abort();
    json_t *j2 = trigger_spec_json(&again);
    if (!json_equal(j, j2))
        abort();
    json_decref(j);
    json_decref(j2);
    trigger_spec_release(&again);

    json_t *fields = NULL, *params = NULL;
    if (trigger_manual_firing(t, 0, NULL, &fields, &params, &err))
        abort();
    if (json_object_size(params) != t->nparams)
        abort();
    json_decref(fields);
    json_decref(params);

    json_t *payload = json_pack(
        "{s:s, s:s, s:s, s:i, s:s, s:s, s:s}", "monitor", t->monitor ? t->monitor : "m", "name",
        t->dataset ? t->dataset : "d", "model", t->model ? t->model : "m", "version", 3, "alias",
        t->alias ? t->alias : "a", "condition", "decay:f1", "detail", "None -> Production");
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        (void)trigger_event_matches(t, kinds[i], payload, "s");
        json_t *f = trigger_event_fields(kinds[i], 7, 0, "s", payload);
        json_t *p = NULL;
        if (trigger_render_params(t, f, &p, &err) == 0)
            json_decref(p);
        json_decref(f);
    }
    json_decref(payload);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ferr err = FERR_INIT;
    struct trigger_spec t;
    if (size > 64 * 1024)
        return 0;
    if (trigger_spec_parse((const char *)data, size, &t, &err) == 0) {
        check(&t);
        trigger_spec_release(&t);
    } else if (err.code != FERR_INVALID_PARAMETER_VALUE || strncmp(err.msg, "trigger spec: ", 14)) {
        abort();
    }
    return 0;
}
