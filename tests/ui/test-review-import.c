/* The review window's Import Predictions… flow, driven through
 * jg_review_window_import (what the dialog calls once both files are
 * chosen) and win.cancel-import (Esc), on the hand-made eval fixtures:
 *  - the run it adds equals, field by field, the one `jaeger eval --store`
 *    writes for the same files, holds the hand-computed metrics, and the
 *    table shows it;
 *  - a cancel leaves no run and no prediction rows, and the store takes
 *    the next import;
 *  - a predictions file that does not parse, or matches no sample, is
 *    reported naming the file and leaves every table as it was. */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "jg-review-window.h"
#include "store/jg-store.h"

#define WAIT_S 120

static char *manifest_path, *predictions_path;

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_remove (path);
    }
  g_rmdir (dir);
}

static gboolean
wake (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until the import, the queries after it and the
 * sample loads are done. */
static void
wait_idle (JgReviewWindow *win)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  guint waker = g_timeout_add (20, wake, NULL);

  /* Let the idle callbacks queued so far run before asking. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  while (jg_review_window_is_busy (win))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the review window was still busy after %d s", WAIT_S);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (waker);
}

static gboolean
count_frame (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  guint *frames = data;

  (*frames)++;
  gtk_widget_queue_draw (widget);
  return G_SOURCE_CONTINUE;
}

/* A few frames, so that the table has laid out and bound its rows. */
static void
wait_frames (JgReviewWindow *win, guint n)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_S * G_USEC_PER_SEC;
  guint frames = 0;
  guint id = gtk_widget_add_tick_callback (GTK_WIDGET (win), count_frame, &frames, NULL);

  while (frames < n)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("the review window drew no frame for %d s", WAIT_S);
      g_main_context_iteration (NULL, TRUE);
    }
  gtk_widget_remove_tick_callback (GTK_WIDGET (win), id);
}

/* The text of every table cell on screen, one per line. */
static void
collect_cells (GtkWidget *widget, GString *out)
{
  if (GTK_IS_INSCRIPTION (widget) && gtk_widget_get_mapped (widget) && gtk_inscription_get_text (GTK_INSCRIPTION (widget)))
    g_string_append_printf (out, "%s\n", gtk_inscription_get_text (GTK_INSCRIPTION (widget)));
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c != NULL; c = gtk_widget_get_next_sibling (c))
    collect_cells (c, out);
}

static JgReviewWindow *
open_window (const char *store)
{
  JgReviewWindow *win = jg_review_window_new (NULL);
  g_autoptr(GError) error = NULL;

  gtk_window_present (GTK_WINDOW (win));
  g_assert_true (jg_review_window_open_store (win, store, &error));
  g_assert_no_error (error);
  wait_idle (win);
  return win;
}

static void
close_window (JgReviewWindow *win)
{
  gtk_window_destroy (GTK_WINDOW (win));
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
cli_eval_store (const char *store)
{
  const char *argv[] = { g_getenv ("JAEGER_CLI"), "eval", "-m", manifest_path, "-p", predictions_path,
                         "--store", store, "--bootstrap", "0", NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_assert_nonnull (argv[0]);
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("jaeger eval --store failed: %s", err);
}

/* Every table, row by row, as text: equal dumps mean an unchanged store. */
static char *
dump_store (const char *path)
{
  static const char *const tables[] = { "datasets", "samples", "runs", "predictions", "metrics",
                                        "tags", "notes", "curation_log" };
  GString *out = g_string_new (NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s ORDER BY 1, 2", tables[t]);
      sqlite3_stmt *st = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), ==, SQLITE_OK);
      g_string_append_printf (out, "[%s]\n", tables[t]);
      while (sqlite3_step (st) == SQLITE_ROW)
        {
          for (int c = 0; c < sqlite3_column_count (st); c++)
            {
              const unsigned char *v = sqlite3_column_text (st, c);
              g_string_append_printf (out, "%s|", v ? (const char *) v : "NULL");
            }
          g_string_append_c (out, '\n');
        }
      sqlite3_finalize (st);
    }
  sqlite3_close (db);
  return g_string_free (out, FALSE);
}

static gint64
count_rows (const char *path, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (st), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  sqlite3_close (db);
  return n;
}

