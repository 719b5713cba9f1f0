#include "audio/jg-audio-file.h"
#include "core/jg-error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sndfile.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* Files are read whole; a bound keeps a corrupt header from asking for
 * terabytes. 2^31 samples is over 4 hours of 4-channel 48 kHz audio. */
#define MAX_SAMPLES ((gsize) 1 << 31)

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

JgAudioBuffer *
jg_audio_file_read (const char *path, guint want_channels, GError **error)
{
  g_autoptr(JgAudioBuffer) buf = NULL;
  SF_INFO info = { 0 };
  SNDFILE *sf;
  sf_count_t got;

  sf = sf_open (path, SFM_READ, &info);
  if (sf == NULL)
    {
      g_set_error (error, JG_ERROR, g_file_test (path, G_FILE_TEST_EXISTS) ? JG_ERROR_INVALID_DATA
                                                                          : JG_ERROR_NOT_FOUND,
                   "%s: cannot read audio: %s", path, sf_strerror (NULL));
      return NULL;
    }
  if (info.channels < 1 || info.channels > 64 || info.samplerate < 1000 || info.samplerate > 768000)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: implausible audio format (%d channels at %d Hz)", path,
                   info.channels, info.samplerate);
      sf_close (sf);
      return NULL;
    }
  if (want_channels != 0 && (guint) info.channels != want_channels)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: has %d channels, expected %u (first-order ambisonics)", path,
                   info.channels, want_channels);
      sf_close (sf);
      return NULL;
    }
  if (info.frames <= 0 || (gsize) info.frames > MAX_SAMPLES / (gsize) info.channels)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: %s (%" G_GINT64_FORMAT " frames)", path,
                   info.frames <= 0 ? "no audio frames" : "too long to load",
                   (gint64) info.frames);
      sf_close (sf);
      return NULL;
    }
  buf = jg_audio_buffer_new ((gsize) info.frames, (guint) info.channels, (guint) info.samplerate);
  got = sf_readf_float (sf, buf->samples, info.frames);
  sf_close (sf);
  if (got <= 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: audio data could not be decoded", path);
      return NULL;
    }
  /* A truncated file reads short; keep what decoded. */
  buf->n_frames = (gsize) got;
  return g_steal_pointer (&buf);
}

gboolean
jg_audio_file_write_wav (const char *path, const float *samples, gsize n_frames,
                         guint n_channels, guint sample_rate, GError **error)
{
  g_autofree char *tmp = g_strdup_printf ("%s.tmp-XXXXXX", path);
  SF_INFO info = { 0 };
  SNDFILE *sf;
  int fd;

  fd = g_mkstemp_full (tmp, O_RDWR, 0644);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: cannot create a temporary file: %s",
                   path, g_strerror (e));
      return FALSE;
    }
  info.channels = (int) n_channels;
  info.samplerate = (int) sample_rate;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  /* libsndfile closes the descriptor on sf_close. */
  sf = sf_open_fd (fd, SFM_WRITE, &info, TRUE);
  if (sf == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: cannot write audio: %s", path,
                   sf_strerror (NULL));
      close (fd);
      g_unlink (tmp);
      return FALSE;
    }
  if (sf_writef_float (sf, samples, (sf_count_t) n_frames) != (sf_count_t) n_frames)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: writing audio failed: %s", path,
                   sf_strerror (sf));
      sf_close (sf);
      g_unlink (tmp);
      return FALSE;
    }
  sf_write_sync (sf);
  if (sf_close (sf) != 0 || g_rename (tmp, path) != 0)
    {
      int e = errno;
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: cannot finish writing: %s", path,
                   g_strerror (e));
      g_unlink (tmp);
      return FALSE;
    }
  return TRUE;
}
