/* SPDX-License-Identifier: MIT
 * libFuzzer target: the search-filter and order_by parsers and the SQL
 * compiler, for runs and experiments. Any input must either compile or fail
 * with INVALID_PARAMETER_VALUE, without crashing, leaking or tripping UBSan. */
#include "store/filter.h"
#include "store/search_sql.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    struct ferr err = FERR_INIT;
    struct fnode *n = NULL;
    for (int dom = FILTER_RUNS; dom <= FILTER_EXPERIMENTS; dom++) {
        if (!filter_parse(s, (enum filter_domain)dom, &n, &err))
            fnode_free(n);
        else if (err.code != FERR_INVALID_PARAMETER_VALUE)
            abort();
        struct forder o;
        if (!filter_parse_order(s, (enum filter_domain)dom, &o, &err))
            forder_release(&o);
    }
    const char *ids[] = {"0", "1"};
    const char *order[] = {s, "metrics.acc DESC"};
    struct run_search rq = {ids, 2, s, VIEW_ALL, 10, order, 2, NULL};
    struct sql_frag f;
    sql_frag_init(&f);
    (void)search_sql_runs(&rq, 11, 0, &f, &err);
    sql_frag_release(&f);
    struct experiment_search eq = {s, VIEW_ACTIVE_ONLY, 10, order, 1, NULL};
    sql_frag_init(&f);
    (void)search_sql_experiments(&eq, 11, 0, &f, &err);
    sql_frag_release(&f);
    free(s);
    return 0;
}
