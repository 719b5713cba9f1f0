/* prepare-audio against direct time-domain convolution: impulse responses
 * of a few taps and speech of exact 16-bit values, so every output sample
 * is known to within 16-bit rounding; plus talker choice by gender,
 * metadata, resuming and per-sample failures. */
#include "core/jg-file-util.h"
#include "data/jg-prepare-audio.h"
#include "data/jg-audio-clip.h"
#include "data/jg-npy.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define NH 40

static void
direct_convolve (const float *x, gsize nx, const float *h, gsize nh, double *out)
{
  for (gsize i = 0; i < nx + nh - 1; i++)
    out[i] = 0;
  for (gsize i = 0; i < nx; i++)
    for (gsize j = 0; j < nh; j++)
      out[i + j] += (double) x[i] * h[j];
}

static void
test_fft_convolve (void)
{
  static const gsize sizes[][2] = { { 1, 1 }, { 37, 11 }, { 1000, 333 }, { 5, 700 }, { 4096, 1 } };
  g_autoptr(GError) error = NULL;
  GRand *rand = g_rand_new_with_seed (7);

  for (gsize s = 0; s < G_N_ELEMENTS (sizes); s++)
    {
      gsize nx = sizes[s][0], nh = sizes[s][1];
      g_autofree float *x = g_new (float, nx), *h = g_new (float, nh), *out = g_new (float, nx + nh - 1);
      g_autofree double *want = g_new (double, nx + nh - 1);

      for (gsize i = 0; i < nx; i++)
        x[i] = (float) g_rand_double_range (rand, -1, 1);
      for (gsize i = 0; i < nh; i++)
        h[i] = (float) g_rand_double_range (rand, -1, 1);
      g_assert_true (jg_fft_convolve (x, nx, h, nh, out, &error));
      g_assert_no_error (error);
      direct_convolve (x, nx, h, nh, want);
      for (gsize i = 0; i < nx + nh - 1; i++)
        g_assert_cmpfloat_with_epsilon (out[i], want[i], 1e-4 * sqrt ((double) MIN (nx, nh)));
    }
  g_rand_free (rand);
}

/* Channel c: a tap of gain (c + 1) / 8 at delay 3 c + 1, and -0.1 at 30. */
static void
make_ir (float ir[4 * NH], float scale)
{
  memset (ir, 0, 4 * NH * sizeof (float));
  for (int c = 0; c < 4; c++)
    {
      ir[c * NH + 3 * c + 1] = scale * (c + 1) / 8.0f;
      ir[c * NH + 30] = -0.1f * scale;
    }
}

static void
write_ir (const char *dir, const char *name, float scale)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  float ir[4 * NH];
  gsize shape[2] = { 4, NH };

  make_ir (ir, scale);
  g_assert_true (jg_npy_write_f32 (p, ir, 2, shape, NULL));
}

/* Speech of exact 16-bit values: a decaying chirp, distinct per @seed. */
static float *
make_speech (guint n, int seed)
{
  float *x = g_new (float, n);
  for (guint i = 0; i < n; i++)
    x[i] = (float) (round (9000 * sin (0.002 * i * i / (seed + 3) + seed) * exp (-(double) i / 3000.0)) / 32768.0);
  return x;
}

static char *
write_speech (const char *dir, const char *rel, guint n, int seed)
{
  char *p = g_build_filename (dir, rel, NULL);
  g_autofree char *parent = g_path_get_dirname (p);
  g_autofree float *x = make_speech (n, seed);

  g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
  g_assert_true (jg_wav_write (p, x, 1, 16000, n, JG_WAV_PCM16, NULL));
  return p;
}

/* foa_ls.wav of @dir against speech (@n1, @seed1) through IR scale 1 plus
 * optionally (@n2, @seed2) through IR scale -0.5. */
