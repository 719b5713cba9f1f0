#include "audio/jg-foa.h"
#include "core/jg-error.h"

#include <math.h>
#include <string.h>

static const char *const convention_names[JG_FOA_N_CONVENTIONS] = {
  "ambix", "fuma", "n3d", "jaeger",
};

gboolean
jg_foa_convention_from_string (const char *name, JgFoaConvention *out, GError **error)
{
  for (int i = 0; i < JG_FOA_N_CONVENTIONS; i++)
    if (g_ascii_strcasecmp (name, convention_names[i]) == 0)
      {
        *out = (JgFoaConvention) i;
        return TRUE;
      }
  g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
               "unknown FOA convention '%s' (use ambix, fuma, n3d or jaeger)", name);
  return FALSE;
}

const char *
jg_foa_convention_to_string (JgFoaConvention conv)
{
  g_return_val_if_fail ((int) conv >= 0 && conv < JG_FOA_N_CONVENTIONS, "ambix");
  return convention_names[conv];
}

void
jg_foa_matrix_from_ambix (JgFoaConvention to, float m[16])
{
  /* ambiX channels: 0 W, 1 Y (left), 2 Z (up), 3 X (front). */
  const float s2 = (float) M_SQRT1_2, s3 = (float) sqrt (3.0);

  memset (m, 0, 16 * sizeof (float));
  switch (to)
    {
    case JG_FOA_AMBIX:
      m[0] = m[5] = m[10] = m[15] = 1.0f;
      break;
    case JG_FOA_FUMA:       /* [W/sqrt2, X, Y, Z] */
      m[0 * 4 + 0] = s2;
      m[1 * 4 + 3] = 1.0f;
      m[2 * 4 + 1] = 1.0f;
      m[3 * 4 + 2] = 1.0f;
      break;
    case JG_FOA_N3D:
      m[0] = 1.0f;
      m[5] = m[10] = m[15] = s3;
      break;
    case JG_FOA_JAEGER:     /* [W, up, back, right] = [W, Z, -X, -Y] */
      m[0 * 4 + 0] = 1.0f;
      m[1 * 4 + 2] = 1.0f;
      m[2 * 4 + 3] = -1.0f;
      m[3 * 4 + 1] = -1.0f;
      break;
    default:
      g_return_if_reached ();
    }
}

void
jg_foa_matrix_to_ambix (JgFoaConvention from, float m[16])
{
  const float s2 = (float) M_SQRT2, s3 = 1.0f / (float) sqrt (3.0);

  memset (m, 0, 16 * sizeof (float));
  switch (from)
    {
    case JG_FOA_AMBIX:
      m[0] = m[5] = m[10] = m[15] = 1.0f;
      break;
    case JG_FOA_FUMA:       /* W = sqrt2 W', Y = ch2, Z = ch3, X = ch1 */
      m[0 * 4 + 0] = s2;
      m[1 * 4 + 2] = 1.0f;
      m[2 * 4 + 3] = 1.0f;
      m[3 * 4 + 1] = 1.0f;
      break;
    case JG_FOA_N3D:
      m[0] = 1.0f;
      m[5] = m[10] = m[15] = s3;
      break;
    case JG_FOA_JAEGER:     /* Y = -right, Z = up, X = -back */
      m[0 * 4 + 0] = 1.0f;
      m[1 * 4 + 3] = -1.0f;
      m[2 * 4 + 1] = 1.0f;
      m[3 * 4 + 2] = -1.0f;
      break;
    default:
      g_return_if_reached ();
    }
}

void
jg_foa_convert (JgFoaConvention from, JgFoaConvention to, float *frames, gsize n_frames)
{
  float a[16], b[16], m[16];

  if (from == to)
    return;
  jg_foa_matrix_to_ambix (from, a);
  jg_foa_matrix_from_ambix (to, b);
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 4; c++)
      {
        float s = 0.0f;
        for (int k = 0; k < 4; k++)
          s += b[r * 4 + k] * a[k * 4 + c];
        m[r * 4 + c] = s;
      }
  for (gsize i = 0; i < n_frames; i++)
    {
      float *f = frames + 4 * i, in[4] = { f[0], f[1], f[2], f[3] };
      for (int r = 0; r < 4; r++)
        f[r] = m[r * 4 + 0] * in[0] + m[r * 4 + 1] * in[1] + m[r * 4 + 2] * in[2] + m[r * 4 + 3] * in[3];
    }
}

void
jg_foa_encode_ambix (double az, double el, float gains[4])
{
  gains[0] = 1.0f;
  gains[1] = (float) (sin (az) * cos (el));
  gains[2] = (float) sin (el);
  gains[3] = (float) (cos (az) * cos (el));
}

void
jg_camera_to_doa (const double xyz[3], double *az_deg, double *el_deg)
{
  *az_deg = atan2 (-xyz[0], -xyz[2]) * 180.0 / M_PI;
  *el_deg = atan2 (xyz[1], hypot (xyz[0], xyz[2])) * 180.0 / M_PI;
}

void
jg_doa_to_camera (double az_deg, double el_deg, double xyz[3])
{
  double az = az_deg * M_PI / 180.0, el = el_deg * M_PI / 180.0;

  xyz[0] = -sin (az) * cos (el);
  xyz[1] = sin (el);
  xyz[2] = -cos (az) * cos (el);
}
