/* SPDX-License-Identifier: MIT
 * Store URIs as people may see them: without their secrets. */
#ifndef FERRY_STORE_URI_H
#define FERRY_STORE_URI_H

/* uri with any password (scheme://user:password@ or ?password=) replaced
 * by "***", for messages and logs. A new string. */
char *store_uri_redacted(const char *uri);

/* The file a SQLite store URI names (sqlite:///abs, sqlite://rel, or a
 * plain path; "" -> "ferry.db"), pointing into uri; NULL for any other
 * scheme. */
const char *store_uri_sqlite_path(const char *uri);

#endif
