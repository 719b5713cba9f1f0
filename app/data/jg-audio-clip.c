/* jg-audio-clip.c: libsndfile over memory (virtual I/O), so reads can be
 * checked for truncation first and writes go through jg_file_write_atomic. */
#include "data/jg-audio-clip.h"
#include "data/jg-read.h"
#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <math.h>
#include <sndfile.h>
#include <string.h>

#define MAX_CHANNELS 64
/* 2^30 samples (4 GiB as float): hours of 4-channel audio. */
#define MAX_SAMPLES (((gsize) 1) << 30)

typedef struct {
  const guint8 *bytes;        /* reading */
  GByteArray *out;            /* writing */
  gsize len;
  sf_count_t pos;
} Vio;

static sf_count_t
vio_get_filelen (void *user)
{
  Vio *v = user;
  return (sf_count_t) (v->out ? v->out->len : v->len);
}

static sf_count_t
vio_seek (sf_count_t offset, int whence, void *user)
{
  Vio *v = user;
  sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? v->pos : vio_get_filelen (v);

  if (base + offset < 0)
    return -1;
  v->pos = base + offset;
  return v->pos;
}

static sf_count_t
vio_read (void *ptr, sf_count_t count, void *user)
{
  Vio *v = user;
  sf_count_t avail = vio_get_filelen (v) - v->pos;
  const guint8 *src = v->out ? v->out->data : v->bytes;

  if (count > avail)
    count = avail;
  if (count <= 0)
    return 0;
  memcpy (ptr, src + v->pos, (gsize) count);
  v->pos += count;
  return count;
}

static sf_count_t
vio_write (const void *ptr, sf_count_t count, void *user)
{
  Vio *v = user;

  if ((gsize) (v->pos + count) > v->out->len)
    g_byte_array_set_size (v->out, (guint) (v->pos + count));
  memcpy (v->out->data + v->pos, ptr, (gsize) count);
  v->pos += count;
  return count;
}

static sf_count_t
vio_tell (void *user)
{
  return ((Vio *) user)->pos;
}

static SF_VIRTUAL_IO vio_funcs = { vio_get_filelen, vio_seek, vio_read, vio_write, vio_tell };

static guint32
le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

/* libsndfile quietly shortens a WAV whose data chunk runs past the end of
 * the file; for a dataset file that means a broken download, so say so. */
static gboolean
check_wav_truncation (const guint8 *b, gsize len, const char *name, GError **error)
{
  gsize pos = 12;

  if (len < 12 || memcmp (b, "RIFF", 4) != 0 || memcmp (b + 8, "WAVE", 4) != 0)
    return TRUE;
  while (pos + 8 <= len)
    {
      guint32 size = le32 (b + pos + 4);

      if (memcmp (b + pos, "data", 4) == 0)
        {
          /* 0 and 0xffffffff mark streamed files of unknown length. */
          if (size != 0 && size != 0xffffffffu && size > len - pos - 8)
            {
              g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                           "%s: truncated: the data chunk declares %u bytes, the file holds %"
                           G_GSIZE_FORMAT, name, size, len - pos - 8);
              return FALSE;
            }
          return TRUE;
        }
      if ((gsize) size > len - pos - 8)
        break;
      pos += 8 + size + (size & 1);
    }
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: truncated: no complete WAV data chunk", name);
  return FALSE;
}

