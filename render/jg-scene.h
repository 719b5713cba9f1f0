/* jg-scene.h: what the 3-D view shows, on the CPU and free of GL.
 *
 * A JgScene holds the point cloud back-projected from one depth map (with
 * jg_intrinsics_unproject(), the one formula), the overlays of up to four
 * answer sets (ground truth, prediction, run A, run B) and which of them
 * are shown. It builds the overlay geometry the renderer uploads, places
 * the label anchors on screen for the widget's text, and answers picks.
 * Every setter bumps a serial so JgRenderer re-uploads only what changed. */
#pragma once

#include <glib.h>

#include "data/jg-answer.h"
#include "data/jg-intrinsics.h"
#include "render/jg-camera.h"

G_BEGIN_DECLS

typedef enum {
  JG_SET_GT,
  JG_SET_PRED,
  JG_SET_RUN_A,
  JG_SET_RUN_B,
  JG_N_SETS
} JgOverlaySet;

typedef enum {
  JG_OVERLAY_DOA       = 1 << 0,  /* rays from the listener */
  JG_OVERLAY_CONES     = 1 << 1,  /* angular-error cones around the rays */
  JG_OVERLAY_BOXES     = 1 << 2,  /* box wireframes */
  JG_OVERLAY_BOX_FACES = 1 << 3,  /* translucent box faces */
  JG_OVERLAY_FRUSTUM   = 1 << 4,  /* the sensor's frustum */
  JG_OVERLAY_AXES      = 1 << 5,  /* sensor axes: x red, y green, z blue */
  JG_OVERLAY_SKY       = 1 << 6,  /* the DoA sky sphere with direction markers */
  JG_OVERLAY_ALL       = 0x7f
} JgOverlayFlags;

typedef struct {
  double az_deg, el_deg;  /* JAEGER convention: az positive left, el positive up */
  double error_deg;       /* half-angle of the error cone; <= 0 draws none */
  double length;          /* ray length in metres; <= 0 uses 2 m */
} JgDoa;

typedef enum { JG_LABEL_BOX, JG_LABEL_DOA } JgLabelKind;

typedef struct {
  JgLabelKind kind;
  JgOverlaySet set;
  guint index;            /* into that set's boxes or DoAs */
  double xyz[3];          /* anchor: top centre of a box, end of a ray */
  double u, v;            /* screen position, by jg_scene_project_labels() */
  gboolean visible;       /* in front of the eye and inside the viewport */
  /* A direction outside the view (a DoA only): @u, @v are on the
   * viewport's border, towards it, and @edge_dx, @edge_dy (unit, screen
   * axes, y down) say which way to turn to see it. */
  gboolean off_screen;
  double edge_dx, edge_dy;
} JgLabelAnchor;

typedef struct {
  float xyz[3];
  guint8 rgba[4];
} JgVertex;

typedef enum { JG_PICK_NONE, JG_PICK_POINT, JG_PICK_BOX, JG_PICK_DOA } JgPickKind;

typedef struct {
  JgPickKind kind;
  JgOverlaySet set;       /* boxes and DoAs */
  guint index;            /* point index, or the item's index in its set */
  double xyz[3];          /* picked position (the point, or where the ray meets the item) */
  double distance;        /* from the sensor, metres */
  double az_deg, el_deg;  /* of xyz seen from the sensor */
} JgPickHit;

typedef struct _JgScene JgScene;

JgScene *jg_scene_new (void);
void     jg_scene_free (JgScene *scene);

/* Back-projects @depth (metres, k->width x k->height, row-major from the
 * top-left) at pixel centres; zero, negative or non-finite depths are left
 * out. @rgb (3 bytes a pixel, any size, nearest pixel; NULL for grey)
 * colours the points. */
gboolean jg_scene_set_cloud (JgScene *scene, const guint8 *rgb, guint rgb_width,
                             guint rgb_height, const float *depth, const JgIntrinsics *k,
                             GError **error);
