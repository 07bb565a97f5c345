/* SPDX-License-Identifier: MIT */
#include "projects/mlproject.h"
#include "base/yaml_json.h"
#include "base/json.h"
#include "domain/data_version.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

#define MLPROJECT_MAX_BYTES (1024 * 1024)

static const char *const type_names[] = {"string", "float", "int", "path", "uri"};

static int type_of(const char *name, enum param_type *out)
{
    for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
        if (!strcmp(name, type_names[i])) {
            *out = (enum param_type)i;
            return 0;
        }
    return -1;
}

/* A parameter's declaration: "float" or {type: float, default: 0.5}. */
static int param_decl(json_t *v, const char **type, json_t **def)
{
    *def = NULL;
    if (json_is_string(v)) {
        *type = json_string_value(v);
        return 0;
    }
    if (!json_is_object(v))
        return -1;
    json_t *t = json_object_get(v, "type");
    *type = t ? json_string_value(t) : "string";
    *def = json_object_get(v, "default");
    return *type ? 0 : -1;
}

static int check_entry(const char *name, json_t *e, struct ferr *err)
{
    const char *k, *type;
    json_t *v, *def;
    enum param_type pt;
    if (!json_is_object(e) || !json_is_string(json_object_get(e, "command")))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "MLproject: entry point '%.100s' needs a command", name);
    json_t *params = json_object_get(e, "parameters");
    if (params && !json_is_null(params) && !json_is_object(params))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "MLproject: the parameters of entry point '%.100s' must be a mapping",
                        name);
    json_object_foreach(params, k, v)
    {
        if (param_decl(v, &type, &def) || type_of(type, &pt))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "MLproject: parameter '%.100s' of entry point '%.100s' has an unknown "
                            "type (string, float, int, path or uri)",
                            k, name);
        if (def && !json_is_null(def) && !json_is_string(def) && !json_is_number(def) &&
            !json_is_boolean(def))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "MLproject: the default of parameter '%.100s' must be a value", k);
    }
    return 0;
}

int mlproject_load(const char *dir, struct mlproject *out, struct ferr *err)
{
    struct sbuf path = SBUF_INIT, text = SBUF_INIT;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    sbuf_addf(&path, "%s/MLproject", dir);
    if (sbuf_read_file(&text, path.buf, MLPROJECT_MAX_BYTES) < 0) {
        if (errno != ENOENT)
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot read '%.300s': %s", path.buf,
                          errno == EFBIG ? "larger than 1 MB" : strerror(errno));
        goto out;
    }
    if (yaml_to_json(text.buf, text.len, &out->doc, err)) {
        rc = -1;
        goto out;
    }
    if (!json_is_object(out->doc)) {
        rc =
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.300s' is not a YAML mapping", path.buf);
        goto out;
    }
    out->name = json_string_value(json_object_get(out->doc, "name"));
    json_t *eps = json_object_get(out->doc, "entry_points");
    const char *k;
    json_t *v;
    if (eps && !json_is_object(eps)) {
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "MLproject: entry_points must be a mapping");
        goto out;
    }
    json_object_foreach(eps, k, v)
    {
        if ((rc = check_entry(k, v, err)))
            goto out;
    }
    out->pipelines = json_object_get(out->doc, "pipelines");
    if (json_is_null(out->pipelines))
        out->pipelines = NULL;
    if (out->pipelines && !json_is_object(out->pipelines)) {
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "MLproject: pipelines must be a mapping of pipeline names to their specs");
        goto out;
    }
    json_t *py = json_object_get(out->doc, "python_env"),
           *conda = json_object_get(out->doc, "conda_env"),
           *docker = json_object_get(out->doc, "docker_env");
    if (!!py + !!conda + !!docker > 1) {
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                      "MLproject: declare at most one of python_env, conda_env and docker_env");
    } else if (py || conda) {
        out->env = py ? ENV_PYTHON : ENV_CONDA;
        out->env_file = json_string_value(py ? py : conda);
        if (!out->env_file || strstr(out->env_file, "..") || out->env_file[0] == '/')
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "MLproject: %s must name a file inside the project",
                          py ? "python_env" : "conda_env");
    } else if (docker) {
        out->env = ENV_DOCKER;
        out->env_image = json_string_value(json_object_get(docker, "image"));
        if (!out->env_image || !*out->env_image)
            rc =
                ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "MLproject: docker_env needs an image");
    }
out:
    if (rc)
        mlproject_release(out);
    sbuf_release(&path);
    sbuf_release(&text);
    return rc ? -1 : 0;
}

void mlproject_release(struct mlproject *p)
{
    json_decref(p->doc);
    memset(p, 0, sizeof(*p));
}

void shell_quote(struct sbuf *out, const char *s)
{
    static const char safe[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                               "@%+=:,./-_";
    if (*s && strspn(s, safe) == strlen(s)) {
        sbuf_addstr(out, s);
        return;
    }
    sbuf_addch(out, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            sbuf_addstr(out, "'\"'\"'");
        else
            sbuf_addch(out, *s);
    }
    sbuf_addch(out, '\'');
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n > m && !strcmp(s + n - m, suffix);
}

/* Checks value against type; path/uri values that are relative paths are
 * made absolute into *local (then the value the command gets); a path's
 * data: value is fetched through hook into *local, *record getting what the
 * run records. */
static int typed(const char *name, enum param_type type, const char *value, const char *cwd,
                 const struct mlproject_data_hook *hook, struct sbuf *local, struct sbuf *record,
                 struct ferr *err)
{
    char *end;
    errno = 0;
    switch (type) {
    case PARAM_FLOAT: {
        double d = strtod(value, &end);
        if (!*value || *end || errno || isnan(d))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "parameter '%.100s' must be a float, got '%.100s'", name, value);
        return 0;
    }
    case PARAM_INT:
        (void)strtoll(value, &end, 10);
        if (!*value || *end || errno)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "parameter '%.100s' must be an integer, got '%.100s'", name, value);
        return 0;
    case PARAM_PATH:
    case PARAM_URI:
        if (!*value)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "parameter '%.100s' must be a %s, got an empty value", name,
                            type == PARAM_PATH ? "path" : "URI");
        if (type == PARAM_PATH && data_uri_is(value)) {
            if (!hook)
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "parameter '%.100s': data: URIs are not available here", name);
            return hook->fetch(hook->arg, name, value, local, record, err);
        }
        if (value[0] != '/' && !strstr(value, "://") && !data_uri_is(value))
            sbuf_addf(local, "%s/%s", cwd, value);
        return 0;
    case PARAM_STRING:
        return 0;
    }
    return 0;
}