static void
check_output (const char *dir, guint n1, int seed1, guint n2, int seed2)
{
  g_autofree char *wav = g_build_filename (dir, "foa_ls.wav", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JgAudioClip) clip = jg_audio_clip_load (wav, &error);
  g_autofree float *x1 = make_speech (n1, seed1), *x2 = n2 ? make_speech (n2, seed2) : NULL;
  gsize len = MAX (n1, n2) + NH - 1;
  g_autofree double *a = g_new0 (double, len), *b = g_new0 (double, len);
  float ir1[4 * NH], ir2[4 * NH];

  g_assert_no_error (error);
  g_assert_true (jg_audio_clip_check_foa (clip, wav, NULL));
  g_assert_cmpuint (clip->n_frames, ==, len);
  make_ir (ir1, 1.0f);
  make_ir (ir2, -0.5f);
  for (int c = 0; c < 4; c++)
    {
      memset (b, 0, len * sizeof (double));
      direct_convolve (x1, n1, ir1 + c * NH, NH, a);
      if (n2)
        direct_convolve (x2, n2, ir2 + c * NH, NH, b);
      for (gsize i = 0; i < len; i++)
        {
          double want = (i < n1 + NH - 1 ? a[i] : 0) + b[i];
          g_assert_cmpfloat_with_epsilon (clip->data[c * len + i], want, 1.0 / 32768 + 1e-5);
        }
    }
}

static JsonObject *
source_info (const char *dir, JsonParser *parser)
{
  g_autofree char *meta = g_build_filename (dir, "metadata.json", NULL);
  g_assert_true (json_parser_load_from_file (parser, meta, NULL));
  return json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                        "audio_source_info");
}

