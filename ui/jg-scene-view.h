/* jg-scene-view.h: the 3-D view of a scene: a GtkGLArea that draws a
 * JgScene with JgRenderer, moves a JgCamera with the mouse and keyboard,
 * labels boxes and rays with Pango text, and picks on click. */
#pragma once

#include <gtk/gtk.h>

#include "render/jg-camera.h"
#include "render/jg-scene.h"

G_BEGIN_DECLS

#define JG_TYPE_SCENE_VIEW (jg_scene_view_get_type ())
G_DECLARE_FINAL_TYPE (JgSceneView, jg_scene_view, JG, SCENE_VIEW, GtkGLArea)

GtkWidget *jg_scene_view_new (void);

/* The scene shown; the view redraws after jg_scene_view_scene_changed (). */
JgScene   *jg_scene_view_get_scene (JgSceneView *self);
void       jg_scene_view_scene_changed (JgSceneView *self);


/* Animated move to a preset view (JG_VIEW_SENSOR resets to the sensor's). */
void       jg_scene_view_set_view (JgSceneView *self, JgView view);
JgCamera  *jg_scene_view_get_camera (JgSceneView *self);
/* Call after jg_camera_animate_to () on the view's camera. */
void       jg_scene_view_set_view_animating (JgSceneView *self);
/* Puts @pose without animation (linked views) without re-emitting. */
void       jg_scene_view_set_pose (JgSceneView *self, const JgCameraPose *pose);
/* Orbits as a drag does (on software GL, a quarter of the points until the
 * camera rests): for scripts and benchmarks. */
void       jg_scene_view_orbit (JgSceneView *self, double dyaw_deg, double dpitch_deg);

/* The listener's head relative to the sensor, in degrees (JAEGER angles). */
void       jg_scene_view_get_orientation (JgSceneView *self, double *yaw, double *pitch, double *roll);

/* TRUE during a camera transition and until the view has redrawn at full
 * detail after the last movement. */
gboolean   jg_scene_view_is_moving (JgSceneView *self);
/* Frames drawn so far; the screenshot mode waits for one after a load. */
guint      jg_scene_view_get_frames_drawn (JgSceneView *self);
/* The GL error of realize, if any. */
const GError *jg_scene_view_get_error (JgSceneView *self);

G_END_DECLS
