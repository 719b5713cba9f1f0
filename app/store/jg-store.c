/* jg-store.c: see jg-store.h. */
#include "store/jg-store.h"
#include "core/jg-error.h"

#include <json-glib/json-glib.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

/* PRAGMA application_id: 'JGER', so other programs' databases are refused. */
#define JG_STORE_APP_ID 0x4a474552

struct _JgStore {
  sqlite3 *db;
  char *filename;
  int version;
};

/* Schema history. Never edit a shipped step: add the next one. */
static const char *const migrations[JG_STORE_SCHEMA_VERSION + 1] = {
  NULL,
  /* 1: datasets, samples, runs, predictions, per-sample metrics, tags, notes. */
  "CREATE TABLE datasets ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  manifest TEXT,"
  "  created TEXT NOT NULL);"
  "CREATE TABLE samples ("
  "  id INTEGER PRIMARY KEY,"
  "  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
  "  ord INTEGER NOT NULL,"
  "  path TEXT NOT NULL,"
  "  task TEXT NOT NULL,"
  "  gender TEXT,"
  "  gt_text TEXT NOT NULL,"
  "  entry TEXT NOT NULL,"
  "  UNIQUE (dataset_id, path, task));"
  "CREATE TABLE runs ("
  "  id INTEGER PRIMARY KEY,"
  "  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,"
  "  name TEXT NOT NULL,"
  "  model TEXT,"
  "  checkpoint TEXT,"
  "  settings TEXT,"
  "  date TEXT NOT NULL);"
  "CREATE TABLE predictions ("
  "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
  "  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,"
  "  pred_text TEXT,"
  "  parsed INTEGER NOT NULL,"
  "  PRIMARY KEY (run_id, sample_id)) WITHOUT ROWID;"
  "CREATE TABLE metrics ("
  "  run_id INTEGER NOT NULL,"
  "  sample_id INTEGER NOT NULL,"
  "  error REAL, angle REAL, az REAL, el REAL, iou REAL, offset REAL, correct INTEGER,"
  "  PRIMARY KEY (run_id, sample_id),"
  "  FOREIGN KEY (run_id, sample_id) REFERENCES predictions(run_id, sample_id)"
  "    ON DELETE CASCADE) WITHOUT ROWID;"
  "CREATE TABLE tags ("
  "  sample_id INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,"
  "  tag TEXT NOT NULL CHECK (tag IN ('accept', 'reject', 'needs-fix')),"
  "  updated TEXT NOT NULL);"
  "CREATE TABLE notes ("
  "  sample_id INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,"
  "  text TEXT NOT NULL,"
  "  updated TEXT NOT NULL);"
  "CREATE INDEX runs_dataset ON runs(dataset_id);",
  /* 2: curation history for undo / redo. */
  "CREATE TABLE curation_log ("
  "  id INTEGER PRIMARY KEY,"
  "  sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,"
  "  kind TEXT NOT NULL CHECK (kind IN ('tag', 'note')),"
  "  old_value TEXT,"
  "  new_value TEXT,"
  "  undone INTEGER NOT NULL DEFAULT 0,"
  "  at TEXT NOT NULL);"
  "CREATE INDEX curation_log_undone ON curation_log(undone, id);",
};

static const char *const tag_names[] = { "none", "accept", "reject", "needs-fix" };

const char *
jg_tag_to_string (JgTag tag)
{
  g_return_val_if_fail (tag >= JG_TAG_NONE && tag <= JG_TAG_NEEDS_FIX, "none");
  return tag_names[tag];
}

gboolean
jg_tag_from_string (const char *name, JgTag *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (tag_names); i++)
    if (name != NULL && strcmp (name, tag_names[i]) == 0)
      {
        *out = (JgTag) i;
        return TRUE;
      }
  return FALSE;
}

static gboolean
db_error (JgStore *store, GError **error, const char *what)
{
  int code = sqlite3_errcode (store->db);

  g_set_error (error, JG_ERROR,
               code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? JG_ERROR_INVALID_DATA : JG_ERROR_IO,
               "%s: %s: %s", store->filename, what, sqlite3_errmsg (store->db));
  return FALSE;
}

