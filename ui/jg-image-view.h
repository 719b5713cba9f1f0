/* jg-image-view.h: the sample's RGB or depth image with the scene's boxes
 * and sound directions projected by the sample's camera model. */
#pragma once

#include <gtk/gtk.h>

#include "render/jg-scene.h"

G_BEGIN_DECLS

#define JG_TYPE_IMAGE_VIEW (jg_image_view_get_type ())
G_DECLARE_FINAL_TYPE (JgImageView, jg_image_view, JG, IMAGE_VIEW, GtkWidget)

/* @rgb: 8-bit RGB rows; @depth: metres (0 invalid). Either may be NULL.
 * Copies what it needs. */
void jg_image_view_set_images (JgImageView *self,
                               const guint8 *rgb, guint rgb_width, guint rgb_height,
                               const float *depth, guint depth_width, guint depth_height);
void jg_image_view_set_show_depth (JgImageView *self, gboolean show_depth);
/* The overlays are read from @scene at draw time (not owned). */
void jg_image_view_set_scene (JgImageView *self, JgScene *scene);

/* Image pixel of a camera-frame point at the image's own resolution;
 * FALSE behind the camera. Exposed for tests. */
gboolean jg_image_view_project (JgImageView *self, const double xyz[3], double *u, double *v);

G_END_DECLS
