#include "render/jg-gl-offscreen.h"

#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <epoxy/egl.h>
#include <epoxy/gl.h>
#include <png.h>
#include <string.h>

#ifndef EGL_PLATFORM_SURFACELESS_MESA
#define EGL_PLATFORM_SURFACELESS_MESA 0x31DD
#endif

struct _JgGlOffscreen {
  EGLDisplay dpy;
  EGLContext ctx;
  EGLSurface pbuffer;
  GLuint fbo, color_rb, depth_rb;
  guint width, height;
  char *description;
  guint8 *row;   /* one row, for flipping in place */
};

static gboolean
has_word (const char *list, const char *word)
{
  gsize n = strlen (word);

  for (const char *p = list; p != NULL && (p = strstr (p, word)) != NULL; p += n)
    if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
      return TRUE;
  return FALSE;
}

/* Initialises @dpy and creates a 3.3 core context on it; FALSE (with the
 * reason in @why) when this display cannot. */
static gboolean
try_display (JgGlOffscreen *o, EGLDisplay dpy, GString *why, const char *what)
{
  static const EGLint config_attribs[] = {
    EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT,
    /* the default asks for window surfaces, which surfaceless has none of */
    EGL_SURFACE_TYPE, EGL_PBUFFER_BIT,
    EGL_RED_SIZE, 8, EGL_GREEN_SIZE, 8, EGL_BLUE_SIZE, 8,
    EGL_NONE
  };
  /* The newest core version first: NVIDIA's EGL gives exactly the version
   * asked for, and the renderer's compute path needs 4.3. Mesa gives its
   * newest for any of them. */
  static const EGLint versions[][2] = { { 4, 6 }, { 4, 5 }, { 4, 3 }, { 3, 3 } };
  static const EGLint pbuffer_attribs[] = { EGL_WIDTH, 1, EGL_HEIGHT, 1, EGL_NONE };
  EGLint major, minor, n = 0;
  EGLConfig config;
  const char *exts;

  if (dpy == EGL_NO_DISPLAY || !eglInitialize (dpy, &major, &minor))
    {
      g_string_append_printf (why, "%s%s: no display (EGL error 0x%x)", why->len ? "; " : "",
                              what, eglGetError ());
      return FALSE;
    }
  exts = eglQueryString (dpy, EGL_EXTENSIONS);
  if (!eglBindAPI (EGL_OPENGL_API)
      || !eglChooseConfig (dpy, config_attribs, &config, 1, &n) || n < 1)
    {
      g_string_append_printf (why, "%s%s: no desktop OpenGL config", why->len ? "; " : "", what);
      eglTerminate (dpy);
      return FALSE;
    }
  o->ctx = EGL_NO_CONTEXT;
  for (gsize i = 0; i < G_N_ELEMENTS (versions) && o->ctx == EGL_NO_CONTEXT; i++)
    {
      const EGLint ctx_attribs[] = {
        EGL_CONTEXT_MAJOR_VERSION, versions[i][0], EGL_CONTEXT_MINOR_VERSION, versions[i][1],
        EGL_CONTEXT_OPENGL_PROFILE_MASK, EGL_CONTEXT_OPENGL_CORE_PROFILE_BIT,
        EGL_NONE
      };
      o->ctx = eglCreateContext (dpy, config, EGL_NO_CONTEXT, ctx_attribs);
    }
  if (o->ctx == EGL_NO_CONTEXT)
    {
      g_string_append_printf (why, "%s%s: no OpenGL 3.3 core context (EGL error 0x%x)",
                              why->len ? "; " : "", what, eglGetError ());
      eglTerminate (dpy);
      return FALSE;
    }
  /* Surfaceless when the driver allows it, else a 1x1 pbuffer to be current on. */
  o->pbuffer = EGL_NO_SURFACE;
  if (!has_word (exts, "EGL_KHR_surfaceless_context"))
    o->pbuffer = eglCreatePbufferSurface (dpy, config, pbuffer_attribs);
  if (!eglMakeCurrent (dpy, o->pbuffer, o->pbuffer, o->ctx))
    {
      g_string_append_printf (why, "%s%s: cannot make the context current (EGL error 0x%x)",
                              why->len ? "; " : "", what, eglGetError ());
      if (o->pbuffer != EGL_NO_SURFACE)
        eglDestroySurface (dpy, o->pbuffer);
      eglDestroyContext (dpy, o->ctx);
      eglTerminate (dpy);
      o->ctx = EGL_NO_CONTEXT;
      return FALSE;
    }
  o->dpy = dpy;
  return TRUE;
}

