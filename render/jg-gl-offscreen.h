/* jg-gl-offscreen.h: an OpenGL 3.3 core context without a window, for
 * `jaeger render`, the tests and the benchmark.
 *
 * EGL on Mesa's surfaceless platform first (no display server, software
 * llvmpipe or a GPU's render node), then the first EGL device (NVIDIA's
 * headless path), then EGL's default display (X11 under Xvfb). Drawing goes to a framebuffer object of the requested size. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _JgGlOffscreen JgGlOffscreen;

/* Creates the context, makes it current and binds a @width x @height
 * framebuffer (colour + 24-bit depth). */
JgGlOffscreen *jg_gl_offscreen_new (guint width, guint height, GError **error);
void           jg_gl_offscreen_free (JgGlOffscreen *o);

/* Binds the framebuffer again (after other code bound its own). */
void jg_gl_offscreen_bind (JgGlOffscreen *o);
guint jg_gl_offscreen_get_width (const JgGlOffscreen *o);
guint jg_gl_offscreen_get_height (const JgGlOffscreen *o);
/* "EGL surfaceless: llvmpipe (LLVM 15.0.6, 256 bits)" */
const char *jg_gl_offscreen_describe (const JgGlOffscreen *o);

/* Reads the framebuffer as RGBA bytes, top row first, into @rgba
 * (width * height * 4 bytes). */
void jg_gl_offscreen_read (JgGlOffscreen *o, guint8 *rgba);

/* Writes RGBA bytes (top row first) as an 8-bit RGB PNG, atomically. */
gboolean jg_png_write_rgba (const char *path, const guint8 *rgba, guint width, guint height,
                            GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgGlOffscreen, jg_gl_offscreen_free)

G_END_DECLS