static gboolean
exec (JgStore *store, const char *sql, GError **error)
{
  if (sqlite3_exec (store->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return db_error (store, error, sql);
  return TRUE;
}

static sqlite3_stmt *
prepare (JgStore *store, const char *sql, GError **error)
{
  sqlite3_stmt *st = NULL;

  if (sqlite3_prepare_v2 (store->db, sql, -1, &st, NULL) != SQLITE_OK)
    {
      db_error (store, error, "prepare");
      return NULL;
    }
  return st;
}

typedef sqlite3_stmt Stmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Stmt, sqlite3_finalize)

/* BEGIN IMMEDIATE takes the write lock up front, so a transaction never
 * fails half-way for want of it. */
static gboolean
begin (JgStore *store, GError **error)
{
  return exec (store, "BEGIN IMMEDIATE", error);
}

static gboolean
commit (JgStore *store, GError **error)
{
  return exec (store, "COMMIT", error);
}

static void
rollback (JgStore *store)
{
  if (!sqlite3_get_autocommit (store->db))
    sqlite3_exec (store->db, "ROLLBACK", NULL, NULL, NULL);
}

static gint64
pragma_int (JgStore *store, const char *sql, GError **error)
{
  g_autoptr(Stmt) st = prepare (store, sql, error);

  if (st == NULL)
    return -1;
  if (sqlite3_step (st) != SQLITE_ROW)
    {
      db_error (store, error, sql);
      return -1;
    }
  return sqlite3_column_int64 (st, 0);
}

static char *
now_iso8601 (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format_iso8601 (now);
}

static void
bind_text (sqlite3_stmt *st, int i, const char *s)
{
  if (s != NULL)
    sqlite3_bind_text (st, i, s, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (st, i);
}

static void
bind_real (sqlite3_stmt *st, int i, double v)
{
  if (isnan (v))
    sqlite3_bind_null (st, i);
  else
    sqlite3_bind_double (st, i, v);
}

static double
column_real (sqlite3_stmt *st, int i)
{
  return sqlite3_column_type (st, i) == SQLITE_NULL ? NAN : sqlite3_column_double (st, i);
}

static gboolean
migrate (JgStore *store, GError **error)
{
  for (int v = store->version + 1; v <= JG_STORE_SCHEMA_VERSION; v++)
    {
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d", v);
      gint64 current;

      if (!begin (store, error))
        return FALSE;
      /* Another process may have migrated while we waited for the lock. */
      current = pragma_int (store, "PRAGMA user_version", error);
      if (current < 0)
        goto fail;
      if (current >= v)
        {
          rollback (store);
          continue;
        }
      if (!exec (store, migrations[v], error)
          || !exec (store, set_version, error))
        goto fail;
      if (v == 1 && !exec (store, "PRAGMA application_id = 1246184786", error))
        goto fail;
      if (!commit (store, error))
        goto fail;
      continue;
    fail:
      rollback (store);
      return FALSE;
    }
  store->version = JG_STORE_SCHEMA_VERSION;
  return TRUE;
}

JgStore *
jg_store_open (const char *filename, GError **error)
{
  g_autoptr(JgStore) store = g_new0 (JgStore, 1);
  gint64 app_id, version, n_tables;
  g_autofree char *mode = NULL;

  G_STATIC_ASSERT (JG_STORE_APP_ID == 1246184786);
  store->filename = g_strdup (filename);
  /* NOMUTEX: a JgStore belongs to one thread at a time, so SQLite's
   * per-call locking is pure cost (a tenth of a full-table query). */
  if (sqlite3_open_v2 (filename, &store->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: cannot open: %s", filename,
                   store->db ? sqlite3_errmsg (store->db) : "out of memory");
      return NULL;
    }
  sqlite3_extended_result_codes (store->db, 0);
  sqlite3_busy_timeout (store->db, 5000);

  app_id = pragma_int (store, "PRAGMA application_id", NULL);
  if (app_id < 0)
    {
      /* SQLite opens lazily: an unreadable path shows up here too. */
      if (sqlite3_errcode (store->db) == SQLITE_NOTADB)
        g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                     "%s: not a Jaeger results store (%s)", filename, sqlite3_errmsg (store->db));
      else
        g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: cannot open: %s", filename,
                     sqlite3_errmsg (store->db));
      return NULL;
    }
  n_tables = pragma_int (store, "SELECT count(*) FROM sqlite_schema", error);
  if (n_tables < 0)
    return NULL;
  if (app_id != JG_STORE_APP_ID && (app_id != 0 || n_tables > 0))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: not a Jaeger results store (a database of another program)", filename);
      return NULL;
    }
  version = pragma_int (store, "PRAGMA user_version", error);
  if (version < 0)
    return NULL;
  if (version > JG_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "%s: written by a newer Jaeger Studio (schema version %" G_GINT64_FORMAT
                   ", this one knows up to %d)", filename, version, JG_STORE_SCHEMA_VERSION);
      return NULL;
    }
  store->version = (int) version;

  /* WAL: readers (the UI) never block the writer and a crash can only lose
   * an uncommitted transaction. FULL syncs the log at every commit, so a
   * change reported saved survives power loss too. */
  {
    g_autoptr(Stmt) st = prepare (store, "PRAGMA journal_mode = WAL", error);
    if (st == NULL)
      return NULL;
    if (sqlite3_step (st) != SQLITE_ROW)
      {
        db_error (store, error, "PRAGMA journal_mode");
        return NULL;
      }
    mode = g_strdup ((const char *) sqlite3_column_text (st, 0));
  }
  if (g_strcmp0 (mode, "wal") != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_IO,
                   "%s: cannot use write-ahead logging (journal mode stays '%s')", filename,
                   mode ? mode : "?");
      return NULL;
    }
  if (!exec (store, "PRAGMA synchronous = FULL", error)
      || !exec (store, "PRAGMA foreign_keys = ON", error))
    return NULL;
  if (!migrate (store, error))
    return NULL;
  return g_steal_pointer (&store);
}

void
jg_store_free (JgStore *store)
{
  if (store == NULL)
    return;
  if (store->db != NULL)
    sqlite3_close_v2 (store->db);
  g_free (store->filename);
  g_free (store);
}

int
jg_store_get_schema_version (JgStore *store)
{
  return store->version;
}

/* ---- datasets ---- */

