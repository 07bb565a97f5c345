/* SPDX-License-Identifier: MIT */
#include "models/model_log.h"
#include "client/client_artifacts.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/sbuf.h"
#include "models/mlmodel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

/* "2026-11-22 16:40:00.123000", as MLflow writes utc_time_created. */
static void utc_now(char *buf, size_t n)
{
    int64_t ms = ftime_now_ms();
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char day[32];
    if (!gmtime_r(&secs, &tm) || !strftime(day, sizeof(day), "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(day, sizeof(day), "1970-01-01 00:00:00");
    snprintf(buf, n, "%s.%06d", day, (int)(ms % 1000) * 1000);
}

int model_log_dir(struct client *c, const char *run_id, const char *model_dir,
                  const char *artifact_path, struct ferr *err)
{
    struct mlmodel m;
    struct sbuf yaml = SBUF_INIT, tmpfile = SBUF_INIT;
    char when[40], uuid[RUN_ID_LEN + 1], tmp[] = "/tmp/ferry-mlmodel-XXXXXX";
    int rc = -1, made = 0;
    if (!*artifact_path)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "artifact_path must name a directory in the run, e.g. \"model\"");
    if (mlmodel_read_dir(model_dir, &m, err))
        return -1;
    /* The MLmodel as MLflow's log_model leaves it in the run. */
    utc_now(when, sizeof(when));
    json_object_set_new(m.doc, "artifact_path", json_string(artifact_path));
    json_object_set_new(m.doc, "run_id", json_string(run_id));
    json_object_set_new(m.doc, "utc_time_created", json_string(when));
    if (!json_string_value(json_object_get(m.doc, "model_uuid"))) {
        ids_new_run_id(uuid);
        json_object_set_new(m.doc, "model_uuid", json_string(uuid));
    }
    if (mlmodel_write(&m, &yaml, err))
        goto out;
    /* The directory first, then the completed MLmodel over its copy. */
    if (client_log_artifacts(c, run_id, model_dir, artifact_path, NULL, NULL, err))
        goto out;
    if (!mkdtemp(tmp)) {
        ferr_set(err, FERR_IO_ERROR, "cannot make a temporary directory: %s", strerror(errno));
        goto out;
    }
    made = 1;
    sbuf_addf(&tmpfile, "%s/MLmodel", tmp);
    FILE *f = fopen(tmpfile.buf, "w");
    if (!f || fwrite(yaml.buf, 1, yaml.len, f) != yaml.len || fclose(f) != 0) {
        if (f)
            fclose(f);
        ferr_set(err, FERR_IO_ERROR, "cannot write '%s'", tmpfile.buf);
        goto out;
    }
    if (client_log_artifacts(c, run_id, tmpfile.buf, artifact_path, NULL, NULL, err))
        goto out;
    char *json = json_dumps(m.doc, JSON_COMPACT);
    if (!json) {
        ferr_set(err, FERR_INTERNAL_ERROR, "cannot encode the MLmodel as JSON");
        goto out;
    }
    rc = client_log_model(c, run_id, json, err);
    free(json);
out:
    if (made) {
        unlink(tmpfile.buf);
        rmdir(tmp);
    }
    sbuf_release(&yaml);
    sbuf_release(&tmpfile);
    mlmodel_release(&m);
    return rc;
}
