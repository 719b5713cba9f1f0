/* jg-stft.h: short-time Fourier transform as torch.stft (center=True,
 * reflect padding, periodic Hann window of n_fft samples, onesided).
 * JAEGER's Classical IV uses n_fft 800 and hop 320 at 16 kHz. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _JgStft JgStft;

/* Any n_fft >= 2 (not only powers of two) and 1 <= hop <= n_fft. */
JgStft *jg_stft_new (guint n_fft, guint hop, GError **error);
void    jg_stft_free (JgStft *stft);

guint jg_stft_get_n_fft (const JgStft *stft);
guint jg_stft_get_hop (const JgStft *stft);
guint jg_stft_get_n_bins (const JgStft *stft);          /* n_fft / 2 + 1 */
gsize jg_stft_get_n_frames (const JgStft *stft, gsize n_samples);   /* 1 + n / hop */

/* Spectra (n_bins complex values, 2 * n_bins floats each) of frame @t of
 * channels @ch_a and @ch_b of an interleaved signal with @n_channels
 * channels and @n_samples sample frames. Both channels go through one
 * complex DFT. Frame t is centred on sample t * hop. No allocation. */
void jg_stft_frame_pair (JgStft      *stft,
                         const float *signal,
                         gsize        n_samples,
                         guint        n_channels,
                         guint        ch_a,
                         guint        ch_b,
                         gsize        t,
                         float       *out_a,
                         float       *out_b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgStft, jg_stft_free)

G_END_DECLS
