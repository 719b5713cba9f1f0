/* `jaeger render` end to end: a sample directory written here (8-bit depth
 * of a wall, an RGB frame, ground truth in metadata.json) and a prediction
 * file; the PNG it writes is checked against the dataset's pinhole model
 * (jg_intrinsics_project), which the sensor view must reproduce: box
 * corners and the DoA direction within 2 px, the cloud over the valid
 * depth pixels. Bad use gives exit 2, bad files exit 1 with the path. */
#include "core/jg-file-util.h"
#include "audio/jg-foa.h"
#include "data/jg-intrinsics.h"
#include "data/jg-png.h"
#include "render/jg-camera.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define W 160
#define H 90

static char *tmp_dir;
static char *sample_dir;

static const guint8 gt_color[3] = { 51, 217, 89 };      /* the scene's ground-truth green */
static const guint8 pred_color[3] = { 255, 128, 26 };   /* prediction orange */

static void
make_sample (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *depth = g_new0 (guint8, W * H);
  g_autofree guint8 *rgb = g_new (guint8, W * H * 3);
  g_autofree char *meta = NULL, *pred = NULL, *pred_path = NULL;

  tmp_dir = g_dir_make_tmp ("jaeger-render-XXXXXX", &error);
  g_assert_no_error (error);
  sample_dir = g_build_filename (tmp_dir, "test", "scene0", "task1_00001", NULL);
  g_assert_cmpint (g_mkdir_with_parents (sample_dir, 0700), ==, 0);
  /* 102 / 255 * 10 = 4 m over columns [20, 140) x rows [10, 80) */
  for (int v = 10; v < 80; v++)
    for (int u = 20; u < 140; u++)
      depth[v * W + u] = 102;
  memset (rgb, 128, W * H * 3);
  g_autofree char *dp = g_build_filename (sample_dir, "depth.png", NULL);
  g_autofree char *cp = g_build_filename (sample_dir, "rgb.png", NULL);
  g_assert_true (jg_png_write (dp, W, H, 1, 8, depth, &error));
  g_assert_true (jg_png_write (cp, W, H, 3, 8, rgb, &error));
  g_assert_no_error (error);
  meta = g_build_filename (sample_dir, "metadata.json", NULL);
  g_assert_true (g_file_set_contents (meta,
    "{\"answers\": {\"visual_grounding\": \"bbox_0=Bbox(speaker, -0.6, 0.2, -2.0, 0.5, 0.4, 0.3)\","
    " \"spatial_doa\": \"azimuth: 20; elevation: 5\"}}", -1, &error));
  /* the model's machine had other paths; boxes in centimetres */
  pred_path = g_build_filename (tmp_dir, "pred.jsonl", NULL);
  g_assert_true (g_file_set_contents (pred_path,
    "{\"path\": \"/elsewhere/test/scene0/task1_00001/\", \"task\": \"visual_grounding\","
    " \"pred_text\": \"bbox_0=Bbox(speaker, 60, -20, -250, 40, 40, 40)\", \"units\": \"cm\"}\n"
    "{\"path\": \"/elsewhere/test/scene9/task1_00001/\", \"task\": \"visual_grounding\","
    " \"pred_text\": \"bbox_0=Bbox(speaker, 0, 0, -100, 400, 400, 400)\", \"units\": \"cm\"}\n",
    -1, &error));
  g_assert_no_error (error);
}

