#include "audio/jg-convolver.h"
#include "audio/jg-fft.h"
#include "core/jg-error.h"

#include <string.h>

struct _JgConvolver {
  guint block, n_in, n_out, n_parts, n_bins;
  JgFft *fft;               /* 2 * block points */
  float *h;                 /* [o][i][p] spectra, 2 * n_bins floats each; NULL filters skipped */
  gboolean *h_present;      /* [o][i] */
  float *fdl;               /* [i][p] input spectra, a ring over p */
  guint fdl_pos;            /* slot of the newest spectrum */
  float *tail;              /* [i] previous block of input, block floats */
  float *work;              /* 2 * block + 2 */
  float *acc;               /* 2 * n_bins */
};


JgConvolver *
jg_convolver_new (guint block, guint n_in, guint n_out, const float *const *filters,
                  guint filter_len, GError **error)
{
  g_autoptr(JgFft) fft = NULL;
  JgConvolver *c;
  guint nb;

  if (block < 2 || (block & (block - 1)) != 0 || n_in == 0 || n_out == 0 || filter_len == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "convolver needs a power-of-two block and at least one channel and tap "
                   "(block %u, %u in, %u out, %u taps)", block, n_in, n_out, filter_len);
      return NULL;
    }
  fft = jg_fft_new (2 * block, error);
  if (fft == NULL)
    return NULL;

  c = g_new0 (JgConvolver, 1);
  c->block = block;
  c->n_in = n_in;
  c->n_out = n_out;
  c->n_parts = (filter_len + block - 1) / block;
  c->n_bins = nb = block + 1;
  c->fft = g_steal_pointer (&fft);
  c->h = g_new0 (float, (gsize) n_out * n_in * c->n_parts * 2 * nb);
  c->h_present = g_new0 (gboolean, (gsize) n_out * n_in);
  c->fdl = g_new0 (float, (gsize) n_in * c->n_parts * 2 * nb);
  c->tail = g_new0 (float, (gsize) n_in * block);
  c->work = g_new0 (float, 2 * block + 2);
  c->acc = g_new0 (float, 2 * nb);

  /* Partition p holds taps [p B, (p + 1) B), zero-padded to 2B; the
   * 1 / 2B of the inverse FFT is folded in here. */
  for (guint o = 0; o < n_out; o++)
    for (guint i = 0; i < n_in; i++)
      {
        const float *f = filters[o * n_in + i];
        if (f == NULL)
          continue;
        c->h_present[o * n_in + i] = TRUE;
        for (guint p = 0; p < c->n_parts; p++)
          {
            float *dst = c->h + (((gsize) o * n_in + i) * c->n_parts + p) * 2 * nb;
            guint len = MIN (block, filter_len - p * block);
            memset (c->work, 0, (2 * block + 2) * sizeof (float));
            for (guint k = 0; k < len; k++)
              c->work[k] = f[p * block + k] / (float) (2 * block);
            jg_fft_real_forward (c->fft, c->work, dst);
          }
      }
  return c;
}

void
jg_convolver_free (JgConvolver *c)
{
  if (c == NULL)
    return;
  jg_fft_free (c->fft);
  g_free (c->h);
  g_free (c->h_present);
  g_free (c->fdl);
  g_free (c->tail);
  g_free (c->work);
  g_free (c->acc);
  g_free (c);
}

guint
jg_convolver_get_block (const JgConvolver *c)
{
  return c->block;
}

void
jg_convolver_reset (JgConvolver *c)
{
  memset (c->fdl, 0, (gsize) c->n_in * c->n_parts * 2 * c->n_bins * sizeof (float));
  memset (c->tail, 0, (gsize) c->n_in * c->block * sizeof (float));
  c->fdl_pos = 0;
}

void
jg_convolver_process (JgConvolver *c, const float *in, float *out)
{
  guint B = c->block, nb = c->n_bins, P = c->n_parts;

  c->fdl_pos = (c->fdl_pos + 1) % P;
  /* Spectrum of [previous block, this block] for every input. */
  for (guint i = 0; i < c->n_in; i++)
    {
      float *tail = c->tail + (gsize) i * B;
      memcpy (c->work, tail, B * sizeof (float));
      for (guint k = 0; k < B; k++)
        c->work[B + k] = tail[k] = in[(gsize) k * c->n_in + i];
      jg_fft_real_forward (c->fft, c->work, c->fdl + ((gsize) i * P + c->fdl_pos) * 2 * nb);
    }

  for (guint o = 0; o < c->n_out; o++)
    {
      memset (c->acc, 0, 2 * nb * sizeof (float));
      for (guint i = 0; i < c->n_in; i++)
        {
          if (!c->h_present[o * c->n_in + i])
            continue;
          for (guint p = 0; p < P; p++)
            {
              /* Partition p meets the input spectrum p blocks old. */
              const float *x = c->fdl + ((gsize) i * P + (c->fdl_pos + P - p) % P) * 2 * nb;
              const float *h = c->h + (((gsize) o * c->n_in + i) * P + p) * 2 * nb;
              float *a = c->acc;
              for (guint k = 0; k < nb; k++)
                {
                  float xr = x[2 * k], xi = x[2 * k + 1], hr = h[2 * k], hi = h[2 * k + 1];
                  a[2 * k] += xr * hr - xi * hi;
                  a[2 * k + 1] += xr * hi + xi * hr;
                }
            }
        }
      jg_fft_real_inverse (c->fft, c->acc, c->work);
      /* Overlap-save: the second half is the linear convolution. */
      for (guint k = 0; k < B; k++)
        out[(gsize) k * c->n_out + o] = c->work[B + k];
    }
}
