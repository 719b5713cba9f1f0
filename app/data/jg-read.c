#include "data/jg-read.h"
#include "core/jg-error.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

gboolean
jg_read_file (const char *path, gsize max_bytes, guint8 **contents, gsize *len, GError **error)
{
  GStatBuf st;
  g_autoptr(GError) local = NULL;
  char *data = NULL;

  if (g_stat (path, &st) != 0)
    {
      int e = errno;
      g_set_error (error, JG_ERROR, e == ENOENT ? JG_ERROR_NOT_FOUND : JG_ERROR_IO,
                   "%s: %s", path, e == ENOENT ? "file not found" : g_strerror (e));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: is a directory, expected a file", path);
      return FALSE;
    }
  if ((guint64) st.st_size > max_bytes)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: file is %" G_GUINT64_FORMAT " bytes, more than the %" G_GSIZE_FORMAT
                   " this kind of file can sensibly be", path, (guint64) st.st_size, max_bytes);
      return FALSE;
    }
  if (!g_file_get_contents (path, &data, len, &local))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: %s", path, local->message);
      return FALSE;
    }
  *contents = (guint8 *) data;
  return TRUE;
}
