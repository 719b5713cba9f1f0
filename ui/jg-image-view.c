#include "jg-image-view.h"

#include <glib/gi18n.h>
#include <math.h>

#include "audio/jg-foa.h"

struct _JgImageView {
  GtkWidget parent_instance;

  GdkTexture *rgb;
  GdkTexture *depth;
  gboolean show_depth;
  JgScene *scene;
};

G_DEFINE_FINAL_TYPE (JgImageView, jg_image_view, GTK_TYPE_WIDGET)

/* Depth colour ramp: near warm, far cool; invalid pixels black. */
static GdkTexture *
depth_texture (const float *depth, guint w, guint h)
{
  gsize n = (gsize) w * h;
  guint8 *px = g_malloc (n * 4);
  float lo = INFINITY, hi = 0.0f;
  g_autoptr(GBytes) bytes = NULL;

  for (gsize i = 0; i < n; i++)
    if (depth[i] > 0.0f && isfinite (depth[i]))
      lo = MIN (lo, depth[i]), hi = MAX (hi, depth[i]);
  for (gsize i = 0; i < n; i++)
    {
      float d = depth[i];
      guint8 *p = px + 4 * i;
      if (!(d > 0.0f) || !isfinite (d))
        {
          p[0] = p[1] = p[2] = 0;
        }
      else
        {
          float t = hi > lo ? (d - lo) / (hi - lo) : 0.0f;
          p[0] = (guint8) lrintf (255.0f * (1.0f - t));
          p[1] = (guint8) lrintf (255.0f * (0.5f + 0.5f * sinf ((float) G_PI * t)) * 0.8f);
          p[2] = (guint8) lrintf (255.0f * t);
        }
      p[3] = 255;
    }
  bytes = g_bytes_new_take (px, n * 4);
  return gdk_memory_texture_new ((int) w, (int) h, GDK_MEMORY_R8G8B8A8, bytes, (gsize) w * 4);
}

void
jg_image_view_set_images (JgImageView *self, const guint8 *rgb, guint rgb_width, guint rgb_height,
                          const float *depth, guint depth_width, guint depth_height)
{
  g_clear_object (&self->rgb);
  g_clear_object (&self->depth);
  if (rgb != NULL && rgb_width > 0 && rgb_height > 0)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (rgb, (gsize) rgb_width * rgb_height * 3);
      self->rgb = gdk_memory_texture_new ((int) rgb_width, (int) rgb_height, GDK_MEMORY_R8G8B8, bytes,
                                          (gsize) rgb_width * 3);
    }
  if (depth != NULL && depth_width > 0 && depth_height > 0)
    self->depth = depth_texture (depth, depth_width, depth_height);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
jg_image_view_set_show_depth (JgImageView *self, gboolean show_depth)
{
  self->show_depth = show_depth;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
jg_image_view_set_scene (JgImageView *self, JgScene *scene)
{
  self->scene = scene;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
jg_image_view_project (JgImageView *self, const double xyz[3], double *u, double *v)
{
  const JgIntrinsics *k = self->scene ? jg_scene_get_intrinsics (self->scene) : NULL;

  if (k == NULL || k->width == 0)
    return FALSE;
  return jg_intrinsics_project (k, xyz, u, v);
}

/* The image is letterboxed into the widget: scale and offset. */
static void
fit (JgImageView *self, guint iw, guint ih, double *scale, double *ox, double *oy)
{
  double w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));

  *scale = MIN (w / iw, h / ih);
  *ox = (w - iw * *scale) / 2.0;
  *oy = (h - ih * *scale) / 2.0;
}

/* A direction outside the image: a triangle on the image's border pointing
 * to where it lies (camera x right, y up: the image's x and -y, in front
 * or behind), and its label kept inside. */
static void
draw_off_image (cairo_t *cr, const char *text, const double dir[3], const JgIntrinsics *k, double s,
                double ox, double oy)
{
  double dx = dir[0], dy = -dir[1], u, v, px, py;
  cairo_text_extents_t te;

  jg_viewport_border_point (k->width, k->height, 0.97, &dx, &dy, &u, &v);
  u = ox + u * s;
  v = oy + v * s;
  px = -dy;
  py = dx;
  cairo_move_to (cr, u + 9 * dx, v + 9 * dy);
  cairo_line_to (cr, u - 6 * dx + 7 * px, v - 6 * dy + 7 * py);
  cairo_line_to (cr, u - 6 * dx - 7 * px, v - 6 * dy - 7 * py);
  cairo_close_path (cr);
  cairo_fill (cr);
  cairo_text_extents (cr, text, &te);
  u = CLAMP (u - te.width / 2 - 14 * dx, ox + 2, ox + k->width * s - te.width - 2);
  v = CLAMP (v - 14 * dy + te.height / 2, oy + te.height + 2, oy + k->height * s - 2);
  cairo_move_to (cr, u, v);
  cairo_show_text (cr, text);
}

