/* STFT against a direct DFT; intensity-vector DoA on plane waves; the
 * Classical IV identity; `jaeger doa` end to end. */
#include "audio/jg-audio-file.h"
#include "audio/jg-doa.h"
#include "audio/jg-stft.h"
#include "sim/jg-sim-ir.h"
#include "sim/jg-sim-rng.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <sys/wait.h>

#include <math.h>
#include <string.h>

#define RATE 16000

/* numpy "reflect" padding, written out independently of jg-stft. */
static double
padded (const float *x, gint64 n, gint64 i, int ch)
{
  while (i < 0 || i >= n)
    i = i < 0 ? -i : 2 * (n - 1) - i;
  return x[2 * i + ch];
}

static void
test_stft_direct (void)
{
  const guint n_fft = 800, hop = 320;
  g_autoptr(JgStft) stft = jg_stft_new (n_fft, hop, NULL);
  g_autoptr(GRand) rng = g_rand_new_with_seed (5);
  const gsize lens[] = { 5000, 300 };   /* the second is shorter than the padding */

  g_assert_cmpuint (jg_stft_get_n_bins (stft), ==, 401);
  for (guint l = 0; l < G_N_ELEMENTS (lens); l++)
    {
      gsize n = lens[l];
      g_autofree float *sig = g_new (float, 2 * n);
      float a[802], b[802];
      const gsize frames[] = { 0, 1, n / hop / 2, n / hop };

      g_assert_cmpuint (jg_stft_get_n_frames (stft, n), ==, 1 + n / hop);
      for (gsize i = 0; i < 2 * n; i++)
        sig[i] = (float) g_rand_double_range (rng, -1.0, 1.0);
      for (guint f = 0; f < G_N_ELEMENTS (frames); f++)
        {
          gsize t = frames[f];
          double max_err = 0.0, max_mag = 0.0;

          jg_stft_frame_pair (stft, sig, n, 2, 1, 0, t, a, b);
          for (guint k = 0; k <= n_fft / 2; k++)
            {
              double ar = 0, ai = 0, br = 0, bi = 0;
              for (guint j = 0; j < n_fft; j++)
                {
                  gint64 idx = (gint64) (t * hop) - n_fft / 2 + j;
                  double w = 0.5 - 0.5 * cos (2 * M_PI * j / n_fft);
                  double ph = -2 * M_PI * (double) ((guint64) j * k % n_fft) / n_fft;
                  /* channel 1 then channel 0 of the interleaved pair */
                  double v1 = padded (sig, (gint64) n, idx, 1), v0 = padded (sig, (gint64) n, idx, 0);
                  ar += w * v1 * cos (ph); ai += w * v1 * sin (ph);
                  br += w * v0 * cos (ph); bi += w * v0 * sin (ph);
                }
              max_err = fmax (max_err, fmax (fmax (fabs (a[2 * k] - ar), fabs (a[2 * k + 1] - ai)),
                                             fmax (fabs (b[2 * k] - br), fabs (b[2 * k + 1] - bi))));
              max_mag = fmax (max_mag, hypot (ar, ai));
            }
          g_assert_cmpfloat (max_err, <, 1e-4 * max_mag);
        }
    }
}

/* @n_samples of white noise from (az, el) in ambiX plus independent noise
 * in every channel at @noise relative amplitude, written in @conv. */
static float *
plane_wave (GRand *rng, double az_deg, double el_deg, gsize n, double noise, JgFoaConvention conv)
{
  float *x = g_new (float, 4 * n), g[4];

  jg_foa_encode_ambix (az_deg * M_PI / 180, el_deg * M_PI / 180, g);
  for (gsize i = 0; i < n; i++)
    {
      double s = g_rand_double_range (rng, -1.0, 1.0);
      for (int c = 0; c < 4; c++)
        x[4 * i + c] = (float) (g[c] * s + noise * g_rand_double_range (rng, -1.0, 1.0));
    }
  jg_foa_convert (JG_FOA_AMBIX, conv, x, n);
  return x;
}

static double
angle_between (double az1, double el1, double az2, double el2)
{
  double a1 = az1 * M_PI / 180, e1 = el1 * M_PI / 180, a2 = az2 * M_PI / 180, e2 = el2 * M_PI / 180;
  double d = cos (e1) * cos (a1) * cos (e2) * cos (a2) + cos (e1) * sin (a1) * cos (e2) * sin (a2)
             + sin (e1) * sin (e2);
  return acos (CLAMP (d, -1.0, 1.0)) * 180 / M_PI;
}

