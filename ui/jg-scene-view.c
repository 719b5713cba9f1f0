/* The 3-D view. Drawing, scene geometry, camera maths and picking live in
 * render/; this widget maps input to them and draws the labels. */
#include "jg-scene-view.h"

#include "render/jg-renderer.h"

#include <glib/gi18n.h>
#include <epoxy/gl.h>
#include <math.h>
#include <string.h>

/* Degrees of orbit per pixel dragged, and metres flown per second. */
#define ORBIT_DEG_PER_PX 0.3
#define FLY_SPEED 1.5
#define PICK_TOLERANCE_PX 5.0
#define VIEW_TRANSITION_S 0.35

enum { KEY_FORWARD, KEY_BACK, KEY_LEFT, KEY_RIGHT, KEY_UP, KEY_DOWN, N_KEYS };

struct _JgSceneView {
  GtkGLArea parent_instance;

  JgScene *scene;
  JgCamera *camera;
  JgRenderer *renderer;
  GError *error;

  double point_size;
  char *color_mode;

  guint tick_id;
  gint64 last_tick_us;
  gboolean keys[N_KEYS];

  JgCameraPose drag_pose;
  gboolean drag_pan;
  gboolean dragged;

  guint frames_drawn;
  guint width, height;   /* of the last frame, device pixels */
  gboolean fit_sensor;   /* at the sensor view: refit it when the size changes */
  PangoLayout *label_layout;   /* reused by every frame's labels */

  /* Software GL draws a quarter of the points while the camera moves. */
  gboolean software_gl;
  gint64 last_motion_us;
  guint settle_id;
};

G_DEFINE_FINAL_TYPE (JgSceneView, jg_scene_view, GTK_TYPE_GL_AREA)

enum { PROP_0, PROP_POINT_SIZE, PROP_COLOR_MODE, N_PROPS };
static GParamSpec *properties[N_PROPS];

enum { CAMERA_CHANGED, PICKED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void target_pose (JgSceneView *self, JgView view, JgCameraPose *pose);

static double
now_s (void)
{
  return g_get_monotonic_time () / 1e6;
}

static JgColorMode
color_mode_from_nick (const char *nick)
{
  if (g_strcmp0 (nick, "depth") == 0)
    return JG_COLOR_DEPTH;
  if (g_strcmp0 (nick, "height") == 0)
    return JG_COLOR_HEIGHT;
  if (g_strcmp0 (nick, "solid") == 0)
    return JG_COLOR_SOLID;
  return JG_COLOR_RGB;
}

#define SETTLE_MS 200

static gboolean
settle (gpointer data)
{
  JgSceneView *self = data;

  if (g_get_monotonic_time () - self->last_motion_us < SETTLE_MS * 1000)
    return G_SOURCE_CONTINUE;
  self->settle_id = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));   /* the full cloud again */
  return G_SOURCE_REMOVE;
}

static void
camera_moved (JgSceneView *self)
{
  if (self->software_gl)
    {
      self->last_motion_us = g_get_monotonic_time ();
      if (self->settle_id == 0)
        self->settle_id = g_timeout_add (SETTLE_MS / 2, settle, self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[CAMERA_CHANGED], 0);
}

static gboolean
any_key (JgSceneView *self)
{
  for (int i = 0; i < N_KEYS; i++)
    if (self->keys[i])
      return TRUE;
  return FALSE;
}

/* Animation and flying run from the frame clock, never from render. */
static gboolean
tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  JgSceneView *self = JG_SCENE_VIEW (widget);
  gint64 t = gdk_frame_clock_get_frame_time (clock);
  double dt = self->last_tick_us ? (t - self->last_tick_us) / 1e6 : 0.0;
  gboolean animating = jg_camera_tick (self->camera, now_s ());

  self->last_tick_us = t;
  if (any_key (self) && dt > 0.0)
    {
      double step = FLY_SPEED * MIN (dt, 0.1);
      jg_camera_fly (self->camera,
                     step * (self->keys[KEY_FORWARD] - self->keys[KEY_BACK]),
                     step * (self->keys[KEY_RIGHT] - self->keys[KEY_LEFT]),
                     step * (self->keys[KEY_UP] - self->keys[KEY_DOWN]));
    }
  if (!animating && self->fit_sensor)
    {
      /* The size may have changed during the transition. */
      JgCameraPose pose;
      target_pose (self, JG_VIEW_SENSOR, &pose);
      jg_camera_set_pose (self->camera, &pose);
    }
  camera_moved (self);
  if (animating || any_key (self))
    return G_SOURCE_CONTINUE;
  self->tick_id = 0;
  self->last_tick_us = 0;
  return G_SOURCE_REMOVE;
}

