/* jg-read.h: whole-file reads for the data loaders, with errors that name
 * the file and a size cap so a wrong path cannot swallow memory. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Reads @path into a new buffer. Missing file -> JG_ERROR_NOT_FOUND; a
 * directory, an unreadable file or one over @max_bytes -> JG_ERROR_IO /
 * JG_ERROR_INVALID_DATA, each message starting with "@path: ". */
gboolean jg_read_file (const char *path, gsize max_bytes, guint8 **contents, gsize *len,
                       GError **error);

G_END_DECLS
