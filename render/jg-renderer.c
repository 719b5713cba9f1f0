#include "render/jg-renderer.h"

#include "core/jg-env.h"
#include "core/jg-error.h"
#include "jg-render-resources.h"
#include "render/jg-splat.h"

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
  GLint view_proj, point_size;
} OverlayProgram;

typedef struct {
  GLuint program;
  GLint view_proj, size, count, splat;
} SplatProgram;

typedef struct {
  GLuint program;
  GLint size, mode, range, solid, background, near, far, strength, radius;
} ResolveProgram;

/* How the cloud is drawn. The compute path rasterises the points in a
 * compute pass and resolves colour, depth and eye-dome lighting in one
 * full-screen pass (splat.comp, resolve.frag). Software GL does the same
 * on the CPU (jg-splat.c) and blits the image and its depth into the
 * framebuffer. GL_POINTS is for contexts before OpenGL 4.3 and for
 * comparison (JAEGER_GL_DISABLE=cpu,compute). */
typedef enum {
  PATH_GL_POINTS,
  PATH_CPU,         /* software GL: jg-splat.c */
  PATH_COMPUTE,     /* two passes: atomicMin of depth, then the index */
} PointPath;

enum { DISABLE_COMPUTE = 1 << 0, DISABLE_CPU = 1 << 1 };

struct _JgRenderer {
  PointPath path;
  PointsProgram pts;
  EdlProgram edl;
  OverlayProgram ovl[2];   /* lines and faces, round markers */
  SplatProgram splat[2];   /* depth pass, index pass */
  ResolveProgram res;
  GLuint key_buf, index_buf;   /* per pixel: depth bits, the nearest point's index */
  guint key_w, key_h;
  JgSplat *cpu;
  GLuint cpu_fbo, cpu_color, cpu_depth;   /* the CPU image and its depth */
  guint cpu_w, cpu_h;
  guint8 *ramp_rgba;   /* per point, the depth or height ramp for the CPU path */
  guint ramp_capacity, ramp_serial;
  JgColorMode ramp_mode;

  GLuint cloud_vao, pos_vbo, col_vbo;
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

#define GLSL_330 "#version 330 core\n"
#define GLSL_430 "#version 430 core\n"

/* One shader from @header (the #version line and defines) followed by the
 * resource files @names, NULL-terminated. */
static GLuint
compile (GLenum type, const char *header, const char *const *names, GError **error)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new_with_free_func (g_free);
  GLuint sh;
  GLint ok = 0;

  g_ptr_array_add (parts, g_strdup (header));
  for (guint i = 0; names[i] != NULL; i++)
    {
      char *src = load_source (names[i], error);
      if (src == NULL)
        return 0;
      g_ptr_array_add (parts, src);
    }
  sh = glCreateShader (type);
  glShaderSource (sh, parts->len, (const GLchar *const *) parts->pdata, NULL);
  glCompileShader (sh);
  glGetShaderiv (sh, GL_COMPILE_STATUS, &ok);
  if (!ok)
    {
      char log[2048] = "";
      glGetShaderInfoLog (sh, sizeof log, NULL, log);
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "GL shader %s: %s",
                   names[parts->len - 2], log);
      glDeleteShader (sh);
      return 0;
    }
  return sh;
}

/* Links a program from a vertex and a fragment shader (@fs NULL: @vs is a
 * compute shader), each a NULL-terminated list of resource files. */
static GLuint
link_program (const char *header, const char *const *vs, const char *const *fs, GError **error)
{
  GLuint sh[2] = { 0, 0 }, prog;
  GLint ok = 0;

  sh[0] = compile (fs ? GL_VERTEX_SHADER : GL_COMPUTE_SHADER, header, vs, error);
  if (sh[0] == 0)
    return 0;
  if (fs)
    {
      sh[1] = compile (GL_FRAGMENT_SHADER, header, fs, error);
      if (sh[1] == 0)
        {
          glDeleteShader (sh[0]);
          return 0;
        }
    }
  prog = glCreateProgram ();
  for (int i = 0; i < 2; i++)
    if (sh[i])
      {
        glAttachShader (prog, sh[i]);
        glDeleteShader (sh[i]);
      }
  glLinkProgram (prog);
  glGetProgramiv (prog, GL_LINK_STATUS, &ok);
  if (!ok)
    {
      char log[2048] = "";
      glGetProgramInfoLog (prog, sizeof log, NULL, log);
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "GL program %s%s%s: %s",
                   vs[0], fs ? " + " : "", fs ? fs[0] : "", log);
      glDeleteProgram (prog);
      return 0;
    }
  return prog;
}

