#include "audio/jg-fft.h"
#include "core/jg-error.h"

#include <math.h>
#include <string.h>

struct _JgFft {
  guint n;
  float *tw;          /* exp(-2 pi i k / n), k < n/2, interleaved */
  guint32 *rev_n;     /* bit reversal for n points */
  guint32 *rev_half;  /* bit reversal for n/2 points (the real transform) */
};

static guint32 *
bit_reversal (guint m)
{
  guint32 *rev = g_new (guint32, m);
  guint bits = 0;

  while ((1u << bits) < m)
    bits++;
  for (guint i = 0; i < m; i++)
    {
      guint32 r = 0;
      for (guint b = 0; b < bits; b++)
        if (i & (1u << b))
          r |= 1u << (bits - 1 - b);
      rev[i] = r;
    }
  return rev;
}

JgFft *
jg_fft_new (guint n, GError **error)
{
  JgFft *fft;

  if (n < 2 || n > (1u << 26) || (n & (n - 1)) != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "FFT size %u is not a power of two between 2 and 2^26", n);
      return NULL;
    }
  fft = g_new0 (JgFft, 1);
  fft->n = n;
  fft->tw = g_new (float, n);
  /* Twiddles in double so large sizes keep float accuracy. */
  for (guint k = 0; k < n / 2; k++)
    {
      double a = -2.0 * M_PI * (double) k / (double) n;
      fft->tw[2 * k] = (float) cos (a);
      fft->tw[2 * k + 1] = (float) sin (a);
    }
  fft->rev_n = bit_reversal (n);
  fft->rev_half = bit_reversal (n / 2);
  return fft;
}

void
jg_fft_free (JgFft *fft)
{
  if (fft == NULL)
    return;
  g_free (fft->tw);
  g_free (fft->rev_n);
  g_free (fft->rev_half);
  g_free (fft);
}

guint
jg_fft_get_size (const JgFft *fft)
{
  return fft->n;
}

guint
jg_fft_next_size (guint n)
{
  guint s = 2;

  while (s < n)
    s <<= 1;
  return s;
}

/* Iterative decimation-in-time FFT of @m points (m divides n); the
 * twiddle for a butterfly span len is tw[j * n / len]. @sign is -1 for the
 * forward transform and +1 for the inverse (conjugated twiddles). */
static void
complex_fft (const JgFft *fft, float *d, guint m, const guint32 *rev, int sign)
{
  for (guint i = 0; i < m; i++)
    {
      guint j = rev[i];
      if (j > i)
        {
          float tr = d[2 * i], ti = d[2 * i + 1];
          d[2 * i] = d[2 * j];
          d[2 * i + 1] = d[2 * j + 1];
          d[2 * j] = tr;
          d[2 * j + 1] = ti;
        }
    }

  /* The first span needs no multiplications. */
  for (guint i = 0; i + 1 < m; i += 2)
    {
      float ar = d[2 * i], ai = d[2 * i + 1], br = d[2 * i + 2], bi = d[2 * i + 3];
      d[2 * i] = ar + br;
      d[2 * i + 1] = ai + bi;
      d[2 * i + 2] = ar - br;
      d[2 * i + 3] = ai - bi;
    }

  for (guint len = 4; len <= m; len <<= 1)
    {
      guint half = len / 2, step = fft->n / len;
      for (guint start = 0; start < m; start += len)
        {
          float *a = d + 2 * start, *b = d + 2 * (start + half);
          for (guint j = 0; j < half; j++)
            {
              float wr = fft->tw[2 * j * step], wi = sign < 0 ? fft->tw[2 * j * step + 1]
                                                              : -fft->tw[2 * j * step + 1];
              float br = b[2 * j] * wr - b[2 * j + 1] * wi;
              float bi = b[2 * j] * wi + b[2 * j + 1] * wr;
              float ar = a[2 * j], ai = a[2 * j + 1];
              a[2 * j] = ar + br;
              a[2 * j + 1] = ai + bi;
              b[2 * j] = ar - br;
              b[2 * j + 1] = ai - bi;
            }
        }
    }
}

void
jg_fft_forward (const JgFft *fft, float *data)
{
  complex_fft (fft, data, fft->n, fft->rev_n, -1);
}

