/* The playback engine, offline: the SPSC ring under two threads, and
 * JgPlayer's render path against direct decoding, with seek, loop, end,
 * solo, levels, resampling and head-orientation latency. No sound card. */
#include "audio/jg-audio-file.h"
#include "audio/jg-decoder.h"
#include "audio/jg-player.h"
#include "audio/jg-ring.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#define N_RING 200000

static gpointer
ring_producer (gpointer data)
{
  JgRing *r = data;
  GRand *rng = g_rand_new_with_seed (1);
  float buf[3 * 50];
  guint64 next = 0;

  while (next < N_RING)
    {
      gsize want = (gsize) g_rand_int_range (rng, 1, 50), w;

      want = MIN (want, N_RING - next);
      for (gsize i = 0; i < want; i++)
        for (int c = 0; c < 3; c++)
          buf[3 * i + c] = (float) (next + i) + 0.25f * c;
      w = jg_ring_write (r, buf, want);
      next += w;
      if (w == 0)
        g_thread_yield ();
    }
  g_rand_free (rng);
  return NULL;
}

static void
test_ring_threads (void)
{
  g_autoptr(JgRing) r = jg_ring_new (97, 3);
  g_autoptr(GRand) rng = g_rand_new_with_seed (2);
  GThread *t = g_thread_new ("producer", ring_producer, r);
  float buf[3 * 64];
  guint64 expect = 0;

  while (expect < N_RING)
    {
      gsize got = jg_ring_read (r, buf, (gsize) g_rand_int_range (rng, 1, 64));
      for (gsize i = 0; i < got; i++, expect++)
        for (int c = 0; c < 3; c++)
          g_assert_cmpfloat (buf[3 * i + c], ==, (float) expect + 0.25f * c);
      if (got == 0)
        g_thread_yield ();
    }
  g_thread_join (t);
  g_assert_cmpuint (jg_ring_read_available (r), ==, 0);
  g_assert_cmpuint (jg_ring_write_index (r), ==, N_RING);
}

static void
test_ring_skip (void)
{
  g_autoptr(JgRing) r = jg_ring_new (16, 1);
  float in[10] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, out[10];

  g_assert_cmpuint (jg_ring_write (r, in, 10), ==, 10);
  g_assert_cmpuint (jg_ring_write (r, in, 10), ==, 6);   /* full */
  g_assert_cmpuint (jg_ring_write_space (r), ==, 0);
  jg_ring_skip_to (r, 7);
  g_assert_cmpuint (jg_ring_read (r, out, 2), ==, 2);
  g_assert_cmpfloat (out[0], ==, 7);
  g_assert_cmpfloat (out[1], ==, 8);
  jg_ring_skip_to (r, 3);   /* behind the reader: no effect */
  g_assert_cmpuint (jg_ring_read_available (r), ==, 7);
}

typedef struct {
  char *dir, *path;
  float *x;          /* the file's content, ambiX */
  gsize n;
  guint rate;
} Fixture;

/* 1 s of a 16 kHz file: W a noise burst pattern, a source on the camera's
 * left written in the dataset's channel layout [W, up, back, right]. */
