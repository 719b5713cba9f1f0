/* jg-doa.h: classical intensity-vector analysis of FOA audio: direction of
 * arrival (aggregate and per frame) and the data the audio views draw (the
 * spectrogram of W and an azimuth-over-time intensity map).
 *
 * The STFT is JAEGER's Classical IV one: n_fft 800, hop 320, periodic
 * Hann, centred with reflect padding. Per bin the active intensity is
 * I = Re(conj(W) [X, Y, Z]) in ambiX axes (X front, Y left, Z up); for a
 * plane wave it points at the source with length |W|^2. Directions are in
 * JAEGER's convention (azimuth 0 ahead, positive left; elevation up). */
#pragma once

#include "audio/jg-foa.h"

G_BEGIN_DECLS

#define JG_DOA_N_FFT 800
#define JG_DOA_HOP 320
#define JG_DOA_N_AZ_BINS 72   /* 5 degree bins over [-180, 180) */

typedef struct {
  guint sample_rate;
  guint n_frames;              /* 1 + n_samples / hop */
  guint n_bins;                /* n_fft / 2 + 1 = 401 */
  double frame_period;         /* seconds between frames (hop / rate) */

  /* Energy-weighted aggregate: the direction of the summed intensity. */
  double az_deg, el_deg;
  /* |sum I| / sum |W|^2: 1 for one plane wave, near 0 for a diffuse field. */
  double directivity;

  /* Per frame t (centred at t * frame_period seconds). */
  float *frame_az_deg;         /* n_frames */
  float *frame_el_deg;         /* n_frames */
  float *frame_energy;         /* n_frames: sum over bins of |W|^2 */
  float *frame_intensity;      /* n_frames * 3: summed I as ambiX [x, y, z] */

  /* Views, frame-major. */
  float *spectrogram_db;       /* n_frames * n_bins: 10 log10(|W|^2 + 1e-12) */
  float *az_map;               /* n_frames * JG_DOA_N_AZ_BINS: sum of |I| of the
                                  bins whose azimuth falls in each 5 degree bin;
                                  bin b covers [-180 + 5b, -175 + 5b) degrees */
} JgFoaAnalysis;

/* @samples: @n_samples interleaved 4-channel frames in convention @conv. */
JgFoaAnalysis *jg_foa_analyse (const float      *samples,
                               gsize             n_samples,
                               guint             sample_rate,
                               JgFoaConvention   conv,
                               GError          **error);
void           jg_foa_analysis_free (JgFoaAnalysis *a);

/* JAEGER's Classical IV features of raw 4-channel audio in the file's own
 * channel order: for each frame, channel-major 3 x 401 values
 * Re(conj(ch0) ch_c) / (1e-8 + |ch0|^2 + (|ch1|^2 + |ch2|^2 + |ch3|^2) / 3),
 * c = 1..3. Returns n_frames * 3 * 401 floats and sets @n_frames. */
float *jg_foa_classical_iv (const float *samples, gsize n_samples, gsize *n_frames, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgFoaAnalysis, jg_foa_analysis_free)

G_END_DECLS
