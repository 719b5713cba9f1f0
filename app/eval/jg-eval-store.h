/* jg-eval-store.h: an evaluation kept as a run in the results store, for
 * the error-analysis window (`jaeger eval --store`, or its Import). */
#pragma once

#include "eval/jg-eval.h"
#include "store/jg-store.h"

G_BEGIN_DECLS

/* Adds the manifests' samples (the dataset is the set of manifest files,
 * by absolute path, so runs over the same files share samples and can be
 * compared) and one run with every scored prediction, each in its own
 * transaction. @manifest_paths: NULL-terminated, the files @ev was built
 * from, in order. @run_name: NULL to use the prediction file's model, else
 * @fallback_name. Returns the run id, 0 on error. */
gint64 jg_evaluation_save_run (JgEvaluation *ev, JgStore *store, const char *const *manifest_paths,
                               JgPredictionSet *preds, const char *run_name, const char *fallback_name,
                               JgStoreProgress progress, gpointer user_data, GError **error);

G_END_DECLS