/* A manifest entry for samples added without one. */
static char *
minimal_entry (const JgStoreSample *s)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, s->path);
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, s->gt_text);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, jg_task_to_string (s->task));
  if (s->gender != NULL)
    {
      json_builder_set_member_name (b, "gender");
      json_builder_add_string_value (b, s->gender);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

gint64
jg_store_ensure_dataset (JgStore *store, const char *name, const char *manifest,
                         const JgStoreSample *samples, guint n_samples, gint64 *ids,
                         GError **error)
{
  g_autoptr(Stmt) find = NULL;
  g_autoptr(Stmt) ins = NULL;
  g_autofree char *now = now_iso8601 ();
  gint64 dataset_id = 0;

  if (!begin (store, error))
    return 0;
  find = prepare (store, "SELECT id FROM datasets WHERE name = ?", error);
  if (find == NULL)
    goto fail;
  bind_text (find, 1, name);
  if (sqlite3_step (find) == SQLITE_ROW)
    {
      g_autoptr(Stmt) up = NULL;

      dataset_id = sqlite3_column_int64 (find, 0);
      if (manifest != NULL)
        {
          up = prepare (store, "UPDATE datasets SET manifest = ? WHERE id = ?", error);
          if (up == NULL)
            goto fail;
          bind_text (up, 1, manifest);
          sqlite3_bind_int64 (up, 2, dataset_id);
          if (sqlite3_step (up) != SQLITE_DONE)
            {
              db_error (store, error, "update dataset");
              goto fail;
            }
        }
    }
  else
    {
      g_autoptr(Stmt) add = prepare (store,
        "INSERT INTO datasets (name, manifest, created) VALUES (?, ?, ?)", error);
      if (add == NULL)
        goto fail;
      bind_text (add, 1, name);
      bind_text (add, 2, manifest);
      bind_text (add, 3, now);
      if (sqlite3_step (add) != SQLITE_DONE)
        {
          db_error (store, error, "add dataset");
          goto fail;
        }
      dataset_id = sqlite3_last_insert_rowid (store->db);
    }

  ins = prepare (store,
    "INSERT INTO samples (dataset_id, ord, path, task, gender, gt_text, entry)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (dataset_id, path, task) DO UPDATE SET ord = excluded.ord,"
    " gender = excluded.gender, gt_text = excluded.gt_text, entry = excluded.entry"
    " RETURNING id", error);
  if (ins == NULL)
    goto fail;
  for (guint i = 0; i < n_samples; i++)
    {
      const JgStoreSample *s = &samples[i];
      g_autofree char *made = s->entry ? NULL : minimal_entry (s);

      sqlite3_bind_int64 (ins, 1, dataset_id);
      sqlite3_bind_int64 (ins, 2, i);
      bind_text (ins, 3, s->path);
      bind_text (ins, 4, jg_task_to_string (s->task));
      bind_text (ins, 5, s->gender);
      bind_text (ins, 6, s->gt_text ? s->gt_text : "");
      bind_text (ins, 7, s->entry ? s->entry : made);
      if (sqlite3_step (ins) != SQLITE_ROW)
        {
          db_error (store, error, "add sample");
          goto fail;
        }
      if (ids != NULL)
        ids[i] = sqlite3_column_int64 (ins, 0);
      /* Drain RETURNING before the next row. */
      while (sqlite3_step (ins) == SQLITE_ROW)
        ;
      sqlite3_reset (ins);
    }
  if (!commit (store, error))
    goto fail;
  return dataset_id;

fail:
  rollback (store);
  return 0;
}

static void
dataset_clear (gpointer p)
{
  JgStoreDataset *d = p;

  g_free (d->name);
  g_free (d->manifest);
}

GArray *
jg_store_list_datasets (JgStore *store, GError **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (JgStoreDataset));
  g_autoptr(Stmt) st = prepare (store,
    "SELECT d.id, d.name, d.manifest, (SELECT count(*) FROM samples s WHERE s.dataset_id = d.id)"
    " FROM datasets d ORDER BY d.id", error);
  int rc;

  if (st == NULL)
    return NULL;
  g_array_set_clear_func (out, dataset_clear);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      JgStoreDataset d = {
        sqlite3_column_int64 (st, 0),
        g_strdup ((const char *) sqlite3_column_text (st, 1)),
        g_strdup ((const char *) sqlite3_column_text (st, 2)),
        (guint) sqlite3_column_int64 (st, 3),
      };
      g_array_append_val (out, d);
    }
  if (rc != SQLITE_DONE)
    {
      db_error (store, error, "list datasets");
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* ---- runs ---- */

gint64
jg_store_add_run (JgStore *store, gint64 dataset_id, const JgStoreRunInfo *info,
                  const JgStorePrediction *predictions, guint n_predictions,
                  JgStoreProgress progress, gpointer user_data, GError **error)
{
  g_autoptr(Stmt) add = NULL;
  g_autoptr(Stmt) pred = NULL;
  g_autoptr(Stmt) met = NULL;
  g_autofree char *now = now_iso8601 ();
  g_autofree char *name = NULL;
  gint64 run_id;

  if (!begin (store, error))
    return 0;
  add = prepare (store,
    "INSERT INTO runs (dataset_id, name, model, checkpoint, settings, date)"
    " SELECT id, ?, ?, ?, ?, ? FROM datasets WHERE id = ?", error);
  if (add == NULL)
    goto fail;
  if (info->name != NULL)
    name = g_strdup (info->name);
  else if (info->model != NULL)
    name = g_strdup (info->model);
  else
    name = g_strdup_printf ("run of %s", info->date ? info->date : now);
  bind_text (add, 1, name);
  bind_text (add, 2, info->model);
  bind_text (add, 3, info->checkpoint);
  bind_text (add, 4, info->settings);
  bind_text (add, 5, info->date ? info->date : now);
  sqlite3_bind_int64 (add, 6, dataset_id);
  if (sqlite3_step (add) != SQLITE_DONE)
    {
      db_error (store, error, "add run");
      goto fail;
    }
  if (sqlite3_changes (store->db) != 1)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: no dataset %" G_GINT64_FORMAT,
                   store->filename, dataset_id);
      goto fail;
    }
  run_id = sqlite3_last_insert_rowid (store->db);

  /* The sample must belong to the run's dataset, not just exist. */
  pred = prepare (store,
    "INSERT INTO predictions (run_id, sample_id, pred_text, parsed)"
    " SELECT ?1, id, ?2, ?3 FROM samples WHERE id = ?4 AND dataset_id = ?5", error);
  met = prepare (store,
    "INSERT INTO metrics (run_id, sample_id, error, angle, az, el, iou, offset, correct)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", error);
  if (pred == NULL || met == NULL)
    goto fail;
  for (guint i = 0; i < n_predictions; i++)
    {
      const JgStorePrediction *p = &predictions[i];
      const JgSampleMetrics *m = &p->metrics;

      if (progress != NULL && (i & 1023) == 0 && i > 0 && !progress (i, n_predictions, user_data))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_CANCELLED, "%s: adding the run was cancelled",
                       store->filename);
          goto fail;
        }
      sqlite3_bind_int64 (pred, 1, run_id);
      bind_text (pred, 2, p->pred_text);
      sqlite3_bind_int (pred, 3, m->parsed ? 1 : 0);
      sqlite3_bind_int64 (pred, 4, p->sample_id);
      sqlite3_bind_int64 (pred, 5, dataset_id);
      if (sqlite3_step (pred) != SQLITE_DONE)
        {
          db_error (store, error, "add prediction");
          goto fail;
        }
      sqlite3_reset (pred);
      if (sqlite3_changes (store->db) != 1)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND,
                       "%s: sample %" G_GINT64_FORMAT " is not in dataset %" G_GINT64_FORMAT,
                       store->filename, p->sample_id, dataset_id);
          goto fail;
        }
      sqlite3_bind_int64 (met, 1, run_id);
      sqlite3_bind_int64 (met, 2, p->sample_id);
      bind_real (met, 3, m->error);
      bind_real (met, 4, m->angle);
      bind_real (met, 5, m->az);
      bind_real (met, 6, m->el);
      bind_real (met, 7, m->iou);
      bind_real (met, 8, m->offset);
      if (m->correct >= 0)
        sqlite3_bind_int (met, 9, m->correct);
      else
        sqlite3_bind_null (met, 9);
      if (sqlite3_step (met) != SQLITE_DONE)
        {
          db_error (store, error, "add metrics");
          goto fail;
        }
      sqlite3_reset (met);
    }
  if (progress != NULL && !progress (n_predictions, n_predictions, user_data))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_CANCELLED, "%s: adding the run was cancelled",
                   store->filename);
      goto fail;
    }
  if (!commit (store, error))
    goto fail;
  return run_id;

