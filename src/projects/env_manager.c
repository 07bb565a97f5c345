/* SPDX-License-Identifier: MIT */
#include "projects/env_manager.h"
#include "base/yaml_json.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

#define SPEC_MAX_BYTES (256 * 1024)

static const char *const names[] = {"local", "virtualenv", "conda", "docker"};

const char *env_manager_name(enum env_manager m)
{
    return names[m];
}

int env_manager_pick(const char *name, const struct mlproject *p, enum env_manager *out,
                     struct ferr *err)
{
    if (!name) {
        *out = p->env == ENV_PYTHON   ? ENVM_VIRTUALENV
               : p->env == ENV_CONDA  ? ENVM_CONDA
               : p->env == ENV_DOCKER ? ENVM_DOCKER
                                      : ENVM_LOCAL;
        return 0;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(name, names[i])) {
            *out = (enum env_manager)i;
            return 0;
        }
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "unknown --env-manager '%.50s' (local, virtualenv, conda or docker)", name);
}

/* Whether an executable `tool` is on PATH. */
static int on_path(const char *tool)
{
    const char *path = getenv("PATH");
    struct sbuf candidate = SBUF_INIT;
    int found = 0;
    for (const char *p = path ? path : "/usr/bin:/bin"; !found;) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        sbuf_reset(&candidate);
        if (n)
            sbuf_add(&candidate, p, n);
        else
            sbuf_addch(&candidate, '.'); /* an empty PATH entry is the current directory */
        sbuf_addf(&candidate, "/%s", tool);
        found = access(candidate.buf, X_OK) == 0;
        if (!colon)
            break;
        p = colon + 1;
    }
    sbuf_release(&candidate);
    return found;
}

static int need_tool(const char *tool, const char *why, int check, struct ferr *err)
{
    if (!check || on_path(tool))
        return 0;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "%s is not installed (not on PATH), and %s; install it, or run with "
                    "--env-manager local",
                    tool, why);
}

/* The spec file's text and the first 16 hex digits of its SHA-256. */
static int read_spec(const char *dir, const char *file, struct sbuf *text, char hash[17],
                     struct ferr *err)
{
    struct sbuf path = SBUF_INIT;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    sbuf_addf(&path, "%s/%s", dir, file);
    int rc = sbuf_read_file(text, path.buf, SPEC_MAX_BYTES);
    if (rc < 0)
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot read the environment spec '%.300s': %s",
                 path.buf, strerror(errno));
    sbuf_release(&path);
    if (rc < 0)
        return -1;
    if (!EVP_Digest(text->buf, text->len, md, &mdlen, EVP_sha256(), NULL))
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot hash the environment spec");
    for (int i = 0; i < 8; i++)
        snprintf(hash + 2 * i, 3, "%02x", md[i]);
    return 0;
}

/* pip arguments from python_env.yaml's build_dependencies and dependencies. */
static int pip_args(const struct sbuf *spec, struct sbuf *out, struct ferr *err)
{
    json_t *doc;
    static const char *const lists[] = {"build_dependencies", "dependencies"};
    if (yaml_to_json(spec->buf, spec->len, &doc, err))
        return -1;
    int rc = 0;
    for (size_t l = 0; l < 2 && !rc; l++) {
        json_t *a = json_object_get(doc, lists[l]), *v;
        size_t i;
        if (a && !json_is_array(a))
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "python_env: %s must be a list of requirements", lists[l]);
        json_array_foreach(a, i, v)
        {
            const char *req = json_string_value(v);
            if (!req) {
                rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                              "python_env: every requirement must be a string");
                break;
            }
            sbuf_addch(out, ' ');
            if (!strncmp(req, "-r ", 3)) { /* a requirements file, as pip takes it */
                sbuf_addstr(out, "-r ");
                shell_quote(out, req + 3);
            } else {
                shell_quote(out, req);
            }
        }
    }
    json_decref(doc);
    return rc;
}

static void cache_root(struct sbuf *out)
{
    const char *c = getenv("FERRY_ENV_CACHE"), *home = getenv("HOME");
    if (c && *c)
        sbuf_addstr(out, c);
    else
        sbuf_addf(out, "%s/.cache/ferry/virtualenvs", home && *home ? home : "/tmp");
}

