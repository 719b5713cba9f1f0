/* Metrics on hand-made fixtures with known answers, the reference scripts'
 * edge cases (missing, extra and unparsed boxes, azimuth wrap-around), and the
 * bootstrap against a naive replay that sorts every resample. */
#include "eval/jg-metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Haversine: an independent formula for the great-circle angle. */
static double
haversine_deg (double az1, double el1, double az2, double el2)
{
  double r = G_PI / 180.0;
  double a = pow (sin ((el2 - el1) * r / 2), 2)
           + cos (el1 * r) * cos (el2 * r) * pow (sin ((az2 - az1) * r / 2), 2);

  return 2 * asin (sqrt (a)) / r;
}

static void
test_doa_known (void)
{
  g_assert_cmpfloat_with_epsilon (jg_doa_angular_error (0, 0, 90, 0), 90.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (jg_doa_angular_error (0, 0, 0, 90), 90.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (jg_doa_angular_error (0, -90, 0, 90), 180.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (jg_doa_angular_error (30, 0, -30, 0), 60.0, 1e-9);
  g_assert_cmpfloat (jg_doa_angular_error (-7, -22, -7, -22), ==, 0.0);
  /* Across the ±180 seam on the horizon the angle is 2°, not 358°. */
  g_assert_cmpfloat_with_epsilon (jg_doa_angular_error (179, 0, -179, 0), 2.0, 1e-6);
  /* Near the pole azimuth matters little: 180° apart in az at el 89 is 2°. */
  g_assert_cmpfloat_with_epsilon (jg_doa_angular_error (0, 89, 180, 89), 2.0, 1e-6);

  g_assert_cmpfloat_with_epsilon (jg_azimuth_error (179, -179), 2.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (jg_azimuth_error (-179, 179), 2.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (jg_azimuth_error (10, 350), 20.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (jg_azimuth_error (0, 180), 180.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (jg_azimuth_error (-40, 25), 65.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (jg_azimuth_error (720, 1), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (jg_elevation_error (-22, 25), 47.0, 1e-12);
}

static void
test_doa_against_haversine (void)
{
  JgRng rng;

  jg_rng_init (&rng, 7);
  for (int i = 0; i < 2000; i++)
    {
      double az1 = jg_rng_below (&rng, 36000) / 100.0 - 180;
      double az2 = jg_rng_below (&rng, 36000) / 100.0 - 180;
      double el1 = jg_rng_below (&rng, 18000) / 100.0 - 90;
      double el2 = jg_rng_below (&rng, 18000) / 100.0 - 90;
      double ref = haversine_deg (az1, el1, az2, el2);

      g_assert_cmpfloat_with_epsilon (jg_doa_angular_error (az1, el1, az2, el2), ref, 1e-9);
    }
}

static JgBox
box (int index, double x, double y, double z, double dx, double dy, double dz)
{
  JgBox b = { index, { x, y, z }, { dx, dy, dz } };
  return b;
}

static void
test_iou_known (void)
{
  JgBox a = box (0, 0.14, -0.48, -1.15, 0.33, 0.88, 0.32);
  JgBox unit = box (0, 0, 0, 0, 1, 1, 1);
  JgBox half = box (0, 0.5, 0, 0, 1, 1, 1);
  JgBox far = box (0, 3, 0, 0, 1, 1, 1);
  JgBox touching = box (0, 1, 0, 0, 1, 1, 1);
  JgBox big = box (0, 0, 0, 0, 2, 2, 2);
  JgBox flat = box (0, 0, 0, 0, 0, 0, 0);
  JgBox corner = box (0, 0.5, 0.5, 0.5, 1, 1, 1);

  g_assert_cmpfloat_with_epsilon (jg_box_iou (&a, &a), 1.0, 1e-12);
  g_assert_cmpfloat (jg_box_iou (&unit, &far), ==, 0.0);
  g_assert_cmpfloat (jg_box_iou (&unit, &touching), ==, 0.0);
  g_assert_cmpfloat_with_epsilon (jg_box_iou (&unit, &half), 1.0 / 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (jg_box_iou (&half, &unit), 1.0 / 3.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (jg_box_iou (&unit, &big), 1.0 / 8.0, 1e-12);
  /* Shifted by half on all three axes: 1/8 overlap, union 2 - 1/8. */
  g_assert_cmpfloat_with_epsilon (jg_box_iou (&unit, &corner), 0.125 / 1.875, 1e-12);
  g_assert_cmpfloat (jg_box_iou (&flat, &flat), ==, 0.0);

  g_assert_cmpfloat_with_epsilon (jg_box_center_offset (&unit, &half), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (jg_box_center_offset (&unit, &corner), sqrt (0.75), 1e-12);
}

static GArray *
boxes (int n, const JgBox *b)
{
  GArray *arr = g_array_new (FALSE, FALSE, sizeof (JgBox));
  g_array_append_vals (arr, b, n);
  return arr;
}

static void
test_grounding_matching (void)
{
  JgBox gt_b[] = { box (0, 0, 0, 0, 1, 1, 1), box (1, 5, 0, 0, 1, 1, 1) };
  g_autoptr(GArray) gt = boxes (2, gt_b);
  g_autoptr(GArray) ious = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) offs = g_array_new (FALSE, FALSE, sizeof (double));
  JgGroundingScore s;

  /* Exact, listed in the other order: matched by index, not position. */
  {
    JgBox p_b[] = { gt_b[1], gt_b[0] };
    g_autoptr(GArray) pred = boxes (2, p_b);
    jg_grounding_score (gt, pred, &s, ious, offs);
    g_assert_cmpuint (s.n_gt, ==, 2);
    g_assert_cmpuint (s.n_matched, ==, 2);
    g_assert_cmpfloat_with_epsilon (s.iou_sum, 2.0, 1e-12);
    g_assert_cmpfloat (s.offset_sum, ==, 0.0);
  }

  /* Missing box: bbox_1 absent, bbox_0 half-overlapping. */
  g_array_set_size (ious, 0);
  g_array_set_size (offs, 0);
  {
    JgBox p_b[] = { box (0, 0.5, 0, 0, 1, 1, 1) };
    g_autoptr(GArray) pred = boxes (1, p_b);
    jg_grounding_score (gt, pred, &s, ious, offs);
    g_assert_cmpuint (s.n_gt, ==, 2);
    g_assert_cmpuint (s.n_matched, ==, 1);
    g_assert_cmpfloat_with_epsilon (s.iou_sum, 1.0 / 3.0, 1e-12);
    g_assert_cmpfloat_with_epsilon (s.offset_sum, 0.5, 1e-12);
    g_assert_cmpuint (ious->len, ==, 2);
    g_assert_cmpfloat_with_epsilon (g_array_index (ious, double, 0), 1.0 / 3.0, 1e-12);
    g_assert_cmpfloat (g_array_index (ious, double, 1), ==, 0.0);
    g_assert_cmpuint (offs->len, ==, 1);
  }

  /* Extra boxes (bbox_2, bbox_7) are ignored, not penalised. */
  g_array_set_size (ious, 0);
  g_array_set_size (offs, 0);
  {
    JgBox p_b[] = { gt_b[0], gt_b[1], box (2, 9, 9, 9, 1, 1, 1), box (7, 0, 0, 0, 1, 1, 1) };
    g_autoptr(GArray) pred = boxes (4, p_b);
    jg_grounding_score (gt, pred, &s, ious, offs);
    g_assert_cmpuint (s.n_gt, ==, 2);
    g_assert_cmpuint (s.n_matched, ==, 2);
    g_assert_cmpfloat_with_epsilon (s.iou_sum, 2.0, 1e-12);
    g_assert_cmpuint (ious->len, ==, 2);
    g_assert_cmpuint (offs->len, ==, 2);
  }

  /* Unparsed answer: every ground-truth box scores 0, no offsets. */
  g_array_set_size (ious, 0);
  g_array_set_size (offs, 0);
  jg_grounding_score (gt, NULL, &s, ious, offs);
  g_assert_cmpuint (s.n_gt, ==, 2);
  g_assert_cmpuint (s.n_matched, ==, 0);
  g_assert_cmpfloat (s.iou_sum, ==, 0.0);
  g_assert_cmpuint (ious->len, ==, 2);
  g_assert_cmpuint (offs->len, ==, 0);
}

static void
test_stats (void)
{
  g_autoptr(JgStats) s = jg_stats_new ();
  double vals[] = { 5, 1, 4, 2, 3 };
  double sorted[] = { 1, 2, 3, 4 };
  JgBootstrapCI ci;

  g_assert_true (isnan (jg_stats_mean (s)));
  g_assert_true (isnan (jg_stats_median (s)));
  jg_stats_bootstrap (s, 100, 0.95, 1, &ci);
  g_assert_true (isnan (ci.mean_lo) && isnan (ci.median_hi));

  for (int i = 0; i < 5; i++)
    jg_stats_add (s, vals[i]);
  g_assert_cmpuint (jg_stats_get_count (s), ==, 5);
  g_assert_cmpfloat_with_epsilon (jg_stats_mean (s), 3.0, 1e-12);
  g_assert_cmpfloat (jg_stats_median (s), ==, 3.0);
  jg_stats_add (s, 100);
  g_assert_cmpfloat (jg_stats_median (s), ==, 3.5);
  g_assert_cmpfloat_with_epsilon (jg_stats_mean (s), 115.0 / 6, 1e-12);

  /* numpy.quantile([1, 2, 3, 4], q) with linear interpolation. */
  g_assert_cmpfloat_with_epsilon (jg_quantile_sorted (sorted, 4, 0.25), 1.75, 1e-12);
  g_assert_cmpfloat_with_epsilon (jg_quantile_sorted (sorted, 4, 0.5), 2.5, 1e-12);
  g_assert_cmpfloat (jg_quantile_sorted (sorted, 4, 0.0), ==, 1.0);
  g_assert_cmpfloat (jg_quantile_sorted (sorted, 4, 1.0), ==, 4.0);
  g_assert_cmpfloat_with_epsilon (jg_quantile_sorted (sorted, 4, 0.975), 3.925, 1e-12);
}

static int
cmp_d (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

/* The textbook bootstrap: draw each resample with the same generator in the
 * same order, sort it, take its mean and median. */
static void
naive_bootstrap (const double *sorted_x, guint n, guint B, double level, guint64 seed,
                 JgBootstrapCI *out)
{
  g_autofree double *r = g_new (double, n);
  g_autofree double *means = g_new (double, B);
  g_autofree double *meds = g_new (double, B);
  double alpha = (1 - level) / 2;
  guint64 half = 0;
  JgRng rng;

  jg_rng_init (&rng, seed);
  for (guint b = 0; b < B; b++)
    {
      double sum = 0;
      /* Two draws per generator step, low half first, as documented. */
      for (guint i = 0; i < n; i++)
        {
          guint32 j;
          if (i + 1 < n || n % 2 == 0)
            {
              if (i % 2 == 0)
                half = jg_rng_next (&rng);
              j = (guint32) ((((i % 2 ? half >> 32 : half & 0xffffffffu)) * (guint64) n) >> 32);
            }
          else
            j = jg_rng_below (&rng, n);
          r[i] = sorted_x[j];
          sum += r[i];
        }
      qsort (r, n, sizeof (double), cmp_d);
      means[b] = sum / n;
      meds[b] = (r[(n - 1) / 2] + r[n / 2]) / 2;
    }
  qsort (means, B, sizeof (double), cmp_d);
  qsort (meds, B, sizeof (double), cmp_d);
  out->mean_lo = jg_quantile_sorted (means, B, alpha);
  out->mean_hi = jg_quantile_sorted (means, B, 1 - alpha);
  out->median_lo = jg_quantile_sorted (meds, B, alpha);
  out->median_hi = jg_quantile_sorted (meds, B, 1 - alpha);
}

static void
test_bootstrap_replay (void)
{
  /* Odd and even counts, with ties (integer-valued errors like HM3D's). */
  guint sizes[] = { 1, 2, 7, 50, 301 };

  for (guint t = 0; t < G_N_ELEMENTS (sizes); t++)
    {
      guint n = sizes[t];
      g_autoptr(JgStats) s = jg_stats_new ();
      g_autofree double *x = g_new (double, n);
      JgBootstrapCI a, b, c;
      JgRng rng;

      jg_rng_init (&rng, 100 + t);
      for (guint i = 0; i < n; i++)
        {
          x[i] = (double) jg_rng_below (&rng, 20);
          jg_stats_add (s, x[i]);
        }
      qsort (x, n, sizeof (double), cmp_d);
      jg_stats_bootstrap (s, 500, 0.95, 42, &a);
      naive_bootstrap (x, n, 500, 0.95, 42, &b);
      /* Sums in another order: equal to rounding. */
      g_assert_cmpfloat_with_epsilon (a.mean_lo, b.mean_lo, 1e-12 * (1 + fabs (b.mean_lo)));
      g_assert_cmpfloat_with_epsilon (a.mean_hi, b.mean_hi, 1e-12 * (1 + fabs (b.mean_hi)));
      g_assert_cmpfloat (a.median_lo, ==, b.median_lo);
      g_assert_cmpfloat (a.median_hi, ==, b.median_hi);

      /* Deterministic for a seed. */
      jg_stats_bootstrap (s, 500, 0.95, 42, &c);
      g_assert_cmpmem (&a, sizeof a, &c, sizeof c);
      g_assert_cmpfloat (a.mean_lo, <=, jg_stats_mean (s) + 1e-12);
      g_assert_cmpfloat (a.mean_hi, >=, jg_stats_mean (s) - 1e-12);
    }
}

static void
test_bootstrap_width (void)
{
  /* For n draws of a known distribution the 95% interval of the mean is
   * about ±1.96 sd/sqrt(n). Values uniform on [0, 1): sd = 1/sqrt(12). */
  guint n = 4000;
  g_autoptr(JgStats) s = jg_stats_new ();
  double expect = 2 * 1.959964 * (1 / sqrt (12.0)) / sqrt (n);
  JgBootstrapCI ci, other;
  JgRng rng;

  jg_rng_init (&rng, 3);
  for (guint i = 0; i < n; i++)
    jg_stats_add (s, (jg_rng_next (&rng) >> 11) * 0x1.0p-53);
  jg_stats_bootstrap (s, 2000, 0.95, 1, &ci);
  g_assert_cmpfloat (fabs ((ci.mean_hi - ci.mean_lo) - expect) / expect, <, 0.1);
  /* The median of uniform values has sd 1/(2 sqrt(n)) asymptotically. */
  g_assert_cmpfloat (fabs ((ci.median_hi - ci.median_lo) - 2 * 1.959964 / (2 * sqrt (n)))
                     / (2 * 1.959964 / (2 * sqrt (n))), <, 0.2);
  /* Another seed gives another, close, interval. */
  jg_stats_bootstrap (s, 2000, 0.95, 2, &other);
  g_assert_cmpfloat (other.mean_lo, !=, ci.mean_lo);
  g_assert_cmpfloat (fabs (other.mean_lo - ci.mean_lo), <, expect * 0.1);
}

static void
test_rng_reference (void)
{
  /* splitmix64 from seed 0 gives the published first output
   * 0xe220a8397b1dcdaf; xoshiro256** starts from four of them. */
  JgRng rng;
  guint64 sm = G_GUINT64_CONSTANT (0x9e3779b97f4a7c15);

  sm = (sm ^ (sm >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  sm = (sm ^ (sm >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  sm ^= sm >> 31;
  g_assert_cmphex (sm, ==, G_GUINT64_CONSTANT (0xe220a8397b1dcdaf));
  jg_rng_init (&rng, 0);
  g_assert_cmphex (rng.s[0], ==, G_GUINT64_CONSTANT (0xe220a8397b1dcdaf));

  /* Uniformity of jg_rng_below: 60,000 draws into 6 bins, each near 10,000. */
  {
    guint c[6] = { 0 };
    for (int i = 0; i < 60000; i++)
      c[jg_rng_below (&rng, 6)]++;
    for (int i = 0; i < 6; i++)
      g_assert_cmpuint (ABS ((int) c[i] - 10000), <, 400);
  }
}

static void
test_histogram (void)
{
  double v[] = { -1, 0, 0.5, 1.0, 1.99, 2.0, 5, NAN, 9.99, 10, 42 };
  guint counts[5];

  g_assert_cmpuint (jg_histogram (v, G_N_ELEMENTS (v), 0, 10, 5, counts), ==, 10);
  g_assert_cmpuint (counts[0], ==, 5);  /* -1 clamps, 0, 0.5, 1.0, 1.99 */
  g_assert_cmpuint (counts[1], ==, 1);  /* 2.0 */
  g_assert_cmpuint (counts[2], ==, 1);  /* 5 */
  g_assert_cmpuint (counts[3], ==, 0);
  g_assert_cmpuint (counts[4], ==, 3);  /* 9.99, 10 and 42 clamp */
  g_assert_cmpuint (jg_histogram (v, G_N_ELEMENTS (v), 1, 1, 5, counts), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/doa-known", test_doa_known);
  g_test_add_func ("/metrics/doa-haversine", test_doa_against_haversine);
  g_test_add_func ("/metrics/iou-known", test_iou_known);
  g_test_add_func ("/metrics/grounding-matching", test_grounding_matching);
  g_test_add_func ("/metrics/stats", test_stats);
  g_test_add_func ("/metrics/bootstrap-replay", test_bootstrap_replay);
  g_test_add_func ("/metrics/bootstrap-width", test_bootstrap_width);
  g_test_add_func ("/metrics/rng-reference", test_rng_reference);
  g_test_add_func ("/metrics/histogram", test_histogram);
  return g_test_run ();
}