fail:
  rollback (store);
  return 0;
}

gboolean
jg_store_delete_run (JgStore *store, gint64 run_id, GError **error)
{
  g_autoptr(Stmt) st = prepare (store, "DELETE FROM runs WHERE id = ?", error);

  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64 (st, 1, run_id);
  if (sqlite3_step (st) != SQLITE_DONE)
    return db_error (store, error, "delete run");
  return TRUE;
}

static void
run_clear (gpointer p)
{
  JgStoreRun *r = p;

  g_free (r->name);
  g_free (r->model);
  g_free (r->checkpoint);
  g_free (r->settings);
  g_free (r->date);
}

GArray *
jg_store_list_runs (JgStore *store, gint64 dataset_id, GError **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (JgStoreRun));
  g_autoptr(Stmt) st = prepare (store,
    "SELECT r.id, r.dataset_id, r.name, r.model, r.checkpoint, r.settings, r.date,"
    " (SELECT count(*) FROM predictions p WHERE p.run_id = r.id)"
    " FROM runs r WHERE ?1 = 0 OR r.dataset_id = ?1 ORDER BY r.id", error);
  int rc;

  if (st == NULL)
    return NULL;
  g_array_set_clear_func (out, run_clear);
  sqlite3_bind_int64 (st, 1, dataset_id);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    {
      JgStoreRun r = {
        sqlite3_column_int64 (st, 0),
        sqlite3_column_int64 (st, 1),
        g_strdup ((const char *) sqlite3_column_text (st, 2)),
        g_strdup ((const char *) sqlite3_column_text (st, 3)),
        g_strdup ((const char *) sqlite3_column_text (st, 4)),
        g_strdup ((const char *) sqlite3_column_text (st, 5)),
        g_strdup ((const char *) sqlite3_column_text (st, 6)),
        (guint) sqlite3_column_int64 (st, 7),
      };
      g_array_append_val (out, r);
    }
  if (rc != SQLITE_DONE)
    {
      db_error (store, error, "list runs");
      return NULL;
    }
  return g_steal_pointer (&out);
}

/* ---- curation ---- */

/* The current tag or note of @sample_id (NULL: none); FALSE on error or
 * when the sample does not exist. */
