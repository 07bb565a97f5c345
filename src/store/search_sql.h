/* SPDX-License-Identifier: MIT
 * Search requests -> SQL, for the SQL backends. Parses MLflow's filter and
 * order_by grammars (plus ferry's OR / NOT / parentheses extension) into an
 * AST (store/filter.h) and compiles it to one SELECT with bound parameters
 * only, written in the dialect of the frag it appends to (out, set up with
 * sql_frag_init), over the schema every SQL backend creates (the tables of
 * store/sqlite/schema.c).
 *
 * A malformed filter or order_by is INVALID_PARAMETER_VALUE with a message
 * that names the offending token and its position. */
#ifndef FERRY_STORE_SEARCH_SQL_H
#define FERRY_STORE_SEARCH_SQL_H

#include "base/ferr.h"
#include "domain/domain.h"
#include "domain/logged_model.h"
#include "domain/registry.h"
#include "domain/trace.h"
#include "store/filter.h"
#include "store/sqlfrag.h"

/* Builds
 *   SELECT r.id FROM runs r [joins] WHERE r.experiment_id IN (...) AND
 *   <lifecycle per q->view> AND (<filter>) ORDER BY <keys>, <tiebreak>
 *   LIMIT ? OFFSET ?
 * The first column is runs.id. The ordering is total (ends in a unique key)
 * so offset paging is stable. Default order (no order_by): start_time DESC,
 * run_uuid ASC, as MLflow. Checks, in this order: experiment_ids (present, at
 * most 10000, decimal integers), the filter, the order_by clauses. */
int search_sql_runs(const struct run_search *q, int64_t limit, int64_t offset, struct sql_frag *out,
                    struct ferr *err) WARN_UNUSED;

/* Builds SELECT e.experiment_id FROM experiments e WHERE ... ORDER BY ...
 * LIMIT ? OFFSET ?. Default order: creation_time DESC, experiment_id ASC, as
 * MLflow. */
int search_sql_experiments(const struct experiment_search *q, int64_t limit, int64_t offset,
                           struct sql_frag *out, struct ferr *err) WARN_UNUSED;

/* The ids (models) or (name, version) pairs (versions) matching a registry
 * search, ordered, one page. dom is FILTER_MODELS or FILTER_MODEL_VERSIONS. */
int search_sql_registry(const struct registry_search *q, enum filter_domain dom, int64_t limit,
                        int64_t offset, struct sql_frag *out, struct ferr *err) WARN_UNUSED;

/* The ids of the logged models matching a search (store/logged_models.h),
 * ordered, one page. */
int search_sql_logged_models(const struct logged_model_search *q, int64_t limit, int64_t offset,
                             struct sql_frag *out, struct ferr *err) WARN_UNUSED;

/* Builds SELECT t.id FROM traces t [joins] WHERE t.experiment_id IN (...)
 * AND (<filter>) ORDER BY ... LIMIT ? OFFSET ?. Default order: timestamp_ms
 * DESC, request_id ASC, as MLflow; a field twice in order_by is
 * INVALID_PARAMETER_VALUE. Tags and request metadata a trace lacks sort
 * last in both directions. */
int search_sql_traces(const struct trace_search *q, int64_t limit, int64_t offset,
                      struct sql_frag *out, struct ferr *err) WARN_UNUSED;

#endif
