/* jg-audio-output.h: the PortAudio edge of playback (GUI only). The
 * stream's callback runs jg_player_render (), which never allocates,
 * locks or touches files. */
#pragma once

#include <glib.h>

#include "audio/jg-player.h"

G_BEGIN_DECLS

typedef struct _JgAudioOutput JgAudioOutput;

/* Opens PortAudio and finds the default output device; fails with a
 * message when there is none (then play through the silent clock). */
JgAudioOutput *jg_audio_output_new (GError **error);
void           jg_audio_output_free (JgAudioOutput *self);

/* The device's preferred sample rate: configure players with it. */
guint          jg_audio_output_get_sample_rate (JgAudioOutput *self);
/* Channels the device takes (2 for stereo, 4+ for passthrough). */
guint          jg_audio_output_get_max_channels (JgAudioOutput *self);

/* Starts a stream that plays @player (replacing any previous one). */
gboolean       jg_audio_output_attach (JgAudioOutput *self, JgPlayer *player, GError **error);
/* Stops the stream; the player may be freed afterwards. */
void           jg_audio_output_detach (JgAudioOutput *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgAudioOutput, jg_audio_output_free)

G_END_DECLS