int env_manager_script(enum env_manager m, const struct mlproject *p, const char *dir,
                       const char *cmd, const char *tracking_dir, int check_tools,
                       struct sbuf *script, struct ferr *err)
{
    struct sbuf spec = SBUF_INIT, venv = SBUF_INIT, args = SBUF_INIT;
    char hash[17] = "";
    int rc = 0;
    switch (m) {
    case ENVM_LOCAL:
        sbuf_addstr(script, cmd);
        break;
    case ENVM_VIRTUALENV: {
        const char *file = p->env == ENV_PYTHON ? p->env_file : "python_env.yaml";
        if ((rc = need_tool("python3", "the virtualenv environment needs it", check_tools, err)) ||
            (rc = read_spec(dir, file, &spec, hash, err)) || (rc = pip_args(&spec, &args, err)))
            break;
        cache_root(&venv);
        sbuf_addf(&venv, "/%s", hash);
        /* build in a temporary directory, then rename: a half-built venv is never reused */
        sbuf_addstr(script, "v=");
        shell_quote(script, venv.buf);
        sbuf_addstr(script, "\nif [ ! -x \"$v/bin/python\" ]; then\n"
                            "  mkdir -p \"$(dirname \"$v\")\" && rm -rf \"$v.part\" &&\n"
                            "  python3 -m venv \"$v.part\" &&\n");
        if (args.len)
            sbuf_addf(script, "  \"$v.part/bin/pip\" install --quiet%s &&\n", args.buf);
        sbuf_addstr(script, "  mv \"$v.part\" \"$v\" || { rm -rf \"$v.part\"; exit 1; }\nfi\n"
                            ". \"$v/bin/activate\" && ");
        sbuf_addstr(script, cmd);
        break;
    }
    case ENVM_CONDA: {
        const char *file = p->env == ENV_CONDA ? p->env_file : "conda.yaml";
        struct sbuf path = SBUF_INIT;
        if ((rc = need_tool("conda", "the project's conda_env needs it", check_tools, err)) ||
            (rc = read_spec(dir, file, &spec, hash, err)))
            break;
        sbuf_addf(&path, "%s/%s", dir, file);
        sbuf_addf(script,
                  "conda env list | grep -q '^ferry-%s ' ||\n"
                  "  conda env create --quiet --name ferry-%s --file ",
                  hash, hash);
        shell_quote(script, path.buf);
        sbuf_addf(script,
                  " || exit 1\nexec conda run --no-capture-output --name ferry-%s "
                  "/bin/sh -c ",
                  hash);
        shell_quote(script, cmd);
        sbuf_release(&path);
        break;
    }
    case ENVM_DOCKER:
        if (!p->env_image) {
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "--env-manager docker needs a docker_env image in MLproject");
            break;
        }
        if ((rc = need_tool("docker", "the project's docker_env needs it", check_tools, err)))
            break;
        sbuf_addstr(script, "exec docker run --rm --network host -v ");
        sbuf_addstr(&args, dir);
        sbuf_addstr(&args, ":/ferry/project");
        shell_quote(script, args.buf);
        if (tracking_dir) { /* a local store: the same path inside */
            sbuf_reset(&args);
            sbuf_addf(&args, "%s:%s", tracking_dir, tracking_dir);
            sbuf_addstr(script, " -v ");
            shell_quote(script, args.buf);
        }
        sbuf_addstr(script, " -w /ferry/project");
        static const char *const vars[] = {"MLFLOW_RUN_ID",       "MLFLOW_EXPERIMENT_ID",
                                           "MLFLOW_TRACKING_URI", "FERRY_RUN_ID",
                                           "FERRY_EXPERIMENT_ID", "FERRY_TRACKING_URI"};
        for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
            sbuf_addf(script, " -e %s", vars[i]);
        sbuf_addch(script, ' ');
        shell_quote(script, p->env_image);
        sbuf_addstr(script, " /bin/sh -c ");
        shell_quote(script, cmd);
        break;
    }
    sbuf_release(&spec);
    sbuf_release(&venv);
    sbuf_release(&args);
    return rc ? -1 : 0;
}
