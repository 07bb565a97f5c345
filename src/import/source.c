/* SPDX-License-Identifier: MIT
 * Opening an MLflow store: the location's form says which kind it is (a
 * PostgreSQL URI a database server, a directory a file store, a file an
 * SQLite database), then the kind's reader checks it really is one. */
#include "import/source.h"
#include "store/postgres/postgres.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

/* The path a location names: its scheme prefix dropped. */
static const char *location_path(const char *loc, int *want_dir)
{
    *want_dir = -1; /* either */
    if (!strncmp(loc, "sqlite:///", 10)) {
        *want_dir = 0;
        return loc + 9; /* keeps the leading '/' */
    }
    if (!strncmp(loc, "sqlite://", 9)) {
        *want_dir = 0;
        return loc + 9;
    }
    if (!strncmp(loc, "file://", 7)) {
        *want_dir = 1;
        return loc + 7;
    }
    return loc;
}

int source_open(const char *location, struct source **out, struct ferr *err)
{
    int want_dir;
    struct stat st;
    *out = NULL;
    if (!location || !*location)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no MLflow store given");
    if (store_uri_is_postgres(location))
        return source_postgres_open(location, out, err);
    const char *path = location_path(location, &want_dir);
    if (strstr(path, "://"))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cannot import from '%.200s': give an MLflow SQLite database "
                        "(sqlite:///path or a path), an MLflow PostgreSQL database "
                        "(postgresql://...) or an mlruns directory",
                        location);
    if (stat(path, &st))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no MLflow store at '%.200s': %s", path,
                        strerror(errno));
    if (S_ISDIR(st.st_mode) && want_dir != 0)
        return source_files_open(path, out, err);
    if (S_ISREG(st.st_mode) && want_dir != 1)
        return source_sqlite_open(path, out, err);
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "'%.200s' is not an MLflow store: expected %s", path,
                    want_dir == 1   ? "an mlruns directory"
                    : want_dir == 0 ? "an SQLite database file"
                                    : "an SQLite database file or an mlruns directory");
}

void source_close(struct source *src)
{
    if (src)
        src->ops->close(src);
}
