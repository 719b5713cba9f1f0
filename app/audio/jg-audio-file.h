/* jg-audio-file.h: whole files as interleaved float frames for the DSP
 * (reading and atomic writing through data/jg-audio-clip.h). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  float *samples;     /* interleaved, n_frames * n_channels */
  gsize n_frames;
  guint n_channels;
  guint sample_rate;
} JgAudioBuffer;

/* Reads any file libsndfile reads (WAV, FLAC, OGG...) as float. Errors name
 * @path: unreadable, empty, implausible rate or size. If @want_channels is
 * not 0 the file must have exactly that many channels. */
JgAudioBuffer *jg_audio_file_read (const char *path, guint want_channels, GError **error);

/* An empty (zeroed) buffer. */
JgAudioBuffer *jg_audio_buffer_new (gsize n_frames, guint n_channels, guint sample_rate);
void           jg_audio_buffer_free (JgAudioBuffer *buf);

/* Writes a 32-bit float WAV atomically (temporary file, then rename). */
gboolean jg_audio_file_write_wav (const char *path, const float *samples, gsize n_frames,
                                  guint n_channels, guint sample_rate, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgAudioBuffer, jg_audio_buffer_free)

G_END_DECLS
