#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <glib/gstdio.h>
#include <unistd.h>
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

/* A tree with files, nested folders and a link to a folder outside it:
 * everything below goes, the link's target stays. */
static void
test_remove_tree (void)
{
  g_autofree char *top = g_dir_make_tmp ("jg-tree-XXXXXX", NULL);
  g_autofree char *outside = g_dir_make_tmp ("jg-keep-XXXXXX", NULL);
  g_autofree char *kept = g_build_filename (outside, "kept.txt", NULL);
  g_autofree char *deep = g_build_filename (top, "a", "b", "c", NULL);
  g_autofree char *f1 = g_build_filename (top, "a", "one.txt", NULL);
  g_autofree char *f2 = g_build_filename (deep, "two.txt", NULL);
  g_autofree char *link = g_build_filename (top, "a", "link", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (deep, 0755), ==, 0);
  g_assert_true (g_file_set_contents (f1, "1", -1, NULL));
  g_assert_true (g_file_set_contents (f2, "2", -1, NULL));
  g_assert_true (g_file_set_contents (kept, "keep", -1, NULL));
  g_assert_cmpint (symlink (outside, link), ==, 0);

  g_assert_true (jg_file_remove_tree (top, &error));
  g_assert_no_error (error);
  g_assert_false (g_file_test (top, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (kept, G_FILE_TEST_IS_REGULAR));
  /* Already gone is not an error. */
  g_assert_true (jg_file_remove_tree (top, &error));
  g_assert_no_error (error);

  g_unlink (kept);
  g_rmdir (outside);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/file-util/atomic-replace", test_atomic_write_replaces);
  g_test_add_func ("/file-util/atomic-bad-dir", test_atomic_write_bad_dir);
  g_test_add_func ("/file-util/remove-tree", test_remove_tree);
  return g_test_run ();
}
