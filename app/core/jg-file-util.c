#include "core/jg-file-util.h"
#include "core/jg-error.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

gboolean
jg_file_write_atomic (const char  *path,
                      const void  *data,
                      gsize        len,
                      GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmpl = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  const guint8 *p = data;
  gsize left = len;
  int fd;

  fd = g_mkstemp_full (tmpl, O_WRONLY | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      int e = errno;
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: cannot create a temporary file: %s",
                   path, g_strerror (e));
      return FALSE;
    }

  while (left > 0)
    {
      ssize_t n = write (fd, p, left);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = errno;
          g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: write failed: %s", path, g_strerror (e));
          close (fd);
          g_unlink (tmpl);
          return FALSE;
        }
      p += n;
      left -= (gsize) n;
    }

  if (fsync (fd) != 0 || close (fd) != 0)
    {
      int e = errno;
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: flush failed: %s", path, g_strerror (e));
      g_unlink (tmpl);
      return FALSE;
    }

  if (g_rename (tmpl, path) != 0)
    {
      int e = errno;
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: rename failed: %s", path, g_strerror (e));
      g_unlink (tmpl);
      return FALSE;
    }
  return TRUE;
}

gboolean
jg_file_remove_tree (const char *path, GError **error)
{
  GStatBuf st;

  if (g_lstat (path, &st) != 0)
    {
      int e = errno;
      if (e == ENOENT)
        return TRUE;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, error);
      const char *name;

      if (dir == NULL)
        return FALSE;
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          if (!jg_file_remove_tree (child, error))
            return FALSE;
        }
      if (g_rmdir (path) != 0)
        {
          int e = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
          return FALSE;
        }
      return TRUE;
    }
  if (g_unlink (path) != 0)
    {
      int e = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (e), "%s: %s", path, g_strerror (e));
      return FALSE;
    }
  return TRUE;
}
