/* jg-sim-writers.h: file writers the simulator needs (npy, PNG, WAV),
 * with the signatures of the data module's writers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  JG_WAV_PCM16,
  JG_WAV_FLOAT,
} JgWavFormat;

gboolean jg_npy_write_f32 (const char *path, const float *data,
                           guint ndim, const gsize *shape, GError **error);
gboolean jg_png_write (const char *path, guint width, guint height, guint channels,
                       guint bit_depth, const void *pixels, GError **error);
gboolean jg_wav_write (const char *path, const float *data, guint channels, guint sample_rate,
                       gsize n_frames, JgWavFormat format, GError **error);

G_END_DECLS
