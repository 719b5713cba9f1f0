/* jg-audio-view-private.h: the images' layout, shared with the tests. */
#pragma once

#include "jg-audio-view.h"

G_BEGIN_DECLS

struct _JgAudioViewImages {
  GBytes *spectrogram;     /* RGBA, width n_frames, height n_bins, low frequencies at the bottom */
  GBytes *az_map;          /* RGBA, width n_frames, height JG_DOA_N_AZ_BINS, +180 (left) at the top */
  guint n_frames, n_bins;
  double duration;
  double frame_period;
};

G_END_DECLS
