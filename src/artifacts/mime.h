/* SPDX-License-Identifier: MIT
 * The Content-Type of a downloaded artifact, decided as MLflow's server
 * decides it (mlflow/utils/mime_type_utils.py _guess_mime_type): a fixed
 * list of text extensions, and the names MLmodel and MLproject, are exactly
 * "text/plain"; other files go by extension as Python's mimetypes table
 * has them; anything else is application/octet-stream. One departure:
 * HTML and SVG, which MLflow sends as such, are text/plain here, so an
 * upload never reaches a browser as a page. Downloads are attachments with
 * nosniff besides. */
#ifndef FERRY_ARTIFACTS_MIME_H
#define FERRY_ARTIFACTS_MIME_H

/* path: a file's path or name; only its last component counts. */
const char *artifact_mime_type(const char *path);

#endif
