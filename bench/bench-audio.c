/* Spatial audio costs (issue 5): binaural decoding real-time factor on one
 * core at 48 kHz with the KEMAR HRTF (goal <= 0.02), against direct
 * time-domain FIR filtering measured in the same run; the whole playback
 * path (reader, resampler, ring, decode); motion-to-sound latency in
 * blocks; HRTF preparation and DoA analysis times. */
#include "audio/jg-audio-file.h"
#include "audio/jg-decoder.h"
#include "audio/jg-doa.h"
#include "audio/jg-foa.h"
#include "audio/jg-hrtf.h"
#include "audio/jg-player.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdio.h>
#include <time.h>

#define RATE 48000

static double
cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
proc_cpu_now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double
wall_now (void)
{
  return g_get_monotonic_time () * 1e-6;
}

static float *
noise_foa (gsize n, guint seed)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (seed);
  float *x = g_new (float, 4 * n);

  for (gsize i = 0; i < 4 * n; i++)
    x[i] = (float) g_rand_double_range (rng, -0.5, 0.5);
  return x;
}

/* Direct 4 -> 2 FIR, the textbook way: the comparison for the FFT path. */
static void
direct_fir (const JgHrtf *h, const float *in, gsize n, float *out)
{
  guint L = jg_hrtf_get_length (h);

  for (gsize t = 0; t < n; t++)
    for (guint ear = 0; ear < 2; ear++)
      {
        float acc = 0.0f;
        for (guint c = 0; c < 4; c++)
          {
            const float *f = jg_hrtf_get_filter (h, ear, c);
            guint kmax = (guint) MIN ((gsize) L, t + 1);
            for (guint k = 0; k < kmax; k++)
              acc += f[k] * in[4 * (t - k) + c];
          }
        out[2 * t + ear] = acc;
      }
}

