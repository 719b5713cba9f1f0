/* Data benchmarks (issue 3): loading one full-size sample (PNG decodes,
 * depth back-projection, 13 s WAV, IR) against the 30 ms target, and
 * prepare-audio throughput in samples per second on one core.
 * Synthetic files of the real sizes are written to a temporary folder. */
#include "core/jg-file-util.h"
#include "data/jg-audio-clip.h"
#include "data/jg-npy.h"
#include "data/jg-png.h"
#include "data/jg-prepare-audio.h"
#include "data/jg-sample.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define W 672
#define H 378
#define RATE 16000

static void
write_sample (const char *dir, gsize ir_frames, gboolean with_wav, GRand *rand)
{
  g_autofree guint8 *rgb = g_malloc (W * H * 3), *depth = g_malloc (W * H);
  g_autofree float *ir = g_new0 (float, 4 * ir_frames);
  g_autofree char *p_rgb = g_build_filename (dir, "rgb.png", NULL);
  g_autofree char *p_depth = g_build_filename (dir, "depth.png", NULL);
  g_autofree char *p_ir = g_build_filename (dir, "ir.npy", NULL);
  gsize shape[2] = { 4, ir_frames };

  g_mkdir_with_parents (dir, 0755);
  /* A room-like image: smooth gradients plus texture noise (compresses
   * like a render, not like a flat colour). */
  for (guint y = 0; y < H; y++)
    for (guint x = 0; x < W; x++)
      {
        for (int c = 0; c < 3; c++)
          rgb[(y * W + x) * 3 + c] = (guint8) ((x / 3 + y / 2 + 40 * c + g_rand_int_range (rand, 0, 24)) & 0xff);
        depth[y * W + x] = (guint8) (40 + y / 3 + (x > 300 && x < 380 ? 20 : 0));
      }
  for (gsize i = 0; i < ir_frames; i++)
    for (int c = 0; c < 4; c++)
      ir[c * ir_frames + i] = (float) (g_rand_double_range (rand, -1, 1) * exp (-6.9 * i / (0.6 * RATE)));
  g_assert_true (jg_png_write (p_rgb, W, H, 3, 8, rgb, NULL));
  g_assert_true (jg_png_write (p_depth, W, H, 1, 8, depth, NULL));
  g_assert_true (jg_npy_write_f32 (p_ir, ir, 2, shape, NULL));
  if (with_wav)
    {
      gsize n = 13 * RATE;
      g_autofree float *a = g_new (float, 4 * n);
      g_autofree char *p_wav = g_build_filename (dir, "foa_ls.wav", NULL);
      for (gsize i = 0; i < 4 * n; i++)
        a[i] = (float) (0.3 * sin (0.01 * (double) i) + g_rand_double_range (rand, -0.05, 0.05));
      g_assert_true (jg_wav_write (p_wav, a, 4, RATE, n, JG_WAV_PCM16, NULL));
    }
}

/* On a shared machine wall time mostly measures the neighbours; the
 * process's CPU time is what the code costs (everything here is one thread). */