static const char *default_str(json_t *def, char *buf, size_t n)
{
    if (json_is_string(def))
        return json_string_value(def);
    if (json_is_integer(def)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(def));
        return buf;
    }
    if (json_is_real(def)) {
        struct sbuf sb = SBUF_INIT;
        fjson_add_double(&sb, json_real_value(def));
        snprintf(buf, n, "%s", sb.buf);
        sbuf_release(&sb);
        return buf;
    }
    if (json_is_boolean(def))
        return json_is_true(def) ? "true" : "false";
    return NULL;
}

/* Replaces each {name} of tmpl with the quoted value; {{ and }} are braces. */
static int substitute(const char *tmpl, const struct kv_list *values, const char *entry,
                      struct sbuf *cmd, struct ferr *err)
{
    for (const char *p = tmpl; *p; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            sbuf_addch(cmd, *p++);
            continue;
        }
        if (*p != '{') {
            sbuf_addch(cmd, *p);
            continue;
        }
        const char *close = strchr(p, '}');
        if (!close)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "the command of entry point '%.100s' has an unclosed '{'", entry);
        struct sbuf name = SBUF_INIT;
        sbuf_add(&name, p + 1, (size_t)(close - p - 1));
        const char *v = kv_list_get(values, name.buf);
        if (!v) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "the command of entry point '%.100s' uses {%.100s}, which is not one of its "
                     "parameters",
                     entry, name.buf);
            sbuf_release(&name);
            return -1;
        }
        shell_quote(cmd, v);
        sbuf_release(&name);
        p = close;
    }
    return 0;
}

int mlproject_command(const struct mlproject *p, const char *dir, const char *entry,
                      const struct kv_list *given, const char *cwd, struct sbuf *cmd,
                      struct kv_list *resolved, struct ferr *err)
{
    json_t *e = json_object_get(json_object_get(p->doc, "entry_points"), entry);
    json_t *params = json_object_get(e, "parameters");
    const char *k, *type;
    json_t *v, *def;
    char buf[64];
    int rc = 0;
    struct kv_list subst = {0}; /* the values the command gets */
    memset(resolved, 0, sizeof(*resolved));
    if (!e) {
        struct sbuf file = SBUF_INIT;
        struct stat st;
        sbuf_addf(&file, "%s/%s", dir, entry);
        int runnable = (ends_with(entry, ".py") || ends_with(entry, ".sh")) &&
                       !strstr(entry, "..") && stat(file.buf, &st) == 0 && S_ISREG(st.st_mode);
        sbuf_release(&file);
        if (!runnable) {
            struct sbuf names = SBUF_INIT;
            json_object_foreach(json_object_get(p->doc, "entry_points"), k, v)
            {
                (void)v;
                sbuf_addf(&names, "%s%s", names.len ? ", " : "", k);
            }
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "no entry point '%.100s' in %.300s (%s%s); a .py or .sh file of the project "
                     "can be run by its name",
                     entry, dir, p->doc ? "it has: " : "no MLproject",
                     names.len ? names.buf : (p->doc ? "none" : ""));
            sbuf_release(&names);
            return -1;
        }
        sbuf_addstr(cmd, ends_with(entry, ".py") ? "python3 " : "bash ");
        shell_quote(cmd, entry);
    }
    /* declared parameters: given, else default, checked */
    json_object_foreach(params, k, v)
    {
        enum param_type pt = PARAM_STRING;
        struct sbuf local = SBUF_INIT, record = SBUF_INIT;
        if (param_decl(v, &type, &def) == 0)
            (void)type_of(type, &pt);
        const char *val = kv_list_get(given, k);
        if (!val)
            val = default_str(def, buf, sizeof(buf));
        if (!val) {
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "missing value for required parameter '%.100s' of entry point "
                          "'%.100s' (pass -P %.100s=...)",
                          k, entry, k);
        } else if (!(rc = typed(k, pt, val, cwd, p->data, &local, &record, err))) {
            kv_list_add(&subst, k, local.len ? local.buf : val);
            kv_list_add(resolved, k, record.len ? record.buf : local.len ? local.buf : val);
        }
        sbuf_release(&local);
        sbuf_release(&record);
        if (rc)
            goto out;
    }
    if (e && (rc = substitute(json_string_value(json_object_get(e, "command")), &subst, entry, cmd,
                              err)))
        goto out;
    /* the rest, as --key value */
    for (size_t i = 0; given && i < given->n; i++) {
        if (json_object_get(params, given->v[i].key))
            continue;
        kv_list_add(resolved, given->v[i].key, given->v[i].value);
        sbuf_addstr(cmd, " --");
        shell_quote(cmd, given->v[i].key);
        sbuf_addch(cmd, ' ');
        shell_quote(cmd, given->v[i].value);
    }
out:
    kv_list_release(&subst);
    if (rc)
        kv_list_release(resolved);
    return rc ? -1 : 0;
}
