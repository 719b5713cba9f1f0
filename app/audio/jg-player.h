/* jg-player.h: FOA playback engine, display- and device-free.
 *
 * A reader thread decodes the file (libsndfile), converts it to ambiX,
 * resamples it to the output rate (libsamplerate) and fills a lock-free
 * SPSC ring. jg_player_render () is the audio callback's body: it pulls
 * the ring block by block, applies solo-W and the head orientation
 * (crossfaded per block), decodes (binaural / stereo / passthrough) and
 * meters. It never allocates, locks, waits or touches files.
 *
 * Who drives jg_player_render: the PortAudio edge (ui/jg-audio-output.c,
 * GUI only), the silent clock (no device: keeps time so views stay in sync),
 * or tests and offline renders through jg_player_render_offline ().
 *
 * Controls (play, pause, seek, loop, solo, orientation) may be called from
 * any one control thread (the GUI's) while rendering runs. */
#pragma once

#include "audio/jg-decoder.h"
#include "audio/jg-foa.h"

G_BEGIN_DECLS

typedef struct {
  JgDecoderKind decoder;
  const char *hrtf_path;        /* NULL: the default KEMAR set */
  const JgHrtf *hrtf;           /* optional: an HRTF already loaded at
                                   sample_rate, used instead of hrtf_path
                                   (loading one costs ~0.7 s of CPU); the
                                   player copies what it needs */
  JgFoaConvention convention;   /* of the file */
  guint sample_rate;            /* output (device) rate */
  guint block;                  /* frames per render block, a power of two */
  double ring_seconds;          /* read-ahead; 0 picks 0.5 s */
} JgPlayerConfig;

/* Binaural at 48 kHz, blocks of 256, ambiX. */
void jg_player_config_init (JgPlayerConfig *config);

typedef struct _JgPlayer JgPlayer;

/* Opens @path (must be 4-channel), loads the HRTF, starts the reader
 * thread; the player starts paused at 0. */
JgPlayer *jg_player_new (const char *path, const JgPlayerConfig *config, GError **error);
void      jg_player_free (JgPlayer *player);

guint  jg_player_get_sample_rate (const JgPlayer *player);
guint  jg_player_get_block (const JgPlayer *player);
guint  jg_player_get_n_outputs (const JgPlayer *player);
double jg_player_get_duration (const JgPlayer *player);   /* seconds */

void     jg_player_play (JgPlayer *player);    /* at the end: restarts from 0 */
void     jg_player_pause (JgPlayer *player);
gboolean jg_player_is_playing (const JgPlayer *player);
/* TRUE once the last frame has been rendered (not looping). */
gboolean jg_player_is_finished (const JgPlayer *player);
void     jg_player_seek (JgPlayer *player, double seconds);
void     jg_player_set_loop (JgPlayer *player, gboolean loop);
void     jg_player_set_solo_w (JgPlayer *player, gboolean solo);
/* Head orientation, degrees (jg_foa_head_rotation); heard from the next
 * rendered block on. */
void     jg_player_set_orientation (JgPlayer *player, double yaw, double pitch, double roll);

/* Playback position in seconds of the file, as rendered (a pending seek
 * reports its target). */
double   jg_player_get_position (const JgPlayer *player);

/* Peak absolute levels since the previous call: the 4 ambiX input
 * channels [W, Y, Z, X] after solo, and the outputs (2 or 4; unused
 * entries 0). Resets them. */
void     jg_player_take_levels (JgPlayer *player, float in_peak[4], float out_peak[4]);
/* Blocks rendered short because the reader fell behind. */
guint64  jg_player_get_underruns (const JgPlayer *player);

/* Real-time safe: fills @n_frames interleaved output frames. Silence while
 * paused, finished or starved. */
void     jg_player_render (JgPlayer *player, float *out, gsize n_frames);

/* Offline: like jg_player_render but waits for the reader instead of
 * underrunning. For tests and file renders, never for a device callback. */
void     jg_player_render_offline (JgPlayer *player, float *out, gsize n_frames);

/* No device: a thread renders to nowhere in real time so the position
 * advances as if playing. Stops with jg_player_free. */
void     jg_player_start_silent_clock (JgPlayer *player);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgPlayer, jg_player_free)

G_END_DECLS