int
main (int argc, char **argv)
{
  const double seconds = 20.0;
  gsize n = (gsize) (seconds * RATE);
  g_autofree float *x = noise_foa (n, 1);
  g_autofree float *y = g_new (float, 4 * n);
  g_autoptr(JgHrtf) hrtf = NULL;
  g_autoptr(GError) error = NULL;
  double t0, c0;

  printf ("# bench-audio: %s, %u cores online\n", g_get_host_name (), g_get_num_processors ());

  c0 = cpu_now ();
  hrtf = jg_hrtf_load (NULL, RATE, &error);
  if (hrtf == NULL)
    {
      fprintf (stderr, "bench-audio: %s\n", error->message);
      return 1;
    }
  printf ("HRTF %s at %u Hz: %u taps per SH filter, prepared in %.1f ms CPU\n",
          jg_hrtf_get_path (hrtf), RATE, jg_hrtf_get_length (hrtf), (cpu_now () - c0) * 1e3);

  /* Binaural decode, orientation changing every block (the crossfade always on). */
  {
    const guint blocks[] = { 64, 128, 256, 512, 1024 };
    for (guint b = 0; b < G_N_ELEMENTS (blocks); b++)
      {
        g_autoptr(JgFoaDecoder) dec = jg_foa_decoder_new (JG_DECODER_BINAURAL, hrtf, blocks[b], NULL);
        guint B = blocks[b];
        double best = G_MAXDOUBLE;
        for (int rep = 0; rep < 3; rep++)
          {
            c0 = cpu_now ();
            for (gsize i = 0; i + B <= n; i += B)
              {
                jg_foa_decoder_set_orientation (dec, (double) (i / B % 360), 5, 0);
                jg_foa_decoder_process (dec, x + 4 * i, y + 2 * i);
              }
            best = MIN (best, cpu_now () - c0);
          }
        printf ("binaural decode, block %4u: %.4f s CPU for %.0f s of audio: RTF %.5f (%.2f us per block)\n",
                B, best, seconds, best / seconds, best / (n / B) * 1e6);
      }
  }

  /* Same filters by direct convolution, on 1 s (it is slow). */
  {
    gsize m = RATE;
    c0 = cpu_now ();
    direct_fir (hrtf, x, m, y);
    printf ("direct time-domain FIR (same 4x2 filters): RTF %.4f\n", cpu_now () - c0);
  }

  {
    const JgDecoderKind kinds[] = { JG_DECODER_STEREO, JG_DECODER_PASSTHROUGH };
    for (guint k = 0; k < 2; k++)
      {
        g_autoptr(JgFoaDecoder) dec = jg_foa_decoder_new (kinds[k], NULL, 256, NULL);
        c0 = cpu_now ();
        jg_foa_decoder_render (dec, x, n, y);
        printf ("%s decode, block 256: RTF %.6f\n", jg_decoder_kind_to_string (kinds[k]),
                (cpu_now () - c0) / seconds);
      }
  }

  /* The whole playback path offline: a 16 kHz file, read, converted,
   * resampled to 48 kHz, ringed, decoded binaurally in blocks of 256. */
  {
    g_autofree char *dir = g_dir_make_tmp ("jg-bench-audio-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "foa.wav", NULL);
    gsize n16 = (gsize) (seconds * 16000);
    g_autofree float *x16 = noise_foa (n16, 2);
    g_autoptr(JgPlayer) p = NULL;
    JgPlayerConfig cfg;
    gsize done = 0;
    double pc0;

    jg_audio_file_write_wav (path, x16, n16, 4, 16000, NULL);
    jg_player_config_init (&cfg);
    cfg.convention = JG_FOA_JAEGER;
    p = jg_player_new (path, &cfg, &error);
    if (p == NULL)
      {
        fprintf (stderr, "bench-audio: %s\n", error->message);
        return 1;
      }
    jg_player_play (p);
    t0 = wall_now ();
    pc0 = proc_cpu_now ();
    c0 = cpu_now ();
    while (done + 256 <= n)
      {
        jg_player_render_offline (p, y, 256);
        done += 256;
      }
    printf ("playback path (16 kHz file -> 48 kHz binaural): render thread RTF %.5f, "
            "all threads RTF %.5f, wall RTF %.5f\n",
            (cpu_now () - c0) / seconds, (proc_cpu_now () - pc0) / seconds,
            (wall_now () - t0) / seconds);

    /* Motion to sound: a source on the left (ambiX Y = W, X = 0), then
     * the head turns to face it: count the blocks until the output is
     * entirely the new orientation (X = W, Y = 0 at every frame after). */
    {
      g_autofree float *left = g_new0 (float, 4 * n16);
      g_autoptr(JgPlayer) q = NULL;
      float blk[4 * 256];
      int blocks_needed = -1;

      for (gsize i = 0; i < n16; i++)
        left[4 * i] = left[4 * i + 1] = x16[4 * i];
      jg_audio_file_write_wav (path, left, n16, 4, 16000, NULL);
      cfg.decoder = JG_DECODER_PASSTHROUGH;
      cfg.convention = JG_FOA_AMBIX;
      q = jg_player_new (path, &cfg, NULL);
      jg_player_play (q);
      jg_player_render_offline (q, blk, 256);
      jg_player_set_orientation (q, 90, 0, 0);
      for (int b = 1; b <= 8 && blocks_needed < 0; b++)
        {
          /* Fully turned at the block's last frame and from then on. */
          jg_player_render_offline (q, blk, 256);
          if (fabsf (blk[4 * 255 + 1]) <= 1e-5f * fabsf (blk[4 * 255]) + 1e-7f
              && fabsf (blk[4 * 255 + 3] - blk[4 * 255]) <= 1e-5f * fabsf (blk[4 * 255]) + 1e-7f)
            {
              jg_player_render_offline (q, blk, 256);
              gboolean stays = TRUE;
              for (int i = 0; i < 256; i++)
                stays &= fabsf (blk[4 * i + 1]) <= 1e-5f * fabsf (blk[4 * i]) + 1e-7f;
              if (stays)
                blocks_needed = b;
            }
        }
      printf ("motion-to-sound latency: %d block(s) after set_orientation (%.1f ms at block 256 / %u Hz), "
              "crossfaded within it; plus the device buffer\n",
              blocks_needed, blocks_needed * 256.0 * 1e3 / RATE, RATE);
    }
    g_unlink (path);
    g_rmdir (dir);
  }

  /* DoA analysis of a 13 s clip at 16 kHz (a SpatialSceneQA crop). */
  {
    gsize m = 13 * 16000;
    g_autofree float *z = noise_foa (m, 3);
    g_autoptr(JgFoaAnalysis) a = NULL;
    c0 = cpu_now ();
    a = jg_foa_analyse (z, m, 16000, JG_FOA_JAEGER, NULL);
    printf ("DoA analysis (STFT 800/320, spectrogram, azimuth map) of 13 s at 16 kHz: %.1f ms CPU (%u frames)\n",
            (cpu_now () - c0) * 1e3, a->n_frames);
  }
  return 0;
}
