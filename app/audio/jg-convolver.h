/* jg-convolver.h: multichannel FIR filtering by uniformly partitioned
 * overlap-save FFT convolution. A filter matrix maps n_in input channels to
 * n_out outputs (out[o] = sum_i in[i] * h[o][i]); every block of @block
 * frames costs n_in forward and n_out inverse FFTs of 2 * block points plus
 * one spectral multiply-add per filter partition. Latency: none beyond the
 * block (output block k depends on input blocks <= k). No allocation after
 * _new: safe for the audio callback. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _JgConvolver JgConvolver;

/* @filters[o * n_in + i] holds @filter_len taps (a NULL entry is a zero
 * filter). @block must be a power of two >= 2. */
JgConvolver *jg_convolver_new (guint               block,
                               guint               n_in,
                               guint               n_out,
                               const float *const *filters,
                               guint               filter_len,
                               GError            **error);
void         jg_convolver_free (JgConvolver *conv);
guint        jg_convolver_get_block (const JgConvolver *conv);

/* One block: @in has block * n_in interleaved frames, @out receives
 * block * n_out interleaved frames. */
void jg_convolver_process (JgConvolver *conv, const float *in, float *out);

/* Forget the input history (after a seek). */
void jg_convolver_reset (JgConvolver *conv);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgConvolver, jg_convolver_free)

G_END_DECLS