#define FILES(...) ((const char *const[]) { __VA_ARGS__, NULL })

static gboolean
parse_disable (guint *disabled, GError **error)
{
  static const JgEnvFlag known[] = { { "compute", DISABLE_COMPUTE }, { "cpu", DISABLE_CPU } };
  return jg_env_flags ("JAEGER_GL_DISABLE", known, G_N_ELEMENTS (known), disabled, error);
}

/* The compute path's programs; FALSE (GL_POINTS is used) when the
 * context cannot build them. */
static gboolean
build_compute (JgRenderer *r, GError **error)
{
  r->splat[0].program = link_program (GLSL_430 "#define DEPTH_PASS 1\n", FILES ("splat.comp"),
                                      NULL, error);
  if (r->splat[0].program == 0)
    return FALSE;
  r->splat[1].program = link_program (GLSL_430, FILES ("splat.comp"), NULL, error);
  if (r->splat[1].program == 0)
    return FALSE;
  r->res.program = link_program (GLSL_430, FILES ("fullscreen.vert"),
                                 FILES ("ramp.glsl", "resolve.frag"), error);
  if (r->res.program == 0)
    return FALSE;
  for (int i = 0; i < 2; i++)
    if (r->splat[i].program)
      {
        GLuint p = r->splat[i].program;
        r->splat[i].view_proj = glGetUniformLocation (p, "u_view_proj");
        r->splat[i].size = glGetUniformLocation (p, "u_size");
        r->splat[i].count = glGetUniformLocation (p, "u_count");
        r->splat[i].splat = glGetUniformLocation (p, "u_splat");
      }
  r->res.size = glGetUniformLocation (r->res.program, "u_size");
  r->res.mode = glGetUniformLocation (r->res.program, "u_mode");
  r->res.range = glGetUniformLocation (r->res.program, "u_range");
  r->res.solid = glGetUniformLocation (r->res.program, "u_solid");
  r->res.background = glGetUniformLocation (r->res.program, "u_background");
  r->res.near = glGetUniformLocation (r->res.program, "u_near");
  r->res.far = glGetUniformLocation (r->res.program, "u_far");
  r->res.strength = glGetUniformLocation (r->res.program, "u_strength");
  r->res.radius = glGetUniformLocation (r->res.program, "u_radius");
  r->path = PATH_COMPUTE;
  return TRUE;
}

static void
free_compute (JgRenderer *r)
{
  for (int i = 0; i < 2; i++)
    {
      glDeleteProgram (r->splat[i].program);
      r->splat[i].program = 0;
    }
  glDeleteProgram (r->res.program);
  r->res.program = 0;
}

/* Two attributes: position (3 floats) and colour (4 normalised bytes). */
static void
setup_attribs (GLuint vao, GLuint vbo, gsize pos_offset, gsize pos_stride,
               GLuint col_vbo, gsize col_offset, gsize col_stride)
{
  glBindVertexArray (vao);
  glBindBuffer (GL_ARRAY_BUFFER, vbo);
  glEnableVertexAttribArray (0);
  glVertexAttribPointer (0, 3, GL_FLOAT, GL_FALSE, pos_stride, GSIZE_TO_POINTER (pos_offset));
  glBindBuffer (GL_ARRAY_BUFFER, col_vbo);
  glEnableVertexAttribArray (1);
  glVertexAttribPointer (1, 4, GL_UNSIGNED_BYTE, GL_TRUE, col_stride, GSIZE_TO_POINTER (col_offset));
  glBindVertexArray (0);
}

