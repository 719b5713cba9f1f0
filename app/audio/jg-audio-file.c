#include "audio/jg-audio-file.h"
#include "core/jg-error.h"

#include "data/jg-audio-clip.h"

JgAudioBuffer *
jg_audio_buffer_new (gsize n_frames, guint n_channels, guint sample_rate)
{
  JgAudioBuffer *buf = g_new0 (JgAudioBuffer, 1);

  buf->n_frames = n_frames;
  buf->n_channels = n_channels;
  buf->sample_rate = sample_rate;
  buf->samples = g_new0 (float, MAX (n_frames * n_channels, 1));
  return buf;
}

void
jg_audio_buffer_free (JgAudioBuffer *buf)
{
  if (buf == NULL)
    return;
  g_free (buf->samples);
  g_free (buf);
}

/* Reading and writing go through the data module's clip code (one
 * libsndfile path for the whole project); this file only changes the layout
 * between its channel-major clips and the interleaved frames DSP works on. */
JgAudioBuffer *
jg_audio_file_read (const char *path, guint want_channels, GError **error)
{
  g_autoptr(JgAudioClip) clip = jg_audio_clip_load (path, error);
  JgAudioBuffer *buf;

  if (clip == NULL)
    return NULL;
  if (want_channels != 0 && clip->channels != want_channels)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: has %u channels, expected %u (first-order ambisonics)", path,
                   clip->channels, want_channels);
      return NULL;
    }
  buf = jg_audio_buffer_new (clip->n_frames, clip->channels, clip->sample_rate);
  for (gsize i = 0; i < clip->n_frames; i++)
    for (guint c = 0; c < clip->channels; c++)
      buf->samples[i * clip->channels + c] = clip->data[c * clip->n_frames + i];
  return buf;
}

gboolean
jg_audio_file_write_wav (const char *path, const float *samples, gsize n_frames,
                         guint n_channels, guint sample_rate, GError **error)
{
  g_autofree float *planar = g_new (float, MAX (n_frames * n_channels, 1));

  for (gsize i = 0; i < n_frames; i++)
    for (guint c = 0; c < n_channels; c++)
      planar[c * n_frames + i] = samples[i * n_channels + c];
  return jg_wav_write (path, planar, n_channels, sample_rate, n_frames, JG_WAV_FLOAT, error);
}
