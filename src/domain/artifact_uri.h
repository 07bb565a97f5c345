/* SPDX-License-Identifier: MIT
 * Artifact URIs as MLflow writes them into experiments and runs. */
#ifndef FERRY_DOMAIN_ARTIFACT_URI_H
#define FERRY_DOMAIN_ARTIFACT_URI_H

/* For a proxied URI ("mlflow-artifacts:/1/abc/artifacts",
 * "mlflow-artifacts:1/..." or "mlflow-artifacts://host:port/1/...") the path
 * inside the server's artifact destination ("1/abc/artifacts"), pointing
 * into uri; NULL for any other URI. */
const char *artifact_uri_proxied_path(const char *uri);

#endif
