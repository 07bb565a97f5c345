/* SPDX-License-Identifier: MIT
 * projects/mlproject.c: a path parameter's data: value goes through the
 * data hook (the command gets the local path, the run records the pinned
 * URI), defaults too; string and uri parameters keep data: values as they
 * are; without a hook a data: path is refused, never made a relative path;
 * a hook's error fails the command. */
#include "../test.h"
#include "base/sbuf.h"
#include "projects/mlproject.h"

#include <stdio.h>
#include <string.h>

static int calls;

static int fake_fetch(void *arg, const char *param, const char *uri, struct sbuf *local,
                      struct sbuf *record, struct ferr *err)
{
    (void)arg;
    calls++;
    if (strstr(uri, "missing"))
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "%s: not found", uri);
    sbuf_addf(local, "/cache/%s", param);
    sbuf_addf(record, "%s#pinned", uri);
    return 0;
}

static void project(const char *text)
{
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/MLproject", test_tmpdir());
    FILE *f = fopen(p.buf, "w");
    ASSERT(f && fputs(text, f) >= 0 && fclose(f) == 0);
    sbuf_release(&p);
}

TEST(mlproject_data_values_of_path_parameters)
{
    struct mlproject p;
    struct ferr err = FERR_INIT;
    struct sbuf cmd = SBUF_INIT;
    struct kv_list given = {0}, resolved = {0};
    const struct mlproject_data_hook hook = {fake_fetch, NULL};
    project("name: t\nentry_points:\n  main:\n    parameters:\n      train: path\n"
            "      test: {type: path, default: \"data:/t/latest/test.csv\"}\n"
            "      s: {type: string, default: \"data:/x/1\"}\n"
            "      u: {type: uri, default: \"data:/x/1\"}\n"
            "    command: \"run {train} {test} {s} {u}\"\n");
    ASSERT_OK(mlproject_load(test_tmpdir(), &p, &err), &err);
    kv_list_add(&given, "train", "data:/t@prod");
    /* no hook: refused */
    ASSERT_FAILS(
        mlproject_command(&p, test_tmpdir(), "main", &given, "/cwd", &cmd, &resolved, &err), &err,
        FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "train");
    p.data = &hook;
    sbuf_reset(&cmd);
    ASSERT_OK(mlproject_command(&p, test_tmpdir(), "main", &given, "/cwd", &cmd, &resolved, &err),
              &err);
    ASSERT_INT_EQ(calls, 2);
    ASSERT_STR_EQ(cmd.buf, "run /cache/train /cache/test data:/x/1 data:/x/1");
    ASSERT_STR_EQ(kv_list_get(&resolved, "train"), "data:/t@prod#pinned");
    ASSERT_STR_EQ(kv_list_get(&resolved, "test"), "data:/t/latest/test.csv#pinned");
    ASSERT_STR_EQ(kv_list_get(&resolved, "s"), "data:/x/1");
    kv_list_release(&resolved);
    /* a relative path is still made absolute */
    kv_list_set(&given, "train", "rel/x.csv");
    sbuf_reset(&cmd);
    ASSERT_OK(mlproject_command(&p, test_tmpdir(), "main", &given, "/cwd", &cmd, &resolved, &err),
              &err);
    ASSERT_STR_EQ(kv_list_get(&resolved, "train"), "/cwd/rel/x.csv");
    kv_list_release(&resolved);
    /* the hook's error is the command's */
    kv_list_set(&given, "train", "data:/missing/1");
    sbuf_reset(&cmd);
    ASSERT_FAILS(
        mlproject_command(&p, test_tmpdir(), "main", &given, "/cwd", &cmd, &resolved, &err), &err,
        FERR_RESOURCE_DOES_NOT_EXIST);
    kv_list_release(&given);
    sbuf_release(&cmd);
    mlproject_release(&p);
}
