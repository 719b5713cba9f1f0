/* jg-metrics.c: see jg-metrics.h. */
#include "eval/jg-metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEG (G_PI / 180.0)

double
jg_doa_angular_error (double az1_deg, double el1_deg, double az2_deg, double el2_deg)
{
  double a1 = az1_deg * DEG, e1 = el1_deg * DEG;
  double a2 = az2_deg * DEG, e2 = el2_deg * DEG;
  double u[3] = { cos (e1) * cos (a1), cos (e1) * sin (a1), sin (e1) };
  double v[3] = { cos (e2) * cos (a2), cos (e2) * sin (a2), sin (e2) };
  double c[3] = { u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0] };
  double dot = u[0] * v[0] + u[1] * v[1] + u[2] * v[2];

  /* The same angle as the reference's acos (dot), but atan2 keeps its digits
   * near 0 and 180 degrees, so equal answers score exactly 0. */
  return atan2 (sqrt (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]), dot) / DEG;
}

double
jg_azimuth_error (double az1_deg, double az2_deg)
{
  double d = fmod (fabs (az1_deg - az2_deg), 360.0);

  return d > 180.0 ? 360.0 - d : d;
}

double
jg_elevation_error (double el1_deg, double el2_deg)
{
  return fabs (el1_deg - el2_deg);
}

double
jg_box_iou (const JgBox *a, const JgBox *b)
{
  double inter = 1.0, va = 1.0, vb = 1.0, uni;

  for (int k = 0; k < 3; k++)
    {
      double lo = MAX (a->center[k] - a->size[k] / 2, b->center[k] - b->size[k] / 2);
      double hi = MIN (a->center[k] + a->size[k] / 2, b->center[k] + b->size[k] / 2);

      inter *= MAX (hi - lo, 0.0);
      va *= a->size[k];
      vb *= b->size[k];
    }
  uni = va + vb - inter;
  if (!(uni > 0.0))
    return 0.0;
  return inter / uni;
}

double
jg_box_center_offset (const JgBox *a, const JgBox *b)
{
  double dx = a->center[0] - b->center[0];
  double dy = a->center[1] - b->center[1];
  double dz = a->center[2] - b->center[2];

  return sqrt (dx * dx + dy * dy + dz * dz);
}

static const JgBox *
find_box (const GArray *boxes, int index)
{
  if (boxes == NULL)
    return NULL;
  /* A handful of boxes per sample: a linear scan. If a model repeats an
   * index, its first box with that index is the one scored. */
  for (guint i = 0; i < boxes->len; i++)
    {
      const JgBox *b = &g_array_index (boxes, JgBox, i);
      if (b->index == index)
        return b;
    }
  return NULL;
}

void
jg_grounding_score (const GArray *gt, const GArray *pred, JgGroundingScore *out,
                    GArray *ious, GArray *offsets)
{
  memset (out, 0, sizeof *out);
  if (gt == NULL)
    return;
  for (guint i = 0; i < gt->len; i++)
    {
      const JgBox *g = &g_array_index (gt, JgBox, i);
      const JgBox *p = find_box (pred, g->index);
      double iou = 0.0;

      out->n_gt++;
      if (p != NULL)
        {
          double off = jg_box_center_offset (g, p);

          iou = jg_box_iou (g, p);
          out->n_matched++;
          out->offset_sum += off;
          if (offsets != NULL)
            g_array_append_val (offsets, off);
        }
      out->iou_sum += iou;
      if (ious != NULL)
        g_array_append_val (ious, iou);
    }
}

/* ---- statistics ---- */

struct _JgStats {
  GArray *values;    /* double, in insertion order until sorted */
  gboolean sorted;
};

JgStats *
jg_stats_new (void)
{
  JgStats *s = g_new0 (JgStats, 1);

  s->values = g_array_new (FALSE, FALSE, sizeof (double));
  return s;
}

void
jg_stats_free (JgStats *stats)
{
  if (stats == NULL)
    return;
  g_array_unref (stats->values);
  g_free (stats);
}

void
jg_stats_add (JgStats *stats, double value)
{
  g_array_append_val (stats->values, value);
  stats->sorted = FALSE;
}

guint
jg_stats_get_count (const JgStats *stats)
{
  return stats->values->len;
}