static void
ensure_tick (JgSceneView *self)
{
  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), tick, NULL, NULL);
}

static void
target_pose (JgSceneView *self, JgView view, JgCameraPose *pose)
{
  const JgIntrinsics *k = jg_scene_get_intrinsics (self->scene);
  JgIntrinsics fallback;
  double lo[3] = { -2, -1.5, -5 }, hi[3] = { 2, 1.5, -0.5 };
  int w = MAX (gtk_widget_get_width (GTK_WIDGET (self)), 1);
  int h = MAX (gtk_widget_get_height (GTK_WIDGET (self)), 1);

  if (k == NULL || k->width == 0)
    {
      jg_intrinsics_from_fov (&fallback, 672, 378, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
      k = &fallback;
    }
  jg_scene_get_bounds (self->scene, lo, hi);
  if (view == JG_VIEW_SENSOR)
    {
      double aspect = (double) w / h, sensor_aspect = (k->width / k->fx) / (k->height / k->fy);

      jg_camera_pose_sensor (pose, k, MAX (0.5, -0.5 * (lo[2] + hi[2])));
      /* A view narrower than the sensor widens its field so the sensor's
       * whole horizontal field stays in sight. */
      if (aspect < sensor_aspect)
        pose->vfov_deg = 2.0 * atan (k->width / (2.0 * k->fx) / aspect) * 180.0 / G_PI;
    }
  else
    jg_camera_pose_snap (pose, view, k, lo, hi, (double) w / h);
}

void
jg_scene_view_set_view (JgSceneView *self, JgView view)
{
  JgCameraPose pose;

  g_return_if_fail (JG_IS_SCENE_VIEW (self));
  target_pose (self, view, &pose);
  self->fit_sensor = view == JG_VIEW_SENSOR;
  jg_camera_animate_to (self->camera, &pose, now_s (), VIEW_TRANSITION_S);
  ensure_tick (self);
}

void
jg_scene_view_set_view_animating (JgSceneView *self)
{
  self->fit_sensor = FALSE;
  ensure_tick (self);
}

void
jg_scene_view_set_pose (JgSceneView *self, const JgCameraPose *pose)
{
  self->fit_sensor = FALSE;
  jg_camera_set_pose (self->camera, pose);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
jg_scene_view_orbit (JgSceneView *self, double dyaw_deg, double dpitch_deg)
{
  self->fit_sensor = FALSE;
  jg_camera_orbit (self->camera, dyaw_deg, dpitch_deg);
  camera_moved (self);
}

JgScene *
jg_scene_view_get_scene (JgSceneView *self)
{
  return self->scene;
}

JgCamera *
jg_scene_view_get_camera (JgSceneView *self)
{
  return self->camera;
}

void
jg_scene_view_scene_changed (JgSceneView *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
jg_scene_view_get_orientation (JgSceneView *self, double *yaw, double *pitch, double *roll)
{
  jg_camera_get_orientation (self->camera, yaw, pitch, roll);
}

gboolean
jg_scene_view_is_moving (JgSceneView *self)
{
  return self->settle_id != 0 || jg_camera_is_animating (self->camera);
}

guint
jg_scene_view_get_frames_drawn (JgSceneView *self)
{
  return self->frames_drawn;
}

const GError *
jg_scene_view_get_error (JgSceneView *self)
{
  return self->error;
}

/* --- GL ------------------------------------------------------------------ */

static void
jg_scene_view_realize (GtkWidget *widget)
{
  JgSceneView *self = JG_SCENE_VIEW (widget);
  static const float background[4] = { 0.110f, 0.122f, 0.153f, 1.0f };

  GTK_WIDGET_CLASS (jg_scene_view_parent_class)->realize (widget);
  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) != NULL)
    {
      g_clear_error (&self->error);
      self->error = g_error_copy (gtk_gl_area_get_error (GTK_GL_AREA (self)));
      return;
    }
  self->renderer = jg_renderer_new (&self->error);
  if (self->renderer == NULL)
    {
      gtk_gl_area_set_error (GTK_GL_AREA (self), self->error);
      return;
    }
  jg_renderer_set_background (self->renderer, background);
  {
    const char *name = (const char *) glGetString (GL_RENDERER);
    self->software_gl = name != NULL && (strstr (name, "llvmpipe") || strstr (name, "softpipe"));
  }
  jg_renderer_set_point_size (self->renderer, (float) self->point_size);
  jg_renderer_set_color_mode (self->renderer, color_mode_from_nick (self->color_mode));
}

/* Asks for OpenGL 4.3 first, then the 3.3 the renderer needs at least:
 * some drivers (NVIDIA's) give exactly the version asked for, and the
 * renderer rasterises the cloud with compute shaders from 4.3. */
static GdkGLContext *
jg_scene_view_create_context (GtkGLArea *area)
{
  GdkSurface *surface = gtk_native_get_surface (gtk_widget_get_native (GTK_WIDGET (area)));
  static const int versions[][2] = { { 4, 3 }, { 3, 3 } };
  GError *error = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
    {
      GdkGLContext *ctx = gdk_surface_create_gl_context (surface, &error);
      if (ctx == NULL)
        break;
      gdk_gl_context_set_allowed_apis (ctx, GDK_GL_API_GL);
      gdk_gl_context_set_required_version (ctx, versions[i][0], versions[i][1]);
      if (gdk_gl_context_realize (ctx, i + 1 < G_N_ELEMENTS (versions) ? NULL : &error))
        return ctx;
      g_object_unref (ctx);
    }
  gtk_gl_area_set_error (area, error);
  g_clear_error (&error);
  return NULL;
}

static void
jg_scene_view_unrealize (GtkWidget *widget)
{
  JgSceneView *self = JG_SCENE_VIEW (widget);

  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) == NULL)
    g_clear_pointer (&self->renderer, jg_renderer_free);
  GTK_WIDGET_CLASS (jg_scene_view_parent_class)->unrealize (widget);
}

