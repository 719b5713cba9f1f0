/* jg-sim-render.h: the simulator's deterministic CPU rasteriser.
 *
 * Planar quads in the world, a z-buffer at integer pixel centres (pixel
 * (u, v) samples image point (u, v), the convention of jg_intrinsics_unproject)
 * and per-pixel Lambert shading of procedural textures. Shading recovers the
 * surface point from the z-buffer through the camera model, so the depth
 * written to depth.png and the point that was lit are the same point. */
#pragma once

#include "data/jg-intrinsics.h"
#include "sim/jg-sim-scene.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  double v[4][3];           /* world corners, in order around the quad */
  double n[3];              /* world unit normal of the visible side */
  double origin[3];         /* texture frame: p = origin + s tu + t tv */
  double tu[3], tv[3];
  double su, sv;            /* extents along tu, tv */
  float color[3];           /* linear albedo */
  JgSimStyle style;
  const JgSimWall *wall;    /* the room wall this quad draws (for its decorations), else NULL */
  int object;               /* JG_SIM_OBJECT_ROOM, a speaker index, or 100 + furniture */
} JgSimQuad;

#define JG_SIM_OBJECT_ROOM (-1)
#define JG_SIM_OBJECT_FURNITURE 100

/* Appends the quads of @room, its furniture, the @n speakers (boxes in
 * the camera frame of @pose) and @n_extra more world boxes to @quads (a
 * GArray of JgSimQuad). */
void jg_sim_scene_quads (const JgSimRoom *room, const JgSimPose *pose,
                         const JgSimSpeaker *speakers, int n,
                         const JgSimFurniture *extra, int n_extra, GArray *quads);

typedef struct _JgSimRaster JgSimRaster;

JgSimRaster *jg_sim_raster_new (const JgIntrinsics *k);
void         jg_sim_raster_free (JgSimRaster *r);

/* Depth and object buffers of @quads seen from @pose. */
void jg_sim_raster_draw (JgSimRaster *r, const JgSimPose *pose,
                         const JgSimQuad *quads, int n_quads);
/* Colours of the last draw (same @quads), lit by a lamp at @light (world). */
void jg_sim_raster_shade (JgSimRaster *r, const JgSimPose *pose,
                          const JgSimQuad *quads, const double light[3]);

/* Planar depth in metres (0 where nothing was drawn), row-major. */
const float  *jg_sim_raster_depth (const JgSimRaster *r);
/* The JgSimQuad.object seen at each pixel, JG_SIM_OBJECT_ROOM - 1 where none. */
const int    *jg_sim_raster_objects (const JgSimRaster *r);
/* 8-bit sRGB, 3 bytes per pixel, row-major. */
const guint8 *jg_sim_raster_rgb (const JgSimRaster *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgSimRaster, jg_sim_raster_free)

G_END_DECLS
