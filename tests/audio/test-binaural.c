/* Partitioned convolution against direct convolution; binaural cues of
 * the KEMAR decoder (ILD/ITD signs, head turns); the stereo and
 * passthrough decoders; defensive SOFA loading. */
#include "audio/jg-audio-file.h"
#include "audio/jg-convolver.h"
#include "audio/jg-decoder.h"
#include "audio/jg-foa.h"
#include "audio/jg-hrtf.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/wait.h>

#define RATE 48000

static void
test_convolver_direct (void)
{
  const guint block = 64, n_in = 2, n_out = 3, len = 150, n_blocks = 12;
  gsize n = (gsize) block * n_blocks;
  g_autoptr(GRand) rng = g_rand_new_with_seed (21);
  g_autofree float *taps = g_new (float, n_in * n_out * len);
  g_autofree float *in = g_new (float, n * n_in), *out = g_new (float, n * n_out);
  const float *filters[6];
  g_autoptr(JgConvolver) conv = NULL;
  double max_err = 0.0, max_ref = 0.0;

  for (guint k = 0; k < n_in * n_out * len; k++)
    taps[k] = (float) g_rand_double_range (rng, -1, 1);
  for (guint f = 0; f < n_in * n_out; f++)
    filters[f] = f == 3 ? NULL : taps + f * len;   /* out 1 <- in 1 is a zero filter */
  for (gsize k = 0; k < n * n_in; k++)
    in[k] = (float) g_rand_double_range (rng, -1, 1);
  conv = jg_convolver_new (block, n_in, n_out, filters, len, NULL);
  for (guint b = 0; b < n_blocks; b++)
    jg_convolver_process (conv, in + (gsize) b * block * n_in, out + (gsize) b * block * n_out);

  for (gsize t = 0; t < n; t++)
    for (guint o = 0; o < n_out; o++)
      {
        double ref = 0.0;
        for (guint i = 0; i < n_in; i++)
          if (filters[o * n_in + i] != NULL)
            for (guint k = 0; k < len && k <= t; k++)
              ref += (double) filters[o * n_in + i][k] * in[(t - k) * n_in + i];
        max_err = fmax (max_err, fabs (out[t * n_out + o] - ref));
        max_ref = fmax (max_ref, fabs (ref));
      }
  g_assert_cmpfloat (max_err, <, 1e-5 * max_ref);

  /* After a reset the history is gone: the first block again matches. */
  jg_convolver_reset (conv);
  jg_convolver_process (conv, in, out);
  for (guint o = 0; o < n_out; o++)
    {
      double ref = 0.0;
      for (guint i = 0; i < n_in; i++)
        if (filters[o * n_in + i] != NULL)
          ref += (double) filters[o * n_in + i][0] * in[i];
      g_assert_cmpfloat (fabs (out[o] - ref), <, 1e-5 * max_ref);
    }
}

static JgHrtf *
kemar (void)
{
  static JgHrtf *h;
  if (h == NULL)
    {
      g_autoptr(GError) error = NULL;
      h = jg_hrtf_load (NULL, RATE, &error);
      g_assert_no_error (error);
    }
  return h;
}

/* 0.4 s of white noise from (az, el) decoded binaurally with the head at
 * @yaw; returns the ILD (dB, left over right) and the ITD (seconds,
 * positive when the left ear leads), from the cross-correlation peak. */
static void
binaural_cues (double az, double el, double yaw, double *ild_db, double *itd_s)
{
  const gsize n = RATE * 2 / 5;
  const int max_lag = RATE / 1000;   /* +-1 ms */
  g_autoptr(GRand) rng = g_rand_new_with_seed (30);
  g_autofree float *in = g_new (float, 4 * n), *out = g_new (float, 2 * n);
  g_autoptr(JgFoaDecoder) dec = jg_foa_decoder_new (JG_DECODER_BINAURAL, kemar (), 256, NULL);
  double el2 = 0, er2 = 0, best = -G_MAXDOUBLE;
  float g[4];
  int best_lag = 0;

  jg_foa_encode_ambix (az * M_PI / 180, el * M_PI / 180, g);
  for (gsize i = 0; i < n; i++)
    {
      float s = (float) g_rand_double_range (rng, -1, 1);
      for (int c = 0; c < 4; c++)
        in[4 * i + c] = g[c] * s;
    }
  jg_foa_decoder_set_orientation (dec, yaw, 0, 0);
  jg_foa_decoder_render (dec, in, n, out);
  for (gsize i = 0; i < n; i++)
    {
      el2 += (double) out[2 * i] * out[2 * i];
      er2 += (double) out[2 * i + 1] * out[2 * i + 1];
    }
  /* lag > 0: the right ear hears what the left heard lag samples earlier */
  for (int lag = -max_lag; lag <= max_lag; lag++)
    {
      double s = 0.0;
      for (gsize i = (gsize) max_lag; i + max_lag < n; i++)
        s += (double) out[2 * i] * out[2 * (i + lag) + 1];
      if (s > best)
        {
          best = s;
          best_lag = lag;
        }
    }
  *ild_db = 10 * log10 (el2 / er2);
  *itd_s = (double) best_lag / RATE;
}

