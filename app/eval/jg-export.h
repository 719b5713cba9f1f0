/* jg-export.h: what leaves the evaluation: curated manifests in the JAEGER
 * format, per-sample reports (CSV or JSON) and the summary as JSON. Every
 * file is written atomically. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "data/jg-manifest.h"
#include "eval/jg-eval.h"
#include "store/jg-store.h"

G_BEGIN_DECLS

/* @entry as a manifest entry object in JSON text, with the fields and
 * spellings of the released manifests ("M"/"F" for DoA tasks,
 * "male"/"female" for dual_source, the path as originally written). */
char *jg_manifest_entry_to_json (const JgManifestEntry *entry);

/* Writes {"annotation": [...]} of the entries (JSON object texts). */
gboolean jg_export_manifest (const char *filename, GPtrArray *entries, GError **error);

/* The dataset's samples in manifest order without the rejected ones. */
gboolean jg_export_curated_manifest (JgStore *store, gint64 dataset_id, const char *filename,
                                     GError **error);

/* Per-sample reports: CSV when @filename ends in ".csv", JSON otherwise. */
gboolean jg_export_evaluation_report (JgEvaluation *evaluation, const char *filename,
                                      GError **error);
/* The same columns for the rows of a store query (run A's metrics), plus
 * run B's answer and error when @with_b, and the tag, note and sample id. */
gboolean jg_export_rows_report (const JgStoreRows *rows, gboolean with_b, const char *filename,
                                GError **error);

/* The per-task summary as a JSON object (see `jaeger eval --json`). */
JsonNode *jg_evaluation_summary_to_json (JgEvaluation *evaluation, const JgEvalOptions *options);

G_END_DECLS