static gboolean
jg_scene_view_render (GtkGLArea *area, GdkGLContext *context)
{
  JgSceneView *self = JG_SCENE_VIEW (area);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (area));

  if (self->renderer == NULL)
    return FALSE;
  jg_renderer_set_point_budget (self->renderer, self->settle_id != 0 ? jg_scene_get_n_points (self->scene) / 4 : 0);
  self->width = (guint) MAX (gtk_widget_get_width (GTK_WIDGET (area)) * scale, 1);
  self->height = (guint) MAX (gtk_widget_get_height (GTK_WIDGET (area)) * scale, 1);
  jg_renderer_draw (self->renderer, self->scene, self->camera, self->width, self->height);
  self->frames_drawn++;
  return TRUE;
}

static void
jg_scene_view_resize (GtkGLArea *area, int width, int height)
{
  JgSceneView *self = JG_SCENE_VIEW (area);

  if (self->fit_sensor && !jg_camera_is_animating (self->camera))
    {
      JgCameraPose pose;
      target_pose (self, JG_VIEW_SENSOR, &pose);
      jg_camera_set_pose (self->camera, &pose);
      g_signal_emit (self, signals[CAMERA_CHANGED], 0);
    }
}

/* Labels are GTK text over the GL image, so they stay crisp and readable. */
static void
label_text (JgSceneView *self, const JgLabelAnchor *a, char *buf, gsize len)
{
  const JgBox *boxes;
  const JgDoa *doas;

  if (a->kind == JG_LABEL_BOX && a->index < jg_scene_get_boxes (self->scene, a->set, &boxes))
    g_snprintf (buf, len, "%s bbox_%d", jg_scene_get_set_label (self->scene, a->set), boxes[a->index].index);
  else if (a->kind == JG_LABEL_DOA && a->index < jg_scene_get_doas (self->scene, a->set, &doas))
    g_snprintf (buf, len, "%s %+.0f°, %+.0f°", jg_scene_get_set_label (self->scene, a->set), doas[a->index].az_deg, doas[a->index].el_deg);
  else
    buf[0] = '\0';
}

