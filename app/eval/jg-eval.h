/* jg-eval.h: scoring a prediction set against a manifest, per sample and
 * per task, with the reference project's rules (JAEGER.md §2):
 *  - DoA tasks: great-circle, azimuth and elevation errors over the answers
 *    that parse; unparsed ones are dropped and counted.
 *  - visual_grounding: boxes matched by index; every ground-truth box counts
 *    (IoU 0 when unmatched, also for an unparsed answer), centre offsets
 *    over matched boxes; statistics over boxes.
 *  - single_source / dual_source: accuracy, unparsed answers count as wrong;
 *    also per gender of the asked-for voice.
 * Manifest entries without a prediction are counted as missing, not scored
 * (the reference scores what its inference wrote). */
#pragma once

#include <glib.h>

#include "data/jg-manifest.h"
#include "eval/jg-metrics.h"
#include "eval/jg-predictions.h"

G_BEGIN_DECLS

typedef struct {
  guint n_resamples;       /* bootstrap resamples; 0: no intervals */
  double level;            /* e.g. 0.95 */
  guint64 seed;
} JgEvalOptions;

void jg_eval_options_init (JgEvalOptions *options);   /* 1000, 0.95, seed 0 */

/* One manifest entry and what its prediction scored. */
typedef struct {
  const JgManifestEntry *entry;
  const JgPrediction *prediction;  /* NULL: missing from the prediction set */
  JgSampleMetrics metrics;
} JgEvalSample;

/* A statistic: mean and median with their bootstrap intervals (NAN when
 * there were no values or no resamples). */
typedef struct {
  guint count;
  double mean, median;
  JgBootstrapCI ci;
} JgEvalStat;

typedef struct {
  JgTask task;
  guint n_samples;         /* manifest entries of the task */
  guint n_predicted;       /* of those, with a prediction */
  guint n_unparsed;        /* predictions whose answer did not parse */
  guint n_scored;          /* predictions that entered the statistics */
  /* DoA tasks, degrees (az and el without intervals) */
  JgEvalStat angle, az, el;
  /* visual_grounding: per box */
  guint n_gt_boxes, n_matched_boxes;
  JgEvalStat iou, offset;
  /* matching tasks: accuracy as the mean of 0/1 */
  JgEvalStat correct;
  JgEvalStat correct_male, correct_female;
} JgEvalTaskSummary;

typedef struct _JgEvaluation JgEvaluation;

/* Scores @predictions against the entries of @n_manifests manifests (a
 * test split comes as one manifest per task family). A prediction meets its
 * entry by task and path: as written in the manifest, or after root
 * remapping, or else by the last two path components, which survive a
 * different root. The manifests must outlive the evaluation. */
JgEvaluation *jg_evaluation_new (JgManifest *const *manifests, guint n_manifests,
                                 JgPredictionSet *predictions, const JgEvalOptions *options);
void          jg_evaluation_free (JgEvaluation *evaluation);

guint               jg_evaluation_get_n_samples (JgEvaluation *evaluation);
const JgEvalSample *jg_evaluation_get_sample (JgEvaluation *evaluation, guint i);
/* NULL for a task the manifest does not have. */
const JgEvalTaskSummary *jg_evaluation_get_summary (JgEvaluation *evaluation, JgTask task);
/* Predictions that met no manifest entry, and repeated ones (first kept). */
guint jg_evaluation_get_n_unmatched (JgEvaluation *evaluation);
guint jg_evaluation_get_n_duplicates (JgEvaluation *evaluation);
/* The @i-th unmatched prediction, @i < jg_evaluation_get_n_unmatched (). */
const JgPrediction *jg_evaluation_get_unmatched (JgEvaluation *evaluation, guint i);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgEvaluation, jg_evaluation_free)

G_END_DECLS