static double
cpu_ms (void)
{
  struct timespec t;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
bench_load (const char *root, GRand *rand)
{
  g_autofree char *dir = g_build_filename (root, "load", "task1_00000", NULL);
  g_autofree float *points = g_new (float, (gsize) W * H * 3);
  double times[21], cpu[21];

  write_sample (dir, RATE, TRUE, rand);
  for (guint r = 0; r < G_N_ELEMENTS (times); r++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double c0 = cpu_ms ();
      g_autoptr(GError) error = NULL;
      g_autoptr(JgSample) s = jg_sample_load (dir, &error);
      const float *depth;
      JgIntrinsics k;
      guint w, h;

      g_assert_no_error (error);
      depth = jg_sample_get_depth (s, &w, &h);
      jg_sample_get_intrinsics (s, &k);
      for (guint v = 0; v < h; v++)
        for (guint u = 0; u < w; u++)
          {
            double xyz[3];
            jg_intrinsics_unproject (&k, u, v, depth[v * w + u], xyz);
            for (int c = 0; c < 3; c++)
              points[(v * w + u) * 3 + c] = (float) xyz[c];
          }
      times[r] = (g_get_monotonic_time () - t0) / 1000.0;
      cpu[r] = cpu_ms () - c0;
    }
  qsort (times, G_N_ELEMENTS (times), sizeof (double), compare_double);
  qsort (cpu, G_N_ELEMENTS (cpu), sizeof (double), compare_double);
  printf ("sample load (672x378 RGB + depth PNG, back-projection, 13 s 4-ch WAV, 1 s IR), %u runs: "
          "CPU median %.1f ms (min %.1f), wall median %.1f ms (min %.1f); target < 30 ms\n",
          (guint) G_N_ELEMENTS (times), cpu[G_N_ELEMENTS (cpu) / 2], cpu[0],
          times[G_N_ELEMENTS (times) / 2], times[0]);
}

static void
bench_prepare (const char *root, GRand *rand)
{
  const guint n_samples = 6;
  g_autofree char *data = g_build_filename (root, "prep", NULL);
  g_autofree char *speech = g_build_filename (root, "speech", "male", NULL);
  g_autofree char *manifest = g_build_filename (root, "prep.json", NULL);
  g_autofree char *talker = g_build_filename (speech, "1-1-0000.wav", NULL);
  GString *json = g_string_new ("{\"annotation\": [");
  JgPrepareAudioOptions opt = { manifest, data, NULL, 1, FALSE };
  JgPrepareAudioReport report;
  g_autoptr(GError) error = NULL;
  gsize n = 13 * RATE;
  g_autofree float *dry = g_new (float, n);
  gint64 t0;
  double secs, c0, cpu_s;

  for (guint i = 0; i < n_samples; i++)
    {
      g_autofree char *dir = g_strdup_printf ("%s/test/scene/task1_%05u", data, i);
      write_sample (dir, (gsize) (0.6 * RATE), FALSE, rand);
      g_string_append_printf (json, "%s{\"path\": \"/path/to/test/scene/task1_%05u\", \"text\": "
                              "\"azimuth: 0; elevation: 0\", \"task\": \"spatial_doa\"}", i ? ", " : "", i);
    }
  g_string_append (json, "]}");
  g_assert_true (g_file_set_contents (manifest, json->str, -1, NULL));
  g_string_free (json, TRUE);
  g_mkdir_with_parents (speech, 0755);
  for (gsize i = 0; i < n; i++)
    dry[i] = (float) (0.4 * sin (0.05 * (double) i) * sin (0.0007 * (double) i));
  g_assert_true (jg_wav_write (talker, dry, 1, RATE, n, JG_WAV_PCM16, NULL));
  opt.speech_dir = g_path_get_dirname (speech);

  t0 = g_get_monotonic_time ();
  c0 = cpu_ms ();
  g_assert_true (jg_prepare_audio (&opt, NULL, NULL, &report, &error));
  secs = (g_get_monotonic_time () - t0) / 1e6;
  cpu_s = (cpu_ms () - c0) / 1e3;
  g_assert_no_error (error);
  g_assert_cmpuint (report.done, ==, n_samples);
  printf ("prepare-audio (13 s speech, 0.6 s 4-ch IR, 16-bit WAV out, 1 job), %u samples: "
          "%.2f samples/s per core of CPU time (%.0f ms CPU per sample), %.2f samples/s wall\n",
          report.done, report.done / cpu_s, 1000 * cpu_s / report.done, report.done / secs);
  jg_prepare_audio_report_clear (&report);
  g_free ((char *) opt.speech_dir);
}

int
main (void)
{
  g_autofree char *root = g_dir_make_tmp ("jg-bench-data-XXXXXX", NULL);
  GRand *rand = g_rand_new_with_seed (3);

  bench_load (root, rand);
  bench_prepare (root, rand);
  g_rand_free (rand);
  if (!g_getenv ("JG_BENCH_KEEP")) jg_file_remove_tree (root, NULL); else printf ("%s\n", root);
  return 0;
}