static void
jg_scene_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  JgSceneView *self = JG_SCENE_VIEW (widget);
  const JgLabelAnchor *anchors;
  guint n;
  int scale = gtk_widget_get_scale_factor (widget);
  PangoLayout *layout;
  static const GdkRGBA bg = { 0, 0, 0, 0.6f };

  GTK_WIDGET_CLASS (jg_scene_view_parent_class)->snapshot (widget, snapshot);
  if (self->renderer == NULL)
    return;
  n = jg_scene_get_labels (self->scene, &anchors);
  if (n == 0)
    return;
  if (self->label_layout == NULL)
    self->label_layout = gtk_widget_create_pango_layout (widget, NULL);
  layout = self->label_layout;
  for (guint i = 0; i < n; i++)
    {
      char text[96];
      float rgb[3];
      GdkRGBA fg;
      int tw, th;
      float x, y;

      if (!anchors[i].visible && !anchors[i].off_screen)
        continue;
      label_text (self, &anchors[i], text, sizeof text);
      if (text[0] == '\0')
        continue;
      jg_scene_get_set_color (self->scene, anchors[i].set, rgb);
      fg = (GdkRGBA) { rgb[0], rgb[1], rgb[2], 1.0f };
      if (anchors[i].off_screen)
        {
          /* An arrow on the side the direction lies, the label kept inside. */
          char edge[112];
          double dx = anchors[i].edge_dx, dy = anchors[i].edge_dy;
          if (fabs (dx) >= fabs (dy))
            g_snprintf (edge, sizeof edge, dx > 0 ? "%s ▶" : "◀ %s", text);
          else
            g_snprintf (edge, sizeof edge, dy > 0 ? "▼ %s" : "▲ %s", text);
          pango_layout_set_text (layout, edge, -1);
          pango_layout_get_pixel_size (layout, &tw, &th);
          x = (float) (anchors[i].u / scale) - tw / 2.0f;
          y = (float) (anchors[i].v / scale) - th / 2.0f;
          x = CLAMP (x, 4.0f, MAX (4.0f, gtk_widget_get_width (widget) - tw - 4.0f));
          y = CLAMP (y, 2.0f, MAX (2.0f, gtk_widget_get_height (widget) - th - 2.0f));
        }
      else
        {
          pango_layout_set_text (layout, text, -1);
          pango_layout_get_pixel_size (layout, &tw, &th);
          x = (float) (anchors[i].u / scale) - tw / 2.0f;
          y = (float) (anchors[i].v / scale) - th - 4.0f;
          /* Near the border the text slides in rather than being cut. */
          x = CLAMP (x, 4.0f, MAX (4.0f, gtk_widget_get_width (widget) - tw - 4.0f));
        }
      gtk_snapshot_append_color (snapshot, &bg, &GRAPHENE_RECT_INIT (x - 3, y - 1, tw + 6, th + 2));
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
      gtk_snapshot_append_layout (snapshot, layout, &fg);
      gtk_snapshot_restore (snapshot);
    }
}

static void
jg_scene_view_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (jg_scene_view_parent_class)->css_changed (widget, change);
  /* The font may have changed: make the label layout anew. */
  g_clear_object (&JG_SCENE_VIEW (widget)->label_layout);
}

/* --- Input --------------------------------------------------------------- */

static void
drag_begin (GtkGestureDrag *gesture, double x, double y, JgSceneView *self)
{
  guint button = gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture));
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

  jg_camera_get_pose (self->camera, &self->drag_pose);
  self->drag_pan = button == GDK_BUTTON_MIDDLE || (mods & GDK_SHIFT_MASK) != 0;
  self->dragged = FALSE;
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
drag_update (GtkGestureDrag *gesture, double dx, double dy, JgSceneView *self)
{
  int h = MAX (gtk_widget_get_height (GTK_WIDGET (self)), 1);

  if (!self->dragged && hypot (dx, dy) < 3.0)
    return;
  self->dragged = TRUE;
  self->fit_sensor = FALSE;
  jg_camera_set_pose (self->camera, &self->drag_pose);
  if (self->drag_pan)
    jg_camera_pan (self->camera, dx, dy, h);
  else
    jg_camera_orbit (self->camera, -dx * ORBIT_DEG_PER_PX, dy * ORBIT_DEG_PER_PX);
  camera_moved (self);
}

static void
click_released (GtkGestureClick *gesture, int n_press, double x, double y, JgSceneView *self)
{
  int w = gtk_widget_get_width (GTK_WIDGET (self)), h = gtk_widget_get_height (GTK_WIDGET (self));
  double origin[3], dir[3];
  JgPickHit hit = { 0 };

  if (self->dragged || w <= 0 || h <= 0)
    return;
  jg_camera_ray (self->camera, (guint) w, (guint) h, x, y, origin, dir);
  if (!jg_scene_pick (self->scene, origin, dir, PICK_TOLERANCE_PX * jg_camera_pixel_angle (self->camera, (guint) h), &hit))
    hit.kind = JG_PICK_NONE;
  g_signal_emit (self, signals[PICKED], 0, &hit);
}

static gboolean
scroll (GtkEventControllerScroll *controller, double dx, double dy, JgSceneView *self)
{
  self->fit_sensor = FALSE;
  jg_camera_zoom (self->camera, pow (1.15, dy));
  camera_moved (self);
  return TRUE;
}

static int
key_slot (guint keyval)
{
  switch (gdk_keyval_to_lower (keyval))
    {
    case GDK_KEY_w: return KEY_FORWARD;
    case GDK_KEY_s: return KEY_BACK;
    case GDK_KEY_a: return KEY_LEFT;
    case GDK_KEY_d: return KEY_RIGHT;
    case GDK_KEY_e: return KEY_UP;
    case GDK_KEY_q: return KEY_DOWN;
    default: return -1;
    }
}