static void
test_prepare (void)
{
  g_autofree char *root = g_dir_make_tmp ("jg-prep-XXXXXX", NULL);
  g_autofree char *scene = g_build_filename (root, "test", "00800-X", NULL);
  g_autofree char *t1a = g_build_filename (scene, "task1_00000", NULL);
  g_autofree char *t1b = g_build_filename (scene, "task1_00001", NULL);
  g_autofree char *t2 = g_build_filename (scene, "task2_00000", NULL);
  g_autofree char *speech = g_build_filename (root, "LibriSpeech", "test-clean", NULL);
  g_autofree char *manifest = g_build_filename (root, "m.json", NULL);
  g_autofree char *speakers = g_build_filename (root, "LibriSpeech", "SPEAKERS.TXT", NULL);
  g_autofree char *f0 = NULL, *m0 = NULL, *m1 = NULL;
  g_autofree char *wav_b = NULL, *bytes_before = NULL, *bytes_after = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JgPrepareAudioOptions opt = { manifest, root, speech, 2, FALSE };
  JgPrepareAudioReport r;
  JsonObject *info;
  gsize len_before, len_after;
  const char *json =
    "{\"annotation\": ["
    "{\"path\": \"/path/to/hm3d_foa_av_v2/test/00800-X/task1_00000\", \"text\": \"azimuth: 1; elevation: 2\","
    " \"task\": \"spatial_doa\", \"gender\": \"F\"},"
    "{\"path\": \"/path/to/hm3d_foa_av_v2/test/00800-X/task1_00000\", \"text\": \"Left\","
    " \"task\": \"single_source\", \"num_speakers\": 2},"
    "{\"path\": \"/path/to/hm3d_foa_av_v2/test/00800-X/task1_00001\", \"text\": \"azimuth: 1; elevation: 2\","
    " \"task\": \"spatial_doa\", \"gender\": \"M\"},"
    "{\"path\": \"/path/to/hm3d_foa_av_v2/test/00800-X/task2_00000\", \"text\": \"azimuth: 1; elevation: 2\","
    " \"task\": \"multi_spatial_doa\", \"gender\": \"M\"},"
    "{\"path\": \"/path/to/STARSS23_mf/test/x.wav\", \"text\": \"azimuth: 1.0; elevation: 2.0\","
    " \"task\": \"starss23\"}]}";

  g_assert_cmpint (g_mkdir_with_parents (t1a, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (t1b, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (t2, 0755), ==, 0);
  write_ir (t1a, "ir.npy", 1.0f);
  write_ir (t1b, "ir.npy", 1.0f);
  write_ir (t2, "ir_male.npy", 1.0f);
  write_ir (t2, "ir_female.npy", -0.5f);
  g_assert_true (g_file_set_contents (manifest, json, -1, NULL));
  g_assert_cmpint (g_mkdir_with_parents (speech, 0755), ==, 0);
  /* SPEAKERS.TXT two levels up, as in an unpacked LibriSpeech. */
  g_assert_true (g_file_set_contents (speakers,
                 "; ID  |SEX| SUBSET |MINUTES| NAME\n19   | F | test-clean | 8.2 | A\n26   | M | test-clean | 9.1 | B\n",
                 -1, NULL));
  f0 = write_speech (speech, "19/198/19-198-0000.wav", 3000, 1);
  m0 = write_speech (speech, "26/495/26-495-0000.wav", 2500, 2);
  m1 = write_speech (speech, "26/495/26-495-0001.wav", 3500, 3);
  {
    g_autofree char *meta = g_build_filename (t1a, "metadata.json", NULL);
    g_assert_true (g_file_set_contents (meta, "{\"hfov\": 90, \"keep\": [1, 2]}", -1, NULL));
  }

  g_assert_true (jg_prepare_audio (&opt, NULL, NULL, &r, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < r.failures->len; i++)
    g_test_message ("%s", (char *) r.failures->pdata[i]);
  g_assert_cmpuint (r.total, ==, 3);
  g_assert_cmpuint (r.done, ==, 3);
  g_assert_cmpuint (r.skipped, ==, 0);
  g_assert_cmpuint (r.failures->len, ==, 0);
  jg_prepare_audio_report_clear (&r);

  /* task1_00000 wants F: the only female file; task1_00001 wants M: the
   * first male; task2 takes the next male and wraps to the female. */
  check_output (t1a, 3000, 1, 0, 0);
  check_output (t1b, 2500, 2, 0, 0);
  check_output (t2, 3500, 3, 3000, 1);
  info = source_info (t1a, parser);
  g_assert_cmpstr (json_object_get_string_member (info, "source_path"), ==, f0);
  g_assert_cmpstr (json_object_get_string_member (info, "gender"), ==, "F");
  g_assert_true (json_object_has_member (json_node_get_object (json_parser_get_root (parser)), "keep"));
  info = source_info (t2, parser);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (info, "male"), "source_path"), ==, m1);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (info, "female"), "source_path"), ==, f0);

  /* Resume: finished samples are skipped; a deleted one is remade identically. */
  wav_b = g_build_filename (t1b, "foa_ls.wav", NULL);
  g_assert_true (g_file_get_contents (wav_b, &bytes_before, &len_before, NULL));
  g_unlink (wav_b);
  opt.jobs = 1;
  g_assert_true (jg_prepare_audio (&opt, NULL, NULL, &r, &error));
  g_assert_cmpuint (r.skipped, ==, 2);
  g_assert_cmpuint (r.done, ==, 1);
  jg_prepare_audio_report_clear (&r);
  g_assert_true (g_file_get_contents (wav_b, &bytes_after, &len_after, NULL));
  g_assert_cmpmem (bytes_before, len_before, bytes_after, len_after);

  /* Killed mid-way: a leftover temporary and a WAV whose metadata was never
   * updated. The sample counts as unfinished; the leftover goes. */
  {
    g_autofree char *tmp = g_build_filename (t1b, ".foa_ls.wav.AbC123", NULL);
    g_autofree char *meta = g_build_filename (t1b, "metadata.json", NULL);
    g_assert_true (g_file_set_contents (tmp, "half", -1, NULL));
    g_unlink (meta);
    g_assert_true (jg_prepare_audio (&opt, NULL, NULL, &r, &error));
    g_assert_cmpuint (r.skipped, ==, 2);
    g_assert_cmpuint (r.done, ==, 1);
    jg_prepare_audio_report_clear (&r);
    g_assert_false (g_file_test (tmp, G_FILE_TEST_EXISTS));
    g_assert_true (g_file_test (meta, G_FILE_TEST_EXISTS));
  }

  /* A broken sample fails alone, named with its problem. */
  {
    g_autofree char *ir = g_build_filename (t1a, "ir.npy", NULL);
    g_assert_true (g_file_set_contents (ir, "\x93NUMPY", -1, NULL));
    opt.force = TRUE;
    g_assert_true (jg_prepare_audio (&opt, NULL, NULL, &r, &error));
    g_assert_cmpuint (r.done, ==, 2);
    g_assert_cmpuint (r.failures->len, ==, 1);
    g_test_message ("%s", (char *) r.failures->pdata[0]);
    g_assert_true (g_str_has_prefix (r.failures->pdata[0], t1a));
    g_assert_nonnull (strstr (r.failures->pdata[0], "ir.npy: not a .npy file"));
    jg_prepare_audio_report_clear (&r);
  }

  /* No female speech: two-talker samples cannot be made, said up front. */
  g_unlink (f0);
  g_assert_false (jg_prepare_audio (&opt, NULL, NULL, &r, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "found 2 male and 0 female"));
  jg_prepare_audio_report_clear (&r);
  jg_file_remove_tree (root, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/prepare-audio/fft-convolve", test_fft_convolve);
  g_test_add_func ("/prepare-audio/samples", test_prepare);
  return g_test_run ();
}
