#include "render/jg-renderer.h"

#include "core/jg-error.h"
#include "jg-render-resources.h"

#include <epoxy/gl.h>
#include <string.h>

#define RESOURCE_PREFIX "/io/github/jaegerstudio/Studio/gl/"

typedef struct {
  GLuint program;
  GLint view_proj, mode, range, solid;
} PointsProgram;

typedef struct {
  GLuint program;
  GLint color, depth, near, far, strength, radius;
} EdlProgram;

typedef struct {
  GLuint program;
  GLint view_proj, point_size, round;
} OverlayProgram;

struct _JgRenderer {
  PointsProgram pts;
  EdlProgram edl;
  OverlayProgram ovl;

  GLuint cloud_vao, cloud_vbo;
  guint cloud_capacity, n_points, cloud_serial, point_budget;
  guint lod_count[JG_SCENE_LOD_LEVELS];
  double depth_range[2], height_range[2];

  GLuint ovl_vao, ovl_vbo;
  guint ovl_capacity, n_lines, n_tris, n_markers, overlay_serial;

  GLuint empty_vao;
  GLuint edl_fbo, edl_color, edl_depth;
  guint edl_w, edl_h;

  JgRendererStats stats;
  JgColorMode mode;
  float point_size, drawn_size, marker_size, solid[3], background[4], edl_strength;
  gboolean edl_enabled;
};

static char *
load_source (const char *name, GError **error)
{
  g_autofree char *path = g_strconcat (RESOURCE_PREFIX, name, NULL);
  g_autoptr(GBytes) bytes = g_resource_lookup_data (jg_render_get_resource (), path,
                                                    G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static GLuint
compile (GLenum type, const char *name, GError **error)
{
  g_autofree char *src = load_source (name, error);
  GLuint sh;
  GLint ok = 0;

  if (src == NULL)
    return 0;
  sh = glCreateShader (type);
  glShaderSource (sh, 1, (const GLchar *const *) &src, NULL);
  glCompileShader (sh);
  glGetShaderiv (sh, GL_COMPILE_STATUS, &ok);
  if (!ok)
    {
      char log[2048] = "";
      glGetShaderInfoLog (sh, sizeof log, NULL, log);
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "GL shader %s: %s", name, log);
      glDeleteShader (sh);
      return 0;
    }
  return sh;
}

static GLuint
link_program (const char *vs_name, const char *fs_name, GError **error)
{
  GLuint vs = compile (GL_VERTEX_SHADER, vs_name, error), fs, prog;
  GLint ok = 0;

  if (vs == 0)
    return 0;
  fs = compile (GL_FRAGMENT_SHADER, fs_name, error);
  if (fs == 0)
    {
      glDeleteShader (vs);
      return 0;
    }
  prog = glCreateProgram ();
  glAttachShader (prog, vs);
  glAttachShader (prog, fs);
  glLinkProgram (prog);
  glDeleteShader (vs);
  glDeleteShader (fs);
  glGetProgramiv (prog, GL_LINK_STATUS, &ok);
  if (!ok)
    {
      char log[2048] = "";
      glGetProgramInfoLog (prog, sizeof log, NULL, log);
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "GL program %s + %s: %s",
                   vs_name, fs_name, log);
      glDeleteProgram (prog);
      return 0;
    }
  return prog;
}

/* Two attributes: position (3 floats) and colour (4 normalised bytes). */
static void
setup_attribs (GLuint vao, GLuint vbo, gsize pos_offset, gsize pos_stride,
               gsize col_offset, gsize col_stride)
{
  glBindVertexArray (vao);
  glBindBuffer (GL_ARRAY_BUFFER, vbo);
  glEnableVertexAttribArray (0);
  glVertexAttribPointer (0, 3, GL_FLOAT, GL_FALSE, pos_stride, GSIZE_TO_POINTER (pos_offset));
  glEnableVertexAttribArray (1);
  glVertexAttribPointer (1, 4, GL_UNSIGNED_BYTE, GL_TRUE, col_stride, GSIZE_TO_POINTER (col_offset));
  glBindVertexArray (0);
}

