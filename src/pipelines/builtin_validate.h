/* SPDX-License-Identifier: MIT
 * The built-in step ferry/validate-data (domain/builtin_steps.h; docs/pipelines.md,
 * "Built-in steps"). Exit status as pipelines/builtin.h says. */
#ifndef FERRY_PIPELINES_BUILTIN_VALIDATE_H
#define FERRY_PIPELINES_BUILTIN_VALIDATE_H

#include "pipelines/builtin.h"

int builtin_validate(struct builtin_ctx *ctx, struct ferr *err);

#endif