static gboolean
read_value (JgStore *store, const char *kind, gint64 sample_id, char **out, GError **error)
{
  g_autoptr(Stmt) st = prepare (store, strcmp (kind, "tag") == 0
    ? "SELECT (SELECT tag FROM tags WHERE sample_id = ?1) FROM samples WHERE id = ?1"
    : "SELECT (SELECT text FROM notes WHERE sample_id = ?1) FROM samples WHERE id = ?1", error);
  int rc;

  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64 (st, 1, sample_id);
  rc = sqlite3_step (st);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: no sample %" G_GINT64_FORMAT,
                   store->filename, sample_id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    return db_error (store, error, "read curation");
  *out = g_strdup ((const char *) sqlite3_column_text (st, 0));
  return TRUE;
}

static gboolean
write_value (JgStore *store, const char *kind, gint64 sample_id, const char *value,
             GError **error)
{
  gboolean tag = strcmp (kind, "tag") == 0;
  g_autofree char *now = now_iso8601 ();
  g_autoptr(Stmt) st = NULL;

  if (value == NULL)
    st = prepare (store, tag ? "DELETE FROM tags WHERE sample_id = ?1"
                             : "DELETE FROM notes WHERE sample_id = ?1", error);
  else
    st = prepare (store, tag
      ? "INSERT INTO tags (sample_id, tag, updated) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (sample_id) DO UPDATE SET tag = excluded.tag, updated = excluded.updated"
      : "INSERT INTO notes (sample_id, text, updated) VALUES (?1, ?2, ?3)"
        " ON CONFLICT (sample_id) DO UPDATE SET text = excluded.text, updated = excluded.updated",
      error);
  if (st == NULL)
    return FALSE;
  sqlite3_bind_int64 (st, 1, sample_id);
  if (value != NULL)
    {
      bind_text (st, 2, value);
      bind_text (st, 3, now);
    }
  if (sqlite3_step (st) != SQLITE_DONE)
    return db_error (store, error, "write curation");
  return TRUE;
}

static gboolean
change (JgStore *store, const char *kind, gint64 sample_id, const char *value, GError **error)
{
  g_autofree char *old = NULL;
  g_autofree char *now = now_iso8601 ();
  g_autoptr(Stmt) log = NULL;

  if (!begin (store, error))
    return FALSE;
  if (!read_value (store, kind, sample_id, &old, error))
    goto fail;
  if (g_strcmp0 (old, value) == 0)
    {
      rollback (store);
      return TRUE;
    }
  if (!write_value (store, kind, sample_id, value, error)
      /* A new change ends what could be redone. */
      || !exec (store, "DELETE FROM curation_log WHERE undone = 1", error))
    goto fail;
  log = prepare (store,
    "INSERT INTO curation_log (sample_id, kind, old_value, new_value, at) VALUES (?, ?, ?, ?, ?)",
    error);
  if (log == NULL)
    goto fail;
  sqlite3_bind_int64 (log, 1, sample_id);
  bind_text (log, 2, kind);
  bind_text (log, 3, old);
  bind_text (log, 4, value);
  bind_text (log, 5, now);
  if (sqlite3_step (log) != SQLITE_DONE)
    {
      db_error (store, error, "log curation");
      goto fail;
    }
  if (!commit (store, error))
    goto fail;
  return TRUE;

fail:
  rollback (store);
  return FALSE;
}

gboolean
jg_store_set_tag (JgStore *store, gint64 sample_id, JgTag tag, GError **error)
{
  g_return_val_if_fail (tag >= JG_TAG_NONE && tag <= JG_TAG_NEEDS_FIX, FALSE);
  return change (store, "tag", sample_id, tag == JG_TAG_NONE ? NULL : tag_names[tag], error);
}

gboolean
jg_store_set_note (JgStore *store, gint64 sample_id, const char *note, GError **error)
{
  return change (store, "note", sample_id, note && *note ? note : NULL, error);
}

JgTag
jg_store_get_tag (JgStore *store, gint64 sample_id)
{
  g_autofree char *v = NULL;
  JgTag tag = JG_TAG_NONE;

  if (read_value (store, "tag", sample_id, &v, NULL) && v != NULL)
    jg_tag_from_string (v, &tag);
  return tag;
}

char *
jg_store_get_note (JgStore *store, gint64 sample_id)
{
  char *v = NULL;

  if (!read_value (store, "note", sample_id, &v, NULL))
    return NULL;
  return v;
}

static gboolean
undo_redo (JgStore *store, gboolean undo, gint64 *sample_id, GError **error)
{
  g_autoptr(Stmt) pick = NULL;
  g_autoptr(Stmt) mark = NULL;
  gint64 log_id, sid;
  g_autofree char *kind = NULL;
  g_autofree char *value = NULL;
  int rc;

  if (sample_id != NULL)
    *sample_id = 0;
  if (!begin (store, error))
    return FALSE;
  pick = prepare (store, undo
    ? "SELECT id, sample_id, kind, old_value FROM curation_log WHERE undone = 0 ORDER BY id DESC LIMIT 1"
    : "SELECT id, sample_id, kind, new_value FROM curation_log WHERE undone = 1 ORDER BY id ASC LIMIT 1",
    error);
  if (pick == NULL)
    goto fail;
  rc = sqlite3_step (pick);
  if (rc == SQLITE_DONE)
    {
      rollback (store);
      return TRUE;
    }
  if (rc != SQLITE_ROW)
    {
      db_error (store, error, undo ? "undo" : "redo");
      goto fail;
    }
  log_id = sqlite3_column_int64 (pick, 0);
  sid = sqlite3_column_int64 (pick, 1);
  kind = g_strdup ((const char *) sqlite3_column_text (pick, 2));
  value = g_strdup ((const char *) sqlite3_column_text (pick, 3));
  if (!write_value (store, kind, sid, value, error))
    goto fail;
  mark = prepare (store, "UPDATE curation_log SET undone = ? WHERE id = ?", error);
  if (mark == NULL)
    goto fail;
  sqlite3_bind_int (mark, 1, undo ? 1 : 0);
  sqlite3_bind_int64 (mark, 2, log_id);
  if (sqlite3_step (mark) != SQLITE_DONE)
    {
      db_error (store, error, undo ? "undo" : "redo");
      goto fail;
    }
  if (!commit (store, error))
    goto fail;
  if (sample_id != NULL)
    *sample_id = sid;
  return TRUE;

fail:
  rollback (store);
  return FALSE;
}

