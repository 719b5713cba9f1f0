/* jg-file-util.h: small file helpers shared by every writer in the core. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Write @len bytes to @path atomically: a temporary file in the same
 * directory, fsync, then rename over @path. A crash at any moment leaves
 * either the old file or the new one, never a half-written one. */
gboolean jg_file_write_atomic (const char  *path,
                               const void  *data,
                               gsize        len,
                               GError     **error);

/* Deletes @path and, if it is a folder, everything below it. Symbolic
 * links are removed, never followed. Used by tests and benches for their
 * scratch folders. */
gboolean jg_file_remove_tree (const char  *path,
                              GError     **error);

G_END_DECLS
