/* SPDX-License-Identifier: MIT
 * Artifact URIs as MLflow writes them into experiments and runs. */
#ifndef FERRY_DOMAIN_ARTIFACT_URI_H
#define FERRY_DOMAIN_ARTIFACT_URI_H

#include <stddef.h>

/* For a proxied URI the path inside the server's artifact destination
 * ("1/abc/artifacts"), pointing into uri; NULL for any other URI. Proxied
 * URIs are, as MLflow's server takes them:
 *   mlflow-artifacts:/1/abc/artifacts, mlflow-artifacts:1/...,
 *   mlflow-artifacts://host:port/1/...
 *   http(s)://host[:port][/prefix]/api/2.0/mlflow-artifacts/artifacts/1/...
 * (the last an artifact root an MLflow server may be given, served by the
 * server it names). */
const char *artifact_uri_proxied_path(const char *uri);

/* For the http(s) form above: 1, with the server's base URL
 * ("http://host:port/prefix") in base[0..*len); 0 for any other URI. */
int artifact_uri_http_base(const char *uri, size_t *len);

#endif
