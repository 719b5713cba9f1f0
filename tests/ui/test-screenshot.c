/* jaeger-studio --screenshot under Xvfb on a tiny sample made here (a
 * magenta wall 2 m in front of the sensor): the PNG exists, is not blank,
 * and the GL view drew the wall's points over a large part of the window. */
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <png.h>
#include <string.h>

typedef struct {
  png_uint_32 width, height;
  guint8 *rgba;
} Image;

static gboolean
load_png (const char *path, Image *img)
{
  png_image pi;

  memset (&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file (&pi, path))
    return FALSE;
  pi.format = PNG_FORMAT_RGBA;
  img->width = pi.width;
  img->height = pi.height;
  img->rgba = g_malloc (PNG_IMAGE_SIZE (pi));
  return png_image_finish_read (&pi, NULL, img->rgba, 0, NULL) != 0;
}

static void
write_png (const char *path, png_uint_32 w, png_uint_32 h, int format, const guint8 *pixels)
{
  png_image pi;

  memset (&pi, 0, sizeof pi);
  pi.version = PNG_IMAGE_VERSION;
  pi.width = w;
  pi.height = h;
  pi.format = format;
  g_assert_true (png_image_write_to_file (&pi, path, 0, pixels, 0, NULL));
}

/* <dir>/scene/task1_00000 with rgb.png (magenta) and depth.png (2 m). */
static char *
make_sample (const char *dir)
{
  const png_uint_32 w = 672, h = 378;
  g_autofree char *sample = g_build_filename (dir, "scene", "task1_00000", NULL);
  g_autofree char *rgb_path = g_build_filename (sample, "rgb.png", NULL);
  g_autofree char *depth_path = g_build_filename (sample, "depth.png", NULL);
  g_autofree guint8 *rgb = g_malloc (3 * w * h);
  g_autofree guint8 *depth = g_malloc (w * h);

  g_assert_cmpint (g_mkdir_with_parents (sample, 0755), ==, 0);
  for (png_uint_32 i = 0; i < w * h; i++)
    {
      rgb[3 * i] = 255, rgb[3 * i + 1] = 0, rgb[3 * i + 2] = 255;
      depth[i] = 51;   /* 51 / 255 * 10 = 2 m */
    }
  write_png (rgb_path, w, h, PNG_FORMAT_RGB, rgb);
  write_png (depth_path, w, h, PNG_FORMAT_GRAY, depth);
  return g_build_filename (dir, "scene", NULL);
}

static void
take_screenshot (const char *out, const char *size, const char *sample, const char *predictions)
{
  const char *studio = g_getenv ("JAEGER_STUDIO");
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  const char *argv[] = { studio, "--screenshot", out, "--size", size, "--sample", sample,
                         predictions ? "--predictions" : NULL, predictions, NULL };

  g_assert_nonnull (studio);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("jaeger-studio failed: %s", err);
}

static void
test_screenshot (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jg-shot-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "shot.png", NULL);
  g_autofree char *sample = make_sample (dir);
  Image img = { 0 };
  GHashTable *colours = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint64 n = 0, magenta = 0, orange = 0;
  double sum = 0, sum2 = 0, mean, var;

  take_screenshot (out, "1400x700", sample, NULL);
  g_assert_true (load_png (out, &img));
  /* The window manager-less X server leaves the size to GTK; allow CSD margins. */
  g_assert_cmpuint (img.width, >=, 1400 - 32);
  g_assert_cmpuint (img.width, <=, 1400);
  g_assert_cmpuint (img.height, >=, 700 - 32);
  g_assert_cmpuint (img.height, <=, 700);

  for (png_uint_32 i = 0; i < img.width * img.height; i++)
    {
      const guint8 *p = img.rgba + 4 * (gsize) i;
      int r = p[0], g = p[1], b = p[2];
      double lum = 0.2126 * r + 0.7152 * g + 0.0722 * b;

      n++;
      sum += lum;
      sum2 += lum * lum;
      if (g_hash_table_size (colours) < 10000)
        g_hash_table_add (colours, GUINT_TO_POINTER ((r << 16) | (g << 8) | b));
      /* The wall's points, shaded by eye-dome lighting but still magenta. */
      if (r > 80 && b > 80 && g < 0.35 * MIN (r, b) && ABS (r - b) < 40)
        magenta++;
      if (r > 220 && g > 90 && g < 160 && b < 70)
        orange++;
    }
  mean = sum / n;
  var = sum2 / n - mean * mean;
  g_test_message ("%u colours, luminance sd %.1f, magenta %.1f%%",
                  g_hash_table_size (colours), sqrt (var), 100.0 * magenta / n);
  g_assert_cmpuint (g_hash_table_size (colours), >, 100);   /* text, widgets, shading */
  g_assert_cmpfloat (var, >, 100.0);                         /* not one flat colour */
  /* The sensor view of a wall fills the 3-D view (wider than the sensor here). */
  g_assert_cmpfloat ((double) magenta / n, >, 0.20);
  /* Without a predictions file nothing is drawn in the prediction colour. */
  g_assert_cmpuint (orange, <, 5);

  g_hash_table_unref (colours);
  g_free (img.rgba);
  g_remove (out);
}

/* A prediction file (the jaeger JSONL format) for the sample: its DoA, 20
 * degrees left and 10 up, shows as an orange marker and label over the wall. */
static void
test_predictions_overlay (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jg-pred-XXXXXX", NULL);
  g_autofree char *out = g_build_filename (dir, "shot.png", NULL);
  g_autofree char *sample = make_sample (dir);
  g_autofree char *preds = g_build_filename (dir, "preds.jsonl", NULL);
  g_autofree char *line = g_strdup_printf ("{\"path\": \"/elsewhere/scene/task1_00000\", \"task\": \"spatial_doa\", "
                                           "\"pred_text\": \"azimuth: 20; elevation: 10\"}\n");
  Image img = { 0 };
  guint64 orange = 0;

  g_assert_true (g_file_set_contents (preds, line, -1, NULL));
  take_screenshot (out, "1024x700", sample, preds);
  g_assert_true (load_png (out, &img));
  for (png_uint_32 i = 0; i < img.width * img.height; i++)
    {
      const guint8 *p = img.rgba + 4 * (gsize) i;
      /* The prediction colour (1.0, 0.5, 0.1), not the magenta wall. */
      if (p[0] > 220 && p[1] > 90 && p[1] < 160 && p[2] < 70)
        orange++;
    }
  g_test_message ("orange prediction pixels: %" G_GUINT64_FORMAT, orange);
  g_assert_cmpuint (orange, >, 40);
  g_free (img.rgba);
}

static void
test_bad_size (void)
{
  const char *studio = g_getenv ("JAEGER_STUDIO");
  const char *argv[] = { studio, "--screenshot", "/tmp/never.png", "--size", "12by9", NULL };
  g_autofree char *err = NULL;
  int status = 0;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &err, &status, NULL));
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_nonnull (strstr (err, "--size"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/studio/screenshot", test_screenshot);
  g_test_add_func ("/studio/predictions", test_predictions_overlay);
  g_test_add_func ("/studio/bad-size", test_bad_size);
  return g_test_run ();
}