JgRenderer *
jg_renderer_new (GError **error)
{
  g_autoptr(JgRenderer) r = NULL;
  int version = epoxy_gl_version ();

  if (version < 33 || epoxy_is_desktop_gl () == FALSE)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "the 3-D view needs desktop OpenGL 3.3, this context has %s %d.%d",
                   epoxy_is_desktop_gl () ? "OpenGL" : "OpenGL ES", version / 10, version % 10);
      return NULL;
    }
  r = g_new0 (JgRenderer, 1);
  r->mode = JG_COLOR_RGB;
  r->point_size = 2.0f;
  r->marker_size = 9.0f;
  r->solid[0] = r->solid[1] = r->solid[2] = 0.85f;
  r->background[0] = 0.08f;
  r->background[1] = 0.09f;
  r->background[2] = 0.11f;
  r->background[3] = 1.0f;
  r->edl_enabled = TRUE;
  r->edl_strength = 1.5f;

  r->pts.program = link_program ("points.vert", "points.frag", error);
  if (r->pts.program == 0)
    return NULL;
  r->edl.program = link_program ("fullscreen.vert", "edl.frag", error);
  if (r->edl.program == 0)
    return NULL;
  r->ovl.program = link_program ("overlay.vert", "overlay.frag", error);
  if (r->ovl.program == 0)
    return NULL;
  r->pts.view_proj = glGetUniformLocation (r->pts.program, "u_view_proj");
  r->pts.mode = glGetUniformLocation (r->pts.program, "u_mode");
  r->pts.range = glGetUniformLocation (r->pts.program, "u_range");
  r->pts.solid = glGetUniformLocation (r->pts.program, "u_solid");
  r->edl.color = glGetUniformLocation (r->edl.program, "u_color");
  r->edl.depth = glGetUniformLocation (r->edl.program, "u_depth");
  r->edl.near = glGetUniformLocation (r->edl.program, "u_near");
  r->edl.far = glGetUniformLocation (r->edl.program, "u_far");
  r->edl.strength = glGetUniformLocation (r->edl.program, "u_strength");
  r->edl.radius = glGetUniformLocation (r->edl.program, "u_radius");
  r->ovl.view_proj = glGetUniformLocation (r->ovl.program, "u_view_proj");
  r->ovl.point_size = glGetUniformLocation (r->ovl.program, "u_point_size");
  r->ovl.round = glGetUniformLocation (r->ovl.program, "u_round");

  glGenVertexArrays (1, &r->cloud_vao);
  glGenBuffers (1, &r->cloud_vbo);
  glGenVertexArrays (1, &r->ovl_vao);
  glGenBuffers (1, &r->ovl_vbo);
  setup_attribs (r->ovl_vao, r->ovl_vbo, G_STRUCT_OFFSET (JgVertex, xyz), sizeof (JgVertex),
                 G_STRUCT_OFFSET (JgVertex, rgba), sizeof (JgVertex));
  glGenVertexArrays (1, &r->empty_vao);
  return g_steal_pointer (&r);
}

static void
free_edl_target (JgRenderer *r)
{
  if (r->edl_fbo)
    {
      glDeleteFramebuffers (1, &r->edl_fbo);
      glDeleteTextures (1, &r->edl_color);
      glDeleteTextures (1, &r->edl_depth);
    }
  r->edl_fbo = r->edl_color = r->edl_depth = 0;
  r->edl_w = r->edl_h = 0;
}

void
jg_renderer_free (JgRenderer *r)
{
  if (r == NULL)
    return;
  free_edl_target (r);
  glDeleteProgram (r->pts.program);
  glDeleteProgram (r->edl.program);
  glDeleteProgram (r->ovl.program);
  glDeleteVertexArrays (1, &r->cloud_vao);
  glDeleteVertexArrays (1, &r->ovl_vao);
  glDeleteVertexArrays (1, &r->empty_vao);
  glDeleteBuffers (1, &r->cloud_vbo);
  glDeleteBuffers (1, &r->ovl_vbo);
  g_free (r);
}

