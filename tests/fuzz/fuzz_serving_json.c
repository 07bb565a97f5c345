/* SPDX-License-Identifier: MIT
 * libFuzzer target: the JSON scoring bodies of MLflow's scoring server
 * (dataframe_split, dataframe_records, instances, inputs), parsed by
 * input_from_json without a signature and against a named one. The bytes
 * are handed over as they come, not NUL-terminated. Nothing may crash,
 * leak or trip UBSan; see serving_fuzz.h for what else is checked. */
#include "serving_fuzz.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    serving_fuzz_run(input_from_json, 1, (const char *)data, size);
    return 0;
}
