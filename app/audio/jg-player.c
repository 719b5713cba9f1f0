#include "audio/jg-player.h"
#include "audio/jg-ring.h"
#include "core/jg-error.h"

#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <string.h>

/* Frames the reader decodes per step. */
#define READ_CHUNK 1024
/* How long the reader and the offline renderer sleep when there is nothing
 * to do; well under a block at any rate. */
#define IDLE_US 1000

struct _JgPlayer {
  /* Fixed after _new. */
  char *path;
  guint rate, block, n_out;
  guint file_rate;
  gint64 file_frames;
  double ratio;             /* output rate / file rate */
  JgFoaConvention convention;
  JgFoaDecoder *dec;
  JgRing *ring;

  /* Reader thread. */
  GThread *reader;
  SNDFILE *sf;
  SRC_STATE *src;
  float *read_buf;          /* READ_CHUNK * 4 */
  float *src_buf;           /* resampled chunk */
  gsize src_buf_frames;
  gsize pending_off, pending_n;  /* resampled frames not yet in the ring */

  /* Silent clock thread. */
  GThread *clock;

  /* Control -> reader. */
  atomic_int quit;
  atomic_int loop;
  atomic_uint seek_req_gen;
  _Atomic gint64 seek_req_frame;
  /* Reader -> renderer. */
  atomic_uint flush_gen;
  _Atomic guint64 flush_index;  /* ring index where post-seek data starts */
  _Atomic guint64 flush_pos;    /* output-rate frame that data starts at */
  atomic_int eof;               /* the reader has written the last frame */
  _Atomic guint64 eof_index;

  /* Control -> renderer. */
  atomic_int playing;
  atomic_int solo_w;
  atomic_uint orient_seq;       /* odd while the control thread writes */
  _Atomic double orient[3];
  /* Renderer -> control. */
  atomic_int finished;
  _Atomic guint64 pos;          /* output-rate frames from the file start */
  atomic_uint peaks[8];         /* float bits; 0-3 input, 4-7 output */
  _Atomic guint64 underruns;

  /* Renderer-only state. */
  atomic_uint seen_flush_gen;   /* read by get_position */
  guint seen_orient_seq;
  float *blk_in;                /* block * 4 */
  float *blk_out;               /* block * n_out */
  guint out_used;               /* frames of blk_out already handed out */
};

void
jg_player_config_init (JgPlayerConfig *c)
{
  memset (c, 0, sizeof *c);
  c->decoder = JG_DECODER_BINAURAL;
  c->convention = JG_FOA_AMBIX;
  c->sample_rate = 48000;
  c->block = 256;
  c->ring_seconds = 0.5;
}

/* ---- reader thread ---------------------------------------------------- */

static void
reader_seek (JgPlayer *p, gint64 frame, guint gen)
{
  frame = CLAMP (frame, 0, p->file_frames);
  sf_seek (p->sf, frame, SEEK_SET);
  if (p->src != NULL)
    src_reset (p->src);
  p->pending_n = 0;
  atomic_store (&p->eof, FALSE);
  atomic_store (&p->flush_index, jg_ring_write_index (p->ring));
  atomic_store (&p->flush_pos, (guint64) llround (frame * p->ratio));
  atomic_store_explicit (&p->flush_gen, gen, memory_order_release);
}

