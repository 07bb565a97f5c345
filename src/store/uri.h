/* SPDX-License-Identifier: MIT
 * Store URIs as people may see them: without their secrets. */
#ifndef FERRY_STORE_URI_H
#define FERRY_STORE_URI_H

/* uri with any password (scheme://user:password@ or ?password=) replaced
 * by "***", for messages and logs. A new string. */
char *store_uri_redacted(const char *uri);

#endif
