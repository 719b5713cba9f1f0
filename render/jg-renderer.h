/* jg-renderer.h: draws a JgScene with OpenGL 3.3 core (through epoxy).
 *
 * Create, draw and free it with the same GL context current (a GtkGLArea's,
 * or JgGlOffscreen's). It draws into the framebuffer bound at draw time,
 * which needs a depth buffer (gtk_gl_area_set_has_depth_buffer()).
 *
 * Static data goes to the GPU once: the cloud when the scene's cloud serial
 * changes (a new sample), the overlays when their serial changes (a toggle,
 * new predictions). A frame uploads only uniforms (on software GL also the
 * image jg-splat.c drew) and allocates nothing; per-pixel buffers are
 * reallocated only when the size changes. */
#pragma once

#include <glib.h>

#include "render/jg-camera.h"
#include "render/jg-scene.h"

G_BEGIN_DECLS

typedef enum {
  JG_COLOR_RGB,
  JG_COLOR_DEPTH,    /* ramp over the scene's depth range */
  JG_COLOR_HEIGHT,   /* ramp over the scene's height (y) range */
  JG_COLOR_SOLID,
} JgColorMode;

typedef struct _JgRenderer JgRenderer;

/* Compiles the shaders; fails with a GError when the current context is
 * not OpenGL 3.3 or a shader does not build. */
JgRenderer *jg_renderer_new (GError **error);
void        jg_renderer_free (JgRenderer *r);

void jg_renderer_set_color_mode (JgRenderer *r, JgColorMode mode);
void jg_renderer_set_point_size (JgRenderer *r, float pixels);
/* At most @max_points points a frame (0: all): an even subsample from the
 * scene's coarse-to-fine order, with larger points. For software GL while
 * the camera moves; nothing is re-uploaded. */
void jg_renderer_set_point_budget (JgRenderer *r, guint max_points);
void jg_renderer_set_solid_color (JgRenderer *r, const float rgb[3]);
void jg_renderer_set_background (JgRenderer *r, const float rgba[4]);
/* Eye-dome lighting on/off and its strength (default on, 1.5). */
void jg_renderer_set_edl (JgRenderer *r, gboolean enabled, float strength);
void jg_renderer_set_marker_size (JgRenderer *r, float pixels);

/* Uploads what changed in @scene (also done by draw; call it after a
 * sample switch to move the upload out of the first frame). */
void jg_renderer_sync (JgRenderer *r, JgScene *scene);

/* Draws @scene seen by @cam into the bound framebuffer of @width x @height
 * pixels, and projects the scene's label anchors for the same viewport. */
void jg_renderer_draw (JgRenderer *r, JgScene *scene, const JgCamera *cam,
                       guint width, guint height);

typedef struct {
  guint cloud_uploads;     /* times the cloud went to the GPU */
  guint overlay_uploads;   /* times the overlay geometry did */
  guint frames;            /* jg_renderer_draw() calls that drew */
  guint points_drawn;      /* in the last frame (under a budget, fewer) */
  float point_size_drawn;  /* in the last frame, pixels */
} JgRendererStats;

/* Counters for status displays and for tests that no frame re-uploads. */
void jg_renderer_get_stats (const JgRenderer *r, JgRendererStats *stats);

/* How the cloud is drawn: "CPU" (software GL: llvmpipe, softpipe; see
 * jg-splat.h), "compute" (OpenGL 4.3: splat.comp + resolve.frag) or
 * "GL_POINTS" (before 4.3). A comma list in JAEGER_GL_DISABLE at
 * jg_renderer_new() turns fast paths off: cpu, compute
 * (JAEGER_GL_DISABLE=cpu,compute draws GL_POINTS). */
const char *jg_renderer_get_point_path (const JgRenderer *r);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgRenderer, jg_renderer_free)

G_END_DECLS