void
jg_fft_inverse (const JgFft *fft, float *data)
{
  complex_fft (fft, data, fft->n, fft->rev_n, +1);
}

/* The real transform packs x[2j] + i x[2j+1] into z, transforms n/2
 * points, then splits Z into the even and odd parts' spectra:
 * X[k] = Fe[k] + W^k Fo[k] with Fe = (Z[k] + conj Z[m-k]) / 2 and
 * Fo = (Z[k] - conj Z[m-k]) / 2i, W = exp(-2 pi i / n). */
void
jg_fft_real_forward (const JgFft *fft, const float *in, float *out)
{
  guint n = fft->n, m = n / 2;

  if (out != in)
    memcpy (out, in, n * sizeof (float));
  complex_fft (fft, out, m, fft->rev_half, -1);

  {
    float z0r = out[0], z0i = out[1];
    out[0] = z0r + z0i;
    out[1] = 0.0f;
    out[2 * m] = z0r - z0i;
    out[2 * m + 1] = 0.0f;
  }
  for (guint k = 1; k <= m / 2; k++)
    {
      guint q = m - k;
      float zkr = out[2 * k], zki = out[2 * k + 1];
      float zqr = out[2 * q], zqi = out[2 * q + 1];
      /* Fe and Fo for bin k; bin q uses the conjugate pair. */
      float fer = 0.5f * (zkr + zqr), fei = 0.5f * (zki - zqi);
      float for_ = 0.5f * (zki + zqi), foi = -0.5f * (zkr - zqr);
      float wr = fft->tw[2 * k], wi = fft->tw[2 * k + 1];
      float tr = wr * for_ - wi * foi, ti = wr * foi + wi * for_;
      out[2 * k] = fer + tr;
      out[2 * k + 1] = fei + ti;
      if (q != k)
        {
          /* W^(m-k) = -conj(W^k), so X[m-k] = conj(Fe[k] - W^k Fo[k]). */
          out[2 * q] = fer - tr;
          out[2 * q + 1] = -(fei - ti);
        }
    }
}

void
jg_fft_real_inverse (const JgFft *fft, const float *in, float *out)
{
  guint n = fft->n, m = n / 2;

  {
    float x0 = in[0], xm = in[2 * m];
    /* Z[0] = Fe[0] + i Fo[0] with Fe = (X0 + Xm), Fo = (X0 - Xm), both
     * doubled: the inverse is scaled by n = 2m overall. */
    out[0] = x0 + xm;
    out[1] = x0 - xm;
  }
  for (guint k = 1; k <= m / 2; k++)
    {
      guint q = m - k;
      float xkr = in[2 * k], xki = in[2 * k + 1];
      float xqr = in[2 * q], xqi = in[2 * q + 1];
      /* Fe[k] = X[k] + conj X[m-k]; Fo[k] = (X[k] - conj X[m-k]) conj(W^k). */
      float fer = xkr + xqr, fei = xki - xqi;
      float dr = xkr - xqr, di = xki + xqi;
      float wr = fft->tw[2 * k], wi = -fft->tw[2 * k + 1];
      float for_ = dr * wr - di * wi, foi = dr * wi + di * wr;
      /* Z[k] = Fe[k] + i Fo[k]; Fe and Fo are spectra of real sequences,
       * so Z[m-k] = conj(Fe[k]) + i conj(Fo[k]). */
      out[2 * k] = fer - foi;
      out[2 * k + 1] = fei + for_;
      if (q != k)
        {
          out[2 * q] = fer + foi;
          out[2 * q + 1] = -fei + for_;
        }
    }
  complex_fft (fft, out, m, fft->rev_half, +1);
}

struct _JgDft {
  guint n;
  JgFft *fft;      /* size n when n is a power of two, else the Bluestein size */
  float *chirp;    /* w[k] = exp(-i pi k^2 / n), k < n */
  float *kernel;   /* FFT of the conjugate chirp, scaled by 1 / size */
  float *work;
};

