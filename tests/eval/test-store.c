/* The results store: schema, migration from a version-1 file written here
 * with plain SQL, datasets / runs / queries, curation with undo and redo,
 * refusal of foreign files, and a writer killed with SIGKILL in the middle
 * of a transaction (and at random moments) leaving exactly the committed
 * rows. Raw sqlite3 connections are the independent view of the file. */
#include "store/jg-store.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char *tmpdir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmpdir, name, NULL);
}

static gint64
sql_int (const char *file, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  gint64 v = -1;

  g_assert_cmpint (sqlite3_open_v2 (file, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), ==, SQLITE_OK);
  if (sqlite3_step (st) == SQLITE_ROW)
    v = sqlite3_column_int64 (st, 0);
  sqlite3_finalize (st);
  sqlite3_close (db);
  return v;
}

static char *
sql_text (const char *file, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  char *v = NULL;

  g_assert_cmpint (sqlite3_open_v2 (file, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &st, NULL), ==, SQLITE_OK);
  if (sqlite3_step (st) == SQLITE_ROW)
    v = g_strdup ((const char *) sqlite3_column_text (st, 0));
  sqlite3_finalize (st);
  sqlite3_close (db);
  return v;
}

static void
sql_exec (const char *file, const char *sql)
{
  sqlite3 *db = NULL;
  char *msg = NULL;

  g_assert_cmpint (sqlite3_open (file, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
  sqlite3_close (db);
}

static JgSampleMetrics
doa_metrics (double err)
{
  JgSampleMetrics m = { !isnan (err), err, err, err / 2, err / 3, NAN, NAN, -1 };
  return m;
}

/* Five samples of three tasks, as a manifest would give them. */
static const JgStoreSample five[] = {
  { "/d/task1_00000", JG_TASK_SPATIAL_DOA, "M", "azimuth: -7; elevation: -22", NULL },
  { "/d/task1_00001", JG_TASK_SPATIAL_DOA, "F", "azimuth: 3; elevation: 0", NULL },
  { "/d/task1_00000", JG_TASK_VISUAL_GROUNDING, NULL, "bbox_0=Bbox(speaker, 0.14, -0.48, -1.15, 0.33, 0.88, 0.32)",
    "{\"path\": \"/d/task1_00000\", \"task\": \"visual_grounding\", \"text\": \"bbox_0=Bbox(speaker, 0.14, -0.48, -1.15, 0.33, 0.88, 0.32)\", \"obj_category\": [\"speaker\"]}" },
  { "/d/task2_00000", JG_TASK_DUAL_SOURCE, "female", "Left", NULL },
  { "/d/task2_50%_off", JG_TASK_DUAL_SOURCE, "male", "Right", NULL },
};

static gint64
add_five (JgStore *store, gint64 *ids)
{
  g_autoptr(GError) error = NULL;
  gint64 ds = jg_store_ensure_dataset (store, "test-five", "/m/five.json", five, 5, ids, &error);

  g_assert_no_error (error);
  g_assert_cmpint (ds, >, 0);
  return ds;
}

static void
test_schema (void)
{
  g_autofree char *path = tmp_path ("schema.db");
  g_autoptr(GError) error = NULL;
  g_autofree char *mode = NULL;

  {
    g_autoptr(JgStore) store = jg_store_open (path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (jg_store_get_schema_version (store), ==, JG_STORE_SCHEMA_VERSION);
  }
  mode = sql_text (path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
  g_assert_cmpint (sql_int (path, "PRAGMA user_version"), ==, 2);
  g_assert_cmpint (sql_int (path, "PRAGMA application_id"), ==, 0x4a474552);
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN"
                                  " ('datasets', 'samples', 'runs', 'predictions', 'metrics', 'tags',"
                                  " 'notes', 'curation_log')"), ==, 8);
  /* Reopening changes nothing. */
  {
    g_autoptr(JgStore) store = jg_store_open (path, &error);
    g_assert_no_error (error);
  }
}

static void
test_runs_and_queries (void)
{
  g_autofree char *path = tmp_path ("runs.db");
  g_autoptr(GError) error = NULL;
  g_autoptr(JgStore) store = jg_store_open (path, &error);
  gint64 ids[5], ids2[5], ds, run_a, run_b;
  JgStorePrediction pa[5], pb[4];
  JgStoreRunInfo info_a = { NULL, "JAEGER Neural IV", "/w/niv", "{\"greedy\":true}", "2026-11-26T09:00:00Z" };
  JgStoreRunInfo info_b = { "baseline", NULL, NULL, NULL, NULL };
  JgStoreFilter f;
  guint counts[4];

  g_assert_no_error (error);
  ds = add_five (store, ids);
  /* Adding the same dataset again updates, never duplicates. */
  g_assert_cmpint (jg_store_ensure_dataset (store, "test-five", NULL, five, 5, ids2, &error), ==, ds);
  g_assert_cmpmem (ids, sizeof ids, ids2, sizeof ids2);
  {
    g_autoptr(GArray) d = jg_store_list_datasets (store, &error);
    g_assert_cmpuint (d->len, ==, 1);
    g_assert_cmpuint (g_array_index (d, JgStoreDataset, 0).n_samples, ==, 5);
    g_assert_cmpstr (g_array_index (d, JgStoreDataset, 0).manifest, ==, "/m/five.json");
  }

  pa[0] = (JgStorePrediction) { ids[0], "azimuth: -5; elevation: -22", doa_metrics (2.0) };
  pa[1] = (JgStorePrediction) { ids[1], "no idea", doa_metrics (NAN) };
  pa[2] = (JgStorePrediction) { ids[2], "bbox_0=Bbox(speaker,14, -48, -115, 33, 88, 32)",
                                { TRUE, 0.25, NAN, NAN, NAN, 0.75, 0.05, -1 } };
  pa[3] = (JgStorePrediction) { ids[3], "Left", { TRUE, 0.0, NAN, NAN, NAN, NAN, NAN, 1 } };
  pa[4] = (JgStorePrediction) { ids[4], "left", { TRUE, 1.0, NAN, NAN, NAN, NAN, NAN, 0 } };
  run_a = jg_store_add_run (store, ds, &info_a, pa, 5, NULL, NULL, &error);
  g_assert_no_error (error);
  pb[0] = (JgStorePrediction) { ids[0], "azimuth: -7; elevation: -12", doa_metrics (10.0) };
  pb[1] = (JgStorePrediction) { ids[1], "azimuth: 3; elevation: 1", doa_metrics (1.0) };
  pb[2] = (JgStorePrediction) { ids[3], "Right", { TRUE, 1.0, NAN, NAN, NAN, NAN, NAN, 0 } };
  pb[3] = (JgStorePrediction) { ids[4], "Right", { TRUE, 0.0, NAN, NAN, NAN, NAN, NAN, 1 } };
  run_b = jg_store_add_run (store, ds, &info_b, pb, 4, NULL, NULL, &error);
  g_assert_no_error (error);

  {
    g_autoptr(GArray) runs = jg_store_list_runs (store, ds, &error);
    const JgStoreRun *r;
    g_assert_cmpuint (runs->len, ==, 2);
    r = &g_array_index (runs, JgStoreRun, 0);
    g_assert_cmpint (r->id, ==, run_a);
    g_assert_cmpstr (r->name, ==, "JAEGER Neural IV");
    g_assert_cmpstr (r->checkpoint, ==, "/w/niv");
    g_assert_cmpstr (r->settings, ==, "{\"greedy\":true}");
    g_assert_cmpstr (r->date, ==, "2026-11-26T09:00:00Z");
    g_assert_cmpuint (r->n_predictions, ==, 5);
    r = &g_array_index (runs, JgStoreRun, 1);
    g_assert_cmpstr (r->name, ==, "baseline");
    g_assert_nonnull (g_date_time_new_from_iso8601 (r->date, NULL));
    g_assert_cmpuint (r->n_predictions, ==, 4);
  }

  /* Everything, manifest order, both runs side by side. */
  {
    g_autoptr(JgStoreRows) rows = jg_store_query (store, run_a, run_b, NULL, JG_STORE_SORT_SAMPLE, FALSE, &error);
    const JgStoreRow *r;
    g_assert_no_error (error);
    g_assert_cmpuint (jg_store_rows_get_n (rows), ==, 5);
    r = jg_store_rows_get (rows, 0);
    g_assert_cmpint (r->sample_id, ==, ids[0]);
    g_assert_cmpint (r->task, ==, JG_TASK_SPATIAL_DOA);
    g_assert_cmpstr (r->gender, ==, "M");
    g_assert_cmpstr (r->pred_text[0], ==, "azimuth: -5; elevation: -22");
    g_assert_cmpfloat (r->metrics[0].error, ==, 2.0);
    g_assert_cmpfloat (r->metrics[0].az, ==, 1.0);
    g_assert_true (isnan (r->metrics[0].iou));
    g_assert_cmpint (r->metrics[0].correct, ==, -1);
    g_assert_cmpfloat (r->metrics[1].error, ==, 10.0);
    r = jg_store_rows_get (rows, 1);
    g_assert_false (r->metrics[0].parsed);
    g_assert_true (isnan (r->metrics[0].error));
    g_assert_cmpstr (r->pred_text[0], ==, "no idea");
    r = jg_store_rows_get (rows, 2);
    g_assert_cmpint (r->task, ==, JG_TASK_VISUAL_GROUNDING);
    g_assert_null (r->gender);
    g_assert_cmpfloat (r->metrics[0].iou, ==, 0.75);
    g_assert_cmpfloat (r->metrics[0].offset, ==, 0.05);
    /* Run B has no grounding answer for it. */
    g_assert_true (r->has_prediction[0]);
    g_assert_false (r->has_prediction[1]);
    g_assert_null (r->pred_text[1]);
    g_assert_true (isnan (r->metrics[1].error));
    g_assert_cmpint (jg_store_rows_get (rows, 3)->metrics[0].correct, ==, 1);

    /* Error histogram of run A over [0, 4): 0, 0.25 and 1 in bin 0, 2 in bin 2. */
    g_assert_cmpuint (jg_store_rows_histogram (rows, 0, 0, 4, 4, counts), ==, 4);
    g_assert_cmpuint (counts[0], ==, 2);
    g_assert_cmpuint (counts[1], ==, 1);
    g_assert_cmpuint (counts[2], ==, 1);
    g_assert_cmpuint (counts[3], ==, 0);
  }

  /* Sort by run A's error, unscored last; descending keeps them last. */
  {
    g_autoptr(JgStoreRows) up = jg_store_query (store, run_a, 0, NULL, JG_STORE_SORT_ERROR_A, FALSE, &error);
    g_autoptr(JgStoreRows) down = jg_store_query (store, run_a, 0, NULL, JG_STORE_SORT_ERROR_A, TRUE, &error);
    gint64 up_ids[] = { ids[3], ids[2], ids[4], ids[0], ids[1] };
    gint64 down_ids[] = { ids[0], ids[4], ids[2], ids[3], ids[1] };
    for (int i = 0; i < 5; i++)
      {
        g_assert_cmpint (jg_store_rows_get (up, i)->sample_id, ==, up_ids[i]);
        g_assert_cmpint (jg_store_rows_get (down, i)->sample_id, ==, down_ids[i]);
      }
  }
  /* B - A: sample 0 got worse by 8, sample 3 by 1, sample 4 better by 1. */
  {
    g_autoptr(JgStoreRows) d = jg_store_query (store, run_a, run_b, NULL, JG_STORE_SORT_ERROR_DELTA, TRUE, &error);
    g_assert_cmpint (jg_store_rows_get (d, 0)->sample_id, ==, ids[0]);
    g_assert_cmpint (jg_store_rows_get (d, 1)->sample_id, ==, ids[3]);
    g_assert_cmpint (jg_store_rows_get (d, 2)->sample_id, ==, ids[4]);
  }

  /* Filters. */
  jg_store_filter_init (&f);
  f.task = JG_TASK_DUAL_SOURCE;
  {
    g_autoptr(JgStoreRows) r = jg_store_query (store, run_a, 0, &f, JG_STORE_SORT_PATH, FALSE, &error);
    g_assert_cmpuint (jg_store_rows_get_n (r), ==, 2);
    g_assert_cmpstr (jg_store_rows_get (r, 0)->path, ==, "/d/task2_00000");
  }
  jg_store_filter_init (&f);
  f.error_min = 0.2;
  f.error_max = 1.0;
  {
    g_autoptr(JgStoreRows) r = jg_store_query (store, run_a, 0, &f, JG_STORE_SORT_SAMPLE, FALSE, &error);
    g_assert_cmpuint (jg_store_rows_get_n (r), ==, 2);   /* 0.25 and 1.0 */
  }
  jg_store_filter_init (&f);
  f.unparsed_only = TRUE;
  {
    g_autoptr(JgStoreRows) r = jg_store_query (store, run_a, 0, &f, JG_STORE_SORT_SAMPLE, FALSE, &error);
    g_assert_cmpuint (jg_store_rows_get_n (r), ==, 1);
    g_assert_cmpint (jg_store_rows_get (r, 0)->sample_id, ==, ids[1]);
  }
  /* Text: case-insensitive, '%' and '_' literal, notes searched too. */
  jg_store_filter_init (&f);
  f.text = "50%_OFF";
  {
    g_autoptr(JgStoreRows) r = jg_store_query (store, run_a, 0, &f, JG_STORE_SORT_SAMPLE, FALSE, &error);
    g_assert_cmpuint (jg_store_rows_get_n (r), ==, 1);
    g_assert_cmpint (jg_store_rows_get (r, 0)->sample_id, ==, ids[4]);
  }
  g_assert_true (jg_store_set_note (store, ids[1], "Loudspeaker hidden behind a sofa", &error));
  g_assert_true (jg_store_set_tag (store, ids[1], JG_TAG_NEEDS_FIX, &error));
  f.text = "SOFA";
  {
    g_autoptr(JgStoreRows) r = jg_store_query (store, run_a, 0, &f, JG_STORE_SORT_SAMPLE, FALSE, &error);
    g_assert_cmpuint (jg_store_rows_get_n (r), ==, 1);
    g_assert_cmpstr (jg_store_rows_get (r, 0)->note, ==, "Loudspeaker hidden behind a sofa");
    g_assert_cmpint (jg_store_rows_get (r, 0)->tag, ==, JG_TAG_NEEDS_FIX);
  }
  jg_store_filter_init (&f);
  f.tag = JG_TAG_NONE;
  {
    g_autoptr(JgStoreRows) r = jg_store_query (store, run_a, 0, &f, JG_STORE_SORT_SAMPLE, FALSE, &error);
    g_assert_cmpuint (jg_store_rows_get_n (r), ==, 4);
  }

  /* A prediction for a sample of another dataset fails the whole run. */
  {
    JgStoreSample other = { "/o/x", JG_TASK_SPATIAL_DOA, NULL, "azimuth: 0; elevation: 0", NULL };
    gint64 oid;
    gint64 ods = jg_store_ensure_dataset (store, "other", NULL, &other, 1, &oid, &error);
    JgStorePrediction bad[2] = { { ids[0], "x", doa_metrics (1) }, { oid, "y", doa_metrics (1) } };
    g_assert_no_error (error);
    g_assert_cmpint (jg_store_add_run (store, ds, &info_b, bad, 2, NULL, NULL, &error), ==, 0);
    g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "is not in dataset"));
    g_clear_error (&error);
    g_assert_cmpint (sql_int (path, "SELECT count(*) FROM runs"), ==, 2);
    g_assert_cmpint (sql_int (path, "SELECT count(*) FROM predictions"), ==, 9);
    /* Runs of different datasets cannot be compared. */
    {
      gint64 orun = jg_store_add_run (store, ods, &info_b, bad + 1, 1, NULL, NULL, &error);
      g_assert_no_error (error);
      g_assert_null (jg_store_query (store, run_a, orun, NULL, JG_STORE_SORT_SAMPLE, FALSE, &error));
      g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
      g_clear_error (&error);
      g_assert_true (jg_store_delete_run (store, orun, &error));
    }
  }

  /* Deleting a run takes its predictions and metrics with it. */
  g_assert_true (jg_store_delete_run (store, run_b, &error));
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM predictions"), ==, 5);
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM metrics"), ==, 5);
  g_assert_null (jg_store_query (store, run_b, 0, NULL, JG_STORE_SORT_SAMPLE, FALSE, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
}

static void
test_curation_undo (void)
{
  g_autofree char *path = tmp_path ("curation.db");
  g_autoptr(GError) error = NULL;
  gint64 ids[5], sid = -1, ds;

  {
    g_autoptr(JgStore) store = jg_store_open (path, &error);
    g_assert_no_error (error);
    ds = add_five (store, ids);
    g_assert_false (jg_store_can_undo (store));
    g_assert_true (jg_store_undo (store, &sid, &error));
    g_assert_cmpint (sid, ==, 0);

    g_assert_true (jg_store_set_tag (store, ids[0], JG_TAG_ACCEPT, &error));
    g_assert_true (jg_store_set_tag (store, ids[0], JG_TAG_REJECT, &error));
    g_assert_true (jg_store_set_tag (store, ids[2], JG_TAG_REJECT, &error));
    g_assert_true (jg_store_set_note (store, ids[2], "box too tall", &error));
    /* Setting what is already there is not a change. */
    g_assert_true (jg_store_set_tag (store, ids[2], JG_TAG_REJECT, &error));
    g_assert_cmpint (sql_int (path, "SELECT count(*) FROM curation_log"), ==, 4);

    /* A curated manifest leaves out the rejected ones, in manifest order,
     * with their entries as given. */
    {
      g_autoptr(GPtrArray) e = jg_store_curated_entries (store, ds, &error);
      g_assert_cmpuint (e->len, ==, 3);
      g_assert_nonnull (strstr (g_ptr_array_index (e, 0), "\"/d/task1_00001\""));
      g_assert_nonnull (strstr (g_ptr_array_index (e, 0), "\"gender\":\"F\""));
    }

    g_assert_true (jg_store_undo (store, &sid, &error));     /* the note */
    g_assert_cmpint (sid, ==, ids[2]);
    g_assert_null (jg_store_get_note (store, ids[2]));
    g_assert_true (jg_store_undo (store, &sid, &error));     /* reject of 2 */
    g_assert_cmpint (jg_store_get_tag (store, ids[2]), ==, JG_TAG_NONE);
    g_assert_true (jg_store_undo (store, &sid, &error));     /* reject of 0 -> accept */
    g_assert_cmpint (sid, ==, ids[0]);
    g_assert_cmpint (jg_store_get_tag (store, ids[0]), ==, JG_TAG_ACCEPT);
    g_assert_true (jg_store_can_redo (store));
    g_assert_true (jg_store_redo (store, &sid, &error));     /* accept -> reject again */
    g_assert_cmpint (jg_store_get_tag (store, ids[0]), ==, JG_TAG_REJECT);
    g_assert_no_error (error);
  }
  /* The history survives closing the store. */
  {
    g_autoptr(JgStore) store = jg_store_open (path, &error);
    g_autofree char *note = NULL;
    g_assert_true (jg_store_can_redo (store));
    g_assert_true (jg_store_redo (store, &sid, &error));     /* reject of 2 */
    g_assert_cmpint (jg_store_get_tag (store, ids[2]), ==, JG_TAG_REJECT);
    /* A new change drops the rest of the redo history (the note). */
    g_assert_true (jg_store_set_tag (store, ids[3], JG_TAG_ACCEPT, &error));
    g_assert_false (jg_store_can_redo (store));
    g_assert_true (jg_store_redo (store, &sid, &error));
    g_assert_cmpint (sid, ==, 0);
    note = jg_store_get_note (store, ids[2]);
    g_assert_null (note);
    g_assert_true (jg_store_set_note (store, ids[3], "ok", &error));
    note = jg_store_get_note (store, ids[3]);
    g_assert_cmpstr (note, ==, "ok");
    g_assert_true (jg_store_set_note (store, ids[3], "", &error));
    g_assert_null (jg_store_get_note (store, ids[3]));

    g_assert_false (jg_store_set_tag (store, 99999, JG_TAG_ACCEPT, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "no sample 99999"));
  }
}

/* Version 1 as it shipped, written without the store's code. */
static const char v1_schema[] =
  "CREATE TABLE datasets (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, manifest TEXT, created TEXT NOT NULL);"
  "CREATE TABLE samples (id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
  " ord INTEGER NOT NULL, path TEXT NOT NULL, task TEXT NOT NULL, gender TEXT, gt_text TEXT NOT NULL, entry TEXT NOT NULL,"
  " UNIQUE (dataset_id, path, task));"
  "CREATE TABLE runs (id INTEGER PRIMARY KEY, dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
  " name TEXT NOT NULL, model TEXT, checkpoint TEXT, settings TEXT, date TEXT NOT NULL);"
  "CREATE TABLE predictions (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
  " sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE, pred_text TEXT, parsed INTEGER NOT NULL,"
  " PRIMARY KEY (run_id, sample_id)) WITHOUT ROWID;"
  "CREATE TABLE metrics (run_id INTEGER NOT NULL, sample_id INTEGER NOT NULL, error REAL, angle REAL, az REAL,"
  " el REAL, iou REAL, offset REAL, correct INTEGER, PRIMARY KEY (run_id, sample_id),"
  " FOREIGN KEY (run_id, sample_id) REFERENCES predictions(run_id, sample_id) ON DELETE CASCADE) WITHOUT ROWID;"
  "CREATE TABLE tags (sample_id INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,"
  " tag TEXT NOT NULL CHECK (tag IN ('accept', 'reject', 'needs-fix')), updated TEXT NOT NULL);"
  "CREATE TABLE notes (sample_id INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,"
  " text TEXT NOT NULL, updated TEXT NOT NULL);"
  "CREATE INDEX runs_dataset ON runs(dataset_id);"
  "INSERT INTO datasets VALUES (1, 'old', NULL, '2026-01-01T00:00:00Z');"
  "INSERT INTO samples VALUES (7, 1, 0, '/old/task1_00000', 'spatial_doa', 'M', 'azimuth: 1; elevation: 2', '{}');"
  "INSERT INTO tags VALUES (7, 'needs-fix', '2026-01-01T00:00:00Z');"
  "PRAGMA application_id = 1246184786;"
  "PRAGMA user_version = 1;";

static void
test_migration (void)
{
  g_autofree char *path = tmp_path ("v1.db");
  g_autoptr(GError) error = NULL;
  gint64 sid = 0;

  sql_exec (path, v1_schema);
  {
    g_autoptr(JgStore) store = jg_store_open (path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (jg_store_get_schema_version (store), ==, 2);
    g_assert_cmpint (jg_store_get_tag (store, 7), ==, JG_TAG_NEEDS_FIX);
    g_assert_true (jg_store_set_tag (store, 7, JG_TAG_ACCEPT, &error));
    g_assert_true (jg_store_undo (store, &sid, &error));
    g_assert_cmpint (sid, ==, 7);
    g_assert_cmpint (jg_store_get_tag (store, 7), ==, JG_TAG_NEEDS_FIX);
  }
  g_assert_cmpint (sql_int (path, "PRAGMA user_version"), ==, 2);
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM samples"), ==, 1);
}

static void
expect_open_error (const char *path, int code, const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgStore) store = jg_store_open (path, &error);

  g_assert_null (store);
  g_assert_error (error, JG_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, path));
  g_assert_nonnull (strstr (error->message, fragment));
}

static void
test_foreign_files (void)
{
  g_autofree char *text = tmp_path ("text.db");
  g_autofree char *other = tmp_path ("other.db");
  g_autofree char *newer = tmp_path ("newer.db");

  g_assert_true (g_file_set_contents (text, "this is not a database, it is a text file long enough to have a header ......................................", -1, NULL));
  expect_open_error (text, JG_ERROR_INVALID_DATA, "not a Jaeger results store");
  sql_exec (other, "CREATE TABLE recipes (name TEXT);");
  expect_open_error (other, JG_ERROR_INVALID_DATA, "another program");
  sql_exec (newer, "PRAGMA application_id = 1246184786; PRAGMA user_version = 9; CREATE TABLE future (x);");
  expect_open_error (newer, JG_ERROR_UNSUPPORTED, "schema version 9");
  expect_open_error (tmpdir, JG_ERROR_IO, "cannot open");
}

/* ---- killing a writer ---- */

#define N_SAMPLES 4000
#define N_COMMITTED_RUNS 3

static void
write_all (int fd, const char *s)
{
  gsize n = strlen (s);
  while (n > 0)
    {
      ssize_t w = write (fd, s, n);
      if (w <= 0)
        _exit (3);
      s += w;
      n -= (gsize) w;
    }
}

static gboolean
stall_mid_run (guint done, guint total, gpointer fd)
{
  /* Well inside the last transaction, its rows already spilled to the
   * write-ahead log: tell the parent and wait for SIGKILL. */
  if (done >= 3072)
    {
      write_all (GPOINTER_TO_INT (fd), "M\n");
      for (;;)
        pause ();
    }
  return TRUE;
}

static void
writer_child (const char *path, const gint64 *ids, gint64 ds, int fd)
{
  g_autoptr(JgStore) store = jg_store_open (path, NULL);
  g_autofree JgStorePrediction *p = g_new0 (JgStorePrediction, N_SAMPLES);
  g_autofree char *big = g_strnfill (2500, 'x');

  if (store == NULL)
    _exit (2);
  for (int r = 0; r < N_COMMITTED_RUNS; r++)
    {
      JgStoreRunInfo info = { NULL, "committed", NULL, NULL, NULL };
      for (int i = 0; i < N_SAMPLES; i++)
        p[i] = (JgStorePrediction) { ids[i], "azimuth: 1; elevation: 2", doa_metrics (r + i * 0.001) };
      if (jg_store_add_run (store, ds, &info, p, N_SAMPLES, NULL, NULL, NULL) == 0)
        _exit (4);
      write_all (fd, "R\n");
    }
  for (int i = 0; i < 10; i++)
    {
      if (!jg_store_set_tag (store, ids[i], JG_TAG_ACCEPT, NULL))
        _exit (5);
      write_all (fd, "T\n");
    }
  /* The last run is big (10 MB of answers), more than SQLite's page cache
   * holds, so its pages reach the log file before the kill. */
  {
    JgStoreRunInfo info = { NULL, "killed", NULL, NULL, NULL };
    for (int i = 0; i < N_SAMPLES; i++)
      p[i] = (JgStorePrediction) { ids[i], big, doa_metrics (7) };
    jg_store_add_run (store, ds, &info, p, N_SAMPLES, stall_mid_run, GINT_TO_POINTER (fd), NULL);
  }
  _exit (6);
}

static void
test_kill_mid_transaction (void)
{
  g_autofree char *path = tmp_path ("killed.db");
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree JgStoreSample *s = g_new0 (JgStoreSample, N_SAMPLES);
  g_autofree gint64 *ids = g_new0 (gint64, N_SAMPLES);
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) got = g_string_new (NULL);
  g_autofree char *check = NULL;
  gint64 ds;
  int fds[2], status;
  pid_t pid;
  char buf[256];
  GStatBuf st;

  {
    g_autoptr(JgStore) store = jg_store_open (path, &error);
    g_assert_no_error (error);
    for (int i = 0; i < N_SAMPLES; i++)
      {
        g_ptr_array_add (paths, g_strdup_printf ("/k/task1_%05d", i));
        s[i] = (JgStoreSample) { g_ptr_array_index (paths, i), JG_TASK_SPATIAL_DOA, "M",
                                 "azimuth: 1; elevation: 2", NULL };
      }
    ds = jg_store_ensure_dataset (store, "kill", NULL, s, N_SAMPLES, ids, &error);
    g_assert_no_error (error);
  }

  g_assert_cmpint (pipe (fds), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      close (fds[0]);
      writer_child (path, ids, ds, fds[1]);
    }
  close (fds[1]);
  while (strchr (got->str, 'M') == NULL)
    {
      ssize_t n = read (fds[0], buf, sizeof buf);
      if (n <= 0)
        break;
      g_string_append_len (got, buf, n);
    }
  g_assert_nonnull (strchr (got->str, 'M'));
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_test_message ("log file at the kill: %" G_GINT64_FORMAT " bytes", (gint64) st.st_size);
  g_assert_cmpint (st.st_size, >, 4 * 1024 * 1024);
  g_assert_cmpint (kill (pid, SIGKILL), ==, 0);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  close (fds[0]);

  /* Exactly the committed rows: 3 runs of 4000, 10 tags, no trace of the
   * fourth run, and a file SQLite finds sound. */
  {
    g_autoptr(JgStore) store = jg_store_open (path, &error);
    g_autoptr(GArray) runs = NULL;
    g_assert_no_error (error);
    runs = jg_store_list_runs (store, ds, &error);
    g_assert_cmpuint (runs->len, ==, N_COMMITTED_RUNS);
    for (guint i = 0; i < runs->len; i++)
      {
        g_assert_cmpstr (g_array_index (runs, JgStoreRun, i).name, ==, "committed");
        g_assert_cmpuint (g_array_index (runs, JgStoreRun, i).n_predictions, ==, N_SAMPLES);
      }
  }
  check = sql_text (path, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM pragma_foreign_key_check"), ==, 0);
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM predictions"), ==, N_COMMITTED_RUNS * N_SAMPLES);
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM metrics"), ==, N_COMMITTED_RUNS * N_SAMPLES);
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM predictions WHERE length(pred_text) > 100"), ==, 0);
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM tags WHERE tag = 'accept'"), ==, 10);
  g_assert_cmpint (sql_int (path, "SELECT count(*) FROM curation_log"), ==, 10);
}

/* A writer making one-row changes as fast as it can, killed at a random
 * moment (maybe inside COMMIT): every change it reported done is there, at
 * most the one in flight besides, and the tags agree with the log. */
static void
test_kill_at_random (void)
{
  g_autofree char *path = tmp_path ("random.db");
  g_autoptr(GError) error = NULL;
  gint64 ids[5], ds;
  g_autofree char *check = NULL;

  {
    g_autoptr(JgStore) store = jg_store_open (path, &error);
    ds = add_five (store, ids);
    (void) ds;
  }
  for (int round = 0; round < 4; round++)
    {
      int fds[2];
      pid_t pid;
      guint reported = 0;
      gint64 before = sql_int (path, "SELECT count(*) FROM curation_log");
      gint64 after;
      char buf[4096];

      g_assert_cmpint (pipe (fds), ==, 0);
      pid = fork ();
      if (pid == 0)
        {
          JgStore *store = jg_store_open (path, NULL);
          close (fds[0]);
          if (store == NULL)
            _exit (2);
          for (guint i = 0;; i++)
            {
              /* Always a real change: the next tag after the current one. */
              JgTag next = (JgTag) (jg_store_get_tag (store, ids[i % 5]) % 3 + 1);
              if (!jg_store_set_tag (store, ids[i % 5], next, NULL))
                _exit (3);
              write_all (fds[1], "c");
            }
        }
      close (fds[1]);
      /* Let it get going, then kill it mid-stride. */
      while (reported < 20)
        {
          ssize_t n = read (fds[0], buf, sizeof buf);
          g_assert_cmpint (n, >, 0);
          reported += (guint) n;
        }
      g_usleep (g_random_int_range (0, 20000));
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      for (;;)
        {
          ssize_t n = read (fds[0], buf, sizeof buf);
          if (n <= 0)
            break;
          reported += (guint) n;
        }
      close (fds[0]);
      after = sql_int (path, "SELECT count(*) FROM curation_log");
      g_test_message ("round %d: %u changes reported, %" G_GINT64_FORMAT " in the file",
                      round, reported, after - before);
      g_assert_cmpint (after - before, >=, reported);
      g_assert_cmpint (after - before, <=, reported + 1);
      /* The last logged value of each sample is its tag. */
      g_assert_cmpint (sql_int (path,
        "SELECT count(*) FROM tags t WHERE t.tag IS NOT (SELECT new_value FROM curation_log l"
        " WHERE l.sample_id = t.sample_id ORDER BY l.id DESC LIMIT 1)"), ==, 0);
      check = sql_text (path, "PRAGMA integrity_check");
      g_assert_cmpstr (check, ==, "ok");
      g_clear_pointer (&check, g_free);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("jg-store-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_func ("/store/schema", test_schema);
  g_test_add_func ("/store/runs-and-queries", test_runs_and_queries);
  g_test_add_func ("/store/curation-undo", test_curation_undo);
  g_test_add_func ("/store/migration", test_migration);
  g_test_add_func ("/store/foreign-files", test_foreign_files);
  g_test_add_func ("/store/kill-mid-transaction", test_kill_mid_transaction);
  g_test_add_func ("/store/kill-at-random", test_kill_at_random);
  rc = g_test_run ();

  {
    g_autoptr(GDir) d = g_dir_open (tmpdir, 0, NULL);
    const char *name;
    while (d != NULL && (name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *p = g_build_filename (tmpdir, name, NULL);
        g_unlink (p);
      }
    g_rmdir (tmpdir);
  }
  g_free (tmpdir);
  return rc;
}
