/* jg-splat.h: the point cloud rasterised on the CPU, for software OpenGL.
 *
 * llvmpipe sets up GL_POINTS on one thread (about 0.27 us a point), and
 * its shader storage and atomics run lane by lane, so neither GL_POINTS
 * nor the compute path is fast there. This does what the compute path
 * does (splat.comp + resolve.frag) in C on a few threads: every point
 * projects itself and keeps the nearest per pixel in a z-buffer with its
 * colour, then each pixel takes that colour, the background where none,
 * and eye-dome lighting from its neighbours' depths. Colours come per
 * point (the renderer makes the depth and height ramps once a mode or
 * sample change, with jg_splat_ramp()). The result is an RGBA8 image and the window depth
 * per pixel (1 where empty), bottom row first, as GL's framebuffers are.
 *
 * GL-free, so tests can compare it with GL_POINTS and with a reference
 * projection. Buffers are kept across frames (reallocated only when the
 * size grows); a frame allocates nothing. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const float *xyz;       /* 3 floats a point */
  const guint8 *rgba;     /* 4 bytes a point, 4-byte aligned; NULL: all @solid */
  guint n;                /* points to draw (a prefix) */
  float view_proj[16];    /* column-major, as cglm and GL */
  int size;               /* footprint: size x size pixels, as GL_POINTS */
  float solid[3];
  float background[4];
  float edl_strength;     /* 0: no eye-dome lighting */
  int edl_radius;
  float near, far;        /* of the projection, for eye-dome lighting */
} JgSplatFrame;

typedef struct _JgSplat JgSplat;

/* @n_threads: threads working on a frame, the caller's included (0: one
 * per processor, at most 4). */
JgSplat *jg_splat_new (guint n_threads);
void     jg_splat_free (JgSplat *s);

/* Draws @frame at @width x @height; the image stays valid until the next
 * draw. */
void jg_splat_draw (JgSplat *s, const JgSplatFrame *frame, guint width, guint height);
const guint8 *jg_splat_get_rgba (const JgSplat *s);    /* width * height * 4 bytes */
const float  *jg_splat_get_depth (const JgSplat *s);   /* width * height, window depth */
guint         jg_splat_get_threads (const JgSplat *s);

/* The colour ramp of the depth and height modes (ramp.glsl's). */
void jg_splat_ramp (float t, float rgb[3]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgSplat, jg_splat_free)

G_END_DECLS
