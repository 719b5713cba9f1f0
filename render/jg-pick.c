#include "render/jg-pick.h"

#include <math.h>

static double
dot3 (const double a[3], const double b[3])
{
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

gboolean
jg_pick_ray_box (const double origin[3], const double dir[3],
                 const double center[3], const double size[3], double *t)
{
  double t0 = 0.0, t1 = INFINITY;

  /* slabs */
  for (int i = 0; i < 3; i++)
    {
      double lo = center[i] - size[i] / 2.0, hi = center[i] + size[i] / 2.0;

      if (fabs (dir[i]) < 1e-12)
        {
          if (origin[i] < lo || origin[i] > hi)
            return FALSE;
          continue;
        }
      double a = (lo - origin[i]) / dir[i], b = (hi - origin[i]) / dir[i];
      if (a > b)
        {
          double s = a;
          a = b;
          b = s;
        }
      t0 = MAX (t0, a);
      t1 = MIN (t1, b);
      if (t0 > t1)
        return FALSE;
    }
  *t = t0;
  return TRUE;
}

static double
dist_at (const double o[3], const double d[3], const double a[3], const double v[3],
         double s, double t)
{
  double p[3];

  for (int i = 0; i < 3; i++)
    p[i] = o[i] + s * d[i] - a[i] - t * v[i];
  return sqrt (dot3 (p, p));
}

double
jg_pick_ray_segment (const double origin[3], const double dir[3],
                     const double a[3], const double b[3], double *t_ray)
{
  double v[3], w[3], best, bs, s, t;

  for (int i = 0; i < 3; i++)
    {
      v[i] = b[i] - a[i];
      w[i] = origin[i] - a[i];
    }
  double uv = dot3 (dir, v), vv = dot3 (v, v), uw = dot3 (dir, w), vw = dot3 (v, w);
  double den = vv - uv * uv;

  /* |o + s d - a - t v|^2 is convex over s >= 0, t in [0, 1]: take the
   * interior minimum if it is feasible, else the best of the three edges. */
  if (vv > 1e-18 && den > 1e-12 * vv)
    {
      s = (uv * vw - vv * uw) / den;
      t = (vw - uv * uw) / den;
      if (s >= 0 && t >= 0 && t <= 1)
        {
          *t_ray = s;
          return dist_at (origin, dir, a, v, s, t);
        }
    }
  /* s = 0 */
  t = vv > 1e-18 ? CLAMP (vw / vv, 0.0, 1.0) : 0.0;
  bs = 0.0;
  best = dist_at (origin, dir, a, v, 0.0, t);
  /* t = 0 and t = 1 */
  for (int e = 0; e <= 1; e++)
    {
      s = MAX (0.0, e * uv - uw);
      double d = dist_at (origin, dir, a, v, s, e);
      if (d < best)
        {
          best = d;
          bs = s;
        }
    }
  *t_ray = bs;
  return best;
}

gboolean
jg_pick_ray_points (const double origin[3], const double dir[3],
                    const float *xyz, gsize n, double tan_tol, gsize *index, double *t)
{
  double best = INFINITY, tol2 = tan_tol * tan_tol;
  gsize bi = 0;

  for (gsize i = 0; i < n; i++)
    {
      double p[3] = { xyz[3 * i] - origin[0], xyz[3 * i + 1] - origin[1], xyz[3 * i + 2] - origin[2] };
      double s = dot3 (p, dir);

      if (s <= 0 || s >= best)
        continue;
      /* squared perpendicular distance against (tan_tol * s)^2 */
      if (dot3 (p, p) - s * s <= tol2 * s * s)
        {
          best = s;
          bi = i;
        }
    }
  if (!isfinite (best))
    return FALSE;
  *index = bi;
  *t = best;
  return TRUE;
}
