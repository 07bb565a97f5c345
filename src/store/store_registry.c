/* SPDX-License-Identifier: MIT
 * The registry's store entry points: dispatch to the backend. */
#include "store/store_int.h"

#include "base/banned.h"

int store_registry_write(struct store *s, struct reg_write *w, struct ferr *err)
{
    return s->ops->registry_write(s, w, err);
}

int store_get_registered_model(struct store *s, const char *name, struct registered_model *out,
                               struct ferr *err)
{
    return s->ops->get_registered_model(s, name, out, err);
}

int store_get_model_version(struct store *s, const char *name, int64_t version,
                            struct model_version *out, struct ferr *err)
{
    return s->ops->get_model_version(s, name, version, out, err);
}

int store_get_version_by_alias(struct store *s, const char *name, const char *alias,
                               struct model_version *out, struct ferr *err)
{
    return s->ops->get_version_by_alias(s, name, alias, out, err);
}

int store_get_latest_versions(struct store *s, const char *name, const char *const *stages,
                              size_t n, struct model_version_list *out, struct ferr *err)
{
    return s->ops->get_latest_versions(s, name, stages, n, out, err);
}

int store_search_registered_models(struct store *s, const struct registry_search *q,
                                   struct registered_model_list *out, struct ferr *err)
{
    return s->ops->search_registered_models(s, q, out, err);
}

int store_search_model_versions(struct store *s, const struct registry_search *q,
                                struct model_version_list *out, struct ferr *err)
{
    return s->ops->search_model_versions(s, q, out, err);
}

int store_registry_events(struct store *s, const char *name, struct registry_event_list *out,
                          struct ferr *err)
{
    return s->ops->registry_events(s, name, out, err);
}
