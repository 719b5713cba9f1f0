/* The 3-D view. For now it draws the sensor's axes and a floor grid; the
 * scene renderer (render/) draws the point cloud and overlays into it. */
#include "jg-scene-view.h"

#include <cglm/cglm.h>
#include <epoxy/gl.h>
#include <math.h>
#include <string.h>

#define GRID_HALF 5
#define RESOURCE_GL "/io/github/jaegerstudio/Studio/gl/"

struct _JgSceneView {
  GtkGLArea parent_instance;

  GLuint program;
  GLint u_mvp;
  GLuint vao, vbo;
  GLsizei n_axis_vertices, n_grid_vertices;

  /* Orbit camera around the sensor origin, in the camera frame. */
  float yaw, pitch, distance;
  float target_yaw, target_pitch, target_distance;
  guint tick_id;

  double drag_yaw, drag_pitch;
  guint frames_drawn;
  GError *error;
};

G_DEFINE_FINAL_TYPE (JgSceneView, jg_scene_view, GTK_TYPE_GL_AREA)

typedef struct { float p[3]; float c[3]; } Vertex;

static GLuint
compile_shader (GLenum type, const char *resource, GError **error)
{
  g_autoptr(GBytes) bytes = g_resources_lookup_data (resource, 0, error);
  const char *src;
  GLuint shader;
  GLint ok = 0;

  if (bytes == NULL)
    return 0;
  src = g_bytes_get_data (bytes, NULL);
  shader = glCreateShader (type);
  {
    GLint len = (GLint) g_bytes_get_size (bytes);
    glShaderSource (shader, 1, &src, &len);
  }
  glCompileShader (shader);
  glGetShaderiv (shader, GL_COMPILE_STATUS, &ok);
  if (!ok)
    {
      char log[1024] = "";
      glGetShaderInfoLog (shader, sizeof log, NULL, log);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", resource, log);
      glDeleteShader (shader);
      return 0;
    }
  return shader;
}

/* An axis as a thin box, so it stays visible without wide lines (core profile). */
static void
push_axis (GArray *v, int axis, const float color[3])
{
  const float len = 1.0f, w = 0.012f;
  float lo[3] = { -w, -w, -w }, hi[3] = { w, w, w };
  static const int faces[6][4] = {
    { 0, 1, 3, 2 }, { 4, 6, 7, 5 }, { 0, 4, 5, 1 }, { 2, 3, 7, 6 }, { 0, 2, 6, 4 }, { 1, 5, 7, 3 },
  };
  float corner[8][3];

  hi[axis] = len;
  lo[axis] = 0.0f;
  for (int i = 0; i < 8; i++)
    {
      corner[i][0] = (i & 4) ? hi[0] : lo[0];
      corner[i][1] = (i & 2) ? hi[1] : lo[1];
      corner[i][2] = (i & 1) ? hi[2] : lo[2];
    }
  for (int f = 0; f < 6; f++)
    {
      static const int tri[6] = { 0, 1, 2, 0, 2, 3 };
      float shade = 0.75f + 0.05f * f;
      for (int t = 0; t < 6; t++)
        {
          Vertex vx;
          memcpy (vx.p, corner[faces[f][tri[t]]], sizeof vx.p);
          for (int k = 0; k < 3; k++)
            vx.c[k] = color[k] * shade;
          g_array_append_val (v, vx);
        }
    }
}

