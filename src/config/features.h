/*
 * features: which configured settings this version of tern acts on.
 *
 * tern accepts every field of mox's config files, including those of features
 * it does not have yet, so a mox installation's files work unchanged. This
 * module names the fields whose feature is not built yet, so `tern config
 * test` can list plainly what a config asks for that is not served. The table
 * shrinks as features land; each entry names the missing feature.
 */
#ifndef TERN_CONFIG_FEATURES_H
#define TERN_CONFIG_FEATURES_H

#include "config/schema.h"

#include <stddef.h>

typedef void (*features_fn)(void *arg, const char *path, const char *feature);

/* Calls fn for each set field of v (of struct type t) that belongs to a feature not built yet. */
void features_unacted(const struct sch_type *t, const void *v, features_fn fn, void *arg);

#endif
