/* SPDX-License-Identifier: MIT
 * libFuzzer target: a monitor spec as a user sends it (YAML or JSON, to
 * `ferry monitors apply` and POST monitors/apply). A spec either fails with
 * INVALID_PARAMETER_VALUE and a message, or parses; a parsed spec's JSON
 * form parses again to the same JSON (what the store keeps reads back, and
 * monitor_spec_copy relies on it). Nothing may crash, leak or trip UBSan. */
#include "base/yaml_json.h"
#include "domain/monitor.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_spec(const struct monitor_spec *s)
{
    struct ferr err = FERR_INIT;
    struct monitor_spec again, copy;
    json_t *j = monitor_spec_to_json(s);
    if (monitor_spec_parse(j, &again, &err))
        abort();
    json_t *j2 = monitor_spec_to_json(&again);
    if (!json_equal(j, j2) || !monitor_spec_equal(s, &again))
        abort();
    json_decref(j);
    json_decref(j2);
    monitor_spec_copy(&again, &copy);
    for (size_t i = 0; i < s->ncolumns; i++) {
        double t;
        (void)monitor_spec_column_kind(&copy, s->columns[i]);
        (void)monitor_spec_stattest(&copy, s->columns[i]);
        (void)monitor_spec_threshold(&copy, s->columns[i], &t);
    }
    monitor_spec_release(&copy);
    monitor_spec_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ferr err = FERR_INIT;
    json_t *doc = NULL;
    if (yaml_to_json((const char *)data, size, &doc, &err) == 0) {
        struct monitor_spec s;
        if (monitor_spec_parse(doc, &s, &err) == 0) {
            check_spec(&s);
            monitor_spec_release(&s);
        } else if (err.code != FERR_INVALID_PARAMETER_VALUE || !err.msg[0]) {
            abort();
        }
        json_decref(doc);
    }
    return 0;
}