gboolean
jg_store_undo (JgStore *store, gint64 *sample_id, GError **error)
{
  return undo_redo (store, TRUE, sample_id, error);
}

gboolean
jg_store_redo (JgStore *store, gint64 *sample_id, GError **error)
{
  return undo_redo (store, FALSE, sample_id, error);
}

gboolean
jg_store_can_undo (JgStore *store)
{
  return pragma_int (store, "SELECT EXISTS (SELECT 1 FROM curation_log WHERE undone = 0)", NULL) == 1;
}

gboolean
jg_store_can_redo (JgStore *store)
{
  return pragma_int (store, "SELECT EXISTS (SELECT 1 FROM curation_log WHERE undone = 1)", NULL) == 1;
}

/* ---- queries ---- */

struct _JgStoreRows {
  GArray *rows;            /* JgStoreRow */
  GStringChunk *strings;
};

void
jg_store_filter_init (JgStoreFilter *filter)
{
  filter->task = -1;
  filter->error_min = NAN;
  filter->error_max = NAN;
  filter->tag = -1;
  filter->text = NULL;
  filter->unparsed_only = FALSE;
}

void
jg_store_rows_free (JgStoreRows *rows)
{
  if (rows == NULL)
    return;
  g_array_unref (rows->rows);
  g_string_chunk_free (rows->strings);
  g_free (rows);
}

guint
jg_store_rows_get_n (const JgStoreRows *rows)
{
  return rows->rows->len;
}

const JgStoreRow *
jg_store_rows_get (const JgStoreRows *rows, guint i)
{
  g_return_val_if_fail (i < rows->rows->len, NULL);
  return &g_array_index (rows->rows, JgStoreRow, i);
}

gsize
jg_store_rows_histogram (const JgStoreRows *rows, guint which, double lo, double hi,
                         guint n_bins, guint *counts)
{
  g_autofree double *v = g_new (double, MAX (rows->rows->len, 1));

  g_return_val_if_fail (which < 2, 0);
  for (guint i = 0; i < rows->rows->len; i++)
    v[i] = g_array_index (rows->rows, JgStoreRow, i).metrics[which].error;
  return jg_histogram (v, rows->rows->len, lo, hi, n_bins, counts);
}

static gint64
run_dataset (JgStore *store, gint64 run_id, GError **error)
{
  g_autoptr(Stmt) st = prepare (store, "SELECT dataset_id FROM runs WHERE id = ?", error);

  if (st == NULL)
    return 0;
  sqlite3_bind_int64 (st, 1, run_id);
  if (sqlite3_step (st) != SQLITE_ROW)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: no run %" G_GINT64_FORMAT,
                   store->filename, run_id);
      return 0;
    }
  return sqlite3_column_int64 (st, 0);
}

/* A statement stepping through rows in sample-id order, for a merge join:
 * sequential scans instead of one index search per row and table, which
 * makes the table's first fill several times faster. */
typedef struct {
  sqlite3_stmt *st;
  gboolean has;         /* positioned on a row */
  gint64 sample_id;     /* column 0 of that row */
} Cursor;

static gboolean
cursor_step (JgStore *store, Cursor *c, GError **error)
{
  int rc = sqlite3_step (c->st);

  c->has = rc == SQLITE_ROW;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return db_error (store, error, "query");
  if (c->has)
    c->sample_id = sqlite3_column_int64 (c->st, 0);
  return TRUE;
}

/* Advances to @sample_id; TRUE in *at when the cursor has a row for it. */
static gboolean
cursor_seek (JgStore *store, Cursor *c, gint64 sample_id, gboolean *at, GError **error)
{
  while (c->has && c->sample_id < sample_id)
    if (!cursor_step (store, c, error))
      return FALSE;
  *at = c->has && c->sample_id == sample_id;
  return TRUE;
}

static gboolean
cursor_open (JgStore *store, Cursor *c, const char *sql, gint64 param, GError **error)
{
  c->st = prepare (store, sql, error);
  if (c->st == NULL)
    return FALSE;
  if (param != 0)
    sqlite3_bind_int64 (c->st, 1, param);
  return cursor_step (store, c, error);
}

static const char *
column_text (sqlite3_stmt *st, int col)
{
  return (const char *) sqlite3_column_text (st, col);
}

static const char *
chunk (JgStoreRows *rows, const char *s)
{
  return s ? g_string_chunk_insert (rows->strings, s) : NULL;
}