static JgStoreRows *
query_run (JgStore *store, gint64 run)
{
  g_autoptr(GError) error = NULL;
  JgStoreFilter all;
  JgStoreRows *rows;

  jg_store_filter_init (&all);
  rows = jg_store_query (store, run, 0, &all, JG_STORE_SORT_SAMPLE, FALSE, &error);
  g_assert_no_error (error);
  return rows;
}

static gboolean
same_double (double a, double b)
{
  return (isnan (a) && isnan (b)) || a == b;
}

static const JgStoreRow *
find_row (const JgStoreRows *rows, const char *suffix, JgTask task)
{
  for (guint i = 0; i < jg_store_rows_get_n (rows); i++)
    {
      const JgStoreRow *r = jg_store_rows_get (rows, i);
      if (r->task == task && g_str_has_suffix (r->path, suffix))
        return r;
    }
  g_error ("no %s row for %s", jg_task_to_string (task), suffix);
  return NULL;
}

static void
test_import_matches_cli (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jg-review-import-XXXXXX", NULL);
  g_autofree char *ui_store = g_build_filename (dir, "window.db", NULL);
  g_autofree char *cli_store = g_build_filename (dir, "cli.db", NULL);
  JgReviewWindow *win = open_window (ui_store);
  g_autoptr(JgStore) a = NULL;
  g_autoptr(JgStore) b = NULL;
  g_autoptr(GArray) runs_a = NULL;
  g_autoptr(GArray) runs_b = NULL;
  g_autoptr(GArray) ds_a = NULL;
  g_autoptr(GArray) ds_b = NULL;
  g_autoptr(JgStoreRows) rows_a = NULL;
  g_autoptr(JgStoreRows) rows_b = NULL;
  g_autoptr(GError) error = NULL;
  const JgStoreRun *ra, *rb;
  const JgStoreRow *r;

  g_assert_true (jg_review_window_import (win, predictions_path, manifest_path));
  g_assert_true (jg_review_window_is_busy (win));
  wait_idle (win);
  g_test_message ("status after the import: %s", jg_review_window_get_status (win));
  /* The table shows the new run: the window starts on the task of the worst
   * error, here multi_spatial_doa's one sample (90°), with the short path,
   * the task, both answers and the error as text. */
  wait_frames (win, 3);
  {
    g_autoptr(GString) cells = g_string_new (NULL);

    collect_cells (GTK_WIDGET (win), cells);
    g_test_message ("cells:\n%s", cells->str);
    g_assert_true (g_str_has_prefix (cells->str, "00801-Y/task2_00000\nmulti_spatial_doa\n"
                                                 "azimuth: 0; elevation: 0\nazimuth: 90; elevation: 0\n90.0°\n"));
  }
  close_window (win);
  cli_eval_store (cli_store);

  a = jg_store_open (ui_store, &error);
  g_assert_no_error (error);
  b = jg_store_open (cli_store, &error);
  g_assert_no_error (error);

  /* The dataset: the manifest's 13 samples, named by its absolute path. */
  ds_a = jg_store_list_datasets (a, &error);
  ds_b = jg_store_list_datasets (b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ds_a->len, ==, 1);
  g_assert_cmpuint (ds_b->len, ==, 1);
  g_assert_cmpstr (g_array_index (ds_a, JgStoreDataset, 0).name, ==, g_array_index (ds_b, JgStoreDataset, 0).name);
  g_assert_cmpuint (g_array_index (ds_a, JgStoreDataset, 0).n_samples, ==, 13);
  g_assert_cmpuint (g_array_index (ds_b, JgStoreDataset, 0).n_samples, ==, 13);

  /* The run row: named after the file's model, 12 of the 14 records scored
   * (one repeats a sample, one matches none). */
  runs_a = jg_store_list_runs (a, 0, &error);
  runs_b = jg_store_list_runs (b, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (runs_a->len, ==, 1);
  g_assert_cmpuint (runs_b->len, ==, 1);
  ra = &g_array_index (runs_a, JgStoreRun, 0);
  rb = &g_array_index (runs_b, JgStoreRun, 0);
  g_assert_cmpstr (ra->name, ==, "hand");
  g_assert_cmpstr (ra->name, ==, rb->name);
  g_assert_cmpstr (ra->model, ==, rb->model);
  g_assert_cmpstr (ra->checkpoint, ==, rb->checkpoint);
  g_assert_cmpstr (ra->settings, ==, rb->settings);
  g_assert_cmpuint (ra->n_predictions, ==, 12);
  g_assert_cmpuint (rb->n_predictions, ==, 12);
  g_assert_cmpint (count_rows (ui_store, "metrics"), ==, 12);

  /* Every sample's answer and metrics, field by field. */
  rows_a = query_run (a, ra->id);
  rows_b = query_run (b, rb->id);
  g_assert_cmpuint (jg_store_rows_get_n (rows_a), ==, 13);
  g_assert_cmpuint (jg_store_rows_get_n (rows_b), ==, 13);
  for (guint i = 0; i < 13; i++)
    {
      const JgStoreRow *x = jg_store_rows_get (rows_a, i), *y = jg_store_rows_get (rows_b, i);
      const JgSampleMetrics *mx = &x->metrics[0], *my = &y->metrics[0];

      g_assert_cmpstr (x->path, ==, y->path);
      g_assert_cmpint (x->task, ==, y->task);
      g_assert_cmpstr (x->gt_text, ==, y->gt_text);
      g_assert_cmpstr (x->pred_text[0], ==, y->pred_text[0]);
      g_assert_cmpint (x->has_prediction[0], ==, y->has_prediction[0]);
      g_assert_cmpint (mx->parsed, ==, my->parsed);
      g_assert_cmpint (mx->correct, ==, my->correct);
      g_assert_true (same_double (mx->error, my->error));
      g_assert_true (same_double (mx->angle, my->angle));
      g_assert_true (same_double (mx->az, my->az));
      g_assert_true (same_double (mx->el, my->el));
      g_assert_true (same_double (mx->iou, my->iou));
      g_assert_true (same_double (mx->offset, my->offset));
    }

  /* A few values worked out by hand from the fixture. */
  r = find_row (rows_a, "00800-X/task1_00000", JG_TASK_SPATIAL_DOA);   /* 179° vs -179°: across the wrap */
  g_assert_cmpfloat_with_epsilon (r->metrics[0].angle, 2.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (r->metrics[0].az, 2.0, 1e-9);
  r = find_row (rows_a, "00800-X/task1_00001", JG_TASK_SPATIAL_DOA);   /* the first of two answers counts */
  g_assert_cmpstr (r->pred_text[0], ==, "azimuth: -7; elevation: -22");
  g_assert_cmpfloat_with_epsilon (r->metrics[0].angle, 0.0, 1e-9);
  r = find_row (rows_a, "00800-X/task1_00002", JG_TASK_SPATIAL_DOA);   /* kept, shown, not scored */
  g_assert_true (r->has_prediction[0]);
  g_assert_false (r->metrics[0].parsed);
  r = find_row (rows_a, "00800-X/task1_00003", JG_TASK_SPATIAL_DOA);   /* no answer */
  g_assert_false (r->has_prediction[0]);
  r = find_row (rows_a, "00801-Y/task2_00000", JG_TASK_MULTI_SPATIAL_DOA);
  g_assert_cmpfloat_with_epsilon (r->metrics[0].angle, 90.0, 1e-9);
  g_assert_cmpint (find_row (rows_a, "00800-X/task2_00000", JG_TASK_DUAL_SOURCE)->metrics[0].correct, ==, 1);
  g_assert_cmpint (find_row (rows_a, "00800-X/task2_00001", JG_TASK_DUAL_SOURCE)->metrics[0].correct, ==, 1);
  g_assert_cmpint (find_row (rows_a, "00800-X/task2_00002", JG_TASK_DUAL_SOURCE)->metrics[0].correct, ==, 0);
  g_assert_cmpint (find_row (rows_a, "00800-X/task1_00004", JG_TASK_SINGLE_SOURCE)->metrics[0].correct, ==, 1);
  g_clear_pointer (&a, jg_store_free);
  g_clear_pointer (&b, jg_store_free);
  remove_dir (dir);
}

static void
test_import_cancel (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jg-review-import-XXXXXX", NULL);
  g_autofree char *store = g_build_filename (dir, "window.db", NULL);
  JgReviewWindow *win = open_window (store);
  sqlite3 *lock = NULL;

  /* Hold the store's write lock so the import cannot commit before the
   * cancel, however the threads are scheduled. */
  g_assert_cmpint (sqlite3_open (store, &lock), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (lock, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_true (jg_review_window_import (win, predictions_path, manifest_path));
  /* A second import while one runs is refused. */
  g_assert_false (jg_review_window_import (win, predictions_path, manifest_path));
  gtk_widget_activate_action (GTK_WIDGET (win), "win.cancel-import", NULL);
  g_assert_cmpint (sqlite3_exec (lock, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (lock);
  wait_idle (win);

  g_test_message ("status after the cancel: %s", jg_review_window_get_status (win));
  g_assert_nonnull (strstr (jg_review_window_get_status (win), "cancelled"));
  g_assert_cmpint (count_rows (store, "runs"), ==, 0);
  g_assert_cmpint (count_rows (store, "predictions"), ==, 0);
  g_assert_cmpint (count_rows (store, "metrics"), ==, 0);

  /* Nothing was left locked or half-written: the next import lands. */
  g_assert_true (jg_review_window_import (win, predictions_path, manifest_path));
  wait_idle (win);
  g_assert_cmpint (count_rows (store, "runs"), ==, 1);
  g_assert_cmpint (count_rows (store, "predictions"), ==, 12);
  close_window (win);
  remove_dir (dir);
}

static void
check_bad_file (JgReviewWindow *win, const char *store, const char *file, const char *contents, const char *problem)
{
  g_autofree char *before = dump_store (store);
  g_autofree char *after = NULL;
  const char *status;

  g_assert_true (g_file_set_contents (file, contents, -1, NULL));
  g_assert_true (jg_review_window_import (win, file, manifest_path));
  wait_idle (win);
  status = jg_review_window_get_status (win);
  g_test_message ("status: %s", status);
  g_assert_true (g_str_has_prefix (status, "Import failed: "));
  g_assert_nonnull (strstr (status, file));
  g_assert_nonnull (strstr (status, problem));
  after = dump_store (store);
  g_assert_cmpstr (before, ==, after);
}

static void
test_import_bad_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jg-review-import-XXXXXX", NULL);
  g_autofree char *store = g_build_filename (dir, "results.db", NULL);
  g_autofree char *broken = g_build_filename (dir, "broken.json", NULL);
  g_autofree char *stranger = g_build_filename (dir, "stranger.jsonl", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing.json", NULL);
  JgReviewWindow *win;

  /* A store with a run already, so "unchanged" has something to keep. */
  cli_eval_store (store);
  win = open_window (store);
  check_bad_file (win, store, broken, "{\"predictions\": [{\"path\": ", "Parse error");
  check_bad_file (win, store, stranger,
                  "{\"path\": \"/elsewhere/test/00000-Q/task1_00000\", \"task\": \"spatial_doa\", \"pred_text\": \"azimuth: 1; elevation: 1\"}\n",
                  "no prediction matches");
  {
    g_autofree char *before = dump_store (store);
    g_autofree char *after = NULL;

    g_assert_true (jg_review_window_import (win, missing, manifest_path));
    wait_idle (win);
    g_assert_nonnull (strstr (jg_review_window_get_status (win), "missing.json"));
    after = dump_store (store);
    g_assert_cmpstr (before, ==, after);
  }
  g_assert_cmpint (count_rows (store, "runs"), ==, 1);
  close_window (win);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    g_error ("no display: run this test under xvfb-run, as ./run tests does");
  manifest_path = g_test_build_filename (G_TEST_DIST, "eval", "fixtures", "hand-manifest.json", NULL);
  predictions_path = g_test_build_filename (G_TEST_DIST, "eval", "fixtures", "hand-predictions.json", NULL);
  g_test_add_func ("/review-import/matches-cli", test_import_matches_cli);
  g_test_add_func ("/review-import/cancel", test_import_cancel);
  g_test_add_func ("/review-import/bad-file", test_import_bad_file);
  return g_test_run ();
}