static void
test_binaural_left_source (void)
{
  double ild, itd;

  binaural_cues (90, 0, 0, &ild, &itd);
  g_test_message ("source at the left: ILD %.2f dB, ITD %.3f ms", ild, itd * 1e3);
  g_assert_cmpfloat (ild, >, 3.0);
  g_assert_cmpfloat (itd, >, 0.1e-3);
  g_assert_cmpfloat (itd, <, 1.0e-3);

  binaural_cues (-60, 10, 0, &ild, &itd);
  g_test_message ("source at -60 (right): ILD %.2f dB, ITD %.3f ms", ild, itd * 1e3);
  g_assert_cmpfloat (ild, <, -3.0);
  g_assert_cmpfloat (itd, <, -0.1e-3);
}

static void
test_binaural_head_turn (void)
{
  const double azs[] = { 60, -35, 90, 140 };

  for (guint i = 0; i < G_N_ELEMENTS (azs); i++)
    {
      double ild, itd, ild0, itd0;
      binaural_cues (azs[i], 0, 0, &ild0, &itd0);
      binaural_cues (azs[i], 0, azs[i], &ild, &itd);
      g_test_message ("source at %.0f: ILD %.2f dB facing ahead, %.2f dB facing it", azs[i], ild0, ild);
      g_assert_cmpfloat (fabs (ild0), >, 2.0);
      g_assert_cmpfloat (fabs (ild), <, 1.0);
      g_assert_cmpfloat (fabs (itd), <=, 2.0 / RATE);
    }
}

static void
test_binaural_yaw_180 (void)
{
  double ild, itd;

  binaural_cues (90, 0, 180, &ild, &itd);
  g_test_message ("source at the left, head turned 180: ILD %.2f dB, ITD %.3f ms", ild, itd * 1e3);
  g_assert_cmpfloat (ild, <, -3.0);
  g_assert_cmpfloat (itd, <, -0.1e-3);
}

static void
test_stereo_and_passthrough (void)
{
  const gsize n = 1000;
  g_autofree float *in = g_new (float, 4 * n), *st = g_new (float, 2 * n), *pt = g_new (float, 4 * n);
  g_autoptr(JgFoaDecoder) sdec = jg_foa_decoder_new (JG_DECODER_STEREO, NULL, 128, NULL);
  g_autoptr(JgFoaDecoder) pdec = jg_foa_decoder_new (JG_DECODER_PASSTHROUGH, NULL, 128, NULL);
  float g[4];

  g_assert_cmpuint (jg_foa_decoder_get_n_outputs (sdec), ==, 2);
  g_assert_cmpuint (jg_foa_decoder_get_n_outputs (pdec), ==, 4);
  jg_foa_encode_ambix (M_PI / 2, 0, g);   /* from the left */
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 4; c++)
      in[4 * i + c] = g[c] * (float) sin (0.01 * i);
  jg_foa_decoder_render (sdec, in, n, st);
  /* A cardioid facing the source has gain 1, the one facing away 0. */
  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpfloat (fabs (st[2 * i] - in[4 * i]), <, 1e-6);
      g_assert_cmpfloat (fabs (st[2 * i + 1]), <, 1e-6);
    }
  /* Facing the left source, it is ahead: X carries it, Y is silent. */
  jg_foa_decoder_set_orientation (pdec, 90, 0, 0);
  jg_foa_decoder_render (pdec, in, n, pt);
  for (gsize i = 0; i < n; i++)
    {
      g_assert_cmpfloat (fabs (pt[4 * i] - in[4 * i]), <, 1e-6);
      g_assert_cmpfloat (fabs (pt[4 * i + 1]), <, 1e-5);
      g_assert_cmpfloat (fabs (pt[4 * i + 3] - in[4 * i]), <, 1e-5);
    }
}

static void
test_bad_sofa (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jg-sofa-XXXXXX", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.sofa", NULL);
  g_autofree char *noise = g_build_filename (dir, "noise.sofa", NULL);
  g_autofree char *trunc = g_build_filename (dir, "truncated.sofa", NULL);
  g_autofree char *real = NULL;
  gsize real_len = 0;
  guchar junk[4096];
  JgHrtf *h;

  for (guint i = 0; i < sizeof junk; i++)
    junk[i] = (guchar) (i * 2654435761u >> 24);
  g_assert_true (g_file_set_contents (noise, (const char *) junk, sizeof junk, NULL));
  g_assert_true (g_file_get_contents (JG_HRTF_DEFAULT_PATH, &real, &real_len, NULL));
  g_assert_true (g_file_set_contents (trunc, real, (gssize) real_len / 2, NULL));

  {
    g_autoptr(GError) error = NULL;
    h = jg_hrtf_load (missing, RATE, &error);
    g_assert_null (h);
    g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, missing));
  }
  {
    g_autoptr(GError) error = NULL;
    h = jg_hrtf_load (noise, RATE, &error);
    g_assert_null (h);
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, noise));
  }
  {
    g_autoptr(GError) error = NULL;
    h = jg_hrtf_load (trunc, RATE, &error);
    g_assert_null (h);
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, trunc));
  }
  g_unlink (noise);
  g_unlink (trunc);
  g_rmdir (dir);
}