static void
jg_scene_view_realize (GtkWidget *widget)
{
  JgSceneView *self = JG_SCENE_VIEW (widget);
  g_autoptr(GArray) v = g_array_new (FALSE, FALSE, sizeof (Vertex));
  static const float red[3] = { 0.93f, 0.26f, 0.26f };
  static const float green[3] = { 0.36f, 0.85f, 0.36f };
  static const float blue[3] = { 0.30f, 0.52f, 1.00f };
  static const float grid[3] = { 0.32f, 0.35f, 0.42f };
  GLuint vs, fs;
  GLint ok = 0;

  GTK_WIDGET_CLASS (jg_scene_view_parent_class)->realize (widget);
  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) != NULL)
    {
      self->error = g_error_copy (gtk_gl_area_get_error (GTK_GL_AREA (self)));
      return;
    }

  vs = compile_shader (GL_VERTEX_SHADER, RESOURCE_GL "gizmo.vert", &self->error);
  fs = vs ? compile_shader (GL_FRAGMENT_SHADER, RESOURCE_GL "gizmo.frag", &self->error) : 0;
  if (fs == 0)
    {
      if (vs)
        glDeleteShader (vs);
      return;
    }
  self->program = glCreateProgram ();
  glAttachShader (self->program, vs);
  glAttachShader (self->program, fs);
  glLinkProgram (self->program);
  glDeleteShader (vs);
  glDeleteShader (fs);
  glGetProgramiv (self->program, GL_LINK_STATUS, &ok);
  if (!ok)
    {
      g_set_error (&self->error, G_IO_ERROR, G_IO_ERROR_FAILED, "linking the axis shader failed");
      glDeleteProgram (self->program);
      self->program = 0;
      return;
    }
  self->u_mvp = glGetUniformLocation (self->program, "u_mvp");

  /* Camera-frame axes: +x right (red), +y up (green), +z back (blue). */
  push_axis (v, 0, red);
  push_axis (v, 1, green);
  push_axis (v, 2, blue);
  self->n_axis_vertices = (GLsizei) v->len;
  for (int i = -GRID_HALF; i <= GRID_HALF; i++)
    {
      Vertex a = { { i, -1.5f, -GRID_HALF }, { grid[0], grid[1], grid[2] } };
      Vertex b = { { i, -1.5f, GRID_HALF }, { grid[0], grid[1], grid[2] } };
      Vertex c = { { -GRID_HALF, -1.5f, i }, { grid[0], grid[1], grid[2] } };
      Vertex d = { { GRID_HALF, -1.5f, i }, { grid[0], grid[1], grid[2] } };
      g_array_append_val (v, a);
      g_array_append_val (v, b);
      g_array_append_val (v, c);
      g_array_append_val (v, d);
    }
  self->n_grid_vertices = (GLsizei) v->len - self->n_axis_vertices;

  glGenVertexArrays (1, &self->vao);
  glBindVertexArray (self->vao);
  glGenBuffers (1, &self->vbo);
  glBindBuffer (GL_ARRAY_BUFFER, self->vbo);
  glBufferData (GL_ARRAY_BUFFER, (GLsizeiptr) (v->len * sizeof (Vertex)), v->data, GL_STATIC_DRAW);
  glEnableVertexAttribArray (0);
  glVertexAttribPointer (0, 3, GL_FLOAT, GL_FALSE, sizeof (Vertex), (void *) G_STRUCT_OFFSET (Vertex, p));
  glEnableVertexAttribArray (1);
  glVertexAttribPointer (1, 3, GL_FLOAT, GL_FALSE, sizeof (Vertex), (void *) G_STRUCT_OFFSET (Vertex, c));
  glBindVertexArray (0);
}

static void
jg_scene_view_unrealize (GtkWidget *widget)
{
  JgSceneView *self = JG_SCENE_VIEW (widget);

  gtk_gl_area_make_current (GTK_GL_AREA (self));
  if (gtk_gl_area_get_error (GTK_GL_AREA (self)) == NULL)
    {
      if (self->vbo)
        glDeleteBuffers (1, &self->vbo);
      if (self->vao)
        glDeleteVertexArrays (1, &self->vao);
      if (self->program)
        glDeleteProgram (self->program);
    }
  self->vbo = self->vao = self->program = 0;
  GTK_WIDGET_CLASS (jg_scene_view_parent_class)->unrealize (widget);
}

static void
view_matrix (JgSceneView *self, float aspect, mat4 mvp)
{
  mat4 proj, view;
  vec3 eye, center = { 0.0f, 0.0f, -1.5f }, up = { 0.0f, 1.0f, 0.0f };

  /* Orbit around a point 1.5 m in front of the sensor. */
  eye[0] = center[0] + self->distance * sinf (self->yaw) * cosf (self->pitch);
  eye[1] = center[1] + self->distance * sinf (self->pitch);
  eye[2] = center[2] + self->distance * cosf (self->yaw) * cosf (self->pitch);
  glm_perspective (glm_rad (50.0f), aspect, 0.05f, 100.0f, proj);
  glm_lookat (eye, center, up, view);
  glm_mat4_mul (proj, view, mvp);
}