/* Case-insensitive (ASCII, like SQL's LIKE) substring test. */
static gboolean
contains (const char *hay, const char *lower_needle, gsize len)
{
  if (hay == NULL)
    return FALSE;
  for (const char *p = hay; *p; p++)
    {
      gsize i = 0;
      while (i < len && p[i] && g_ascii_tolower (p[i]) == lower_needle[i])
        i++;
      if (i == len)
        return TRUE;
    }
  return FALSE;
}

typedef struct {
  JgStoreSort sort;
  gboolean descending;
} SortSpec;

static double
sort_error (const JgStoreRow *r, JgStoreSort sort)
{
  if (sort == JG_STORE_SORT_ERROR_A)
    return r->metrics[0].error;
  if (sort == JG_STORE_SORT_ERROR_B)
    return r->metrics[1].error;
  return r->metrics[1].error - r->metrics[0].error;
}

/* @ord: manifest position, kept beside the rows while sorting. */
typedef struct {
  JgStoreRow row;
  gint64 ord;
} Keyed;

static int
compare_rows (gconstpointer pa, gconstpointer pb, gpointer data)
{
  const Keyed *a = pa, *b = pb;
  const SortSpec *spec = data;
  int c = 0;

  switch (spec->sort)
    {
    case JG_STORE_SORT_SAMPLE:
      break;
    case JG_STORE_SORT_PATH:
      c = strcmp (a->row.path, b->row.path);
      if (c == 0)
        c = strcmp (jg_task_to_string (a->row.task), jg_task_to_string (b->row.task));
      break;
    case JG_STORE_SORT_TASK:
      c = strcmp (jg_task_to_string (a->row.task), jg_task_to_string (b->row.task));
      break;
    case JG_STORE_SORT_ERROR_A:
    case JG_STORE_SORT_ERROR_B:
    case JG_STORE_SORT_ERROR_DELTA:
    default:
      {
        double x = sort_error (&a->row, spec->sort), y = sort_error (&b->row, spec->sort);
        /* Unscored rows last, whichever the direction. */
        if (isnan (x) || isnan (y))
          return isnan (x) - isnan (y) != 0 ? isnan (x) - isnan (y) : (a->ord > b->ord) - (a->ord < b->ord);
        c = (x > y) - (x < y);
      }
      break;
    }
  if (spec->descending)
    c = -c;
  if (c == 0)
    c = (a->ord > b->ord) - (a->ord < b->ord);
  return c;
}

