/* SPDX-License-Identifier: MIT
 * libFuzzer target: Open Inference Protocol v2 request bodies (one tensor
 * of [rows, cols], or one named tensor per column), parsed by
 * input_from_oip without a signature and against a named one. The bytes
 * are handed over as they come, not NUL-terminated. Nothing may crash,
 * leak or trip UBSan; see serving_fuzz.h for what else is checked, the
 * width included: one [rows, cols] tensor is taken by position and must
 * be as wide as a named signature. */
#include "serving_fuzz.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    serving_fuzz_run(input_from_oip, 1, (const char *)data, size);
    return 0;
}
