/* SPDX-License-Identifier: MIT
 * The built-in step ferry/register (domain/builtin_steps.h; docs/pipelines.md,
 * "Built-in steps"). Exit status as pipelines/builtin.h says. */
#ifndef FERRY_PIPELINES_BUILTIN_REGISTER_H
#define FERRY_PIPELINES_BUILTIN_REGISTER_H

#include "pipelines/builtin.h"

int builtin_register(struct builtin_ctx *ctx, struct ferr *err);

#endif