static void
read_run_columns (Cursor *pred, Cursor *met, gboolean at_pred, gboolean at_met,
                  gboolean *has, const char **text, JgSampleMetrics *m)
{
  JgSampleMetrics none = { FALSE, NAN, NAN, NAN, NAN, NAN, NAN, -1 };

  *m = none;
  *has = at_pred;
  *text = at_pred ? column_text (pred->st, 2) : NULL;
  if (at_pred)
    m->parsed = sqlite3_column_int (pred->st, 1) != 0;
  if (at_met)
    {
      sqlite3_stmt *st = met->st;
      m->error = column_real (st, 1);
      m->angle = column_real (st, 2);
      m->az = column_real (st, 3);
      m->el = column_real (st, 4);
      m->iou = column_real (st, 5);
      m->offset = column_real (st, 6);
      m->correct = sqlite3_column_type (st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int (st, 7);
    }
}

JgStoreRows *
jg_store_query (JgStore *store, gint64 run_a, gint64 run_b, const JgStoreFilter *filter,
                JgStoreSort sort, gboolean descending, GError **error)
{
  static const char pred_sql[] =
    "SELECT sample_id, parsed, pred_text FROM predictions WHERE run_id = ? ORDER BY sample_id";
  static const char met_sql[] =
    "SELECT sample_id, error, angle, az, el, iou, offset, correct FROM metrics"
    " WHERE run_id = ? ORDER BY sample_id";
  JgStoreFilter all;
  Cursor samples = { 0 }, pred[2] = { { 0 } }, met[2] = { { 0 } }, tags = { 0 }, notes = { 0 };
  g_autoptr(JgStoreRows) rows = NULL;
  g_autoptr(GArray) keyed = g_array_new (FALSE, FALSE, sizeof (Keyed));
  g_autofree char *needle = NULL;
  gsize needle_len = 0;
  gint64 dataset_a, dataset_b;
  gboolean ok = FALSE, in_order = TRUE;
  SortSpec spec = { sort, descending };

  g_return_val_if_fail (sort <= JG_STORE_SORT_ERROR_DELTA, NULL);
  if (filter == NULL)
    {
      jg_store_filter_init (&all);
      filter = &all;
    }
  dataset_a = run_dataset (store, run_a, error);
  if (dataset_a == 0)
    return NULL;
  if (run_b != 0)
    {
      dataset_b = run_dataset (store, run_b, error);
      if (dataset_b == 0)
        return NULL;
      if (dataset_b != dataset_a)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: runs %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT
                       " are of different datasets", store->filename, run_a, run_b);
          return NULL;
        }
    }
  if (filter->text != NULL && *filter->text)
    {
      needle = g_ascii_strdown (filter->text, -1);
      needle_len = strlen (needle);
    }

  /* One read transaction: the six scans see the same state. */
  if (!exec (store, "BEGIN", error))
    return NULL;
  if (!cursor_open (store, &samples,
                    "SELECT id, task, path, gender, gt_text, ord FROM samples NOT INDEXED"
                    " WHERE dataset_id = ? ORDER BY id", dataset_a, error)
      || !cursor_open (store, &pred[0], pred_sql, run_a, error)
      || !cursor_open (store, &met[0], met_sql, run_a, error)
      || (run_b != 0 && (!cursor_open (store, &pred[1], pred_sql, run_b, error)
                         || !cursor_open (store, &met[1], met_sql, run_b, error)))
      || !cursor_open (store, &tags, "SELECT sample_id, tag FROM tags ORDER BY sample_id", 0, error)
      || !cursor_open (store, &notes, "SELECT sample_id, text FROM notes ORDER BY sample_id", 0, error))
    goto out;

  rows = g_new0 (JgStoreRows, 1);
  rows->rows = g_array_new (FALSE, FALSE, sizeof (JgStoreRow));
  rows->strings = g_string_chunk_new (256 * 1024);
  for (; samples.has; )
    {
      Keyed k;
      JgStoreRow *r = &k.row;
      gboolean at_p[2] = { FALSE, FALSE }, at_m[2] = { FALSE, FALSE }, at_t, at_n;
      const char *tag_text, *note, *pred_text[2];
      gint64 sid = samples.sample_id;

      memset (&k, 0, sizeof k);
      for (int w = 0; w < (run_b != 0 ? 2 : 1); w++)
        if (!cursor_seek (store, &pred[w], sid, &at_p[w], error)
            || !cursor_seek (store, &met[w], sid, &at_m[w], error))
          goto out;
      if (!cursor_seek (store, &tags, sid, &at_t, error)
          || !cursor_seek (store, &notes, sid, &at_n, error))
        goto out;

      r->sample_id = sid;
      if (!jg_task_from_string (column_text (samples.st, 1), &r->task, error))
        goto out;
      for (int w = 0; w < 2; w++)
        read_run_columns (&pred[w], &met[w], at_p[w], at_m[w], &r->has_prediction[w],
                          &pred_text[w], &r->metrics[w]);
      tag_text = at_t ? column_text (tags.st, 1) : NULL;
      r->tag = JG_TAG_NONE;
      if (tag_text != NULL)
        jg_tag_from_string (tag_text, &r->tag);
      note = at_n ? column_text (notes.st, 1) : NULL;

      /* The filters, before any string is copied. */
      if ((filter->task >= 0 && (int) r->task != filter->task)
          || (!isnan (filter->error_min) && !(r->metrics[0].error >= filter->error_min))
          || (!isnan (filter->error_max) && !(r->metrics[0].error <= filter->error_max))
          || (filter->tag >= 0 && (int) r->tag != filter->tag)
          || (filter->unparsed_only && r->has_prediction[0] && r->metrics[0].parsed)
          || (needle != NULL
              && !contains (column_text (samples.st, 2), needle, needle_len)
              && !contains (column_text (samples.st, 4), needle, needle_len)
              && !contains (pred_text[0], needle, needle_len)
              && !contains (pred_text[1], needle, needle_len)
              && !contains (note, needle, needle_len)))
        {
          if (!cursor_step (store, &samples, error))
            goto out;
          continue;
        }
      r->path = chunk (rows, column_text (samples.st, 2));
      r->gender = chunk (rows, column_text (samples.st, 3));
      r->gt_text = chunk (rows, column_text (samples.st, 4));
      r->pred_text[0] = chunk (rows, pred_text[0]);
      r->pred_text[1] = chunk (rows, pred_text[1]);
      r->note = chunk (rows, note);
      k.ord = sqlite3_column_int64 (samples.st, 5);
      if (keyed->len > 0 && g_array_index (keyed, Keyed, keyed->len - 1).ord > k.ord)
        in_order = FALSE;
      g_array_append_val (keyed, k);
      if (!cursor_step (store, &samples, error))
        goto out;
    }

  /* Samples come in id order, which is manifest order unless a dataset
   * was updated with a reordered manifest: sort only when needed. */
  if (sort != JG_STORE_SORT_SAMPLE || descending || !in_order)
    g_array_sort_with_data (keyed, compare_rows, &spec);
  g_array_set_size (rows->rows, keyed->len);
  for (guint i = 0; i < keyed->len; i++)
    g_array_index (rows->rows, JgStoreRow, i) = g_array_index (keyed, Keyed, i).row;
  ok = TRUE;

out:
  sqlite3_finalize (samples.st);
  for (int w = 0; w < 2; w++)
    {
      sqlite3_finalize (pred[w].st);
      sqlite3_finalize (met[w].st);
    }
  sqlite3_finalize (tags.st);
  sqlite3_finalize (notes.st);
  exec (store, "COMMIT", NULL);
  return ok ? g_steal_pointer (&rows) : NULL;
}

GPtrArray *
jg_store_curated_entries (JgStore *store, gint64 dataset_id, GError **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(Stmt) st = prepare (store,
    "SELECT s.entry FROM samples s LEFT JOIN tags t ON t.sample_id = s.id"
    " WHERE s.dataset_id = ? AND (t.tag IS NULL OR t.tag != 'reject')"
    " ORDER BY s.ord, s.id", error);
  int rc;

  if (st == NULL)
    return NULL;
  sqlite3_bind_int64 (st, 1, dataset_id);
  while ((rc = sqlite3_step (st)) == SQLITE_ROW)
    g_ptr_array_add (out, g_strdup ((const char *) sqlite3_column_text (st, 0)));
  if (rc != SQLITE_DONE)
    {
      db_error (store, error, "curated entries");
      return NULL;
    }
  return g_steal_pointer (&out);
}
