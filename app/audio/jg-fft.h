/* jg-fft.h: radix-2 FFT with precomputed plans.
 *
 * A plan of size n (a power of two, >= 2) holds the twiddles and the
 * bit-reversal tables for a complex FFT of n points and a real FFT of n
 * points (which runs as a complex FFT of n/2 points plus a split step).
 * Transforms never allocate, so they are safe on audio and per-frame paths;
 * one plan may be shared by several threads (it is read-only after _new).
 *
 * Complex data is interleaved [re0, im0, re1, im1, ...]. Transforms are
 * unnormalised, as in FFTW: inverse (forward (x)) = n * x. The forward
 * transform is X[k] = sum_j x[j] exp(-2 pi i j k / n). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _JgFft JgFft;

/* Fails (JG_ERROR_UNSUPPORTED) unless @n is a power of two in [2, 2^26]. */
JgFft *jg_fft_new (guint n, GError **error);
void   jg_fft_free (JgFft *fft);
guint  jg_fft_get_size (const JgFft *fft);

/* Smallest power of two >= @n (and >= 2). */
guint  jg_fft_next_size (guint n);

/* In-place complex transforms of n points (2n floats). */
void jg_fft_forward (const JgFft *fft, float *data);
void jg_fft_inverse (const JgFft *fft, float *data);

/* Real forward transform: @in holds n samples, @out receives the n/2 + 1
 * non-negative-frequency bins (n + 2 floats; bins 0 and n/2 have zero
 * imaginary parts). @in and @out may be the same buffer if it holds
 * n + 2 floats. */
void jg_fft_real_forward (const JgFft *fft, const float *in, float *out);

/* Real inverse transform of n/2 + 1 bins (n + 2 floats, Hermitian symmetry
 * assumed) to n samples scaled by n. @in and @out may be the same buffer. */
void jg_fft_real_inverse (const JgFft *fft, const float *in, float *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgFft, jg_fft_free)

/* A complex DFT of any size n >= 1 (Bluestein's chirp-z over a radix-2
 * plan when n is not a power of two; e.g. JAEGER's 800-point STFT). Same
 * sign and scaling as above. The plan owns its scratch memory: use one
 * plan from one thread at a time. */
typedef struct _JgDft JgDft;

JgDft *jg_dft_new (guint n, GError **error);
void   jg_dft_free (JgDft *dft);
guint  jg_dft_get_size (const JgDft *dft);
void   jg_dft_forward (JgDft *dft, float *data);
void   jg_dft_inverse (JgDft *dft, float *data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgDft, jg_dft_free)

G_END_DECLS
