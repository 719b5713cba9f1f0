/* jg-metrics.h: the scoring arithmetic of SpatialSceneQA (JAEGER.md §2):
 * angular errors, 3-D box IoU and centre offsets with index matching,
 * accumulators with mean / median and seeded bootstrap confidence
 * intervals. Pure functions on typed values; no parsing, no I/O. */
#pragma once

#include <glib.h>

#include "data/jg-answer.h"

G_BEGIN_DECLS

/* Great-circle angle in degrees between two directions given as azimuth and
 * elevation in degrees, through the unit vectors
 * (cos el cos az, cos el sin az, sin el) as the reference scripts do. */
double jg_doa_angular_error (double az1_deg, double el1_deg,
                             double az2_deg, double el2_deg);
/* |az1 - az2| wrapped into [0, 180]: 179 vs -179 is 2. */
double jg_azimuth_error (double az1_deg, double az2_deg);
double jg_elevation_error (double el1_deg, double el2_deg);

/* Axis-aligned 3-D IoU of two centre+size boxes (same units); 0 when the
 * union has no volume. */
double jg_box_iou (const JgBox *a, const JgBox *b);
/* Euclidean distance between the centres. */
double jg_box_center_offset (const JgBox *a, const JgBox *b);

/* Per-sample grounding score with index matching: every ground-truth box
 * bbox_i meets the predicted bbox_i if there is one; an unmatched ground-truth
 * box scores IoU 0 and no offset; predicted boxes with no ground-truth index
 * are ignored. @pred may be NULL (an unparsed answer: every box unmatched). */
typedef struct {
  guint n_gt;          /* ground-truth boxes */
  guint n_matched;     /* of those, with a predicted box of the same index */
  double iou_sum;      /* over all ground-truth boxes */
  double offset_sum;   /* over matched boxes */
} JgGroundingScore;

/* Scores @gt against @pred (GArrays of JgBox, same units). When @ious is
 * non-NULL each ground-truth box's IoU is appended; when @offsets is
 * non-NULL each matched box's offset is appended. */
void jg_grounding_score (const GArray *gt, const GArray *pred,
                         JgGroundingScore *out,
                         GArray *ious, GArray *offsets);

/* What one sample scored, as stored and shown per row. @error is the task's
 * headline error, one number to sort and histogram on whatever the task:
 * DoA tasks the great-circle angle in degrees (NAN when the answer did not
 * parse: those are dropped from DoA statistics); grounding 1 - mean IoU over
 * the ground-truth boxes (an unparsed answer scores IoU 0, error 1);
 * matching 0 when correct, 1 when wrong or unparsed. */
typedef struct {
  gboolean parsed;
  double error;
  double angle, az, el;   /* DoA tasks, degrees; NAN otherwise */
  double iou;             /* grounding: mean over ground-truth boxes; NAN otherwise */
  double offset;          /* grounding: mean over matched boxes, metres; NAN if none */
  int correct;            /* matching tasks: 0 or 1; -1 otherwise */
} JgSampleMetrics;

/* A growing list of per-sample (or per-box) values with summary statistics. */
typedef struct _JgStats JgStats;

JgStats *jg_stats_new (void);
void     jg_stats_free (JgStats *stats);
void     jg_stats_add (JgStats *stats, double value);
guint    jg_stats_get_count (const JgStats *stats);
/* NAN when empty. */
double   jg_stats_mean (const JgStats *stats);
/* The median as numpy computes it (the mean of the two middle values for an
 * even count); NAN when empty. */
double   jg_stats_median (JgStats *stats);

/* Percentile bootstrap: @n_resamples resamples of the values drawn with
 * replacement by a PRNG seeded with @seed (the same seed gives the same
 * interval on every machine); the interval holds the central @level
 * (e.g. 0.95) of the resampled means and medians, quantiles interpolated
 * linearly between order statistics. All NAN when empty. */
typedef struct {
  double mean_lo, mean_hi;
  double median_lo, median_hi;
} JgBootstrapCI;

void jg_stats_bootstrap (JgStats *stats, guint n_resamples, double level,
                         guint64 seed, JgBootstrapCI *out);

/* The seeded generator behind the bootstrap (xoshiro256** seeded through
 * splitmix64), public so tests can replay the exact resamples. */
typedef struct {
  guint64 s[4];
} JgRng;

void    jg_rng_init (JgRng *rng, guint64 seed);
guint64 jg_rng_next (JgRng *rng);
/* Uniform in [0, n) for n < 2^32 (multiply-shift; bias below n / 2^32). */
guint32 jg_rng_below (JgRng *rng, guint32 n);

/* Fills @out with @count indices uniform in [0, n), two per generator
 * step (the low then the high 32 bits, each multiply-shifted): the draws
 * of one bootstrap resample. */
void    jg_rng_indices (JgRng *rng, guint32 n, guint32 *out, gsize count);

/* The linearly interpolated quantile @q in [0, 1] of @n sorted values. */
double jg_quantile_sorted (const double *sorted, gsize n, double q);

/* Counts @n values into @n_bins equal bins over [@lo, @hi); values below go
 * to bin 0, values at or above @hi to the last bin, NANs are skipped.
 * Returns how many were counted. */
gsize jg_histogram (const double *values, gsize n, double lo, double hi,
                    guint n_bins, guint *counts);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgStats, jg_stats_free)

G_END_DECLS
