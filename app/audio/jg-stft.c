#include "audio/jg-stft.h"
#include "audio/jg-fft.h"
#include "core/jg-error.h"

#include <math.h>

struct _JgStft {
  guint n_fft, hop;
  JgDft *dft;
  float *window;
  float *buf;       /* 2 * n_fft: the packed complex frame */
};

JgStft *
jg_stft_new (guint n_fft, guint hop, GError **error)
{
  JgStft *s;
  JgDft *dft;

  if (n_fft < 2 || hop < 1 || hop > n_fft)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "STFT needs n_fft >= 2 and 1 <= hop <= n_fft (got %u, %u)", n_fft, hop);
      return NULL;
    }
  dft = jg_dft_new (n_fft, error);
  if (dft == NULL)
    return NULL;
  s = g_new0 (JgStft, 1);
  s->n_fft = n_fft;
  s->hop = hop;
  s->dft = dft;
  s->window = g_new (float, n_fft);
  for (guint i = 0; i < n_fft; i++)
    s->window[i] = (float) (0.5 - 0.5 * cos (2.0 * M_PI * i / n_fft));
  s->buf = g_new (float, 2 * n_fft);
  return s;
}

void
jg_stft_free (JgStft *s)
{
  if (s == NULL)
    return;
  jg_dft_free (s->dft);
  g_free (s->window);
  g_free (s->buf);
  g_free (s);
}

guint jg_stft_get_n_fft (const JgStft *s) { return s->n_fft; }
guint jg_stft_get_hop (const JgStft *s) { return s->hop; }
guint jg_stft_get_n_bins (const JgStft *s) { return s->n_fft / 2 + 1; }

gsize
jg_stft_get_n_frames (const JgStft *s, gsize n_samples)
{
  return 1 + n_samples / s->hop;
}

/* Reflect an index into [0, n) without repeating the edge sample, as
 * numpy's "reflect"; folds repeatedly when the signal is shorter than the
 * padding. */
static gsize
reflect (gint64 i, gsize n)
{
  gint64 period;

  if (n == 1)
    return 0;
  period = 2 * ((gint64) n - 1);
  i %= period;
  if (i < 0)
    i += period;
  return (gsize) (i < (gint64) n ? i : period - i);
}

void
jg_stft_frame_pair (JgStft *s, const float *signal, gsize n_samples, guint n_channels,
                    guint ch_a, guint ch_b, gsize t, float *out_a, float *out_b)
{
  guint n = s->n_fft, nb = n / 2 + 1;
  gint64 start = (gint64) (t * s->hop) - n / 2;
  float *z = s->buf;

  for (guint j = 0; j < n; j++)
    {
      gint64 i = start + j;
      gsize k = (i >= 0 && i < (gint64) n_samples) ? (gsize) i : reflect (i, n_samples);
      z[2 * j] = s->window[j] * signal[k * n_channels + ch_a];
      z[2 * j + 1] = s->window[j] * signal[k * n_channels + ch_b];
    }
  jg_dft_forward (s->dft, z);
  /* Split the spectra of the real and imaginary parts:
   * A[k] = (Z[k] + conj Z[n-k]) / 2, B[k] = (Z[k] - conj Z[n-k]) / 2i. */
  for (guint k = 0; k < nb; k++)
    {
      guint q = k == 0 ? 0 : n - k;
      float zr = z[2 * k], zi = z[2 * k + 1], qr = z[2 * q], qi = z[2 * q + 1];
      out_a[2 * k] = 0.5f * (zr + qr);
      out_a[2 * k + 1] = 0.5f * (zi - qi);
      if (out_b != NULL)
        {
          out_b[2 * k] = 0.5f * (zi + qi);
          out_b[2 * k + 1] = 0.5f * (qr - zr);
        }
    }
}
