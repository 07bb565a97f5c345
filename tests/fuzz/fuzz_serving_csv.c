/* SPDX-License-Identifier: MIT
 * libFuzzer target: text/csv scoring bodies (a header row, then rows of
 * numbers), parsed by input_from_csv without a signature and against a
 * named one. The bytes are handed over as they come, not NUL-terminated.
 * Nothing may crash, leak or trip UBSan; see serving_fuzz.h for what else
 * is checked.
 * The corpus holds printf '\xff\n1,2,3,4,5\n', a header that is not UTF-8,
 * which once read past the header's names (fixed in input.c). */
#include "serving_fuzz.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    serving_fuzz_run(input_from_csv, 1, (const char *)data, size);
    return 0;
}
