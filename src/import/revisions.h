/* SPDX-License-Identifier: MIT
 * The alembic revisions of MLflow's SQL tracking schema that ferry knows
 * how to read: the chain from MLflow 1.x through 3.x, in order. A database
 * at a revision outside this list comes from an MLflow newer than ferry (or
 * from a fork): its tables may mean something ferry would misread, so an
 * import refuses it rather than guess. */
#ifndef FERRY_IMPORT_REVISIONS_H
#define FERRY_IMPORT_REVISIONS_H

/* The position of rev in the chain (0 for the first), or -1 when unknown. */
int revisions_index(const char *rev);
/* The newest revision ferry knows. */
const char *revisions_latest(void);

#endif
