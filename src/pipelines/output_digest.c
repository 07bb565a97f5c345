/* SPDX-License-Identifier: MIT
 * A local path's digest (see output_digest.h): a file hashed in one
 * streamed pass, a directory scanned by data/tree_scan.h and its manifest
 * normalised (modes 0644, no empty directories) before the digest. */
#include "pipelines/output_digest.h"
#include "data/tree_scan.h"
#include "domain/data_manifest.h"
#include "base/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

#define HBUF (1024 * 1024)

static int stat_fail(struct ferr *err, const char *path)
{
    if (errno == ENOENT || errno == ENOTDIR)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "'%.500s' does not exist", path);
    return ferr_set(err, FERR_IO_ERROR, "cannot stat '%.500s': %s", path, strerror(errno));
}

static int hash_fd(int fd, const char *path, char hex[65], int64_t *size, struct ferr *err)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    char *buf = xmalloc(HBUF);
    unsigned char md[32];
    unsigned mdlen = 0;
    int64_t total = 0;
    int rc = c && EVP_DigestInit_ex(c, EVP_sha256(), NULL)
                 ? 0
                 : ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    while (!rc) {
        ssize_t n = read(fd, buf, HBUF);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = ferr_set(err, FERR_IO_ERROR, "reading '%.500s': %s", path, strerror(errno));
        else if (n == 0)
            break;
        else if (!EVP_DigestUpdate(c, buf, (size_t)n))
            rc = ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
        else
            total += n;
    }
    if (!rc && (!EVP_DigestFinal_ex(c, md, &mdlen) || mdlen != 32))
        rc = ferr_set(err, FERR_INTERNAL_ERROR, "SHA-256 failed");
    if (!rc) {
        data_digest_from_raw(md, hex);
        if (size)
            *size = total;
    }
    EVP_MD_CTX_free(c);
    free(buf);
    return rc;
}

int output_digest_file(const char *path, char hex[65], int64_t *size, struct ferr *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return stat_fail(err, path);
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) < 0)
        rc = ferr_set(err, FERR_IO_ERROR, "cannot stat '%.500s': %s", path, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.500s' is not a regular file", path);
    else
        rc = hash_fd(fd, path, hex, size, err);
    close(fd);
    return rc;
}

/* Modes and empty directories are not kept by artifact stores: drop them
 * so a directory digests the same before upload and after download. */
static void normalise(struct data_manifest *m)
{
    for (size_t i = 0; i < m->nfiles; i++)
        m->files[i].exec = 0;
    for (size_t i = 0; i < m->ndirs; i++)
        free(m->dirs[i]);
    m->ndirs = 0;
}

static int digest_dir(const char *path, struct output_digest *out, struct ferr *err)
{
    struct data_scan s = DATA_SCAN_INIT;
    int rc = data_tree_scan(path, NULL, &s, err);
    if (!rc) {
        normalise(&s.manifest);
        data_manifest_digest(&s.manifest, out->digest);
        out->size = s.bytes;
        out->is_dir = 1;
    }
    data_scan_release(&s);
    return rc;
}

int output_digest(const char *path, struct output_digest *out, struct ferr *err)
{
    struct stat st;
    struct output_digest d;
    memset(&d, 0, sizeof(d));
    if (stat(path, &st) < 0)
        return stat_fail(err, path);
    if (S_ISDIR(st.st_mode)) {
        if (digest_dir(path, &d, err))
            return -1;
    } else if (S_ISREG(st.st_mode)) {
        if (output_digest_file(path, d.digest, &d.size, err))
            return -1;
    } else {
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.500s' is neither a regular file nor a directory", path);
    }
    *out = d;
    return 0;
}
