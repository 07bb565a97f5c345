/* SPDX-License-Identifier: MIT
 * libFuzzer target: Open Inference Protocol v2 request bodies (one tensor
 * of [rows, cols], or one named tensor per column), parsed by
 * input_from_oip without a signature and against a named one. The bytes
 * are handed over as they come, not NUL-terminated. Nothing may crash,
 * leak or trip UBSan; see serving_fuzz.h for what else is checked. The
 * width is not: one [rows, cols] tensor is taken by position, and unlike
 * input_from_json, input_from_oip does not compare cols with a named
 * signature's width. */
#include "serving_fuzz.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    serving_fuzz_run(input_from_oip, 0, (const char *)data, size);
    return 0;
}