/* The KEMAR filters are resampled: at 16 kHz they are about a third as long. */
static void
test_hrtf_rates (void)
{
  g_autoptr(JgHrtf) h16 = jg_hrtf_load (NULL, 16000, NULL);
  guint l48 = jg_hrtf_get_length (kemar ()), l16 = jg_hrtf_get_length (h16);

  g_assert_cmpuint (jg_hrtf_get_sample_rate (h16), ==, 16000);
  g_assert_cmpuint (l48, >=, 500);
  g_assert_cmpfloat (fabs ((double) l16 / l48 - 1.0 / 3.0), <, 0.02);
}

static double
wav_ild (const char *path, guint *rate, gsize *n_frames)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgAudioBuffer) b = jg_audio_file_read (path, 2, &error);
  double l = 0, r = 0;

  g_assert_no_error (error);
  for (gsize i = 0; i < b->n_frames; i++)
    {
      l += b->samples[2 * i] * b->samples[2 * i];
      r += b->samples[2 * i + 1] * b->samples[2 * i + 1];
    }
  *rate = b->sample_rate;
  *n_frames = b->n_frames;
  return 10 * log10 (l / r);
}

/* `jaeger binaural` on a 16 kHz file in the dataset's channel layout with
 * a talker on the camera's left (-x): ch3 (+x right) = -W. */
static void
test_cli (void)
{
  const char *cli = g_getenv ("JAEGER_CLI");
  g_autofree char *dir = g_dir_make_tmp ("jg-bin-XXXXXX", NULL);
  g_autofree char *in = g_build_filename (dir, "foa.wav", NULL);
  g_autofree char *out = g_build_filename (dir, "out.wav", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.sofa", NULL);
  g_autoptr(GRand) rng = g_rand_new_with_seed (31);
  const gsize n = 8000;
  g_autofree float *x = g_new0 (float, 4 * n);
  guint rate;
  gsize frames;
  int status;

  g_assert_nonnull (cli);
  for (gsize i = 0; i < n; i++)
    {
      x[4 * i] = (float) g_rand_double_range (rng, -0.5, 0.5);
      x[4 * i + 3] = -x[4 * i];
    }
  g_assert_true (jg_audio_file_write_wav (in, x, n, 4, 16000, NULL));
  {
    const char *argv[] = { cli, "binaural", in, "--out", out, "--convention", "jaeger", "--rate", "48000", NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                 NULL, NULL, &status, NULL));
    g_assert_cmpint (status, ==, 0);
    g_assert_cmpfloat (wav_ild (out, &rate, &frames), >, 3.0);
    g_assert_cmpuint (rate, ==, 48000);
    g_assert_cmpuint (frames, ==, 3 * n);
  }
  {
    const char *argv[] = { cli, "binaural", in, "--out", out, "-c", "jaeger", "--yaw", "180", NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                 NULL, NULL, &status, NULL));
    g_assert_cmpint (status, ==, 0);
    g_assert_cmpfloat (wav_ild (out, &rate, &frames), <, -3.0);
    g_assert_cmpuint (rate, ==, 16000);
  }
  {
    const char *argv[] = { cli, "binaural", in, "--out", out, "--decoder", "stereo", NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, NULL, NULL, &status, NULL));
    g_assert_cmpint (status, ==, 0);
  }
  g_assert_true (g_file_set_contents (bad, "not a sofa file", -1, NULL));
  {
    g_autofree char *err = NULL;
    const char *argv[] = { cli, "binaural", in, "--out", out, "--hrtf", bad, NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                                 NULL, &err, &status, NULL));
    g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 1);
    g_assert_nonnull (strstr (err, "bad.sofa: not a SOFA file"));
  }
  g_unlink (in);
  g_unlink (out);
  g_unlink (bad);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/binaural/convolver-direct", test_convolver_direct);
  g_test_add_func ("/binaural/left-source", test_binaural_left_source);
  g_test_add_func ("/binaural/head-turn", test_binaural_head_turn);
  g_test_add_func ("/binaural/yaw-180", test_binaural_yaw_180);
  g_test_add_func ("/binaural/stereo-and-passthrough", test_stereo_and_passthrough);
  g_test_add_func ("/binaural/bad-sofa", test_bad_sofa);
  g_test_add_func ("/binaural/hrtf-rates", test_hrtf_rates);
  g_test_add_func ("/binaural/cli", test_cli);
  ret = g_test_run ();
  jg_hrtf_free (kemar ());
  return ret;
}
