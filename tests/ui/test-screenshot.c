/* jaeger-studio --screenshot under Xvfb: the PNG exists, is not blank, and
 * the GL view drew its clear colour and the three coloured sensor axes. */
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
take_screenshot (const char *out, const char *size, const char *sample)
{
  const char *studio = g_getenv ("JAEGER_STUDIO");
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  const char *argv[] = { studio, "--screenshot", out, "--size", size, sample ? "--sample" : NULL, sample, NULL };

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
  g_autofree char *manifest = g_build_filename (g_getenv ("JAEGER_MANIFESTS"), "hm3d_av_v2_task1_test.json", NULL);
  Image img = { 0 };
  GHashTable *colours = g_hash_table_new (g_direct_hash, g_direct_equal);
  guint64 n = 0, clear = 0, red = 0, green = 0, blue = 0;
  double sum = 0, sum2 = 0, mean, var;

  take_screenshot (out, "1024x700", manifest);
  g_assert_true (load_png (out, &img));
  /* The window manager-less X server leaves the size to GTK; allow CSD margins. */
  g_assert_cmpuint (img.width, >=, 1024 - 32);
  g_assert_cmpuint (img.width, <=, 1024);
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
      /* The view's clear colour, (0.110, 0.122, 0.153). */
      if (ABS (r - 28) <= 1 && ABS (g - 31) <= 1 && ABS (b - 39) <= 1)
        clear++;
      if (r > 150 && g < 90 && b < 90)
        red++;
      if (g > 140 && r < 120 && b < 120)
        green++;
      if (b > 170 && r < 110 && g < 160)
        blue++;
    }
  mean = sum / n;
  var = sum2 / n - mean * mean;
  g_test_message ("%u colours, luminance sd %.1f, clear %.1f%%, axis pixels r %" G_GUINT64_FORMAT
                  " g %" G_GUINT64_FORMAT " b %" G_GUINT64_FORMAT,
                  g_hash_table_size (colours), sqrt (var), 100.0 * clear / n, red, green, blue);
  g_assert_cmpuint (g_hash_table_size (colours), >, 100);   /* text, widgets, shading */
  g_assert_cmpfloat (var, >, 100.0);                         /* not one flat colour */
  g_assert_cmpfloat ((double) clear / n, >, 0.15);           /* the GL view cleared its area */
  g_assert_cmpuint (red, >, 200);
  g_assert_cmpuint (green, >, 200);
  g_assert_cmpuint (blue, >, 200);

  g_hash_table_unref (colours);
  g_free (img.rgba);
  g_remove (out);
  g_rmdir (dir);
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
  g_test_add_func ("/studio/bad-size", test_bad_size);
  return g_test_run ();
}
