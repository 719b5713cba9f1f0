#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <glib/gstdio.h>
#include <string.h>

static void
test_atomic_write_replaces (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jg-atomic-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "out.txt", NULL);
  g_autofree char *got = NULL;
  gsize len = 0;
  GDir *d;
  const char *name;
  guint n = 0;

  g_assert_no_error (error);
  g_assert_true (jg_file_write_atomic (path, "first", 5, &error));
  g_assert_no_error (error);
  g_assert_true (jg_file_write_atomic (path, "second!", 7, &error));
  g_assert_true (g_file_get_contents (path, &got, &len, NULL));
  g_assert_cmpuint (len, ==, 7);
  g_assert_cmpstr (got, ==, "second!");

  /* No temporary files are left behind. */
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    n++;
  g_dir_close (d);
  g_assert_cmpuint (n, ==, 1);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_atomic_write_bad_dir (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (jg_file_write_atomic ("/nonexistent-dir-jg/x.txt", "x", 1, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent-dir-jg/x.txt"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/file-util/atomic-replace", test_atomic_write_replaces);
  g_test_add_func ("/file-util/atomic-bad-dir", test_atomic_write_bad_dir);
  return g_test_run ();
}
