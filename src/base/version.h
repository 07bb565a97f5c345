/* SPDX-License-Identifier: MIT
 * The one place ferry's version is written down. */
#ifndef FERRY_BASE_VERSION_H
#define FERRY_BASE_VERSION_H

#define FERRY_VERSION_STRING "0.1.0"

#endif
