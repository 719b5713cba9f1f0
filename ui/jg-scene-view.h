/* jg-scene-view.h: the 3-D view of a scene (a GtkGLArea). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define JG_TYPE_SCENE_VIEW (jg_scene_view_get_type ())
G_DECLARE_FINAL_TYPE (JgSceneView, jg_scene_view, JG, SCENE_VIEW, GtkGLArea)

typedef enum {
  JG_VIEW_SENSOR,
  JG_VIEW_TOP,
  JG_VIEW_FRONT,
  JG_VIEW_SIDE,
} JgViewPreset;

GtkWidget *jg_scene_view_new (void);
void       jg_scene_view_set_preset (JgSceneView *self, JgViewPreset preset);
/* Number of frames drawn so far; the screenshot mode waits for the first. */
guint      jg_scene_view_get_frames_drawn (JgSceneView *self);
/* The GL error of realize, if any (shown to the user instead of the view). */
const GError *jg_scene_view_get_error (JgSceneView *self);

G_END_DECLS
