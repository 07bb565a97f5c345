/* SPDX-License-Identifier: MIT
 * Helpers of the built-in steps (pipelines/builtin_util.h). */
#include "pipelines/builtin_util.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "data/data_get.h"
#include "data/data_port.h"
#include "domain/data_version.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/banned.h"

int builtin_write_json(const char *out_dir, const char *file, json_t *j, struct ferr *err)
{
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/%s", out_dir, file);
    int rc = json_dump_file(j, path.buf, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (rc)
        ferr_set(err, FERR_IO_ERROR, "cannot write %.300s: %s", path.buf, strerror(errno));
    sbuf_release(&path);
    return rc ? -1 : 0;
}

int builtin_number(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (!json_is_string(v) || !json_string_length(v))
        return -1;
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (*end || errno || *s == ' ' || d != d)
        return -1;
    *out = d;
    return 0;
}

const char *builtin_str(json_t *with, const char *key)
{
    json_t *v = json_object_get(with, key);
    return json_is_string(v) && json_string_length(v) ? json_string_value(v) : NULL;
}

json_t *builtin_read_json(const char *path, struct ferr *err)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot read %.300s as JSON: %s", path,
                 je.text);
    return j;
}

/* The one .csv file directly inside dir (a whole version fetched). */
static int only_csv(const char *dir, const char *uri, char **out, struct ferr *err)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int found = 0;
    if (!d)
        return ferr_set(err, FERR_IO_ERROR, "cannot read %.300s: %s", dir, strerror(errno));
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n > 4 && !strcasecmp(e->d_name + n - 4, ".csv")) {
            if (found++) {
                free(*out);
                *out = NULL;
                break;
            }
            struct sbuf p = SBUF_INIT;
            sbuf_addf(&p, "%s/%s", dir, e->d_name);
            *out = sbuf_detach(&p, NULL);
        }
    }
    closedir(d);
    if (found != 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%.300s holds %s CSV file at its top: name one (%.300s/FILE.csv)", uri,
                        found ? "more than one" : "no", uri);
    return 0;
}

int builtin_local_csv(const char *tracking_uri, const char *data, char **local, char **tmp_dir,
                      struct ferr *err)
{
    struct stat st;
    *local = NULL;
    *tmp_dir = NULL;
    if (!data_uri_is(data)) {
        if (stat(data, &st) || !S_ISREG(st.st_mode))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no data file '%.300s'", data);
        *local = xstrdup(data);
        return 0;
    }
    char tmpl[] = "/tmp/ferry-step-XXXXXX";
    if (!mkdtemp(tmpl))
        return ferr_set(err, FERR_IO_ERROR, "mkdtemp: %s", strerror(errno));
    *tmp_dir = xstrdup(tmpl);
    struct data_port *port = NULL;
    struct sbuf dst = SBUF_INIT;
    sbuf_addf(&dst, "%s/d", tmpl);
    int rc =
        data_port_open(tracking_uri, &port, err) || data_get(port, data, dst.buf, NULL, NULL, err);
    data_port_close(port);
    if (!rc) {
        if (!stat(dst.buf, &st) && S_ISREG(st.st_mode))
            *local = sbuf_detach(&dst, NULL);
        else
            rc = only_csv(dst.buf, data, local, err);
    }
    sbuf_release(&dst);
    return rc ? -1 : 0;
}