static void
test_random_plane_waves (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (42);
  double worst = 0.0;

  for (int i = 0; i < 24; i++)
    {
      double az = g_rand_double_range (rng, -180, 180);
      double el = g_rand_double_range (rng, -80, 80);
      JgFoaConvention conv = (JgFoaConvention) (i % JG_FOA_N_CONVENTIONS);
      gsize n = RATE / 2;
      g_autofree float *x = plane_wave (rng, az, el, n, 0.1, conv);
      g_autoptr(JgFoaAnalysis) a = jg_foa_analyse (x, n, RATE, conv, NULL);
      double err = angle_between (a->az_deg, a->el_deg, az, el);
      guint good_frames = 0;

      worst = fmax (worst, err);
      g_assert_cmpfloat (err, <, 1.0);
      g_assert_cmpuint (a->n_frames, ==, 1 + n / JG_DOA_HOP);
      for (guint t = 0; t < a->n_frames; t++)
        good_frames += angle_between (a->frame_az_deg[t], a->frame_el_deg[t], az, el) < 3.0;
      g_assert_cmpuint (good_frames, ==, a->n_frames);
      /* The source dominates: 1/(1 + 4 * 0.01) after the noise's own energy. */
      g_assert_cmpfloat (a->directivity, >, 0.9);
      /* The azimuth map peaks in the source's 5 degree bin (or a neighbour). */
      {
        double col[JG_DOA_N_AZ_BINS] = { 0 };
        int best = 0, want = (int) floor ((az + 180) / 5);
        for (guint t = 0; t < a->n_frames; t++)
          for (int b = 0; b < JG_DOA_N_AZ_BINS; b++)
            col[b] += a->az_map[t * JG_DOA_N_AZ_BINS + b];
        for (int b = 1; b < JG_DOA_N_AZ_BINS; b++)
          if (col[b] > col[best])
            best = b;
        g_assert_cmpint (MIN (abs (best - want), JG_DOA_N_AZ_BINS - abs (best - want)), <=, 1);
      }
    }
  g_test_message ("worst aggregate error over 24 plane waves: %.3f deg", worst);
}

/* Independent noise in the four channels has no preferred direction. */
static void
test_diffuse (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (7);
  gsize n = RATE;
  g_autofree float *x = g_new (float, 4 * n);
  g_autoptr(JgFoaAnalysis) a = NULL;

  for (gsize i = 0; i < 4 * n; i++)
    x[i] = (float) g_rand_double_range (rng, -1, 1);
  a = jg_foa_analyse (x, n, RATE, JG_FOA_AMBIX, NULL);
  g_assert_cmpfloat (a->directivity, <, 0.05);
}

/* A source at a camera-frame point, encoded straight into the dataset's
 * channels [W, +y up, +z back, +x right] (SN3D), and the same source
 * encoded in ambiX, give the same direction: az = atan2(-x, -z),
 * el = atan2(y, hypot(x, z)). */
static void
test_jaeger_preset_matches_ambix (void)
{
  const double pts[][3] = { { 1.0, 0.5, -2.0 }, { -0.7, -0.3, -1.5 }, { 0.2, 0.1, 3.0 }, { -2, 0.4, 0.3 } };
  g_autoptr(GRand) rng = g_rand_new_with_seed (8);

  for (guint p = 0; p < G_N_ELEMENTS (pts); p++)
    {
      const double *v = pts[p];
      double r = sqrt (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
      double az = atan2 (-v[0], -v[2]) * 180 / M_PI, el = atan2 (v[1], hypot (v[0], v[2])) * 180 / M_PI;
      gsize n = RATE / 4;
      g_autofree float *jx = g_new (float, 4 * n);
      g_autofree float *ax = plane_wave (rng, az, el, n, 0.0, JG_FOA_AMBIX);
      g_autoptr(JgFoaAnalysis) ja = NULL, aa = NULL;

      for (gsize i = 0; i < n; i++)
        {
          double s = g_rand_double_range (rng, -1, 1);
          jx[4 * i] = (float) s;
          jx[4 * i + 1] = (float) (s * v[1] / r);
          jx[4 * i + 2] = (float) (s * v[2] / r);
          jx[4 * i + 3] = (float) (s * v[0] / r);
        }
      ja = jg_foa_analyse (jx, n, RATE, JG_FOA_JAEGER, NULL);
      aa = jg_foa_analyse (ax, n, RATE, JG_FOA_AMBIX, NULL);
      g_assert_cmpfloat (angle_between (ja->az_deg, ja->el_deg, az, el), <, 0.05);
      g_assert_cmpfloat (angle_between (aa->az_deg, aa->el_deg, ja->az_deg, ja->el_deg), <, 0.05);
      /* Reading the JAEGER file as ambiX gets it wrong: the preset matters. */
      {
        g_autoptr(JgFoaAnalysis) wrong = jg_foa_analyse (jx, n, RATE, JG_FOA_AMBIX, NULL);
        g_assert_cmpfloat (angle_between (wrong->az_deg, wrong->el_deg, az, el), >, 10.0);
      }
    }
}

/* For a plane wave with unit direction g (SN3D), Re(conj W C) = g_c |W|^2
 * and |C1|^2 + |C2|^2 + |C3|^2 = |W|^2, so the Classical IV feature is
 * g_c / (1 + 1/3) = 0.75 g_c in every bin with energy. */
static void
test_classical_iv_identity (void)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (9);
  gsize n = 4000, nf = 0;
  g_autofree float *x = plane_wave (rng, 30, 20, n, 0.0, JG_FOA_JAEGER);
  g_autofree float *iv = jg_foa_classical_iv (x, n, &nf, NULL);
  float g[4];
  double max_err = 0.0;

  jg_foa_encode_ambix (30 * M_PI / 180, 20 * M_PI / 180, g);
  jg_foa_convert (JG_FOA_AMBIX, JG_FOA_JAEGER, g, 1);
  g_assert_cmpuint (nf, ==, 1 + n / 320);
  for (gsize t = 0; t < nf; t++)
    for (int c = 0; c < 3; c++)
      for (int k = 1; k < 400; k += 7)
        max_err = fmax (max_err, fabs (iv[(t * 3 + c) * 401 + k] - 0.75 * g[c + 1]));
  g_assert_cmpfloat (max_err, <, 1e-3);
}

