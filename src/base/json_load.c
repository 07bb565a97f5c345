/* SPDX-License-Identifier: MIT
 * JSON from the network parsed under a memory ceiling. jansson's tree costs
 * far more than its text ("[{},{},...]" takes some 80 bytes a byte), so a
 * body within its route's cap could still cost hundreds of megabytes before
 * it is refused. jansson's allocation functions are process-wide; ours are
 * malloc and free with a count kept on the side while, and only while, this
 * thread parses under a ceiling. They stay compatible with plain malloc and
 * free, so installing them late (libferry inside a program that already
 * uses jansson) is harmless, and a tree parsed here may be freed anywhere.
 * Within one json_loadb every block freed was allocated by the same call,
 * so counting malloc_usable_size both ways is exact. */
#include "base/json.h"

#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct load_budget {
    size_t used, cap;
    int over;
};

static _Thread_local struct load_budget *budget;
static pthread_once_t funcs_once = PTHREAD_ONCE_INIT;

static void *budget_malloc(size_t n)
{
    struct load_budget *b = budget;
    if (b && (b->over || n > b->cap - b->used)) {
        b->over = 1;
        return NULL;
    }
    void *p = malloc(n);
    if (p && b) {
        size_t u = malloc_usable_size(p);
        if (u > b->cap - b->used) {
            free(p);
            b->over = 1;
            return NULL;
        }
        b->used += u;
    }
    return p;
}

static void budget_free(void *p)
{
    struct load_budget *b = budget;
    if (p && b) {
        size_t u = malloc_usable_size(p);
        b->used = u < b->used ? b->used - u : 0;
    }
    free(p);
}

static void install_funcs(void)
{
    json_set_alloc_funcs(budget_malloc, budget_free);
}

json_t *fjson_loadb_capped(const char *buf, size_t len, size_t cap, json_error_t *je)
{
    pthread_once(&funcs_once, install_funcs);
    struct load_budget b = {0, cap, 0};
    struct load_budget *outer = budget;
    budget = &b;
    json_t *j = json_loadb(buf, len, 0, je);
    budget = outer;
    if (b.over) {
        json_decref(j); /* NULL in practice: jansson fails the load */
        j = NULL;
        if (je) {
            memset(je, 0, sizeof(*je));
            snprintf(je->text, sizeof(je->text) - 1,
                     "the JSON would take more than %zu bytes of memory to parse", b.cap);
            je->text[sizeof(je->text) - 1] = (char)json_error_out_of_memory;
        }
    }
    return j;
}

int fjson_load_over_budget(const json_error_t *je)
{
    return json_error_code(je) == json_error_out_of_memory;
}