/* Runs the CLI; returns the exit status, stderr in @err. */
static int
run_cli (const char *const *args, char **err)
{
  const char *cli = g_getenv ("JAEGER_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (gpointer) cli);
  g_ptr_array_add (argv, (gpointer) "render");
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("stdout: %s", out);
  return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

static int
color_dist (const guint8 *p, const guint8 c[3])
{
  return abs (p[0] - c[0]) + abs (p[1] - c[1]) + abs (p[2] - c[2]);
}

/* Distance from (u, v) to the nearest pixel centre of colour @c. */
static double
nearest (const JgImage *img, double u, double v, const guint8 c[3])
{
  double best = INFINITY;

  for (int y = MAX (0, (int) v - 4); y < MIN ((int) img->height, (int) v + 5); y++)
    for (int x = MAX (0, (int) u - 4); x < MIN ((int) img->width, (int) u + 5); x++)
      if (color_dist (img->pixels + 3 * (y * img->width + x), c) < 60)
        best = MIN (best, hypot (x + 0.5 - u, y + 0.5 - v));
  return best;
}

static void
check_box (const JgImage *img, const JgIntrinsics *k, const double c[3], const double s[3],
           const guint8 color[3])
{
  for (int i = 0; i < 8; i++)
    {
      double p[3] = { c[0] + (i & 1 ? 0.5 : -0.5) * s[0], c[1] + (i & 2 ? 0.5 : -0.5) * s[1],
                      c[2] + (i & 4 ? 0.5 : -0.5) * s[2] }, u = -1, v = -1;
      g_assert_true (jg_intrinsics_project (k, p, &u, &v));
      double d = nearest (img, u, v, color);
      g_test_message ("corner %d at (%.1f, %.1f): nearest pixel of the colour %.2f px", i, u, v, d);
      g_assert_cmpfloat (d, <=, 2.0);
    }
}

static void
test_sensor_view (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "sensor.png", NULL);
  g_autofree char *pred = g_build_filename (tmp_dir, "pred.jsonl", NULL);
  g_autofree char *err = NULL;
  const char *args[] = { sample_dir, "--out", out, "--predictions", pred, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(JgImage) img = NULL;
  JgIntrinsics k;
  guint lit = 0, outside = 0;

  g_assert_cmpint (run_cli (args, &err), ==, 0);
  img = jg_png_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (img->width, ==, W);
  g_assert_cmpuint (img->height, ==, H);
  g_assert_cmpuint (img->channels, ==, 3);
  jg_intrinsics_from_fov (&k, W, H, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);

  /* background is the renderer's (20, 23, 28); the cloud covers the valid depth */
  for (guint v = 0; v < H; v++)
    for (guint u = 0; u < W; u++)
      {
        const guint8 *p = img->pixels + 3 * (v * W + u);
        if (abs (p[0] - 20) + abs (p[1] - 23) + abs (p[2] - 28) > 12)
          {
            lit++;
            outside += u < 20 || u >= 141 || v < 10 || v >= 81;
          }
      }
  g_test_message ("lit %u px of 8400 valid, %u outside", lit, outside);
  g_assert_cmpuint (lit, >=, 8400 * 0.98);
  g_assert_cmpuint (lit, <=, 8400 * 1.04);
  g_assert_cmpuint (outside, ==, 0);

  const double gc[3] = { -0.6, 0.2, -2.0 }, gs[3] = { 0.5, 0.4, 0.3 };
  const double pc[3] = { 0.6, -0.2, -2.5 }, ps[3] = { 0.4, 0.4, 0.4 };
  check_box (img, &k, gc, gs, gt_color);
  check_box (img, &k, pc, ps, pred_color);
  /* the other scene's huge predicted box is not drawn: no orange left of centre */
  for (guint v = 0; v < H; v++)
    for (guint u = 0; u < 70; u++)
      g_assert_cmpint (color_dist (img->pixels + 3 * (v * W + u), pred_color), >=, 60);

  /* seen from the sensor, the DoA ray is a dot in its direction: az 20 is left of centre */
  double d[3], u = -1, v = -1;
  jg_doa_to_camera (20, 5, d);
  g_assert_true (jg_intrinsics_project (&k, d, &u, &v));
  g_assert_cmpfloat (u, <, W / 2.0);
  g_assert_cmpfloat (nearest (img, u, v, gt_color), <=, 2.0);
}

static void
test_other_views (void)
{
  static const char *const views[] = { "top", "front", "side", "orbit:30,-20" };

  for (gsize i = 0; i < G_N_ELEMENTS (views); i++)
    {
      g_autofree char *out = g_build_filename (tmp_dir, "view.png", NULL);
      g_autofree char *err = NULL;
      const char *args[] = { sample_dir, "--out", out, "--view", views[i], "--size", "120x80",
                             "--color", "depth", NULL };
      g_autoptr(GError) error = NULL;
      g_autoptr(JgImage) img = NULL;
      guint lit = 0;

      g_assert_cmpint (run_cli (args, &err), ==, 0);
      img = jg_png_load (out, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (img->width, ==, 120);
      g_assert_cmpuint (img->height, ==, 80);
      for (guint p = 0; p < 120 * 80; p++)
        lit += abs (img->pixels[3 * p] - 20) + abs (img->pixels[3 * p + 1] - 23)
               + abs (img->pixels[3 * p + 2] - 28) > 12;
      g_test_message ("view %s: %u of 9600 px drawn", views[i], lit);
      g_assert_cmpuint (lit, >, 300);
      g_assert_cmpuint (lit, <, 9600);
      g_unlink (out);
    }
}

static void
test_errors (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "never.png", NULL);
  g_autofree char *missing = g_build_filename (tmp_dir, "no-such-sample", NULL);
  g_autofree char *bad_pred = g_build_filename (tmp_dir, "bad.json", NULL);
  struct { const char *args[8]; int status; const char *needle; } cases[] = {
    { { sample_dir, NULL }, 2, "--out" },
    { { "--out", out, NULL }, 2, "which sample" },
    { { sample_dir, "--out", out, "--size", "0x5", NULL }, 2, "--size" },
    { { sample_dir, "--out", out, "--size", "12by4", NULL }, 2, "--size" },
    { { sample_dir, "--out", out, "--view", "orbit:10", NULL }, 2, "--view" },
    { { sample_dir, "--out", out, "--view", "bottom", NULL }, 2, "--view" },
    { { sample_dir, "--out", out, "--color", "plaid", NULL }, 2, "--color" },
    { { missing, "--out", out, NULL }, 1, "no-such-sample" },
    { { sample_dir, "--out", out, "--predictions", bad_pred, NULL }, 1, "bad.json" },
  };

  g_assert_true (g_file_set_contents (bad_pred, "{\"predictions\": [ {\"path\": 3} ", -1, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *err = NULL;
      int status = run_cli (cases[i].args, &err);
      g_test_message ("case %zu: exit %d: %s", i, status, err);
      g_assert_cmpint (status, ==, cases[i].status);
      g_assert_nonnull (strstr (err, cases[i].needle));
      g_assert_true (g_str_has_prefix (err, "jaeger render: "));
      g_assert_cmpint (strchr (err, '\n') - err, ==, (int) strlen (err) - 1);   /* one line */
      g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    }
}

int
main (int argc, char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  make_sample ();
  g_test_add_func ("/render/cli/sensor-view", test_sensor_view);
  g_test_add_func ("/render/cli/other-views", test_other_views);
  g_test_add_func ("/render/cli/errors", test_errors);
  status = g_test_run ();
  jg_file_remove_tree (tmp_dir, NULL);
  g_free (tmp_dir);
  g_free (sample_dir);
  return status;
}