JgGlOffscreen *
jg_gl_offscreen_new (guint width, guint height, GError **error)
{
  g_autoptr(GString) why = g_string_new (NULL);
  g_autoptr(JgGlOffscreen) o = NULL;
  const char *client = eglQueryString (EGL_NO_DISPLAY, EGL_EXTENSIONS);
  const char *kind = NULL;
  GLint max_rb = 0;

  if (width == 0 || height == 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "offscreen size %ux%u is empty",
                   width, height);
      return NULL;
    }
  o = g_new0 (JgGlOffscreen, 1);
  o->dpy = EGL_NO_DISPLAY;
  if (client != NULL && has_word (client, "EGL_MESA_platform_surfaceless")
      && has_word (client, "EGL_EXT_platform_base"))
    {
      EGLDisplay d = eglGetPlatformDisplayEXT (EGL_PLATFORM_SURFACELESS_MESA, EGL_DEFAULT_DISPLAY, NULL);
      if (try_display (o, d, why, "EGL surfaceless"))
        kind = "EGL surfaceless";
    }
  /* NVIDIA's headless way: the first EGL device */
  if (kind == NULL && client != NULL && has_word (client, "EGL_EXT_platform_device")
      && has_word (client, "EGL_EXT_device_enumeration"))
    {
      EGLDeviceEXT dev[4];
      EGLint n_dev = 0;
      if (eglQueryDevicesEXT (G_N_ELEMENTS (dev), dev, &n_dev) && n_dev > 0
          && try_display (o, eglGetPlatformDisplayEXT (EGL_PLATFORM_DEVICE_EXT, dev[0], NULL),
                          why, "EGL device"))
        kind = "EGL device";
    }
  if (kind == NULL && try_display (o, eglGetDisplay (EGL_DEFAULT_DISPLAY), why, "EGL default display"))
    kind = "EGL default display";
  if (kind == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "no offscreen OpenGL: %s", why->str);
      return NULL;
    }
  if (epoxy_gl_version () < 33)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "%s gives OpenGL %d.%d, 3.3 is needed",
                   kind, epoxy_gl_version () / 10, epoxy_gl_version () % 10);
      return NULL;
    }
  glGetIntegerv (GL_MAX_RENDERBUFFER_SIZE, &max_rb);
  if (width > (guint) max_rb || height > (guint) max_rb)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "offscreen size %ux%u is over this driver's limit of %d", width, height, max_rb);
      return NULL;
    }
  o->width = width;
  o->height = height;
  glGenFramebuffers (1, &o->fbo);
  glGenRenderbuffers (1, &o->color_rb);
  glGenRenderbuffers (1, &o->depth_rb);
  glBindRenderbuffer (GL_RENDERBUFFER, o->color_rb);
  glRenderbufferStorage (GL_RENDERBUFFER, GL_RGBA8, width, height);
  glBindRenderbuffer (GL_RENDERBUFFER, o->depth_rb);
  glRenderbufferStorage (GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, width, height);
  glBindFramebuffer (GL_FRAMEBUFFER, o->fbo);
  glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_RENDERBUFFER, o->color_rb);
  glFramebufferRenderbuffer (GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, o->depth_rb);
  if (glCheckFramebufferStatus (GL_FRAMEBUFFER) != GL_FRAMEBUFFER_COMPLETE)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "%s: a %ux%u framebuffer is incomplete",
                   kind, width, height);
      return NULL;
    }
  glViewport (0, 0, width, height);
  o->row = g_malloc ((gsize) width * 4);
  o->description = g_strdup_printf ("%s: %s", kind, (const char *) glGetString (GL_RENDERER));
  return g_steal_pointer (&o);
}

void
jg_gl_offscreen_free (JgGlOffscreen *o)
{
  if (o == NULL)
    return;
  if (o->dpy != EGL_NO_DISPLAY)
    {
      if (o->fbo)
        {
          glDeleteFramebuffers (1, &o->fbo);
          glDeleteRenderbuffers (1, &o->color_rb);
          glDeleteRenderbuffers (1, &o->depth_rb);
        }
      eglMakeCurrent (o->dpy, EGL_NO_SURFACE, EGL_NO_SURFACE, EGL_NO_CONTEXT);
      if (o->pbuffer != EGL_NO_SURFACE)
        eglDestroySurface (o->dpy, o->pbuffer);
      eglDestroyContext (o->dpy, o->ctx);
      eglTerminate (o->dpy);
    }
  g_free (o->row);
  g_free (o->description);
  g_free (o);
}

void
jg_gl_offscreen_bind (JgGlOffscreen *o)
{
  glBindFramebuffer (GL_FRAMEBUFFER, o->fbo);
  glViewport (0, 0, o->width, o->height);
}

guint
jg_gl_offscreen_get_width (const JgGlOffscreen *o)
{
  return o->width;
}

guint
jg_gl_offscreen_get_height (const JgGlOffscreen *o)
{
  return o->height;
}

const char *
jg_gl_offscreen_describe (const JgGlOffscreen *o)
{
  return o->description;
}

void
jg_gl_offscreen_read (JgGlOffscreen *o, guint8 *rgba)
{
  gsize stride = (gsize) o->width * 4;

  glBindFramebuffer (GL_READ_FRAMEBUFFER, o->fbo);
  glPixelStorei (GL_PACK_ALIGNMENT, 1);
  glReadPixels (0, 0, o->width, o->height, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
  /* GL's first row is the bottom one */
  for (guint y = 0; y < o->height / 2; y++)
    {
      guint8 *a = rgba + y * stride, *b = rgba + (o->height - 1 - y) * stride;
      memcpy (o->row, a, stride);
      memcpy (a, b, stride);
      memcpy (b, o->row, stride);
    }
}

static void
png_append (png_structp png, png_bytep data, png_size_t len)
{
  g_byte_array_append (png_get_io_ptr (png), data, len);
}

static void
png_flush_nothing (png_structp png)
{
}

gboolean
jg_png_write_rgba (const char *path, const guint8 *rgba, guint width, guint height, GError **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree guint8 *row = g_malloc ((gsize) width * 3);
  png_structp png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  png_infop info = png ? png_create_info_struct (png) : NULL;

  if (png == NULL || info == NULL)
    {
      png_destroy_write_struct (&png, &info);
      g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: libpng could not start", path);
      return FALSE;
    }
  if (setjmp (png_jmpbuf (png)))
    {
      png_destroy_write_struct (&png, &info);
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: encoding the PNG failed", path);
      return FALSE;
    }
  png_set_write_fn (png, out, png_append, png_flush_nothing);
  png_set_IHDR (png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  for (guint y = 0; y < height; y++)
    {
      const guint8 *src = rgba + (gsize) y * width * 4;
      for (guint x = 0; x < width; x++)
        memcpy (row + 3 * x, src + 4 * x, 3);
      png_write_row (png, row);
    }
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  return jg_file_write_atomic (path, out->data, out->len, error);
}