/* Against PyTorch: torch 2.11 computed JAEGER's Classical IV in float64
 * (torch.stft n_fft 800, hop 320, periodic Hann, center=True with its
 * default reflect padding, then the formula of the paper) for this
 * 2000-sample signal: a 31-bit LCG both sides reproduce bit for bit.
 * The reference is tests/audio/fixtures/classical-iv-torch.f32 (7 x 3 x
 * 401 float32); the script that made it is in the commit message. */
static void
test_classical_iv_torch (void)
{
  const gsize n = 2000;
  const float g[4] = { 1.0f, 0.35f, 0.2f, 0.9f };
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "audio", "fixtures",
                                                 "classical-iv-torch.f32", NULL);
  g_autofree float *x = g_new (float, 4 * n), *iv = NULL;
  g_autofree char *ref = NULL;
  gsize len = 0, nf = 0;
  guint64 st = 12345;
  double max_err = 0.0;

  g_assert_true (g_file_get_contents (path, &ref, &len, NULL));
  g_assert_cmpuint (len, ==, 7 * 3 * 401 * sizeof (float));
  for (gsize i = 0; i < n; i++)
    {
      float v[5];
      for (int k = 0; k < 5; k++)
        {
          st = (st * 1103515245u + 12345u) % 2147483648u;
          v[k] = (float) (st / 2147483648.0 * 2.0 - 1.0);
        }
      for (int c = 0; c < 4; c++)
        x[4 * i + c] = g[c] * v[0] + 0.3f * v[1 + c];
    }
  iv = jg_foa_classical_iv (x, n, &nf, NULL);
  g_assert_cmpuint (nf, ==, 7);
  for (gsize i = 0; i < 7 * 3 * 401; i++)
    {
      float r;
      memcpy (&r, ref + i * sizeof (float), sizeof r);
      max_err = fmax (max_err, fabs (iv[i] - r));
    }
  g_test_message ("Classical IV vs torch: max abs error %.2e", max_err);
  g_assert_cmpfloat (max_err, <, 1e-4);
}

/* Direct-path samples from the scene simulator (rt60 0): a talker-like
 * noise convolved with the simulator's FOA impulse response in the
 * dataset's convention; the DoA comes back within 3 degrees of the
 * loudspeaker's label direction. */
