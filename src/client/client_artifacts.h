/* SPDX-License-Identifier: MIT
 * A run's artifacts through a client: upload a file or a directory tree,
 * list, download to a local directory. Where the bytes go follows the run's
 * artifact_uri, as MLflow's clients do:
 *   mlflow-artifacts:/...  through the tracking server's artifact proxy
 *                          (REST transport only), streamed both ways;
 *   a path or file://...   straight to that directory (embedded stores, and
 *                          servers started with --no-serve-artifacts).
 * Every function is 0, or -1 with err set; nothing is ever held in memory
 * whole, whatever the file size. */
#ifndef FERRY_CLIENT_CLIENT_ARTIFACTS_H
#define FERRY_CLIENT_CLIENT_ARTIFACTS_H

#include "client/client.h"
#include "artifacts/repo.h"

#include <stdint.h>

/* Progress of one file: its path in the run, bytes so far, its size. */
typedef void (*client_progress_fn)(void *arg, const char *path, int64_t now, int64_t total);

/* Uploads local_path (a file, or a directory and everything below it) to
 * the run's artifacts under artifact_path ("" or NULL: the root). A file
 * keeps its name: log "out/model.bin" under "m" gives "m/model.bin". */
int client_log_artifacts(struct client *c, const char *run_id, const char *local_path,
                         const char *artifact_path, client_progress_fn progress, void *arg,
                         struct ferr *err) WARN_UNUSED;

/* The entries directly inside path ("" for the root), paths relative to the
 * run's artifact root, sorted by path. */
int client_list_artifacts(struct client *c, const char *run_id, const char *path,
                          struct artifact_list *out, struct ferr *err) WARN_UNUSED;

/* Downloads path (a file, or a directory tree; "" for everything) into
 * dst_dir, keeping the layout below path. Each file is written to a
 * temporary name and renamed when complete. */
int client_download_artifacts(struct client *c, const char *run_id, const char *path,
                              const char *dst_dir, client_progress_fn progress, void *arg,
                              struct ferr *err) WARN_UNUSED;

/* Downloads everything below an artifact URI (a model's storage location)
 * into dst_dir, keeping the layout: mlflow-artifacts:/... through the
 * client's tracking server (REST clients; an embedded one is told to use
 * the server's URI), http(s)://host/api/2.0/mlflow-artifacts/artifacts/...
 * through that host, a local directory or file:// URI by copying. Files
 * appear only when complete; a server cannot place a file outside
 * dst_dir. */
int client_download_uri(struct client *c, const char *uri, const char *dst_dir,
                        struct ferr *err) WARN_UNUSED;

#endif
