/* SPDX-License-Identifier: MIT
 * A data: URI made local (issue 19): `data:/NAME/VERSION`, `data:/NAME@ALIAS`
 * or `data:/NAME/latest`, optionally followed by `/PATH` inside the version,
 * resolved through a data port (data/data_port.h: embedded or a ferry
 * server) to one version, whose files are written by data_get
 * (data/data_get.h: every byte verified against the manifest) into a cache
 * directory keyed by the version digest:
 *
 *   <cache>/<64 hex digest>/            the version's files, as added
 *   <cache>/.tmp-<random>/              a fetch in progress (renamed into
 *                                       place when complete, so a digest
 *                                       directory is always whole)
 *
 * A version already in the cache is reused without a download (the digest
 * names the content, so an alias moved to another version fetches the
 * other one); two processes fetching the same version at once both succeed,
 * one copy stays. The cache is never cleaned here (rm -rf is safe at any
 * time when nothing reads it).
 *
 * The local path answered: /PATH inside the version when the URI has one;
 * else, for a version of exactly one file (no directories, no links: what
 * `ferry data add NAME file.csv` makes), that file, so a CSV dataset can be
 * passed where a CSV path is expected; else the version's directory.
 *
 * Not here: writing the files (data_get), choosing the transport
 * (data_port), recording the use in a run (data/data_log.h). */
#ifndef FERRY_DATA_DATA_FETCH_H
#define FERRY_DATA_DATA_FETCH_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <stdint.h>

struct data_port;

/* What a data: URI resolved to. Every string is the caller's. */
struct data_fetched {
    char *path;      /* the local path to use (see above) */
    char *dir;       /* the version's directory in the cache */
    char *name;      /* the dataset's name */
    int64_t version; /* the version number (an alias or "latest" resolved) */
    char *digest;    /* the version digest, 64 lowercase hex */
    char *subpath;   /* PATH inside the version, or NULL */
    char *pinned;    /* the URI by number: "data:/NAME/V" + "/PATH" when given */
    char *profile;   /* the version's profile JSON (domain/data_profile.h), NULL: none */
    int cached;      /* 1: the version was in the cache already, nothing was fetched */
};

#define DATA_FETCHED_INIT                                                                          \
    {                                                                                              \
        NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0                                             \
    }

/* Accepts NULL. Leaves f as DATA_FETCHED_INIT. */
void data_fetched_release(struct data_fetched *f);

struct data_fetch_opts {
    const char *cache_dir; /* NULL: data_fetch_cache_dir() */
    int resolve_only;      /* 1: resolve and answer the paths, fetch nothing (dry runs) */
};

/* 1 when s is meant as a data: URI (starts with "data:"): such a value is
 * never taken as a relative file name. */
int data_fetch_is_uri(const char *s);

/* The default cache directory into out (replacing its contents):
 * $FERRY_DATA_CACHE, else $XDG_CACHE_HOME/ferry/data, else
 * $HOME/.cache/ferry/data, else /tmp/ferry-data-<uid>. */
void data_fetch_cache_dir(struct sbuf *out);

/* Resolves uri through port and makes its files local (above). Errors: a
 * malformed URI or a PATH the version does not hold is
 * INVALID_PARAMETER_VALUE; a dataset, version or alias that does not exist
 * is RESOURCE_DOES_NOT_EXIST (the port's message); a download or a write
 * that fails, or bytes that do not match the manifest, fail with the
 * port's / data_get's code and leave nothing in the cache but what was
 * there. out is set only on success (release it with
 * data_fetched_release). */
int data_fetch(struct data_port *port, const char *uri, const struct data_fetch_opts *o,
               struct data_fetched *out, struct ferr *err) WARN_UNUSED;

#endif
