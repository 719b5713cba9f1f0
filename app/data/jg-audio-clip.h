/* jg-audio-clip.h: audio files (WAV, FLAC, anything libsndfile reads) as
 * channel-major float, and 16-bit or float WAV writing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define JG_FOA_SAMPLE_RATE 16000

typedef struct {
  guint channels;
  guint sample_rate;
  gsize n_frames;
  float *data;                /* channel c at data[c * n_frames + i] */
} JgAudioClip;

JgAudioClip *jg_audio_clip_parse (const guint8 *bytes, gsize len, const char *name, GError **error);
JgAudioClip *jg_audio_clip_load (const char *path, GError **error);
void         jg_audio_clip_free (JgAudioClip *clip);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgAudioClip, jg_audio_clip_free)

/* SpatialSceneQA audio is 4-channel FOA at 16 kHz: anything else is an
 * error naming @name and what the file holds. */
gboolean jg_audio_clip_check_foa (const JgAudioClip *clip, const char *name, GError **error);

typedef enum {
  JG_WAV_PCM16,               /* what the reference tools write; clips at +-1 */
  JG_WAV_FLOAT,
} JgWavFormat;

/* Writes channel-major @data as a WAV file, atomically. */
gboolean jg_wav_write (const char *path, const float *data, guint channels, guint sample_rate,
                       gsize n_frames, JgWavFormat format, GError **error);

G_END_DECLS