/* Decodes one chunk into src_buf; returns FALSE at the end of the file. */
static gboolean
reader_fill (JgPlayer *p)
{
  sf_count_t got = sf_readf_float (p->sf, p->read_buf, READ_CHUNK);

  if (got <= 0)
    {
      if (atomic_load (&p->loop))
        {
          /* Seamless: no flush, the resampler carries on. */
          sf_seek (p->sf, 0, SEEK_SET);
          got = sf_readf_float (p->sf, p->read_buf, READ_CHUNK);
        }
      if (got <= 0)
        return FALSE;
    }
  jg_foa_convert (p->convention, JG_FOA_AMBIX, p->read_buf, (gsize) got);
  if (p->src == NULL)
    {
      memcpy (p->src_buf, p->read_buf, (gsize) got * 4 * sizeof (float));
      p->pending_n = (gsize) got;
    }
  else
    {
      SRC_DATA d = { 0 };
      d.data_in = p->read_buf;
      d.input_frames = (long) got;
      d.data_out = p->src_buf;
      d.output_frames = (long) p->src_buf_frames;
      d.src_ratio = p->ratio;
      d.end_of_input = 0;
      if (src_process (p->src, &d) != 0)
        return FALSE;
      p->pending_n = (gsize) d.output_frames_gen;
    }
  p->pending_off = 0;
  return TRUE;
}

static gpointer
reader_main (gpointer data)
{
  JgPlayer *p = data;
  guint handled_gen = 0;

  while (!atomic_load (&p->quit))
    {
      guint gen = atomic_load_explicit (&p->seek_req_gen, memory_order_acquire);

      if (gen != handled_gen)
        {
          reader_seek (p, atomic_load (&p->seek_req_frame), gen);
          handled_gen = gen;
          continue;
        }
      if (p->pending_n == 0 && atomic_load (&p->eof) && atomic_load (&p->loop))
        {
          /* Loop switched on after the last frame was read: carry on from
           * the top, seamlessly. */
          sf_seek (p->sf, 0, SEEK_SET);
          atomic_store (&p->eof, FALSE);
          continue;
        }
      if (p->pending_n == 0 && !atomic_load (&p->eof))
        {
          if (!reader_fill (p))
            {
              atomic_store (&p->eof_index, jg_ring_write_index (p->ring));
              atomic_store_explicit (&p->eof, TRUE, memory_order_release);
            }
          continue;
        }
      if (p->pending_n > 0)
        {
          gsize w = jg_ring_write (p->ring, p->src_buf + 4 * p->pending_off, p->pending_n);
          p->pending_off += w;
          p->pending_n -= w;
          if (w > 0)
            continue;
        }
      g_usleep (IDLE_US);
    }
  return NULL;
}

/* ---- construction ------------------------------------------------------ */