JgAudioClip *
jg_audio_clip_parse (const guint8 *bytes, gsize len, const char *name, GError **error)
{
  Vio v = { bytes, NULL, len, 0 };
  SF_INFO info = { 0 };
  SNDFILE *sf;
  g_autoptr(JgAudioClip) clip = NULL;
  g_autofree float *inter = NULL;
  sf_count_t got;

  if (!check_wav_truncation (bytes, len, name, error))
    return NULL;
  sf = sf_open_virtual (&vio_funcs, SFM_READ, &info, &v);
  if (sf == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: not a readable audio file: %s",
                   name, sf_strerror (NULL));
      return NULL;
    }
  if (info.channels < 1 || info.channels > MAX_CHANNELS || info.samplerate < 1
      || info.samplerate > 768000 || info.frames < 0
      || (guint64) info.frames * (guint64) info.channels > MAX_SAMPLES)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: absurd audio header (%d channels, %d Hz, %" G_GINT64_FORMAT " frames)",
                   name, info.channels, info.samplerate, (gint64) info.frames);
      sf_close (sf);
      return NULL;
    }
  /* No codec libsndfile reads packs more than a few hundred samples into a
   * byte (FLAC's constant subframes of silence come closest): a header
   * promising more is forged or truncated. Refuse before allocating. */
  if ((guint64) info.frames * (guint64) info.channels > (guint64) len * 2048 + 65536)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: truncated or corrupt: the header claims %" G_GINT64_FORMAT " frames of %d channels, "
                   "more than %" G_GSIZE_FORMAT " bytes can hold", name, (gint64) info.frames, info.channels, len);
      sf_close (sf);
      return NULL;
    }
  if (info.frames == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: holds no audio frames", name);
      sf_close (sf);
      return NULL;
    }

  clip = g_new0 (JgAudioClip, 1);
  clip->channels = (guint) info.channels;
  clip->sample_rate = (guint) info.samplerate;
  clip->n_frames = (gsize) info.frames;
  inter = g_new (float, clip->n_frames * clip->channels);
  got = sf_readf_float (sf, inter, info.frames);
  sf_close (sf);
  if (got != info.frames)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: truncated: the header promises %" G_GINT64_FORMAT " frames, only %"
                   G_GINT64_FORMAT " could be decoded", name, (gint64) info.frames, (gint64) got);
      return NULL;
    }
  clip->data = g_new (float, clip->n_frames * clip->channels);
  for (gsize i = 0; i < clip->n_frames; i++)
    for (guint c = 0; c < clip->channels; c++)
      {
        float x = inter[i * clip->channels + c];
        if (!isfinite (x))
          {
            g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                         "%s: sample %" G_GSIZE_FORMAT " of channel %u is %s", name, i, c,
                         isnan (x) ? "NaN" : "infinite");
            return NULL;
          }
        clip->data[c * clip->n_frames + i] = x;
      }
  return g_steal_pointer (&clip);
}

JgAudioClip *
jg_audio_clip_load (const char *path, GError **error)
{
  g_autofree guint8 *bytes = NULL;
  gsize len;

  if (!jg_read_file (path, MAX_SAMPLES * 4 + 65536, &bytes, &len, error))
    return NULL;
  return jg_audio_clip_parse (bytes, len, path, error);
}

void
jg_audio_clip_free (JgAudioClip *clip)
{
  if (clip == NULL)
    return;
  g_free (clip->data);
  g_free (clip);
}

gboolean
jg_audio_clip_check_foa (const JgAudioClip *clip, const char *name, GError **error)
{
  if (clip->channels != 4)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: %u channel%s, expected 4 (first-order ambisonics W, Y, Z, X)",
                   name, clip->channels, clip->channels == 1 ? "" : "s");
      return FALSE;
    }
  if (clip->sample_rate != JG_FOA_SAMPLE_RATE)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "%s: sampled at %u Hz, expected %d Hz (resample it first)",
                   name, clip->sample_rate, JG_FOA_SAMPLE_RATE);
      return FALSE;
    }
  return TRUE;
}

gboolean
jg_wav_write (const char *path, const float *data, guint channels, guint sample_rate,
              gsize n_frames, JgWavFormat format, GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree float *inter = NULL;
  Vio v = { NULL, out, 0, 0 };
  SF_INFO info = { 0 };
  SNDFILE *sf;
  sf_count_t put;

  g_return_val_if_fail (channels >= 1 && channels <= MAX_CHANNELS, FALSE);
  if (n_frames * channels > MAX_SAMPLES || (guint64) n_frames * channels * 4 >= G_MAXUINT32)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: too much audio for one WAV file", path);
      return FALSE;
    }
  info.channels = (int) channels;
  info.samplerate = (int) sample_rate;
  info.format = SF_FORMAT_WAV | (format == JG_WAV_FLOAT ? SF_FORMAT_FLOAT : SF_FORMAT_PCM_16);
  sf = sf_open_virtual (&vio_funcs, SFM_WRITE, &info, &v);
  if (sf == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: cannot encode WAV: %s", path, sf_strerror (NULL));
      return FALSE;
    }
  sf_command (sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
  inter = g_new (float, MAX (n_frames * channels, 1));
  for (gsize i = 0; i < n_frames; i++)
    for (guint c = 0; c < channels; c++)
      inter[i * channels + c] = data[c * n_frames + i];
  put = sf_writef_float (sf, inter, (sf_count_t) n_frames);
  sf_close (sf);
  if (put != (sf_count_t) n_frames)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: WAV encoding stopped after %" G_GINT64_FORMAT
                   " of %" G_GSIZE_FORMAT " frames", path, (gint64) put, n_frames);
      return FALSE;
    }
  return jg_file_write_atomic (path, out->data, out->len, error);
}