JgRenderer *
jg_renderer_new (GError **error)
{
  g_autoptr(JgRenderer) r = NULL;
  int version = epoxy_gl_version ();
  guint disabled = 0;
  const char *renderer_name;

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

  r->pts.program = link_program (GLSL_330, FILES ("ramp.glsl", "points.vert"),
                                 FILES ("points.frag"), error);
  if (r->pts.program == 0)
    return NULL;
  r->edl.program = link_program (GLSL_330, FILES ("fullscreen.vert"), FILES ("edl.frag"), error);
  if (r->edl.program == 0)
    return NULL;
  if (!parse_disable (&disabled, error))
    return NULL;
  renderer_name = (const char *) glGetString (GL_RENDERER);
  if (!(disabled & DISABLE_CPU) && renderer_name != NULL
      && (strstr (renderer_name, "llvmpipe") || strstr (renderer_name, "softpipe")))
    {
      r->cpu = jg_splat_new (0);
      r->path = PATH_CPU;
    }
  /* compute shaders and shader storage are core in 4.3 */
  else if (!(disabled & DISABLE_COMPUTE) && version >= 43)
    {
      g_autoptr(GError) local = NULL;

      if (!build_compute (r, &local))
        {
          /* the view stays usable with GL_POINTS */
          g_warning ("3-D view: compute point rasteriser does not build (%s); "
                     "drawing GL_POINTS", local->message);
          free_compute (r);
          r->path = PATH_GL_POINTS;
        }
    }
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
  for (int round = 0; round < 2; round++)
    {
      OverlayProgram *o = &r->ovl[round];
      o->program = link_program (round ? GLSL_330 "#define ROUND 1\n" : GLSL_330,
                                 FILES ("overlay.vert"), FILES ("overlay.frag"), error);
      if (o->program == 0)
        return NULL;
      o->view_proj = glGetUniformLocation (o->program, "u_view_proj");
      o->point_size = glGetUniformLocation (o->program, "u_point_size");
    }

  glGenVertexArrays (1, &r->cloud_vao);
  glGenBuffers (1, &r->pos_vbo);
  glGenBuffers (1, &r->col_vbo);
  glGenVertexArrays (1, &r->ovl_vao);
  glGenBuffers (1, &r->ovl_vbo);
  setup_attribs (r->ovl_vao, r->ovl_vbo, G_STRUCT_OFFSET (JgVertex, xyz), sizeof (JgVertex),
                 r->ovl_vbo, G_STRUCT_OFFSET (JgVertex, rgba), sizeof (JgVertex));
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

static void
free_cpu_target (JgRenderer *r)
{
  if (r->cpu_fbo)
    {
      glDeleteFramebuffers (1, &r->cpu_fbo);
      glDeleteTextures (1, &r->cpu_color);
      glDeleteTextures (1, &r->cpu_depth);
    }
  r->cpu_fbo = r->cpu_color = r->cpu_depth = 0;
  r->cpu_w = r->cpu_h = 0;
}

void
jg_renderer_free (JgRenderer *r)
{
  if (r == NULL)
    return;
  free_edl_target (r);
  glDeleteProgram (r->pts.program);
  glDeleteProgram (r->edl.program);
  for (int i = 0; i < 2; i++)
    glDeleteProgram (r->ovl[i].program);
  glDeleteVertexArrays (1, &r->cloud_vao);
  glDeleteVertexArrays (1, &r->ovl_vao);
  glDeleteVertexArrays (1, &r->empty_vao);
  glDeleteBuffers (1, &r->pos_vbo);
  glDeleteBuffers (1, &r->col_vbo);
  glDeleteBuffers (1, &r->key_buf);
  glDeleteBuffers (1, &r->index_buf);
  free_compute (r);
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

      /* Keep the buffers across samples that fit: no reallocation on a
       * switch between samples of one size, only the sub-uploads. */
      if (n > r->cloud_capacity || r->cloud_capacity == 0)
        {
          r->cloud_capacity = MAX (n, 1u);
          glBindBuffer (GL_ARRAY_BUFFER, r->pos_vbo);
          glBufferData (GL_ARRAY_BUFFER, (gsize) r->cloud_capacity * 12, NULL, GL_STATIC_DRAW);
          glBindBuffer (GL_ARRAY_BUFFER, r->col_vbo);
          glBufferData (GL_ARRAY_BUFFER, (gsize) r->cloud_capacity * 4, NULL, GL_STATIC_DRAW);
          setup_attribs (r->cloud_vao, r->pos_vbo, 0, 12, r->col_vbo, 0, 4);
        }
      if (n > 0)
        {
          glBindBuffer (GL_ARRAY_BUFFER, r->pos_vbo);
          glBufferSubData (GL_ARRAY_BUFFER, 0, pos_bytes, jg_scene_get_points (scene));
          glBindBuffer (GL_ARRAY_BUFFER, r->col_vbo);
          glBufferSubData (GL_ARRAY_BUFFER, 0, (gsize) n * 4, jg_scene_get_colors (scene));
        }
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

/* The per-pixel buffers of the compute path, reallocated only when the
 * viewport's size changes. */
static void
ensure_key_buffers (JgRenderer *r, guint w, guint h)
{
  gsize pixels = (gsize) w * h;

  if (r->key_buf && r->key_w == w && r->key_h == h)
    return;
  if (r->key_buf == 0)
    glGenBuffers (1, &r->key_buf);
  glBindBuffer (GL_SHADER_STORAGE_BUFFER, r->key_buf);
  glBufferData (GL_SHADER_STORAGE_BUFFER, pixels * 4, NULL, GL_DYNAMIC_COPY);
  if (r->index_buf == 0)
    glGenBuffers (1, &r->index_buf);
  glBindBuffer (GL_SHADER_STORAGE_BUFFER, r->index_buf);
  glBufferData (GL_SHADER_STORAGE_BUFFER, pixels * 4, NULL, GL_DYNAMIC_COPY);
  glBindBuffer (GL_SHADER_STORAGE_BUFFER, 0);
  r->key_w = w;
  r->key_h = h;
}

/* Compute path: clear the per-pixel buffers to empty, let every point
 * keep the nearest per pixel, then one full-screen pass writes colour,
 * depth and eye-dome lighting into the bound framebuffer. */
static void
draw_points_compute (JgRenderer *r, mat4 vp, guint w, guint h, gboolean edl)
{
  static const guint32 empty = G_MAXUINT32;
  const double *range = r->mode == JG_COLOR_HEIGHT ? r->height_range : r->depth_range;
  float size;
  guint n = points_to_draw (r, &size);
  int splat = MAX (1, (int) (size + 0.5f));

  r->drawn_size = size;
  r->stats.points_drawn = n;
  r->stats.point_size_drawn = size;
  ensure_key_buffers (r, w, h);
  glBindBufferBase (GL_SHADER_STORAGE_BUFFER, 0, r->pos_vbo);
  glBindBufferBase (GL_SHADER_STORAGE_BUFFER, 1, r->col_vbo);
  glBindBufferBase (GL_SHADER_STORAGE_BUFFER, 2, r->key_buf);
  glBindBufferBase (GL_SHADER_STORAGE_BUFFER, 3, r->index_buf);
  /* The index buffer needs no clearing: it is read only where a depth won. */
  glBindBuffer (GL_SHADER_STORAGE_BUFFER, r->key_buf);
  glClearBufferData (GL_SHADER_STORAGE_BUFFER, GL_R32UI, GL_RED_INTEGER, GL_UNSIGNED_INT, &empty);
  glBindBuffer (GL_SHADER_STORAGE_BUFFER, 0);
  for (guint pass = 0; pass < 2 && n > 0; pass++)
    {
      const SplatProgram *sp = &r->splat[pass];
      glMemoryBarrier (GL_SHADER_STORAGE_BARRIER_BIT);
      glUseProgram (sp->program);
      glUniformMatrix4fv (sp->view_proj, 1, GL_FALSE, (const GLfloat *) vp);
      glUniform2i (sp->size, (GLint) w, (GLint) h);
      glUniform1ui (sp->count, n);
      glUniform1i (sp->splat, splat);
      glDispatchCompute ((n + 255) / 256, 1, 1);
    }
  glMemoryBarrier (GL_SHADER_STORAGE_BARRIER_BIT);

  glUseProgram (r->res.program);
  glUniform2i (r->res.size, (GLint) w, (GLint) h);
  glUniform1i (r->res.mode, r->mode);
  glUniform2f (r->res.range, (float) range[0], (float) range[1]);
  glUniform3fv (r->res.solid, 1, r->solid);
  glUniform4fv (r->res.background, 1, r->background);
  glUniform1f (r->res.near, JG_CAMERA_NEAR);
  glUniform1f (r->res.far, JG_CAMERA_FAR);
  glUniform1f (r->res.strength, edl ? r->edl_strength : 0.0f);
  glUniform1i (r->res.radius, MAX (1, (int) (size + 0.5f) / 2));
  /* every pixel's colour and depth come from the pass: no clear */
  glDepthFunc (GL_ALWAYS);
  glBindVertexArray (r->empty_vao);
  glDrawArrays (GL_TRIANGLES, 0, 3);
  glDepthFunc (GL_LESS);
}

/* The depth or height ramp per point, as points.vert colours them, made
 * again only when the sample or the mode changes. */
static const guint8 *
ramp_colors (JgRenderer *r, JgScene *scene)
{
  const double *range = r->mode == JG_COLOR_HEIGHT ? r->height_range : r->depth_range;
  const float *xyz = jg_scene_get_points (scene);
  float lo = (float) range[0], span = MAX ((float) (range[1] - range[0]), 1e-6f);

  if (r->ramp_serial == r->cloud_serial && r->ramp_mode == r->mode && r->ramp_rgba)
    return r->ramp_rgba;
  if (r->n_points > r->ramp_capacity || r->ramp_rgba == NULL)
    {
      g_free (r->ramp_rgba);
      r->ramp_capacity = MAX (r->n_points, 1u);
      r->ramp_rgba = g_malloc ((gsize) r->ramp_capacity * 4);
    }
  for (guint i = 0; i < r->n_points; i++)
    {
      float c[3], t = r->mode == JG_COLOR_DEPTH ? (-xyz[3 * i + 2] - lo) / span
                                                : (xyz[3 * i + 1] - lo) / span;
      jg_splat_ramp (t, c);
      for (int k = 0; k < 3; k++)
        r->ramp_rgba[4 * i + k] = (guint8) (CLAMP (c[k], 0.0f, 1.0f) * 255.0f + 0.5f);
      r->ramp_rgba[4 * i + 3] = 255;
    }
  r->ramp_serial = r->cloud_serial;
  r->ramp_mode = r->mode;
  return r->ramp_rgba;
}

static GLuint
new_texture (GLenum internal, guint w, guint h, GLenum format, GLenum type)
{
  GLuint t;

  glGenTextures (1, &t);
  glBindTexture (GL_TEXTURE_2D, t);
  glTexImage2D (GL_TEXTURE_2D, 0, internal, w, h, 0, format, type, NULL);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_NEAREST);
  glTexParameteri (GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_NEAREST);
  glBindTexture (GL_TEXTURE_2D, 0);
  return t;
}

/* The CPU path's own framebuffer: the image and its float depth go up
 * as they are (both copies of memory on llvmpipe, where a 24-bit depth
 * upload converts every pixel), the overlays are drawn into it, and its
 * colour is blitted to the target at the end. */
static gboolean
ensure_cpu_target (JgRenderer *r, guint w, guint h, GLint target)
{
  gboolean ok;

  if (r->cpu_fbo && r->cpu_w == w && r->cpu_h == h)
    return TRUE;
  free_cpu_target (r);
  r->cpu_color = new_texture (GL_RGBA8, w, h, GL_RGBA, GL_UNSIGNED_BYTE);
  r->cpu_depth = new_texture (GL_DEPTH_COMPONENT32F, w, h, GL_DEPTH_COMPONENT, GL_FLOAT);
  glGenFramebuffers (1, &r->cpu_fbo);
  glBindFramebuffer (GL_FRAMEBUFFER, r->cpu_fbo);
  glFramebufferTexture2D (GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, r->cpu_color, 0);
  glFramebufferTexture2D (GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_TEXTURE_2D, r->cpu_depth, 0);
  ok = glCheckFramebufferStatus (GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
  glBindFramebuffer (GL_FRAMEBUFFER, target);
  if (!ok)
    {
      g_warning ("3-D view: a %ux%u image target is incomplete; drawing GL_POINTS", w, h);
      free_cpu_target (r);
      return FALSE;
    }
  r->cpu_w = w;
  r->cpu_h = h;
  return TRUE;
}

/* CPU path: the image and its depth come from jg-splat.c and go up with
 * one glTexSubImage2D each; leaves the CPU framebuffer bound for the
 * overlays. Reallocates only when the size changes. */
static gboolean
draw_points_cpu (JgRenderer *r, JgScene *scene, mat4 vp, guint w, guint h, gboolean edl, GLint target)
{
  JgSplatFrame f;
  float size;

  if (!ensure_cpu_target (r, w, h, target))
    {
      /* the view stays usable: GL_POINTS from now on */
      r->path = PATH_GL_POINTS;
      return FALSE;
    }
  f.n = points_to_draw (r, &size);
  r->drawn_size = size;
  r->stats.points_drawn = f.n;
  r->stats.point_size_drawn = size;
  f.xyz = jg_scene_get_points (scene);
  f.rgba = r->mode == JG_COLOR_RGB ? jg_scene_get_colors (scene)
         : r->mode == JG_COLOR_SOLID ? NULL : ramp_colors (r, scene);
  memcpy (f.view_proj, vp, sizeof f.view_proj);
  f.size = MAX (1, (int) (size + 0.5f));
  memcpy (f.solid, r->solid, sizeof f.solid);
  memcpy (f.background, r->background, sizeof f.background);
  f.edl_strength = edl ? r->edl_strength : 0.0f;
  f.edl_radius = MAX (1, (int) (size + 0.5f) / 2);
  f.near = JG_CAMERA_NEAR;
  f.far = JG_CAMERA_FAR;
  jg_splat_draw (r->cpu, &f, w, h);

  /* from client memory, whatever unpack state the toolkit left */
  glBindBuffer (GL_PIXEL_UNPACK_BUFFER, 0);
  glPixelStorei (GL_UNPACK_ALIGNMENT, 4);
  glPixelStorei (GL_UNPACK_ROW_LENGTH, 0);
  glPixelStorei (GL_UNPACK_SKIP_ROWS, 0);
  glPixelStorei (GL_UNPACK_SKIP_PIXELS, 0);
  glBindTexture (GL_TEXTURE_2D, r->cpu_color);
  glTexSubImage2D (GL_TEXTURE_2D, 0, 0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, jg_splat_get_rgba (r->cpu));
  glBindTexture (GL_TEXTURE_2D, r->cpu_depth);
  glTexSubImage2D (GL_TEXTURE_2D, 0, 0, 0, w, h, GL_DEPTH_COMPONENT, GL_FLOAT,
                   jg_splat_get_depth (r->cpu));
  glBindTexture (GL_TEXTURE_2D, 0);
  glBindFramebuffer (GL_FRAMEBUFFER, r->cpu_fbo);
  glViewport (0, 0, w, h);
  return TRUE;
}

static void
use_overlay (JgRenderer *r, gboolean round, mat4 vp)
{
  const OverlayProgram *o = &r->ovl[round];

  glUseProgram (o->program);
  glUniformMatrix4fv (o->view_proj, 1, GL_FALSE, (const GLfloat *) vp);
  glUniform1f (o->point_size, r->marker_size);
}

void
jg_renderer_draw (JgRenderer *r, JgScene *scene, const JgCamera *cam, guint width, guint height)
{
  GLint target = 0;
  mat4 vp;
  gboolean edl, cpu_image;

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
  cpu_image = FALSE;
  if (r->path == PATH_CPU && r->n_points > 0)
    {
      glViewport (0, 0, width, height);
      cpu_image = draw_points_cpu (r, scene, vp, width, height, edl, target);
      if (cpu_image)
        goto overlays;
    }
  if (r->path == PATH_COMPUTE && r->n_points > 0)
    {
      glViewport (0, 0, width, height);
      draw_points_compute (r, vp, width, height, edl);
      goto overlays;
    }
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
overlays:
  glEnable (GL_BLEND);
  glBlendFunc (GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA);
  glDepthFunc (GL_LEQUAL);
  glBindVertexArray (r->ovl_vao);
  if (r->n_lines)
    {
      use_overlay (r, FALSE, vp);
      glDrawArrays (GL_LINES, 0, r->n_lines);
    }
  if (r->n_markers)
    {
      use_overlay (r, TRUE, vp);
      glDrawArrays (GL_POINTS, r->n_lines + r->n_tris, r->n_markers);
    }
  if (r->n_tris)
    {
      /* near sides only: the scene winds them counter-clockwise */
      use_overlay (r, FALSE, vp);
      glDepthMask (GL_FALSE);
      glEnable (GL_CULL_FACE);
      glCullFace (GL_BACK);
      glFrontFace (GL_CCW);
      glDrawArrays (GL_TRIANGLES, r->n_lines, r->n_tris);
      glDisable (GL_CULL_FACE);
      glDepthMask (GL_TRUE);
    }
  glBindVertexArray (0);
  glUseProgram (0);
  glDisable (GL_BLEND);
  glDepthFunc (GL_LESS);

  if (cpu_image)
    {
      /* the CPU path's image with its overlays into the target (a copy) */
      glBindFramebuffer (GL_READ_FRAMEBUFFER, r->cpu_fbo);
      glBindFramebuffer (GL_DRAW_FRAMEBUFFER, target);
      glBlitFramebuffer (0, 0, width, height, 0, 0, width, height, GL_COLOR_BUFFER_BIT, GL_NEAREST);
      glBindFramebuffer (GL_FRAMEBUFFER, target);
    }
  jg_scene_project_labels (scene, cam, width, height);
  r->stats.frames++;
}

void
jg_renderer_get_stats (const JgRenderer *r, JgRendererStats *stats)
{
  *stats = r->stats;
}

const char *
jg_renderer_get_point_path (const JgRenderer *r)
{
  switch (r->path)
    {
    case PATH_COMPUTE: return "compute";
    case PATH_CPU: return "CPU";
    case PATH_GL_POINTS: default: return "GL_POINTS";
    }
}