static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GRand) rng = g_rand_new_with_seed (3);
  g_autofree float *raw = NULL;

  f->rate = 16000;
  f->n = 16000;
  f->dir = g_dir_make_tmp ("jg-player-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "foa.wav", NULL);
  f->x = g_new0 (float, 4 * f->n);
  raw = g_new0 (float, 4 * f->n);
  for (gsize i = 0; i < f->n; i++)
    {
      float s = (float) g_rand_double_range (rng, -0.5, 0.5) * (float) (0.5 + 0.5 * sin (i * 0.003));
      raw[4 * i] = s;
      raw[4 * i + 3] = -s;                 /* +x right = -left */
      f->x[4 * i] = s;
      f->x[4 * i + 1] = s;                 /* ambiX Y = left */
    }
  g_assert_true (jg_audio_file_write_wav (f->path, raw, f->n, 4, f->rate, NULL));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_unlink (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
  g_free (f->x);
}

static JgPlayer *
open_player (Fixture *f, JgDecoderKind kind, guint rate)
{
  g_autoptr(GError) error = NULL;
  JgPlayerConfig c;
  JgPlayer *p;

  jg_player_config_init (&c);
  c.decoder = kind;
  c.convention = JG_FOA_JAEGER;
  c.sample_rate = rate;
  c.block = 128;
  c.ring_seconds = 0.05;   /* smaller than the file: the reader must keep up */
  p = jg_player_new (f->path, &c, &error);
  g_assert_no_error (error);
  return p;
}

/* Streaming through reader thread, ring and blocks gives the same samples
 * as decoding the whole buffer at once. */
static void
test_matches_direct (Fixture *f, gconstpointer data)
{
  g_autoptr(JgPlayer) p = open_player (f, JG_DECODER_BINAURAL, f->rate);
  g_autoptr(JgHrtf) h = jg_hrtf_load (NULL, f->rate, NULL);
  g_autoptr(JgFoaDecoder) dec = jg_foa_decoder_new (JG_DECODER_BINAURAL, h, 128, NULL);
  g_autofree float *want = g_new (float, 2 * f->n), *got = g_new (float, 2 * f->n);
  double max_err = 0, max_v = 0;

  jg_foa_decoder_render (dec, f->x, f->n, want);
  jg_player_play (p);
  /* Odd request sizes: the player re-blocks internally. */
  for (gsize i = 0; i < f->n;)
    {
      gsize k = MIN ((gsize) 77, f->n - i);
      jg_player_render_offline (p, got + 2 * i, k);
      i += k;
    }
  for (gsize i = 0; i < 2 * f->n; i++)
    {
      max_err = fmax (max_err, fabs (got[i] - want[i]));
      max_v = fmax (max_v, fabs (want[i]));
    }
  g_assert_cmpfloat (max_err, <=, 1e-6 * max_v);
  g_assert_cmpuint (jg_player_get_underruns (p), ==, 0);
  g_assert_cmpfloat (fabs (jg_player_get_position (p) - 1.0), <, 1e-9);

  /* A player sharing an already loaded HRTF renders the same samples; one
   * at the wrong rate is refused. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JgPlayer) shared = NULL;
    JgPlayerConfig c;

    jg_player_config_init (&c);
    c.convention = JG_FOA_JAEGER;
    c.sample_rate = f->rate;
    c.block = 128;
    c.hrtf = h;
    c.hrtf_path = "/nonexistent.sofa";   /* ignored when hrtf is given */
    shared = jg_player_new (f->path, &c, &error);
    g_assert_no_error (error);
    jg_player_play (shared);
    jg_player_render_offline (shared, got, f->n);
    for (gsize i = 0; i < 2 * f->n; i++)
      g_assert_cmpfloat (fabs (got[i] - want[i]), <=, 1e-6 * max_v);
    c.sample_rate = 48000;
    g_assert_null (jg_player_new (f->path, &c, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED);
  }
}

static void
test_seek_loop_end (Fixture *f, gconstpointer data)
{
  g_autoptr(JgPlayer) p = open_player (f, JG_DECODER_PASSTHROUGH, f->rate);
  float blk[4 * 128];

  g_assert_cmpfloat (jg_player_get_duration (p), ==, 1.0);
  jg_player_play (p);
  jg_player_render_offline (p, blk, 128);
  g_assert_cmpfloat (blk[4 * 5], ==, f->x[4 * 5]);

  /* Seek: reported at once, then the audio comes from there. */
  jg_player_seek (p, 0.5);
  g_assert_cmpfloat (jg_player_get_position (p), ==, 0.5);
  jg_player_render_offline (p, blk, 128);
  jg_player_render_offline (p, blk, 128);
  for (int i = 0; i < 128; i++)
    for (int c = 0; c < 4; c++)
      g_assert_cmpfloat (fabs (blk[4 * i + c] - f->x[4 * (8000 + 128 + i) + c]), <, 1e-6);
  g_assert_cmpfloat (fabs (jg_player_get_position (p) - (8000 + 256) / 16000.0), <, 1e-9);

  /* Loop: past the end the file starts again without a gap. */
  jg_player_set_loop (p, TRUE);
  jg_player_seek (p, (16000 - 64) / 16000.0);
  jg_player_render_offline (p, blk, 128);
  for (int i = 0; i < 128; i++)
    g_assert_cmpfloat (fabs (blk[4 * i] - f->x[4 * ((16000 - 64 + i) % 16000)]), <, 1e-6);
  g_assert_cmpfloat (fabs (jg_player_get_position (p) - 64 / 16000.0), <, 1e-9);
  g_assert_false (jg_player_is_finished (p));

  /* Without loop it ends: silence, finished, paused. */
  jg_player_set_loop (p, FALSE);
  jg_player_seek (p, 0.99);
  for (int b = 0; b < 4; b++)
    jg_player_render_offline (p, blk, 128);
  g_assert_true (jg_player_is_finished (p));
  g_assert_false (jg_player_is_playing (p));
  for (int i = 0; i < 4 * 128; i++)
    g_assert_cmpfloat (blk[i], ==, 0.0f);
  g_assert_cmpfloat (jg_player_get_position (p), ==, 1.0);

  /* Loop switched on while the last frames are still queued: no end. */
  jg_player_play (p);
  jg_player_seek (p, (16000 - 256) / 16000.0);
  jg_player_render_offline (p, blk, 128);
  g_usleep (20000);   /* let the reader hit the end of the file */
  jg_player_set_loop (p, TRUE);
  for (int b = 0; b < 4; b++)
    jg_player_render_offline (p, blk, 128);
  g_assert_false (jg_player_is_finished (p));
  for (int i = 0; i < 128; i++)
    g_assert_cmpfloat (fabs (blk[4 * i] - f->x[4 * (256 + i)]), <, 1e-6);
  jg_player_set_loop (p, FALSE);
  jg_player_pause (p);
  jg_player_seek (p, 0.99);
  jg_player_play (p);
  for (int b = 0; b < 4; b++)
    jg_player_render_offline (p, blk, 128);
  g_assert_true (jg_player_is_finished (p));

  /* Play again restarts from the top. */
  jg_player_play (p);
  jg_player_render_offline (p, blk, 128);
  g_assert_cmpfloat (blk[0], ==, f->x[0]);
}

static void
test_pause_solo_levels (Fixture *f, gconstpointer data)
{
  g_autoptr(JgPlayer) p = open_player (f, JG_DECODER_PASSTHROUGH, f->rate);
  float blk[4 * 128], in_pk[4], out_pk[4], want_w = 0, want_y = 0;

  /* Paused: silence, time stands still. */
  jg_player_render_offline (p, blk, 128);
  for (int i = 0; i < 4 * 128; i++)
    g_assert_cmpfloat (blk[i], ==, 0.0f);
  g_assert_cmpfloat (jg_player_get_position (p), ==, 0.0);

  jg_player_play (p);
  jg_player_take_levels (p, in_pk, out_pk);
  jg_player_render_offline (p, blk, 128);
  for (int i = 0; i < 128; i++)
    {
      want_w = fmaxf (want_w, fabsf (f->x[4 * i]));
      want_y = fmaxf (want_y, fabsf (f->x[4 * i + 1]));
    }
  jg_player_take_levels (p, in_pk, out_pk);
  g_assert_cmpfloat (in_pk[0], ==, want_w);
  g_assert_cmpfloat (in_pk[1], ==, want_y);
  g_assert_cmpfloat (in_pk[3], ==, 0.0f);
  g_assert_cmpfloat (out_pk[1], ==, want_y);
  /* Taking resets them. */
  jg_player_take_levels (p, in_pk, out_pk);
  g_assert_cmpfloat (in_pk[0], ==, 0.0f);

  jg_player_set_solo_w (p, TRUE);
  jg_player_render_offline (p, blk, 128);
  for (int i = 0; i < 128; i++)
    {
      g_assert_cmpfloat (blk[4 * i], ==, f->x[4 * (128 + i)]);
      g_assert_cmpfloat (blk[4 * i + 1], ==, 0.0f);
    }
  jg_player_take_levels (p, in_pk, out_pk);
  g_assert_cmpfloat (in_pk[1], ==, 0.0f);
  g_assert_cmpfloat (in_pk[0], >, 0.0f);
}

/* Motion to sound: an orientation set between two blocks is fully heard by
 * the end of the very next block (1 block), faded in over it. */
static void
test_orientation_latency (Fixture *f, gconstpointer data)
{
  g_autoptr(JgPlayer) p = open_player (f, JG_DECODER_PASSTHROUGH, f->rate);
  float blk[4 * 128];

  jg_player_play (p);
  jg_player_render_offline (p, blk, 128);
  /* Face the source on the left: it moves to the front (X = W, Y = 0). */
  jg_player_set_orientation (p, 90, 0, 0);
  jg_player_render_offline (p, blk, 128);
  g_assert_cmpfloat (fabs (blk[4 * 127 + 3] - blk[4 * 127]), <, 1e-6);
  g_assert_cmpfloat (fabs (blk[4 * 127 + 1]), <, 1e-6);
  /* The first frame of the block is still mostly the old orientation. */
  g_assert_cmpfloat (fabs (blk[1] - f->x[4 * 128 + 1]), <, 0.02 * fabs (f->x[4 * 128 + 1]) + 1e-6);
}

/* A 16 kHz file with a 1 kHz tone from the left, played at 48 kHz: three
 * times the frames, the same tone (frequency from zero crossings, RMS
 * 1/sqrt 2), still on the left. */
static void
test_resampled (Fixture *f, gconstpointer data)
{
  g_autofree float *tone = g_new0 (float, 4 * 16000), *out = g_new (float, 4 * 48000);
  g_autoptr(JgPlayer) p = NULL;
  double rms = 0;
  int crossings = 0;
  gsize first = 0, last = 0;

  for (gsize i = 0; i < 16000; i++)
    {
      tone[4 * i] = (float) sin (2 * M_PI * 1000 * i / 16000.0);
      tone[4 * i + 3] = -tone[4 * i];
    }
  g_assert_true (jg_audio_file_write_wav (f->path, tone, 16000, 4, 16000, NULL));
  p = open_player (f, JG_DECODER_PASSTHROUGH, 48000);
  jg_player_play (p);
  jg_player_render_offline (p, out, 48000 - 256);
  g_assert_cmpuint (jg_player_get_underruns (p), ==, 0);
  g_assert_cmpfloat (fabs (jg_player_get_position (p) - (48000 - 256) / 48000.0), <, 1e-9);
  for (gsize i = 4800; i < 43200; i++)
    {
      rms += out[4 * i] * out[4 * i];
      if (out[4 * (i - 1)] < 0 && out[4 * i] >= 0)
        {
          if (crossings == 0)
            first = i;
          last = i;
          crossings++;
        }
      g_assert_cmpfloat (fabs (out[4 * i + 1] - out[4 * i]), <, 1e-5);
    }
  rms = sqrt (rms / (43200 - 4800));
  g_test_message ("resampled tone: RMS %.4f, %.2f Hz", rms, (crossings - 1) * 48000.0 / (last - first));
  g_assert_cmpfloat (fabs (rms - M_SQRT1_2), <, 0.01);
  g_assert_cmpfloat (fabs ((crossings - 1) * 48000.0 / (last - first) - 1000), <, 1.0);
}

static void
test_silent_clock (Fixture *f, gconstpointer data)
{
  g_autoptr(JgPlayer) p = open_player (f, JG_DECODER_STEREO, f->rate);
  double pos;

  jg_player_start_silent_clock (p);
  jg_player_play (p);
  g_usleep (300 * 1000);
  pos = jg_player_get_position (p);
  g_test_message ("silent clock after 300 ms: %.3f s", pos);
  g_assert_cmpfloat (pos, >, 0.05);
  g_assert_cmpfloat (pos, <, 0.6);
}

static void
test_bad_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jg-player-XXXXXX", NULL);
  g_autofree char *mono = g_build_filename (dir, "mono.wav", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.wav", NULL);
  float x[100] = { 0 };

  g_assert_true (jg_audio_file_write_wav (mono, x, 100, 1, 16000, NULL));
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (jg_player_new (mono, NULL, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "mono.wav: not playable as first-order ambisonics (1 channels"));
  }
  {
    g_autoptr(GError) error = NULL;
    g_assert_null (jg_player_new (missing, NULL, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, missing));
  }
  g_unlink (mono);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/player/ring-threads", test_ring_threads);
  g_test_add_func ("/player/ring-skip", test_ring_skip);
  g_test_add ("/player/matches-direct", Fixture, NULL, fixture_setup, test_matches_direct, fixture_teardown);
  g_test_add ("/player/seek-loop-end", Fixture, NULL, fixture_setup, test_seek_loop_end, fixture_teardown);
  g_test_add ("/player/pause-solo-levels", Fixture, NULL, fixture_setup, test_pause_solo_levels, fixture_teardown);
  g_test_add ("/player/orientation-latency", Fixture, NULL, fixture_setup, test_orientation_latency, fixture_teardown);
  g_test_add ("/player/resampled", Fixture, NULL, fixture_setup, test_resampled, fixture_teardown);
  g_test_add ("/player/silent-clock", Fixture, NULL, fixture_setup, test_silent_clock, fixture_teardown);
  g_test_add_func ("/player/bad-files", test_bad_files);
  return g_test_run ();
}
