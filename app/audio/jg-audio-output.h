/* jg-audio-output.h: the PortAudio edge of playback. Compiled only into
 * the GUI (audio_output_sources in app/audio/meson.build, with
 * portaudio_dep): the display-free core never opens a device.
 *
 * Typical use:
 *   cfg.sample_rate = jg_audio_output_preferred_rate ();
 *   player = jg_player_new (path, &cfg, &error);
 *   out = jg_audio_output_new (player);
 *   if (jg_audio_output_is_silent (out)) show jg_audio_output_get_message (out) once;
 *
 * With no usable device (or JAEGER_AUDIO_DEVICE=none in the environment)
 * the output runs the player's silent clock instead: playback time still
 * advances, nothing is heard, and the reason is logged once per process. */
#pragma once

#include "audio/jg-player.h"

G_BEGIN_DECLS

typedef struct _JgAudioOutput JgAudioOutput;

/* The default output device's rate, or 48000 without a device. */
guint          jg_audio_output_preferred_rate (void);

/* Never NULL. @player must outlive the output. */
JgAudioOutput *jg_audio_output_new (JgPlayer *player);
void           jg_audio_output_free (JgAudioOutput *out);

gboolean       jg_audio_output_is_silent (const JgAudioOutput *out);
/* The device in use, or why there is none. */
const char    *jg_audio_output_get_message (const JgAudioOutput *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgAudioOutput, jg_audio_output_free)

G_END_DECLS