static void
draw_overlays (JgImageView *self, cairo_t *cr, double scale, double ox, double oy, double k_scale)
{
  static const int edges[12][2] = {
    { 0, 1 }, { 1, 3 }, { 3, 2 }, { 2, 0 }, { 4, 5 }, { 5, 7 }, { 7, 6 }, { 6, 4 },
    { 0, 4 }, { 1, 5 }, { 2, 6 }, { 3, 7 },
  };
  JgOverlayFlags flags = jg_scene_get_overlays (self->scene);
  const JgIntrinsics *k = jg_scene_get_intrinsics (self->scene);

  cairo_set_line_width (cr, 2.0);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, 12.0);
  for (int set = 0; set < JG_N_SETS; set++)
    {
      const JgBox *boxes;
      const JgDoa *doas;
      guint nb = jg_scene_get_boxes (self->scene, (JgOverlaySet) set, &boxes);
      guint nd = jg_scene_get_doas (self->scene, (JgOverlaySet) set, &doas);
      float rgb[3];

      jg_scene_get_set_color (self->scene, (JgOverlaySet) set, rgb);
      cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
      for (guint b = 0; (flags & JG_OVERLAY_BOXES) && b < nb; b++)
        {
          double uv[8][2];
          gboolean ok = TRUE;
          for (int c = 0; c < 8; c++)
            {
              double p[3];
              for (int a = 0; a < 3; a++)
                p[a] = boxes[b].center[a] + ((c >> (2 - a)) & 1 ? 0.5 : -0.5) * boxes[b].size[a];
              ok = ok && jg_image_view_project (self, p, &uv[c][0], &uv[c][1]);
            }
          if (!ok)
            continue;
          for (int e = 0; e < 12; e++)
            {
              cairo_move_to (cr, ox + uv[edges[e][0]][0] * k_scale * scale, oy + uv[edges[e][0]][1] * k_scale * scale);
              cairo_line_to (cr, ox + uv[edges[e][1]][0] * k_scale * scale, oy + uv[edges[e][1]][1] * k_scale * scale);
            }
          cairo_stroke (cr);
          {
            char text[48];
            g_snprintf (text, sizeof text, "%s bbox_%d", jg_scene_get_set_label (self->scene, (JgOverlaySet) set), boxes[b].index);
            cairo_move_to (cr, ox + uv[2][0] * k_scale * scale, oy + uv[2][1] * k_scale * scale - 4);
            cairo_show_text (cr, text);
          }
        }
      for (guint d = 0; (flags & JG_OVERLAY_DOA) && d < nd; d++)
        {
          double dir[3], u, v;
          char text[48];

          jg_doa_to_camera (doas[d].az_deg, doas[d].el_deg, dir);
          g_snprintf (text, sizeof text, "%s %+.0f°, %+.0f°", jg_scene_get_set_label (self->scene, (JgOverlaySet) set), doas[d].az_deg, doas[d].el_deg);
          if (jg_image_view_project (self, dir, &u, &v) && u >= 0 && v >= 0 && u < k->width && v < k->height)
            {
              u = ox + u * k_scale * scale;
              v = oy + v * k_scale * scale;
              cairo_arc (cr, u, v, 7.0, 0, 2 * G_PI);
              cairo_move_to (cr, u - 11, v);
              cairo_line_to (cr, u + 11, v);
              cairo_move_to (cr, u, v - 11);
              cairo_line_to (cr, u, v + 11);
              cairo_stroke (cr);
              {
                cairo_text_extents_t te;
                cairo_text_extents (cr, text, &te);
                /* Beside the marker, slid left near the image's right edge. */
                cairo_move_to (cr, MIN (u + 10, ox + k->width * k_scale * scale - te.width - 2), v - 10);
                cairo_show_text (cr, text);
              }
            }
          else
            draw_off_image (cr, text, dir, k, scale * k_scale, ox, oy);
        }
    }
}

static void
jg_image_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  JgImageView *self = JG_IMAGE_VIEW (widget);
  GdkTexture *tex = self->show_depth && self->depth ? self->depth : self->rgb ? self->rgb : self->depth;
  const JgIntrinsics *k = self->scene ? jg_scene_get_intrinsics (self->scene) : NULL;
  double scale, ox, oy;
  guint iw, ih;
  cairo_t *cr;

  if (tex == NULL)
    {
      PangoLayout *layout = gtk_widget_create_pango_layout (widget, _("No image"));
      GdkRGBA fg;
      gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      g_object_unref (layout);
      return;
    }
  iw = (guint) gdk_texture_get_width (tex);
  ih = (guint) gdk_texture_get_height (tex);
  fit (self, iw, ih, &scale, &ox, &oy);
  gtk_snapshot_append_texture (snapshot, tex, &GRAPHENE_RECT_INIT (ox, oy, iw * scale, ih * scale));
  if (self->scene == NULL || k == NULL || k->width == 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, gtk_widget_get_width (widget),
                                                                  gtk_widget_get_height (widget)));
  /* Intrinsics are for the depth map; the texture may be the RGB size. */
  draw_overlays (self, cr, scale, ox, oy, (double) iw / k->width);
  cairo_destroy (cr);
}

static void
jg_image_view_finalize (GObject *object)
{
  JgImageView *self = JG_IMAGE_VIEW (object);

  g_clear_object (&self->rgb);
  g_clear_object (&self->depth);
  G_OBJECT_CLASS (jg_image_view_parent_class)->finalize (object);
}

static void
jg_image_view_class_init (JgImageViewClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = jg_image_view_finalize;
  GTK_WIDGET_CLASS (klass)->snapshot = jg_image_view_snapshot;
  gtk_widget_class_set_css_name (GTK_WIDGET_CLASS (klass), "imageview");
}

static void
jg_image_view_init (JgImageView *self)
{
  gtk_widget_set_hexpand (GTK_WIDGET (self), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self), TRUE);
}