static gboolean
jg_scene_view_render (GtkGLArea *area, GdkGLContext *context)
{
  JgSceneView *self = JG_SCENE_VIEW (area);
  int w = gtk_widget_get_width (GTK_WIDGET (area));
  int h = gtk_widget_get_height (GTK_WIDGET (area));
  mat4 mvp;

  glClearColor (0.110f, 0.122f, 0.153f, 1.0f);
  glClearDepth (1.0);
  glClear (GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
  if (self->program == 0 || w <= 0 || h <= 0)
    return TRUE;

  glEnable (GL_DEPTH_TEST);
  glUseProgram (self->program);
  glBindVertexArray (self->vao);
  view_matrix (self, (float) w / (float) h, mvp);
  glUniformMatrix4fv (self->u_mvp, 1, GL_FALSE, (const float *) mvp);
  glDrawArrays (GL_LINES, self->n_axis_vertices, self->n_grid_vertices);
  glDrawArrays (GL_TRIANGLES, 0, self->n_axis_vertices);
  glBindVertexArray (0);
  glUseProgram (0);
  glDisable (GL_DEPTH_TEST);

  self->frames_drawn++;
  return TRUE;
}

/* Smooth camera transitions are driven from the frame clock, never from render. */
static gboolean
camera_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  JgSceneView *self = JG_SCENE_VIEW (widget);
  const float k = 0.25f;
  float dy = self->target_yaw - self->yaw;
  float dp = self->target_pitch - self->pitch;
  float dd = self->target_distance - self->distance;

  self->yaw += k * dy;
  self->pitch += k * dp;
  self->distance += k * dd;
  gtk_widget_queue_draw (widget);
  if (fabsf (dy) < 1e-4f && fabsf (dp) < 1e-4f && fabsf (dd) < 1e-4f)
    {
      self->yaw = self->target_yaw;
      self->pitch = self->target_pitch;
      self->distance = self->target_distance;
      self->tick_id = 0;
      return G_SOURCE_REMOVE;
    }
  return G_SOURCE_CONTINUE;
}

static void
animate_to (JgSceneView *self, float yaw, float pitch, float distance)
{
  self->target_yaw = yaw;
  self->target_pitch = CLAMP (pitch, -1.55f, 1.55f);
  self->target_distance = CLAMP (distance, 0.3f, 40.0f);
  if (self->tick_id == 0)
    self->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self), camera_tick, NULL, NULL);
}

void
jg_scene_view_set_preset (JgSceneView *self, JgViewPreset preset)
{
  g_return_if_fail (JG_IS_SCENE_VIEW (self));

  switch (preset)
    {
    case JG_VIEW_TOP:    animate_to (self, 0.0f, 1.55f, 6.0f); break;
    case JG_VIEW_FRONT:  animate_to (self, 0.0f, 0.0f, 5.0f); break;
    case JG_VIEW_SIDE:   animate_to (self, (float) G_PI_2, 0.0f, 5.0f); break;
    case JG_VIEW_SENSOR:
    default:             animate_to (self, 0.6f, 0.45f, 4.0f); break;
    }
}

static void
drag_begin (GtkGestureDrag *gesture, double x, double y, JgSceneView *self)
{
  self->drag_yaw = self->target_yaw;
  self->drag_pitch = self->target_pitch;
}

static void
drag_update (GtkGestureDrag *gesture, double dx, double dy, JgSceneView *self)
{
  animate_to (self, (float) (self->drag_yaw - dx * 0.01), (float) (self->drag_pitch + dy * 0.01),
              self->target_distance);
}

static gboolean
scroll (GtkEventControllerScroll *controller, double dx, double dy, JgSceneView *self)
{
  animate_to (self, self->target_yaw, self->target_pitch, self->target_distance * powf (1.1f, (float) dy));
  return TRUE;
}

guint
jg_scene_view_get_frames_drawn (JgSceneView *self)
{
  g_return_val_if_fail (JG_IS_SCENE_VIEW (self), 0);
  return self->frames_drawn;
}

const GError *
jg_scene_view_get_error (JgSceneView *self)
{
  g_return_val_if_fail (JG_IS_SCENE_VIEW (self), NULL);
  return self->error;
}

static void
jg_scene_view_finalize (GObject *object)
{
  JgSceneView *self = JG_SCENE_VIEW (object);

  g_clear_error (&self->error);
  G_OBJECT_CLASS (jg_scene_view_parent_class)->finalize (object);
}

static void
jg_scene_view_class_init (JgSceneViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkGLAreaClass *area_class = GTK_GL_AREA_CLASS (klass);

  object_class->finalize = jg_scene_view_finalize;
  widget_class->realize = jg_scene_view_realize;
  widget_class->unrealize = jg_scene_view_unrealize;
  area_class->render = jg_scene_view_render;
}

static void
jg_scene_view_init (JgSceneView *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkEventController *wheel = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_VERTICAL);

  gtk_gl_area_set_required_version (GTK_GL_AREA (self), 3, 3);
  gtk_gl_area_set_has_depth_buffer (GTK_GL_AREA (self), TRUE);
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);

  self->yaw = self->target_yaw = 0.6f;
  self->pitch = self->target_pitch = 0.45f;
  self->distance = self->target_distance = 4.0f;

  g_signal_connect (drag, "drag-begin", G_CALLBACK (drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (drag_update), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));
  g_signal_connect (wheel, "scroll", G_CALLBACK (scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), wheel);
}

GtkWidget *
jg_scene_view_new (void)
{
  return g_object_new (JG_TYPE_SCENE_VIEW, NULL);
}