guint              jg_scene_get_n_points (const JgScene *scene);
/* Points are stored coarse to fine: level 0 holds every 4th pixel in both
 * directions, level 1 adds the rest of every 2nd, level 2 the rest. The
 * count of levels 0..@level is a prefix that subsamples the cloud evenly
 * (1/16, 1/4, all of it). */
#define JG_SCENE_LOD_LEVELS 3
guint              jg_scene_get_lod_count (const JgScene *scene, guint level);
const float       *jg_scene_get_points (const JgScene *scene);   /* xyz, 3 floats a point */
const guint8      *jg_scene_get_colors (const JgScene *scene);   /* rgba, 4 bytes a point */
const JgIntrinsics *jg_scene_get_intrinsics (const JgScene *scene);
/* Bounds of the points (and boxes); FALSE for an empty scene. */
gboolean jg_scene_get_bounds (const JgScene *scene, double lo[3], double hi[3]);

void jg_scene_set_boxes (JgScene *scene, JgOverlaySet set, const JgBox *boxes, guint n);
void jg_scene_set_doas (JgScene *scene, JgOverlaySet set, const JgDoa *doas, guint n);
guint jg_scene_get_boxes (const JgScene *scene, JgOverlaySet set, const JgBox **boxes);
guint jg_scene_get_doas (const JgScene *scene, JgOverlaySet set, const JgDoa **doas);
void jg_scene_set_overlays (JgScene *scene, JgOverlayFlags flags);
JgOverlayFlags jg_scene_get_overlays (const JgScene *scene);
void jg_scene_set_set_visible (JgScene *scene, JgOverlaySet set, gboolean visible);
void jg_scene_set_set_color (JgScene *scene, JgOverlaySet set, const float rgb[3]);
void jg_scene_get_set_color (const JgScene *scene, JgOverlaySet set, float rgb[3]);
/* What labels call a set ("GT", "Pred", "A", "B" unless set; at most 15 bytes). */
void        jg_scene_set_set_label (JgScene *scene, JgOverlaySet set, const char *label);
const char *jg_scene_get_set_label (const JgScene *scene, JgOverlaySet set);
/* Radius of the sky sphere, metres (default 1). */
void jg_scene_set_sky_radius (JgScene *scene, double radius);

/* Change counters: the cloud's, and the overlays'. */
guint jg_scene_get_cloud_serial (const JgScene *scene);
guint jg_scene_get_overlay_serial (const JgScene *scene);

/* Overlay geometry for the shown overlays (rebuilt only after a change):
 * line pairs, translucent triangles, and marker points. */
void jg_scene_get_geometry (JgScene *scene,
                            const JgVertex **lines, guint *n_lines,
                            const JgVertex **tris, guint *n_tris,
                            const JgVertex **markers, guint *n_markers);

/* Label anchors of the shown boxes and rays; project them for a viewport
 * (no allocation: call it every frame). A ray whose end is outside the
 * viewport or behind the eye gets an anchor on the border instead
 * (off_screen), so a direction is never silently out of sight. */
guint jg_scene_get_labels (JgScene *scene, const JgLabelAnchor **anchors);
/* Where the line from the centre of a @width x @height viewport along
 * (*@dx, *@dy) (screen axes, y down; normalised on return, straight down
 * when zero) meets the border, @inset of the way out: the anchor of a
 * direction outside the view. */
void  jg_viewport_border_point (double width, double height, double inset, double *dx, double *dy,
                                double *u, double *v);
void  jg_scene_project_labels (JgScene *scene, const JgCamera *cam, guint width, guint height);

/* Picks along a ray (jg_camera_ray()). Rays and box edges within @tan_tol
 * win (they are drawn over the cloud), then the front-most point within
 * @tan_tol, then a box the ray passes through. Only shown items count. */
gboolean jg_scene_pick (JgScene *scene, const double origin[3], const double dir[3],
                        double tan_tol, JgPickHit *hit);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgScene, jg_scene_free)

G_END_DECLS