static void
test_simulated_direct_path (void)
{
  JgSimRoom room;
  JgSimPose pose;
  JgSimRng rng;
  const double centre[3] = { 0.0, 1.5, 0.0 };
  double worst = 0.0;

  jg_sim_rng_init (&rng, 5, 1, 2, 3);
  jg_sim_room_generate (&room, JG_SIM_ROOM_SHOEBOX, 0.0, &rng);
  jg_sim_pose_set (&pose, centre, 0.3);
  for (int s = 0; s < 8; s++)
    {
      double az = jg_sim_rng_range (&rng, -40, 40), el = jg_sim_rng_range (&rng, -25, 25);
      double dist = jg_sim_rng_range (&rng, 0.9, 4.1), dir[3], src[3], got_err;
      gsize n_ir = 0, n = 8000;
      g_autofree float *ir = NULL, *x = NULL;
      g_autoptr(JgFoaAnalysis) a = NULL;

      jg_doa_to_camera (az, el, dir);
      for (int k = 0; k < 3; k++)
        src[k] = dir[k] * dist;
      ir = jg_sim_ir_render (&room, &pose, src, 0, JG_FOA_JAEGER, &rng, &n_ir);
      x = g_new0 (float, 4 * n);
      /* x[c][t] = sum_k ir[c][k] s[t - k], interleaved output */
      {
        g_autofree float *sig = g_new (float, n);
        for (gsize t = 0; t < n; t++)
          sig[t] = (float) jg_sim_rng_range (&rng, -1, 1);
        for (int c = 0; c < 4; c++)
          for (gsize k = 0; k < n_ir; k++)
            {
              float h = ir[c * n_ir + k];
              if (h == 0.0f)
                continue;
              for (gsize t = k; t < n; t++)
                x[4 * t + c] += h * sig[t - k];
            }
      }
      a = jg_foa_analyse (x, n, 16000, JG_FOA_JAEGER, NULL);
      got_err = angle_between (a->az_deg, a->el_deg, az, el);
      worst = fmax (worst, got_err);
      g_assert_cmpfloat (got_err, <, 3.0);
    }
  g_test_message ("simulated direct path: worst error %.3f deg over 8 sources", worst);
}

static void
test_cli (void)
{
  const char *cli = g_getenv ("JAEGER_CLI");
  g_autoptr(GRand) rng = g_rand_new_with_seed (10);
  g_autofree char *dir = g_dir_make_tmp ("jg-doa-XXXXXX", NULL);
  g_autofree char *wav = g_build_filename (dir, "foa.wav", NULL);
  g_autofree char *mono = g_build_filename (dir, "mono.wav", NULL);
  g_autofree float *x = plane_wave (rng, -25, 12, RATE / 2, 0.05, JG_FOA_JAEGER);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  double az, el;
  int status;

  g_assert_nonnull (cli);
  g_assert_true (jg_audio_file_write_wav (wav, x, RATE / 2, 4, RATE, NULL));
  {
    const char *argv[] = { cli, "doa", wav, "--convention", "jaeger", NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL));
    g_assert_cmpint (status, ==, 0);
    g_assert_cmpint (sscanf (out, "azimuth: %lf; elevation: %lf", &az, &el), ==, 2);
    g_assert_cmpfloat (fabs (az - -25), <, 1.0);
    g_assert_cmpfloat (fabs (el - 12), <, 1.0);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* No --convention: a sample's metadata.json beside the file says "jaeger". */
  {
    g_autofree char *meta = g_build_filename (dir, "metadata.json", NULL);
    const char *argv[] = { cli, "doa", wav, NULL };
    g_assert_true (g_file_set_contents (meta, "{\"foa_convention\": \"jaeger\"}", -1, NULL));
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL));
    g_assert_cmpint (status, ==, 0);
    g_assert_cmpint (sscanf (out, "azimuth: %lf; elevation: %lf", &az, &el), ==, 2);
    g_assert_cmpfloat (fabs (az - -25), <, 1.0);
    g_assert_cmpfloat (fabs (el - 12), <, 1.0);
    g_unlink (meta);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *argv[] = { cli, "doa", wav, "-c", "jaeger", "--json", NULL };
    JsonObject *o;
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL));
    g_assert_cmpint (status, ==, 0);
    g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
    o = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpfloat (fabs (json_object_get_double_member (o, "azimuth") - -25), <, 1.0);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "frames")), ==, 1 + RATE / 2 / 320);
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  /* A mono file is refused with a message naming it; a bad convention is a usage error. */
  g_assert_true (jg_audio_file_write_wav (mono, x, RATE / 2, 1, RATE, NULL));
  {
    const char *argv[] = { cli, "doa", mono, NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL));
    g_assert_true (g_spawn_check_wait_status (status, NULL) == FALSE);
    g_assert_nonnull (strstr (err, "mono.wav: has 1 channels, expected 4"));
  }
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    const char *argv[] = { cli, "doa", wav, "--convention", "bogus", NULL };
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL));
    g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 2);
    g_assert_nonnull (strstr (err, "unknown FOA convention 'bogus'"));
  }
  g_unlink (wav);
  g_unlink (mono);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/doa/stft-direct", test_stft_direct);
  g_test_add_func ("/doa/random-plane-waves", test_random_plane_waves);
  g_test_add_func ("/doa/diffuse", test_diffuse);
  g_test_add_func ("/doa/jaeger-preset-matches-ambix", test_jaeger_preset_matches_ambix);
  g_test_add_func ("/doa/classical-iv-identity", test_classical_iv_identity);
  g_test_add_func ("/doa/classical-iv-torch", test_classical_iv_torch);
  g_test_add_func ("/doa/simulated-direct-path", test_simulated_direct_path);
  g_test_add_func ("/doa/cli", test_cli);
  return g_test_run ();
}