double
jg_stats_mean (const JgStats *stats)
{
  const double *v = (const double *) stats->values->data;
  double sum = 0.0;

  if (stats->values->len == 0)
    return NAN;
  for (guint i = 0; i < stats->values->len; i++)
    sum += v[i];
  return sum / stats->values->len;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
ensure_sorted (JgStats *stats)
{
  if (!stats->sorted)
    {
      qsort (stats->values->data, stats->values->len, sizeof (double), cmp_double);
      stats->sorted = TRUE;
    }
}

double
jg_stats_median (JgStats *stats)
{
  guint n = stats->values->len;
  const double *v;

  if (n == 0)
    return NAN;
  ensure_sorted (stats);
  v = (const double *) stats->values->data;
  return (v[(n - 1) / 2] + v[n / 2]) / 2;
}

double
jg_quantile_sorted (const double *sorted, gsize n, double q)
{
  double pos, frac;
  gsize i;

  if (n == 0)
    return NAN;
  pos = CLAMP (q, 0.0, 1.0) * (double) (n - 1);
  i = (gsize) floor (pos);
  if (i >= n - 1)
    return sorted[n - 1];
  frac = pos - (double) i;
  return sorted[i] + (sorted[i + 1] - sorted[i]) * frac;
}

/* ---- xoshiro256** (Blackman & Vigna), seeded through splitmix64 ---- */

static guint64
splitmix64 (guint64 *x)
{
  guint64 z = (*x += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

void
jg_rng_init (JgRng *rng, guint64 seed)
{
  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&seed);
}

static inline guint64
rotl (guint64 x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static inline guint64
rng_next (JgRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);
  return result;
}

guint64
jg_rng_next (JgRng *rng)
{
  return rng_next (rng);
}

guint32
jg_rng_below (JgRng *rng, guint32 n)
{
  return (guint32) (((jg_rng_next (rng) >> 32) * (guint64) n) >> 32);
}

void
jg_rng_indices (JgRng *rng, guint32 n, guint32 *out, gsize count)
{
  /* A local copy of the state stays in registers. */
  JgRng local = *rng;
  gsize i = 0;

  for (; i + 1 < count; i += 2)
    {
      guint64 r = rng_next (&local);
      out[i] = (guint32) (((r & 0xffffffffu) * (guint64) n) >> 32);
      out[i + 1] = (guint32) (((r >> 32) * (guint64) n) >> 32);
    }
  *rng = local;
  if (i < count)
    out[i] = jg_rng_below (rng, n);
}

void
jg_stats_bootstrap (JgStats *stats, guint n_resamples, double level, guint64 seed,
                    JgBootstrapCI *out)
{
  guint n = stats->values->len;
  const double *x;
  g_autofree guint32 *counts = NULL;
  g_autofree guint32 *draws = NULL;
  g_autofree double *means = NULL;
  g_autofree double *medians = NULL;
  double alpha;
  JgRng rng;

  out->mean_lo = out->mean_hi = out->median_lo = out->median_hi = NAN;
  if (n == 0 || n_resamples == 0)
    return;

  /* Resampling from the sorted values lets one pass over the counts give
   * both the resample's sum and its median, with no sort per resample and
   * a single random access per draw. */
  ensure_sorted (stats);
  x = (const double *) stats->values->data;
  counts = g_new (guint32, n);
  draws = g_new (guint32, n);
  means = g_new (double, n_resamples);
  medians = g_new (double, n_resamples);
  jg_rng_init (&rng, seed);

  for (guint b = 0; b < n_resamples; b++)
    {
      guint k0 = (n - 1) / 2, k1 = n / 2;   /* 0-based middle order statistics */
      double sum = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, m0 = NAN, m1 = NAN;
      guint64 cum = 0;
      guint j = 0;

      memset (counts, 0, n * sizeof (guint32));
      jg_rng_indices (&rng, n, draws, n);
      for (guint i = 0; i < n; i++)
        counts[draws[i]]++;
      /* Up to the middle: the k-th smallest drawn value is x[j] when the
       * copies of x[j] cover position k. */
      for (; j < n && cum <= k1; j++)
        {
          guint64 before = cum;

          sum += counts[j] * x[j];
          cum += counts[j];
          if (before <= k0 && k0 < cum)
            m0 = x[j];
          if (k1 < cum)
            m1 = x[j];
        }
      /* The rest only adds to the sum: four chains, not one long one. */
      for (; j + 4 <= n; j += 4)
        {
          sum += counts[j] * x[j];
          s1 += counts[j + 1] * x[j + 1];
          s2 += counts[j + 2] * x[j + 2];
          s3 += counts[j + 3] * x[j + 3];
        }
      for (; j < n; j++)
        sum += counts[j] * x[j];
      sum += s1 + s2 + s3;
      means[b] = sum / n;
      medians[b] = (m0 + m1) / 2;
    }

  qsort (means, n_resamples, sizeof (double), cmp_double);
  qsort (medians, n_resamples, sizeof (double), cmp_double);
  alpha = (1.0 - CLAMP (level, 0.0, 1.0)) / 2;
  out->mean_lo = jg_quantile_sorted (means, n_resamples, alpha);
  out->mean_hi = jg_quantile_sorted (means, n_resamples, 1.0 - alpha);
  out->median_lo = jg_quantile_sorted (medians, n_resamples, alpha);
  out->median_hi = jg_quantile_sorted (medians, n_resamples, 1.0 - alpha);
}

gsize
jg_histogram (const double *values, gsize n, double lo, double hi, guint n_bins,
              guint *counts)
{
  gsize counted = 0;
  double width;

  memset (counts, 0, n_bins * sizeof (guint));
  if (n_bins == 0 || !(hi > lo))
    return 0;
  width = (hi - lo) / n_bins;
  for (gsize i = 0; i < n; i++)
    {
      double v = values[i];
      gint64 bin;

      if (isnan (v))
        continue;
      if (v < lo)
        bin = 0;
      else if (v >= hi)
        bin = n_bins - 1;
      else
        bin = MIN ((gint64) ((v - lo) / width), (gint64) n_bins - 1);
      counts[bin]++;
      counted++;
    }
  return counted;
}
