/* The error-analysis window on a store made here through the store API:
 * a DoA dataset with two runs. The window must open it, query it on its
 * worker thread, pick the task, draw the error histogram of both runs and
 * the table, and write the screenshot. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <png.h>
#include <string.h>

#include "eval/jg-metrics.h"
#include "store/jg-store.h"

#define N 40

static char *
make_store (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "results.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JgStore) store = jg_store_open (path, &error);
  JgStoreSample samples[N];
  JgStorePrediction preds[2][N];
  char *paths[N], *gts[N], *answers[2][N], *entries[N];
  gint64 ids[N], ds;
  const JgStoreRunInfo info[2] = { { "run A", "jaeger", NULL, NULL, NULL }, { "run B", "baseline", NULL, NULL, NULL } };

  g_assert_no_error (error);
  for (int i = 0; i < N; i++)
    {
      int az = -40 + 2 * i, el = -20 + i;
      paths[i] = g_strdup_printf ("%s/test/scene/task1_%05d", dir, i);
      gts[i] = g_strdup_printf ("azimuth: %d; elevation: %d", az, el);
      entries[i] = g_strdup_printf ("{\"path\": \"%s\", \"task\": \"spatial_doa\", \"text\": \"%s\", \"gender\": \"M\"}", paths[i], gts[i]);
      samples[i] = (JgStoreSample) { paths[i], JG_TASK_SPATIAL_DOA, "M", gts[i], entries[i] };
    }
  ds = jg_store_ensure_dataset (store, "test", "test.json", samples, N, ids, &error);
  g_assert_no_error (error);
  g_assert_cmpint (ds, >, 0);
  for (int r = 0; r < 2; r++)
    {
      for (int i = 0; i < N; i++)
        {
          int az = -40 + 2 * i, el = -20 + i;
          /* Run A is off by a few degrees, run B by more. */
          double paz = az + (r == 0 ? i % 5 : 3 * (i % 11)), pel = el;
          answers[r][i] = g_strdup_printf ("azimuth: %.0f; elevation: %.0f", paz, pel);
          preds[r][i] = (JgStorePrediction) { ids[i], answers[r][i], { 0 } };
          preds[r][i].metrics.parsed = TRUE;
          preds[r][i].metrics.angle = jg_doa_angular_error (az, el, paz, pel);
          preds[r][i].metrics.error = preds[r][i].metrics.angle;
          preds[r][i].metrics.az = fabs (paz - az);
          preds[r][i].metrics.el = 0;
          preds[r][i].metrics.iou = NAN;
          preds[r][i].metrics.offset = NAN;
          preds[r][i].metrics.correct = -1;
        }
      g_assert_cmpint (jg_store_add_run (store, ds, &info[r], preds[r], N, NULL, NULL, &error), >, 0);
      g_assert_no_error (error);
    }
  for (int i = 0; i < N; i++)
    {
      g_free (paths[i]);
      g_free (gts[i]);
      g_free (entries[i]);
      g_free (answers[0][i]);
      g_free (answers[1][i]);
    }
  return g_steal_pointer (&path);
}

static void
test_review_screenshot (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jg-review-XXXXXX", NULL);
  g_autofree char *store = make_store (dir);
  g_autofree char *out = g_build_filename (dir, "review.png", NULL);
  g_autofree char *err = NULL;
  const char *argv[] = { g_getenv ("JAEGER_STUDIO"), "--review", store, "--screenshot", out, "--size", "1400x800", NULL };
  png_image pi;
  g_autofree guint8 *rgba = NULL;
  guint64 blue = 0, orange = 0;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, NULL));
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("jaeger-studio --review failed: %s", err);

  memset (&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  g_assert_true (png_image_begin_read_from_file (&pi, out));
  pi.format = PNG_FORMAT_RGBA;
  rgba = g_malloc (PNG_IMAGE_SIZE (pi));
  g_assert_true (png_image_finish_read (&pi, NULL, rgba, 0, NULL));
  /* The histogram's bars: run A blue (0.30, 0.60, 1.0), run B orange (1.0, 0.55, 0.2), over white. */
  for (gsize i = 0; i < (gsize) pi.width * pi.height; i++)
    {
      const guint8 *p = rgba + 4 * i;
      if (p[2] > 200 && p[0] < 130 && p[1] > 130 && p[1] < 190)
        blue++;
      if (p[0] > 230 && p[1] > 130 && p[1] < 200 && p[2] < 140)
        orange++;
    }
  g_test_message ("histogram pixels: blue %" G_GUINT64_FORMAT ", orange %" G_GUINT64_FORMAT, blue, orange);
  g_assert_cmpuint (blue, >, 300);
  g_assert_cmpuint (orange, >, 100);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/review/screenshot", test_review_screenshot);
  return g_test_run ();
}
