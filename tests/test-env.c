/* Fast-path switches read from the environment: names, spaces, empty
 * items, and an unknown name refused with the variable and the known
 * names in the message. */
#include "core/jg-env.h"
#include "core/jg-error.h"

#include <string.h>

static const JgEnvFlag known[] = { { "coopmat", 1 }, { "fp16", 2 }, { "subgroup", 4 } };

static void
test_flags (void)
{
  g_autoptr(GError) error = NULL;
  guint flags = 99;

  g_unsetenv ("JG_TEST_DISABLE");
  g_assert_true (jg_env_flags ("JG_TEST_DISABLE", known, G_N_ELEMENTS (known), &flags, &error));
  g_assert_cmpuint (flags, ==, 0);
  g_setenv ("JG_TEST_DISABLE", " subgroup ,, coopmat", TRUE);
  g_assert_true (jg_env_flags ("JG_TEST_DISABLE", known, G_N_ELEMENTS (known), &flags, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (flags, ==, 5);
  g_setenv ("JG_TEST_DISABLE", "fp16,fp61", TRUE);
  g_assert_false (jg_env_flags ("JG_TEST_DISABLE", known, G_N_ELEMENTS (known), &flags, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED);
  g_assert_cmpstr (error->message, ==, "JG_TEST_DISABLE: unknown fast path 'fp61' (known: coopmat, fp16, subgroup)");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/env/flags", test_flags);
  return g_test_run ();
}