JgPlayer *
jg_player_new (const char *path, const JgPlayerConfig *config, GError **error)
{
  g_autoptr(JgHrtf) hrtf = NULL;
  JgPlayerConfig def;
  JgPlayer *p;
  SF_INFO info = { 0 };
  SNDFILE *sf;

  if (config == NULL)
    {
      jg_player_config_init (&def);
      config = &def;
    }
  if (config->sample_rate < 8000 || config->sample_rate > 384000)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "output rate %u Hz is not supported",
                   config->sample_rate);
      return NULL;
    }
  sf = sf_open (path, SFM_READ, &info);
  if (sf == NULL)
    {
      g_set_error (error, JG_ERROR, g_file_test (path, G_FILE_TEST_EXISTS) ? JG_ERROR_INVALID_DATA
                                                                          : JG_ERROR_NOT_FOUND,
                   "%s: cannot read audio: %s", path, sf_strerror (NULL));
      return NULL;
    }
  if (info.channels != 4 || info.samplerate < 1000 || info.samplerate > 768000 || info.frames <= 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: not playable as first-order ambisonics (%d channels, %d Hz, %" G_GINT64_FORMAT
                   " frames)", path, info.channels, info.samplerate, (gint64) info.frames);
      sf_close (sf);
      return NULL;
    }
  if (config->decoder == JG_DECODER_BINAURAL && config->hrtf != NULL
      && jg_hrtf_get_sample_rate (config->hrtf) != config->sample_rate)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "%s: HRTF prepared for %u Hz, output runs at %u Hz",
                   jg_hrtf_get_path (config->hrtf), jg_hrtf_get_sample_rate (config->hrtf),
                   config->sample_rate);
      sf_close (sf);
      return NULL;
    }
  if (config->decoder == JG_DECODER_BINAURAL && config->hrtf == NULL)
    {
      hrtf = jg_hrtf_load (config->hrtf_path, config->sample_rate, error);
      if (hrtf == NULL)
        {
          sf_close (sf);
          return NULL;
        }
    }

  p = g_new0 (JgPlayer, 1);
  p->dec = jg_foa_decoder_new (config->decoder, hrtf != NULL ? hrtf : config->hrtf,
                               config->block, error);
  if (p->dec == NULL)
    {
      sf_close (sf);
      g_free (p);
      return NULL;
    }
  p->path = g_strdup (path);
  p->sf = sf;
  p->rate = config->sample_rate;
  p->block = config->block;
  p->n_out = jg_foa_decoder_get_n_outputs (p->dec);
  p->file_rate = (guint) info.samplerate;
  p->file_frames = info.frames;
  p->ratio = (double) p->rate / p->file_rate;
  p->convention = config->convention;
  p->ring = jg_ring_new (MAX ((gsize) ((config->ring_seconds > 0 ? config->ring_seconds : 0.5) * p->rate),
                              4 * (gsize) p->block), 4);
  p->read_buf = g_new (float, READ_CHUNK * 4);
  p->src_buf_frames = (gsize) ceil (READ_CHUNK * p->ratio) + 64;
  p->src_buf = g_new (float, p->src_buf_frames * 4);
  if (p->file_rate != p->rate)
    {
      int err = 0;
      p->src = src_new (SRC_SINC_MEDIUM_QUALITY, 4, &err);
      if (p->src == NULL)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: resampler: %s", path, src_strerror (err));
          jg_player_free (p);
          return NULL;
        }
    }
  p->blk_in = g_new0 (float, 4 * (gsize) p->block);
  p->blk_out = g_new0 (float, (gsize) p->n_out * p->block);
  p->out_used = p->block;   /* nothing decoded yet */
  p->reader = g_thread_new ("jg-audio-reader", reader_main, p);
  return p;
}

void
jg_player_free (JgPlayer *p)
{
  if (p == NULL)
    return;
  atomic_store (&p->quit, TRUE);
  if (p->clock != NULL)
    g_thread_join (p->clock);
  if (p->reader != NULL)
    g_thread_join (p->reader);
  if (p->sf != NULL)
    sf_close (p->sf);
  if (p->src != NULL)
    src_delete (p->src);
  jg_foa_decoder_free (p->dec);
  jg_ring_free (p->ring);
  g_free (p->read_buf);
  g_free (p->src_buf);
  g_free (p->blk_in);
  g_free (p->blk_out);
  g_free (p->path);
  g_free (p);
}

guint jg_player_get_sample_rate (const JgPlayer *p) { return p->rate; }
guint jg_player_get_block (const JgPlayer *p) { return p->block; }
guint jg_player_get_n_outputs (const JgPlayer *p) { return p->n_out; }
double jg_player_get_duration (const JgPlayer *p) { return (double) p->file_frames / p->file_rate; }

/* ---- controls ----------------------------------------------------------- */

void
jg_player_seek (JgPlayer *p, double seconds)
{
  gint64 frame = (gint64) llround (CLAMP (seconds, 0.0, jg_player_get_duration (p)) * p->file_rate);

  atomic_store (&p->seek_req_frame, frame);
  atomic_store (&p->finished, FALSE);
  atomic_fetch_add_explicit (&p->seek_req_gen, 1, memory_order_release);
}

void
jg_player_play (JgPlayer *p)
{
  if (atomic_load (&p->finished))
    jg_player_seek (p, 0.0);
  atomic_store (&p->playing, TRUE);
}

void jg_player_pause (JgPlayer *p) { atomic_store (&p->playing, FALSE); }
gboolean jg_player_is_playing (const JgPlayer *p) { return atomic_load (&((JgPlayer *) p)->playing); }
gboolean jg_player_is_finished (const JgPlayer *p) { return atomic_load (&((JgPlayer *) p)->finished); }
void jg_player_set_loop (JgPlayer *p, gboolean loop) { atomic_store (&p->loop, loop); }
void jg_player_set_solo_w (JgPlayer *p, gboolean solo) { atomic_store (&p->solo_w, solo); }