void
jg_renderer_set_color_mode (JgRenderer *r, JgColorMode mode)
{
  r->mode = mode;
}

void
jg_renderer_set_point_size (JgRenderer *r, float pixels)
{
  r->point_size = CLAMP (pixels, 1.0f, 64.0f);
}

void
jg_renderer_set_point_budget (JgRenderer *r, guint max_points)
{
  r->point_budget = max_points;
}

void
jg_renderer_set_solid_color (JgRenderer *r, const float rgb[3])
{
  memcpy (r->solid, rgb, sizeof r->solid);
}

void
jg_renderer_set_background (JgRenderer *r, const float rgba[4])
{
  memcpy (r->background, rgba, sizeof r->background);
}

void
jg_renderer_set_edl (JgRenderer *r, gboolean enabled, float strength)
{
  r->edl_enabled = enabled;
  r->edl_strength = MAX (strength, 0.0f);
}

void
jg_renderer_set_marker_size (JgRenderer *r, float pixels)
{
  r->marker_size = CLAMP (pixels, 1.0f, 64.0f);
}

void
jg_renderer_sync (JgRenderer *r, JgScene *scene)
{
  if (jg_scene_get_cloud_serial (scene) != r->cloud_serial)
    {
      guint n = jg_scene_get_n_points (scene);
      gsize pos_bytes = (gsize) n * 3 * sizeof (float);
      double lo[3], hi[3];

      glBindBuffer (GL_ARRAY_BUFFER, r->cloud_vbo);
      /* Keep the buffer across samples that fit; positions then colours. */
      if (n > r->cloud_capacity || r->cloud_capacity == 0)
        {
          r->cloud_capacity = MAX (n, 1u);
          glBufferData (GL_ARRAY_BUFFER, (gsize) r->cloud_capacity * 16, NULL, GL_STATIC_DRAW);
        }
      if (n > 0)
        {
          glBufferSubData (GL_ARRAY_BUFFER, 0, pos_bytes, jg_scene_get_points (scene));
          glBufferSubData (GL_ARRAY_BUFFER, (gsize) r->cloud_capacity * 12, (gsize) n * 4,
                           jg_scene_get_colors (scene));
        }
      setup_attribs (r->cloud_vao, r->cloud_vbo, 0, 12, (gsize) r->cloud_capacity * 12, 4);
      r->n_points = n;
      for (guint l = 0; l < JG_SCENE_LOD_LEVELS; l++)
        r->lod_count[l] = jg_scene_get_lod_count (scene, l);
      r->cloud_serial = jg_scene_get_cloud_serial (scene);
      r->stats.cloud_uploads++;
      if (jg_scene_get_bounds (scene, lo, hi))
        {
          r->depth_range[0] = -hi[2];
          r->depth_range[1] = -lo[2];
          r->height_range[0] = lo[1];
          r->height_range[1] = hi[1];
        }
    }
  if (jg_scene_get_overlay_serial (scene) != r->overlay_serial)
    {
      const JgVertex *lines, *tris, *markers;
      guint nl, nt, nm, total;

      jg_scene_get_geometry (scene, &lines, &nl, &tris, &nt, &markers, &nm);
      total = nl + nt + nm;
      glBindBuffer (GL_ARRAY_BUFFER, r->ovl_vbo);
      if (total > r->ovl_capacity || r->ovl_capacity == 0)
        {
          r->ovl_capacity = MAX (total, 1u);
          glBufferData (GL_ARRAY_BUFFER, (gsize) r->ovl_capacity * sizeof (JgVertex), NULL,
                        GL_DYNAMIC_DRAW);
        }
      if (nl)
        glBufferSubData (GL_ARRAY_BUFFER, 0, (gsize) nl * sizeof (JgVertex), lines);
      if (nt)
        glBufferSubData (GL_ARRAY_BUFFER, (gsize) nl * sizeof (JgVertex),
                         (gsize) nt * sizeof (JgVertex), tris);
      if (nm)
        glBufferSubData (GL_ARRAY_BUFFER, (gsize) (nl + nt) * sizeof (JgVertex),
                         (gsize) nm * sizeof (JgVertex), markers);
      r->n_lines = nl;
      r->n_tris = nt;
      r->n_markers = nm;
      r->overlay_serial = jg_scene_get_overlay_serial (scene);
      r->stats.overlay_uploads++;
    }
  glBindBuffer (GL_ARRAY_BUFFER, 0);
}