static gboolean
key_pressed (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state, JgSceneView *self)
{
  int slot = key_slot (keyval);

  if (slot < 0 || (state & (GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0)
    return FALSE;
  self->keys[slot] = TRUE;
  self->fit_sensor = FALSE;
  ensure_tick (self);
  return TRUE;
}

static void
key_released (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state, JgSceneView *self)
{
  int slot = key_slot (keyval);

  if (slot >= 0)
    self->keys[slot] = FALSE;
}

static void
focus_left (GtkEventControllerFocus *controller, JgSceneView *self)
{
  memset (self->keys, 0, sizeof self->keys);
}

/* --- GObject ------------------------------------------------------------- */

static void
jg_scene_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  JgSceneView *self = JG_SCENE_VIEW (object);

  switch (prop_id)
    {
    case PROP_POINT_SIZE: g_value_set_double (value, self->point_size); break;
    case PROP_COLOR_MODE: g_value_set_string (value, self->color_mode); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
jg_scene_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  JgSceneView *self = JG_SCENE_VIEW (object);

  switch (prop_id)
    {
    case PROP_POINT_SIZE:
      self->point_size = g_value_get_double (value);
      if (self->renderer)
        jg_renderer_set_point_size (self->renderer, (float) self->point_size);
      break;
    case PROP_COLOR_MODE:
      g_free (self->color_mode);
      self->color_mode = g_value_dup_string (value);
      if (self->renderer)
        jg_renderer_set_color_mode (self->renderer, color_mode_from_nick (self->color_mode));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
jg_scene_view_finalize (GObject *object)
{
  JgSceneView *self = JG_SCENE_VIEW (object);

  g_clear_handle_id (&self->settle_id, g_source_remove);
  g_clear_object (&self->label_layout);
  g_clear_pointer (&self->scene, jg_scene_free);
  g_clear_pointer (&self->camera, jg_camera_free);
  g_clear_error (&self->error);
  g_free (self->color_mode);
  G_OBJECT_CLASS (jg_scene_view_parent_class)->finalize (object);
}

static void
jg_scene_view_class_init (JgSceneViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkGLAreaClass *area_class = GTK_GL_AREA_CLASS (klass);

  object_class->get_property = jg_scene_view_get_property;
  object_class->set_property = jg_scene_view_set_property;
  object_class->finalize = jg_scene_view_finalize;
  widget_class->realize = jg_scene_view_realize;
  widget_class->unrealize = jg_scene_view_unrealize;
  widget_class->snapshot = jg_scene_view_snapshot;
  widget_class->css_changed = jg_scene_view_css_changed;
  area_class->render = jg_scene_view_render;
  area_class->create_context = jg_scene_view_create_context;
  area_class->resize = jg_scene_view_resize;

  properties[PROP_POINT_SIZE] = g_param_spec_double ("point-size", NULL, NULL, 1.0, 12.0, 2.0,
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR_MODE] = g_param_spec_string ("color-mode", NULL, NULL, "rgb",
                                                     G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Emitted whenever the camera moves: the audio engine follows the head. */
  signals[CAMERA_CHANGED] = g_signal_new ("camera-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A click without a drag: the JgPickHit (kind JG_PICK_NONE for a miss). */
  signals[PICKED] = g_signal_new ("picked", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void
jg_scene_view_init (JgSceneView *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *wheel = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkEventController *focus = gtk_event_controller_focus_new ();
  JgCameraPose pose;

  self->scene = jg_scene_new ();
  self->camera = jg_camera_new ();
  self->point_size = 2.0;
  self->color_mode = g_strdup ("rgb");
  target_pose (self, JG_VIEW_SENSOR, &pose);
  jg_camera_set_pose (self->camera, &pose);
  self->fit_sensor = TRUE;

  gtk_gl_area_set_required_version (GTK_GL_AREA (self), 3, 3);
  gtk_gl_area_set_has_depth_buffer (GTK_GL_AREA (self), TRUE);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self),
                               _("Drag to orbit, Shift+drag to pan, scroll to zoom, W A S D Q E to fly, click to pick"));

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), 0);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  g_signal_connect (click, "released", G_CALLBACK (click_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect (wheel, "scroll", G_CALLBACK (scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), wheel);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed), self);
  g_signal_connect (keys, "key-released", G_CALLBACK (key_released), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  g_signal_connect (focus, "leave", G_CALLBACK (focus_left), self);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
}

GtkWidget *
jg_scene_view_new (void)
{
  return g_object_new (JG_TYPE_SCENE_VIEW, NULL);
}