void
jg_player_set_orientation (JgPlayer *p, double yaw, double pitch, double roll)
{
  /* A sequence lock: the renderer never waits, it keeps the previous
   * orientation if it catches a write in progress. */
  atomic_fetch_add (&p->orient_seq, 1);
  atomic_store (&p->orient[0], yaw);
  atomic_store (&p->orient[1], pitch);
  atomic_store (&p->orient[2], roll);
  atomic_fetch_add (&p->orient_seq, 1);
}

double
jg_player_get_position (const JgPlayer *p)
{
  JgPlayer *mp = (JgPlayer *) p;
  double s, dur = jg_player_get_duration (p);

  if (atomic_load (&mp->seek_req_gen) != atomic_load (&mp->flush_gen)
      || atomic_load (&mp->flush_gen) != atomic_load (&mp->seen_flush_gen))
    return (double) atomic_load (&mp->seek_req_frame) / p->file_rate;
  s = (double) atomic_load (&mp->pos) / p->rate;
  if (atomic_load (&mp->loop) && dur > 0)
    s = fmod (s, dur);
  return MIN (s, dur);
}

static float
take_peak (atomic_uint *slot)
{
  guint bits = atomic_exchange (slot, 0);
  float f;

  memcpy (&f, &bits, sizeof f);
  return f;
}

void
jg_player_take_levels (JgPlayer *p, float in_peak[4], float out_peak[4])
{
  for (int c = 0; c < 4; c++)
    {
      in_peak[c] = take_peak (&p->peaks[c]);
      out_peak[c] = take_peak (&p->peaks[4 + c]);
    }
}

guint64
jg_player_get_underruns (const JgPlayer *p)
{
  return atomic_load (&((JgPlayer *) p)->underruns);
}

/* ---- rendering (real-time) --------------------------------------------- */

static void
raise_peak (atomic_uint *slot, float v)
{
  guint bits, old = atomic_load_explicit (slot, memory_order_relaxed);
  float cur;

  /* Non-negative floats order like their bit patterns. */
  memcpy (&bits, &v, sizeof bits);
  do
    {
      memcpy (&cur, &old, sizeof cur);
      if (cur >= v)
        return;
    }
  while (!atomic_compare_exchange_weak_explicit (slot, &old, bits, memory_order_relaxed,
                                                 memory_order_relaxed));
}

/* Drops pre-seek frames once the reader has seeked; returns the flush
 * generation now in effect. */
static guint
apply_flush (JgPlayer *p)
{
  guint gen = atomic_load_explicit (&p->flush_gen, memory_order_acquire);

  if (gen != atomic_load_explicit (&p->seen_flush_gen, memory_order_relaxed))
    {
      jg_ring_skip_to (p->ring, atomic_load (&p->flush_index));
      atomic_store (&p->pos, atomic_load (&p->flush_pos));
      atomic_store (&p->seen_flush_gen, gen);
    }
  return gen;
}

