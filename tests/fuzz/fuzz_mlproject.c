/* SPDX-License-Identifier: MIT
 * libFuzzer target: the MLproject YAML parser. mlproject_load only reads
 * <dir>/MLproject, so each input is written to that file in one directory
 * made under /tmp at start and removed at exit. Whatever loads must have
 * a consistent environment (a python_env or conda_env file inside the
 * project, a docker_env image), and every entry point's command is built
 * with a few given parameters: each declared parameter and each extra one
 * must come back resolved once. Whatever fails must fail with
 * INVALID_PARAMETER_VALUE and a message. Nothing may crash, leak or trip
 * UBSan, and nothing is written outside that directory. */
#include "projects/mlproject.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/ferry-fuzz-mlproject-XXXXXX";
static char file[sizeof(dir) + 16];

static void remove_dir(void)
{
    unlink(file);
    rmdir(dir);
}

static void write_file(const uint8_t *data, size_t size)
{
    if (!file[0]) {
        if (!mkdtemp(dir))
            abort();
        memcpy(file, dir, sizeof(dir) - 1);
        memcpy(file + sizeof(dir) - 1, "/MLproject", sizeof("/MLproject"));
        atexit(remove_dir);
    }
    int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        abort();
    for (size_t off = 0; off < size;) {
        ssize_t n = write(fd, data + off, size - off);
        if (n <= 0)
            abort();
        off += (size_t)n;
    }
    close(fd);
}

static void check_error(const struct ferr *err)
{
    if (err->code != FERR_INVALID_PARAMETER_VALUE || !err->msg[0])
        abort();
}

/* A relative path without a ".." segment. */
static int inside(const char *path)
{
    if (!path || path[0] == '/')
        return 0;
    for (const char *seg = path;;) {
        size_t n = strcspn(seg, "/");
        if (n == 2 && !strncmp(seg, "..", 2))
            return 0;
        if (!seg[n])
            return 1;
        seg += n + 1;
    }
}

static void check_env(const struct mlproject *p)
{
    if ((p->env == ENV_PYTHON || p->env == ENV_CONDA) && !inside(p->env_file))
        abort();
    if (p->env == ENV_DOCKER && (!p->env_image || !p->env_image[0]))
        abort();
}

static void command(const struct mlproject *p, const char *entry, const struct kv_list *given)
{
    json_t *params = json_object_get(
        json_object_get(json_object_get(p->doc, "entry_points"), entry), "parameters");
    struct sbuf cmd = SBUF_INIT;
    struct kv_list resolved;
    struct ferr err = FERR_INIT;
    if (mlproject_command(p, dir, entry, given, "/tmp/cwd", &cmd, &resolved, &err)) {
        check_error(&err);
        if (resolved.n)
            abort();
        sbuf_release(&cmd);
        return;
    }
    size_t want = json_is_object(params) ? json_object_size(params) : 0;
    for (size_t i = 0; i < given->n; i++)
        want += !json_object_get(params, given->v[i].key);
    if (resolved.n != want)
        abort();
    kv_list_release(&resolved);
    sbuf_release(&cmd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mlproject p;
    struct ferr err = FERR_INIT;
    struct kv_list given = {NULL, 0, 0};
    const char *entry;
    json_t *e;
    write_file(data, size);
    if (mlproject_load(dir, &p, &err)) {
        check_error(&err);
        if (p.doc)
            abort();
        return 0;
    }
    check_env(&p);
    kv_list_add(&given, "alpha", "0.5");
    kv_list_add(&given, "data", "it's here");
    json_object_foreach(json_object_get(p.doc, "entry_points"), entry, e)
    {
        command(&p, entry, &given);
    }
    command(&p, "main", &given);
    command(&p, "train.py", &given);
    kv_list_release(&given);
    mlproject_release(&p);
    return 0;
}
