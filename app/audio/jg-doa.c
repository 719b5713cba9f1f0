#include "audio/jg-doa.h"
#include "audio/jg-stft.h"
#include "core/jg-error.h"

#include <math.h>
#include <string.h>

#define RAD2DEG (180.0 / M_PI)

/* Memory bound for one analysis (the spectrogram dominates: 1.6 kB per
 * 20 ms frame); about 3.5 hours of audio. */
#define MAX_FRAMES (1u << 20)

void
jg_foa_analysis_free (JgFoaAnalysis *a)
{
  if (a == NULL)
    return;
  g_free (a->frame_az_deg);
  g_free (a->frame_el_deg);
  g_free (a->frame_energy);
  g_free (a->frame_intensity);
  g_free (a->spectrogram_db);
  g_free (a->az_map);
  g_free (a);
}

static void
vector_to_doa (double x, double y, double z, double *az, double *el)
{
  /* ambiX: X front, Y left, Z up; JAEGER azimuth is positive to the left. */
  *az = atan2 (y, x) * RAD2DEG;
  *el = atan2 (z, hypot (x, y)) * RAD2DEG;
}

JgFoaAnalysis *
jg_foa_analyse (const float *samples, gsize n_samples, guint sample_rate,
                JgFoaConvention conv, GError **error)
{
  g_autoptr(JgStft) stft = NULL;
  g_autoptr(JgFoaAnalysis) a = NULL;
  g_autofree float *ambix = NULL, *sw = NULL, *sy = NULL, *sz = NULL, *sx = NULL;
  double sum[3] = { 0.0, 0.0, 0.0 }, total_energy = 0.0;
  guint nb;

  if (n_samples == 0 || sample_rate == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "no audio to analyse");
      return NULL;
    }
  stft = jg_stft_new (JG_DOA_N_FFT, JG_DOA_HOP, error);
  if (stft == NULL)
    return NULL;
  if (jg_stft_get_n_frames (stft, n_samples) > MAX_FRAMES)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "audio too long to analyse (%" G_GSIZE_FORMAT " samples)", n_samples);
      return NULL;
    }

  ambix = g_memdup2 (samples, n_samples * 4 * sizeof (float));
  jg_foa_convert (conv, JG_FOA_AMBIX, ambix, n_samples);

  nb = jg_stft_get_n_bins (stft);
  a = g_new0 (JgFoaAnalysis, 1);
  a->sample_rate = sample_rate;
  a->n_frames = (guint) jg_stft_get_n_frames (stft, n_samples);
  a->n_bins = nb;
  a->frame_period = (double) JG_DOA_HOP / sample_rate;
  a->frame_az_deg = g_new0 (float, a->n_frames);
  a->frame_el_deg = g_new0 (float, a->n_frames);
  a->frame_energy = g_new0 (float, a->n_frames);
  a->frame_intensity = g_new0 (float, 3 * (gsize) a->n_frames);
  a->spectrogram_db = g_new (float, (gsize) a->n_frames * nb);
  a->az_map = g_new0 (float, (gsize) a->n_frames * JG_DOA_N_AZ_BINS);

  sw = g_new (float, 2 * nb);
  sy = g_new (float, 2 * nb);
  sz = g_new (float, 2 * nb);
  sx = g_new (float, 2 * nb);
  for (guint t = 0; t < a->n_frames; t++)
    {
      double fi[3] = { 0.0, 0.0, 0.0 }, energy = 0.0, az, el;
      float *spec = a->spectrogram_db + (gsize) t * nb;
      float *map = a->az_map + (gsize) t * JG_DOA_N_AZ_BINS;

      jg_stft_frame_pair (stft, ambix, n_samples, 4, 0, 1, t, sw, sy);
      jg_stft_frame_pair (stft, ambix, n_samples, 4, 2, 3, t, sz, sx);
      for (guint k = 0; k < nb; k++)
        {
          float wr = sw[2 * k], wi = sw[2 * k + 1];
          double e = (double) wr * wr + (double) wi * wi;
          /* Re(conj(W) C) = Wr Cr + Wi Ci */
          double ix = wr * sx[2 * k] + wi * sx[2 * k + 1];
          double iy = wr * sy[2 * k] + wi * sy[2 * k + 1];
          double iz = wr * sz[2 * k] + wi * sz[2 * k + 1];
          double mag = sqrt (ix * ix + iy * iy + iz * iz);

          spec[k] = (float) (10.0 * log10 (e + 1e-12));
          energy += e;
          fi[0] += ix;
          fi[1] += iy;
          fi[2] += iz;
          if (mag > 0.0)
            {
              int b = (int) floor ((atan2 (iy, ix) * RAD2DEG + 180.0) / 5.0);
              map[CLAMP (b, 0, JG_DOA_N_AZ_BINS - 1)] += (float) mag;
            }
        }
      vector_to_doa (fi[0], fi[1], fi[2], &az, &el);
      a->frame_az_deg[t] = (float) az;
      a->frame_el_deg[t] = (float) el;
      a->frame_energy[t] = (float) energy;
      for (int c = 0; c < 3; c++)
        {
          a->frame_intensity[3 * t + c] = (float) fi[c];
          sum[c] += fi[c];
        }
      total_energy += energy;
    }
  vector_to_doa (sum[0], sum[1], sum[2], &a->az_deg, &a->el_deg);
  a->directivity = total_energy > 0.0
    ? sqrt (sum[0] * sum[0] + sum[1] * sum[1] + sum[2] * sum[2]) / total_energy : 0.0;
  return g_steal_pointer (&a);
}

float *
jg_foa_classical_iv (const float *samples, gsize n_samples, gsize *n_frames, GError **error)
{
  g_autoptr(JgStft) stft = NULL;
  g_autofree float *s0 = NULL, *s1 = NULL, *s2 = NULL, *s3 = NULL;
  float *out;
  gsize nf;
  guint nb;

  if (n_samples == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "no audio for Classical IV features");
      return NULL;
    }
  stft = jg_stft_new (JG_DOA_N_FFT, JG_DOA_HOP, error);
  if (stft == NULL)
    return NULL;
  nf = jg_stft_get_n_frames (stft, n_samples);
  nb = jg_stft_get_n_bins (stft);
  out = g_new (float, nf * 3 * nb);
  s0 = g_new (float, 2 * nb);
  s1 = g_new (float, 2 * nb);
  s2 = g_new (float, 2 * nb);
  s3 = g_new (float, 2 * nb);
  for (gsize t = 0; t < nf; t++)
    {
      const float *ch[3] = { s1, s2, s3 };
      float *o = out + t * 3 * nb;

      jg_stft_frame_pair (stft, samples, n_samples, 4, 0, 1, t, s0, s1);
      jg_stft_frame_pair (stft, samples, n_samples, 4, 2, 3, t, s2, s3);
      for (guint k = 0; k < nb; k++)
        {
          float p0 = s0[2 * k] * s0[2 * k] + s0[2 * k + 1] * s0[2 * k + 1];
          float pd = 0.0f;
          for (int c = 0; c < 3; c++)
            pd += ch[c][2 * k] * ch[c][2 * k] + ch[c][2 * k + 1] * ch[c][2 * k + 1];
          for (int c = 0; c < 3; c++)
            o[c * nb + k] = (s0[2 * k] * ch[c][2 * k] + s0[2 * k + 1] * ch[c][2 * k + 1])
                            / (1e-8f + p0 + pd / 3.0f);
        }
    }
  *n_frames = nf;
  return out;
}