static void
decode_block (JgPlayer *p)
{
  guint B = p->block;
  guint gen = apply_flush (p);
  guint seq;
  gsize got = 0;
  float peak[8] = { 0 };

  seq = atomic_load (&p->orient_seq);
  if (seq != p->seen_orient_seq && (seq & 1) == 0)
    {
      double o[3] = { atomic_load (&p->orient[0]), atomic_load (&p->orient[1]),
                      atomic_load (&p->orient[2]) };
      if (atomic_load (&p->orient_seq) == seq)
        {
          jg_foa_decoder_set_orientation (p->dec, o[0], o[1], o[2]);
          p->seen_orient_seq = seq;
        }
    }

  if (atomic_load (&p->playing) && !atomic_load (&p->finished))
    {
      got = jg_ring_read (p->ring, p->blk_in, B);
      atomic_fetch_add (&p->pos, got);
      if (got < B)
        {
          gboolean eof = atomic_load_explicit (&p->eof, memory_order_acquire);
          /* A seek still on its way to the reader means more is coming. */
          gboolean seeking = atomic_load (&p->seek_req_gen) != gen;
          /* With loop on the reader starts over: more is coming too. */
          gboolean looping = atomic_load (&p->loop);
          if (eof && !seeking && !looping && jg_ring_read_available (p->ring) == 0)
            {
              atomic_store (&p->finished, TRUE);
              atomic_store (&p->playing, FALSE);
            }
          else
            atomic_fetch_add (&p->underruns, 1);
        }
    }
  memset (p->blk_in + 4 * got, 0, 4 * (B - got) * sizeof (float));

  if (atomic_load (&p->solo_w))
    for (guint i = 0; i < B; i++)
      p->blk_in[4 * i + 1] = p->blk_in[4 * i + 2] = p->blk_in[4 * i + 3] = 0.0f;

  /* The decoder runs on silence too, so filter tails ring out. */
  jg_foa_decoder_process (p->dec, p->blk_in, p->blk_out);

  for (guint i = 0; i < B; i++)
    {
      for (int c = 0; c < 4; c++)
        peak[c] = fmaxf (peak[c], fabsf (p->blk_in[4 * i + c]));
      for (guint c = 0; c < p->n_out; c++)
        peak[4 + c] = fmaxf (peak[4 + c], fabsf (p->blk_out[p->n_out * i + c]));
    }
  for (int c = 0; c < 8; c++)
    if (peak[c] > 0.0f)
      raise_peak (&p->peaks[c], peak[c]);
  p->out_used = 0;
}

static void
render (JgPlayer *p, float *out, gsize n_frames, gboolean wait)
{
  while (n_frames > 0)
    {
      gsize take;

      if (p->out_used == p->block)
        {
          if (wait)
            {
              /* Offline: let the reader catch up instead of underrunning. */
              while (!atomic_load (&p->quit)
                     && atomic_load (&p->seek_req_gen) != atomic_load (&p->flush_gen))
                g_usleep (IDLE_US);
              apply_flush (p);
              while (!atomic_load (&p->quit) && atomic_load (&p->playing)
                     && jg_ring_read_available (p->ring) < p->block
                     && (!atomic_load (&p->eof) || atomic_load (&p->loop)))
                g_usleep (IDLE_US);
            }
          decode_block (p);
        }
      take = MIN (n_frames, (gsize) (p->block - p->out_used));
      memcpy (out, p->blk_out + (gsize) p->n_out * p->out_used, take * p->n_out * sizeof (float));
      out += take * p->n_out;
      p->out_used += (guint) take;
      n_frames -= take;
    }
}

void
jg_player_render (JgPlayer *p, float *out, gsize n_frames)
{
  render (p, out, n_frames, FALSE);
}

void
jg_player_render_offline (JgPlayer *p, float *out, gsize n_frames)
{
  render (p, out, n_frames, TRUE);
}

static gpointer
clock_main (gpointer data)
{
  JgPlayer *p = data;
  g_autofree float *sink = g_new (float, (gsize) p->n_out * p->block);
  gint64 start = g_get_monotonic_time ();
  guint64 blocks = 0;

  while (!atomic_load (&p->quit))
    {
      gint64 due = start + (gint64) ((blocks + 1) * (double) p->block * G_USEC_PER_SEC / p->rate);
      gint64 now = g_get_monotonic_time ();
      if (now < due)
        {
          g_usleep (MIN (due - now, 10000));
          continue;
        }
      jg_player_render (p, sink, p->block);
      blocks++;
    }
  return NULL;
}

void
jg_player_start_silent_clock (JgPlayer *p)
{
  g_return_if_fail (p->clock == NULL);
  p->clock = g_thread_new ("jg-audio-clock", clock_main, p);
}
