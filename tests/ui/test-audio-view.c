/* The audio views' images: a plane wave from a known azimuth lights the
 * azimuth-map row of that direction, and the colour map spans its range. */
#include "jg-audio-view-private.h"
#include "audio/jg-foa.h"

#include <math.h>

static void
test_colormap_ends (void)
{
  guint8 lo[3], hi[3], mid[3];

  jg_audio_view_colormap (0.0f, lo);
  jg_audio_view_colormap (1.0f, hi);
  jg_audio_view_colormap (0.5f, mid);
  g_assert_cmpint (lo[0] + lo[1] + lo[2], <, hi[0] + hi[1] + hi[2]);   /* dark to bright */
  g_assert_cmpint (hi[0], >, 240);                                       /* ends in yellow */
  g_assert_cmpint (mid[1], >, mid[0]);                                   /* teal in the middle */
  jg_audio_view_colormap (-3.0f, mid);                                   /* clamped */
  g_assert_cmpmem (mid, 3, lo, 3);
}

static void
test_azimuth_row (void)
{
  const guint rate = 16000, n = rate;   /* one second of noise */
  const double az = 62.5;   /* the middle of bin 48, [60, 65) */
  g_autofree float *x = g_new (float, 4 * n);
  g_autoptr(GError) error = NULL;
  g_autoptr(JgFoaAnalysis) a = NULL;
  g_autoptr(JgAudioViewImages) img = NULL;
  float gains[4];
  guint32 seed = 1;

  jg_foa_encode_ambix (az * G_PI / 180.0, 0.0, gains);
  for (guint i = 0; i < n; i++)
    {
      seed = seed * 1664525u + 1013904223u;
      float s = (float) ((seed >> 8) / 16777216.0 - 0.5);
      for (int c = 0; c < 4; c++)
        x[4 * i + c] = s * gains[c];
    }
  a = jg_foa_analyse (x, n, rate, JG_FOA_AMBIX, &error);
  g_assert_no_error (error);
  img = jg_audio_view_images_new (a);

  /* Brightest row of the drawn azimuth map (summed green, which rises
   * monotonically along the colour map); row 0 is +180 degrees. */
  {
    const guint8 *px = g_bytes_get_data (img->az_map, NULL);
    double best = -1;
    int best_row = -1;

    g_assert_cmpuint (img->n_frames, ==, a->n_frames);
    for (int row = 0; row < JG_DOA_N_AZ_BINS; row++)
      {
        double sum = 0;
        for (guint t = 0; t < img->n_frames; t++)
          sum += px[4 * ((gsize) row * img->n_frames + t) + 1];
        if (sum > best)
          best = sum, best_row = row;
      }
    g_assert_cmpint (best_row, ==, JG_DOA_N_AZ_BINS - 1 - 48);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio-view/colormap", test_colormap_ends);
  g_test_add_func ("/audio-view/azimuth-row", test_azimuth_row);
  return g_test_run ();
}
