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

static void
mat3_mul (const double a[9], const double b[9], double out[9])
{
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++)
      out[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
}

void
jg_foa_head_rotation (double yaw_deg, double pitch_deg, double roll_deg, float r[9])
{
  double y = yaw_deg * M_PI / 180.0, p = -pitch_deg * M_PI / 180.0, q = roll_deg * M_PI / 180.0;
  /* Head orientation H = Rz(yaw) Ry(-pitch) Rx(roll), right-handed about
   * up, left and front: +yaw turns front towards left, -pitch about the
   * left axis lifts the nose, +roll lifts the left ear. */
  const double rz[9] = { cos (y), -sin (y), 0, sin (y), cos (y), 0, 0, 0, 1 };
  const double ry[9] = { cos (p), 0, sin (p), 0, 1, 0, -sin (p), 0, cos (p) };
  const double rx[9] = { 1, 0, 0, 0, cos (q), -sin (q), 0, sin (q), cos (q) };
  double t[9], h[9];

  mat3_mul (rz, ry, t);
  mat3_mul (t, rx, h);
  /* World directions seen from the head: H transposed. */
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 3; j++)
      r[i * 3 + j] = (float) h[j * 3 + i];
}

struct _JgFoaRotator {
  float cur[9];
  float target[9];
  gboolean fresh;
};

static const float identity3[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };

JgFoaRotator *
jg_foa_rotator_new (void)
{
  JgFoaRotator *rot = g_new0 (JgFoaRotator, 1);

  memcpy (rot->cur, identity3, sizeof identity3);
  memcpy (rot->target, identity3, sizeof identity3);
  rot->fresh = TRUE;
  return rot;
}

void
jg_foa_rotator_free (JgFoaRotator *rot)
{
  g_free (rot);
}

void
jg_foa_rotator_set_matrix (JgFoaRotator *rot, const float r[9])
{
  memcpy (rot->target, r, 9 * sizeof (float));
}

void
jg_foa_rotator_reset (JgFoaRotator *rot)
{
  rot->fresh = TRUE;
}

void
jg_foa_rotator_process (JgFoaRotator *rot, float *frames, gsize n_frames)
{
  gboolean moving;

  if (rot->fresh)
    {
      memcpy (rot->cur, rot->target, sizeof rot->cur);
      rot->fresh = FALSE;
    }
  moving = memcmp (rot->cur, rot->target, sizeof rot->cur) != 0;
  for (gsize i = 0; i < n_frames; i++)
    {
      float *f = frames + 4 * i;
      /* ambiX [W, Y, Z, X] -> [X, Y, Z] */
      float v[3] = { f[3], f[1], f[2] }, m[9], o[3];
      const float *mm = rot->cur;

      if (moving)
        {
          /* A linear matrix fade equals a crossfade of the two rotated
           * signals, reaching the target exactly on the last frame. */
          float a = (float) (i + 1) / (float) n_frames;
          for (int k = 0; k < 9; k++)
            m[k] = rot->cur[k] + a * (rot->target[k] - rot->cur[k]);
          mm = m;
        }
      for (int r = 0; r < 3; r++)
        o[r] = mm[r * 3] * v[0] + mm[r * 3 + 1] * v[1] + mm[r * 3 + 2] * v[2];
      f[3] = o[0];
      f[1] = o[1];
      f[2] = o[2];
    }
  if (moving && n_frames > 0)
    memcpy (rot->cur, rot->target, sizeof rot->cur);
}
