/* jg-intrinsics.h: the pinhole camera of a SpatialSceneQA frame.
 *
 * The one definition of back-projection, shared by the point cloud, the
 * 2-D overlays and the model's 3-D positional encoding. Camera frame is
 * OpenGL/Habitat: +x right, +y up, looking along -z; depth is planar z. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define JG_DEFAULT_HFOV_DEG 90.0
#define JG_DEFAULT_VFOV_DEG 58.72

typedef struct {
  guint width, height;
  double fx, fy, cx, cy;
} JgIntrinsics;

/* fx = (w/2) / tan(hfov/2), fy = (h/2) / tan(vfov/2), principal point at the centre. */
void jg_intrinsics_from_fov (JgIntrinsics *k, guint width, guint height,
                             double hfov_deg, double vfov_deg);

/* Same camera at another resolution (e.g. depth resized to the RGB size). */
void jg_intrinsics_scale (const JgIntrinsics *k, guint width, guint height, JgIntrinsics *out);

/* Pixel (u, v) at planar depth d metres -> camera-frame point. */
static inline void
jg_intrinsics_unproject (const JgIntrinsics *k, double u, double v, double d, double xyz[3])
{
  xyz[0] = (u - k->cx) * d / k->fx;
  xyz[1] = -(v - k->cy) * d / k->fy;
  xyz[2] = -d;
}

/* Camera-frame point -> pixel; FALSE when the point is not in front. */
static inline gboolean
jg_intrinsics_project (const JgIntrinsics *k, const double xyz[3], double *u, double *v)
{
  double d = -xyz[2];
  if (d <= 1e-9)
    return FALSE;
  *u = k->cx + xyz[0] * k->fx / d;
  *v = k->cy - xyz[1] * k->fy / d;
  return TRUE;
}

G_END_DECLS