JgDft *
jg_dft_new (guint n, GError **error)
{
  g_autoptr(JgFft) fft = NULL;
  JgDft *dft;
  guint m;

  if (n < 1 || n > (1u << 24))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "DFT size %u is out of range (1 to 2^24)", n);
      return NULL;
    }
  if (n == 1)
    m = 2;
  else if ((n & (n - 1)) == 0)
    m = n;
  else
    m = jg_fft_next_size (2 * n - 1);
  fft = jg_fft_new (m, error);
  if (fft == NULL)
    return NULL;

  dft = g_new0 (JgDft, 1);
  dft->n = n;
  dft->fft = g_steal_pointer (&fft);
  if (n == 1 || m == n)
    return dft;

  dft->chirp = g_new (float, 2 * n);
  dft->kernel = g_new0 (float, 2 * m);
  dft->work = g_new (float, 2 * m);
  for (guint k = 0; k < n; k++)
    {
      /* k^2 mod 2n keeps the phase exact for large k. */
      guint64 k2 = ((guint64) k * k) % (2 * (guint64) n);
      double a = -M_PI * (double) k2 / (double) n;
      dft->chirp[2 * k] = (float) cos (a);
      dft->chirp[2 * k + 1] = (float) sin (a);
    }
  for (guint k = 0; k < n; k++)
    {
      float re = dft->chirp[2 * k] / m, im = -dft->chirp[2 * k + 1] / m;
      dft->kernel[2 * k] = re;
      dft->kernel[2 * k + 1] = im;
      if (k > 0)
        {
          dft->kernel[2 * (m - k)] = re;
          dft->kernel[2 * (m - k) + 1] = im;
        }
    }
  jg_fft_forward (dft->fft, dft->kernel);
  return dft;
}

void
jg_dft_free (JgDft *dft)
{
  if (dft == NULL)
    return;
  jg_fft_free (dft->fft);
  g_free (dft->chirp);
  g_free (dft->kernel);
  g_free (dft->work);
  g_free (dft);
}

guint
jg_dft_get_size (const JgDft *dft)
{
  return dft->n;
}

/* X[k] = w[k] sum_j (x[j] w[j]) conj(w[k - j]): a circular convolution
 * with the conjugate chirp, done with the radix-2 plan. */
static void
bluestein (JgDft *dft, float *data)
{
  guint n = dft->n, m = jg_fft_get_size (dft->fft);
  float *a = dft->work;

  for (guint j = 0; j < n; j++)
    {
      float xr = data[2 * j], xi = data[2 * j + 1];
      float wr = dft->chirp[2 * j], wi = dft->chirp[2 * j + 1];
      a[2 * j] = xr * wr - xi * wi;
      a[2 * j + 1] = xr * wi + xi * wr;
    }
  memset (a + 2 * n, 0, 2 * (m - n) * sizeof (float));
  jg_fft_forward (dft->fft, a);
  for (guint k = 0; k < m; k++)
    {
      float ar = a[2 * k], ai = a[2 * k + 1];
      float br = dft->kernel[2 * k], bi = dft->kernel[2 * k + 1];
      a[2 * k] = ar * br - ai * bi;
      a[2 * k + 1] = ar * bi + ai * br;
    }
  jg_fft_inverse (dft->fft, a);
  for (guint k = 0; k < n; k++)
    {
      float yr = a[2 * k], yi = a[2 * k + 1];
      float wr = dft->chirp[2 * k], wi = dft->chirp[2 * k + 1];
      data[2 * k] = yr * wr - yi * wi;
      data[2 * k + 1] = yr * wi + yi * wr;
    }
}

void
jg_dft_forward (JgDft *dft, float *data)
{
  if (dft->n == 1)
    return;
  if (dft->chirp == NULL)
    jg_fft_forward (dft->fft, data);
  else
    bluestein (dft, data);
}

/* The inverse is the conjugate of the forward transform of the conjugate. */
void
jg_dft_inverse (JgDft *dft, float *data)
{
  if (dft->n == 1)
    return;
  if (dft->chirp == NULL)
    {
      jg_fft_inverse (dft->fft, data);
      return;
    }
  for (guint k = 0; k < dft->n; k++)
    data[2 * k + 1] = -data[2 * k + 1];
  bluestein (dft, data);
  for (guint k = 0; k < dft->n; k++)
    data[2 * k + 1] = -data[2 * k + 1];
}