static void
ensure_edl_target (JgRenderer *r, guint w, guint h)
{
  if (r->edl_fbo && r->edl_w == w && r->edl_h == h)
    return;
  free_edl_target (r);
  glGenFramebuffers (1, &r->edl_fbo);
  glGenTextures (1, &r->edl_color);
  glGenTextures (1, &r->edl_depth);
  glBindTexture (GL_TEXTURE_2D, r->edl_color);
  glTexImage2D (GL_TEXTURE_2D, 0, GL_RGBA8, w, h, 0, GL_RGBA, GL_UNSIGNED_BYTE, NULL);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glBindTexture (GL_TEXTURE_2D, r->edl_depth);
  glTexImage2D (GL_TEXTURE_2D, 0, GL_DEPTH_COMPONENT24, w, h, 0, GL_DEPTH_COMPONENT,
                GL_UNSIGNED_INT, NULL);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glBindTexture (GL_TEXTURE_2D, 0);
  glBindFramebuffer (GL_FRAMEBUFFER, r->edl_fbo);
  glFramebufferTexture2D (GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, r->edl_color, 0);
  glFramebufferTexture2D (GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, r->edl_depth, 0);
  if (glCheckFramebufferStatus (GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE)
    {
      /* Drawing falls back to plain points; the view stays usable. */
      g_warning ("eye-dome lighting target %ux%u is incomplete; drawing without it", w, h);
      free_edl_target (r);
      return;
    }
  r->edl_w = w;
  r->edl_h = h;
}

/* Under a point budget: the finest level prefix that fits (at least the
 * coarsest), with points grown to close the gaps of the skipped levels. */
static guint
points_to_draw (JgRenderer *r, float *size)
{
  guint level = JG_SCENE_LOD_LEVELS - 1;

  if (r->point_budget > 0)
    while (level > 0 && r->lod_count[level] > r->point_budget)
      level--;
  *size = MIN (r->point_size * (float) (1u << (JG_SCENE_LOD_LEVELS - 1 - level)), 64.0f);
  return r->lod_count[level];
}

static void
draw_points (JgRenderer *r, mat4 vp)
{
  const double *range = r->mode == JG_COLOR_HEIGHT ? r->height_range : r->depth_range;
  float size;
  guint n = points_to_draw (r, &size);

  r->drawn_size = size;
  r->stats.points_drawn = n;
  r->stats.point_size_drawn = size;
  if (n == 0)
    return;
  glUseProgram (r->pts.program);
  glUniformMatrix4fv (r->pts.view_proj, 1, GL_FALSE, (const GLfloat *) vp);
  glUniform1i (r->pts.mode, r->mode);
  glUniform2f (r->pts.range, (float) range[0], (float) range[1]);
  glUniform3fv (r->pts.solid, 1, r->solid);
  glBindVertexArray (r->cloud_vao);
  glDisable (GL_PROGRAM_POINT_SIZE);
  glPointSize (size);
  glDrawArrays (GL_POINTS, 0, n);
  glEnable (GL_PROGRAM_POINT_SIZE);
}

void
jg_renderer_draw (JgRenderer *r, JgScene *scene, const JgCamera *cam, guint width, guint height)
{
  GLint target = 0;
  mat4 vp;
  gboolean edl;

  if (width == 0 || height == 0)
    return;
  jg_renderer_sync (r, scene);
  jg_camera_view_proj (cam, (double) width / height, vp);
  glGetIntegerv (GL_DRAW_FRAMEBUFFER_BINDING, &target);

  glEnable (GL_PROGRAM_POINT_SIZE);
  glEnable (GL_DEPTH_TEST);
  glDepthMask (GL_TRUE);
  glDisable (GL_BLEND);
  glDisable (GL_CULL_FACE);
  glDepthFunc (GL_LESS);
  glClearColor (r->background[0], r->background[1], r->background[2], r->background[3]);

  edl = r->edl_enabled && r->edl_strength > 0 && r->n_points > 0;
  if (edl)
    ensure_edl_target (r, width, height);
  edl = edl && r->edl_fbo != 0;
  if (edl)
    {
      glBindFramebuffer (GL_FRAMEBUFFER, r->edl_fbo);
      glViewport (0, 0, width, height);
      glClear (GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
      draw_points (r, vp);

      glBindFramebuffer (GL_FRAMEBUFFER, target);
      glViewport (0, 0, width, height);
      /* the shading pass writes every pixel's colour and depth */
      glDepthFunc (GL_ALWAYS);
      glUseProgram (r->edl.program);
      glActiveTexture (GL_TEXTURE0);
      glBindTexture (GL_TEXTURE_2D, r->edl_color);
      glActiveTexture (GL_TEXTURE1);
      glBindTexture (GL_TEXTURE_2D, r->edl_depth);
      glUniform1i (r->edl.color, 0);
      glUniform1i (r->edl.depth, 1);
      glUniform1f (r->edl.near, JG_CAMERA_NEAR);
      glUniform1f (r->edl.far, JG_CAMERA_FAR);
      glUniform1f (r->edl.strength, r->edl_strength);
      glUniform1i (r->edl.radius, MAX (1, (int) (r->drawn_size + 0.5f) / 2));
      glBindVertexArray (r->empty_vao);
      glDrawArrays (GL_TRIANGLES, 0, 3);
      glActiveTexture (GL_TEXTURE1);
      glBindTexture (GL_TEXTURE_2D, 0);
      glActiveTexture (GL_TEXTURE0);
      glBindTexture (GL_TEXTURE_2D, 0);
      glDepthFunc (GL_LESS);
    }
  else
    {
      glViewport (0, 0, width, height);
      glClear (GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
      draw_points (r, vp);
    }

  /* Overlays: opaque-ish lines and markers, then translucent faces that
   * neither write depth nor hide each other. */
  glEnable (GL_BLEND);
  glBlendFunc (GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
  glDepthFunc (GL_LEQUAL);
  glUseProgram (r->ovl.program);
  glUniformMatrix4fv (r->ovl.view_proj, 1, GL_FALSE, (const GLfloat *) vp);
  glBindVertexArray (r->ovl_vao);
  if (r->n_lines)
    {
      glUniform1i (r->ovl.round, FALSE);
      glDrawArrays (GL_LINES, 0, r->n_lines);
    }
  if (r->n_markers)
    {
      glUniform1i (r->ovl.round, TRUE);
      glUniform1f (r->ovl.point_size, r->marker_size);
      glDrawArrays (GL_POINTS, r->n_lines + r->n_tris, r->n_markers);
    }
  if (r->n_tris)
    {
      glUniform1i (r->ovl.round, FALSE);
      glDepthMask (GL_FALSE);
      glDrawArrays (GL_TRIANGLES, r->n_lines, r->n_tris);
      glDepthMask (GL_TRUE);
    }
  glBindVertexArray (0);
  glUseProgram (0);
  glDisable (GL_BLEND);
  glDepthFunc (GL_LESS);

  jg_scene_project_labels (scene, cam, width, height);
  r->stats.frames++;
}

void
jg_renderer_get_stats (const JgRenderer *r, JgRendererStats *stats)
{
  *stats = r->stats;
}
