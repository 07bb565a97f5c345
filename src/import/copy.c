/* SPDX-License-Identifier: MIT
 * Copying a run's artifact folder into a ferry artifact repository. The
 * walk does not follow symbolic links (a link below an artifact folder is
 * counted, not copied): a copy never reads outside the folder it was given. */
#include "import/copy.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

char *copy_local_dir(const char *uri, const char *mlflow_dest)
{
    struct sbuf sb = SBUF_INIT;
    if (!uri || !*uri)
        return NULL;
    if (!strncmp(uri, "file://", 7)) {
        const char *p = uri + 7;
        if (!strncmp(p, "localhost/", 10))
            p += 9;
        return *p == '/' ? xstrdup(p) : NULL; /* another host is not here */
    }
    if (!strncmp(uri, "file:/", 6))
        return xstrdup(uri + 5);
    if (!strncmp(uri, "mlflow-artifacts:", 17)) {
        const char *p = uri + 17;
        if (!mlflow_dest || !strncmp(p, "//", 2)) /* mlflow-artifacts://host/... is remote */
            return NULL;
        while (*p == '/')
            p++;
        sbuf_addf(&sb, "%s/%s", mlflow_dest, p);
        return sbuf_detach(&sb, NULL);
    }
    /* Any other scheme ("s3:", "gs:", "runs:"): two or more letters, then ':'. */
    size_t n = strspn(uri, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.");
    if (n >= 2 && uri[n] == ':')
        return NULL;
    return xstrdup(uri);
}

static int copy_file(struct artifact_repo *dest, const char *src, const char *path,
                     struct copy_tally *t, struct ferr *err)
{
    struct artifact_writer *w = NULL;
    char buf[65536];
    ssize_t n;
    int fd = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return ferr_set(err, FERR_IO_ERROR, "cannot read artifact '%.200s': %s", src,
                        strerror(errno));
    if (artifact_writer_open(dest, path, &w, err)) {
        close(fd);
        return -1;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        if (artifact_writer_write(w, buf, (size_t)n, err))
            goto fail;
        t->bytes += n;
    }
    if (n < 0) {
        ferr_set(err, FERR_IO_ERROR, "cannot read artifact '%.200s': %s", src, strerror(errno));
        goto fail;
    }
    close(fd);
    if (artifact_writer_commit(w, NULL, err))
        return -1;
    t->files++;
    return 0;
fail:
    close(fd);
    artifact_writer_abort(w);
    return -1;
}

int copy_tree(struct artifact_repo *dest, const char *src_dir, const char *dest_prefix,
              struct copy_tally *t, struct ferr *err)
{
    DIR *d = opendir(src_dir);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return ferr_set(err, FERR_IO_ERROR, "cannot list artifacts in '%.200s': %s", src_dir,
                        strerror(errno));
    }
    struct dirent *e;
    struct sbuf src = SBUF_INIT, to = SBUF_INIT;
    int rc = 0;
    errno = 0;
    while (!rc && (e = readdir(d))) {
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        sbuf_reset(&src);
        sbuf_reset(&to);
        sbuf_addf(&src, "%s/%s", src_dir, e->d_name);
        sbuf_addf(&to, "%s/%s", dest_prefix, e->d_name);
        if (lstat(src.buf, &st))
            rc = ferr_set(err, FERR_IO_ERROR, "cannot read artifact '%.200s': %s", src.buf,
                          strerror(errno));
        else if (S_ISDIR(st.st_mode))
            rc = copy_tree(dest, src.buf, to.buf, t, err);
        else if (S_ISREG(st.st_mode))
            rc = copy_file(dest, src.buf, to.buf, t, err);
        else
            t->not_files++;
        errno = 0;
    }
    if (!rc && errno)
        rc = ferr_set(err, FERR_IO_ERROR, "cannot list artifacts in '%.200s': %s", src_dir,
                      strerror(errno));
    closedir(d);
    sbuf_release(&src);
    sbuf_release(&to);
    return rc;
}
