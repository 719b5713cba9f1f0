#include "data/jg-intrinsics.h"

#include <math.h>

void
jg_intrinsics_from_fov (JgIntrinsics *k, guint width, guint height, double hfov_deg, double vfov_deg)
{
  k->width = width;
  k->height = height;
  k->fx = (width / 2.0) / tan (hfov_deg * M_PI / 360.0);
  k->fy = (height / 2.0) / tan (vfov_deg * M_PI / 360.0);
  k->cx = width / 2.0;
  k->cy = height / 2.0;
}

void
jg_intrinsics_scale (const JgIntrinsics *k, guint width, guint height, JgIntrinsics *out)
{
  double sx = (double) width / k->width, sy = (double) height / k->height;
  JgIntrinsics r = { width, height, k->fx * sx, k->fy * sy, k->cx * sx, k->cy * sy };
  *out = r;
}
