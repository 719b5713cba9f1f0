/* jg-store.h: the results store, one SQLite database file (WAL mode).
 *
 * Datasets (a manifest's samples), runs of a model over a dataset (model,
 * checkpoint, settings, date), their predictions with per-sample metrics,
 * and curation (accept / reject / needs-fix tags and notes, with undo and
 * redo). Every change is one transaction: a process killed at any moment
 * leaves the store as it was after the last change that returned, never a
 * half-written one. The schema is versioned (PRAGMA user_version) and
 * older files are migrated in place when opened. A JgStore is used by one
 * thread at a time (open one per thread); other processes may share the
 * file. */
#pragma once

#include <glib.h>

#include "data/jg-answer.h"
#include "eval/jg-metrics.h"

G_BEGIN_DECLS

#define JG_STORE_SCHEMA_VERSION 2

typedef struct _JgStore JgStore;

typedef enum {
  JG_TAG_NONE = 0,
  JG_TAG_ACCEPT,
  JG_TAG_REJECT,
  JG_TAG_NEEDS_FIX,
} JgTag;

const char *jg_tag_to_string (JgTag tag);   /* "none", "accept", "reject", "needs-fix" */
gboolean    jg_tag_from_string (const char *name, JgTag *out);

/* Opens @filename, creating it if absent and migrating an older schema.
 * Fails with a message naming the file when it is not a store, or one
 * written by a newer version. */
JgStore *jg_store_open (const char *filename, GError **error);
void     jg_store_free (JgStore *store);
int      jg_store_get_schema_version (JgStore *store);

/* Called between rows of a bulk write; return FALSE to cancel (the whole
 * write is rolled back and fails with JG_ERROR_CANCELLED). */
typedef gboolean (*JgStoreProgress) (guint done, guint total, gpointer user_data);

/* ---- datasets and samples ---- */

typedef struct {
  const char *path;
  JgTask task;
  const char *gender;      /* NULL when the entry has none */
  const char *gt_text;
  const char *entry;       /* the manifest entry as JSON text, kept for export */
} JgStoreSample;

/* Finds the dataset called @name or creates it, and adds or updates its
 * samples, keyed by (path, task). One transaction. @ids (n_samples long, may
 * be NULL) receives each sample's id. Returns the dataset id, 0 on error. */
gint64 jg_store_ensure_dataset (JgStore *store, const char *name, const char *manifest,
                                const JgStoreSample *samples, guint n_samples,
                                gint64 *ids, GError **error);

typedef struct {
  gint64 id;
  char *name;
  char *manifest;
  guint n_samples;
} JgStoreDataset;

/* GArray of JgStoreDataset (cleared with the array), by id. */
GArray *jg_store_list_datasets (JgStore *store, GError **error);

/* ---- runs, predictions, per-sample metrics ---- */

typedef struct {
  const char *name;        /* shown in the UI; NULL: the model or "run N" */
  const char *model;
  const char *checkpoint;
  const char *settings;    /* JSON text */
  const char *date;        /* ISO 8601; NULL: now */
} JgStoreRunInfo;

typedef struct {
  gint64 sample_id;
  const char *pred_text;   /* NULL: the run gave no answer */
  JgSampleMetrics metrics;
} JgStorePrediction;

/* Adds a run with its predictions in one transaction; returns its id, 0 on
 * error. @progress may be NULL. */
gint64 jg_store_add_run (JgStore *store, gint64 dataset_id, const JgStoreRunInfo *info,
                         const JgStorePrediction *predictions, guint n_predictions,
                         JgStoreProgress progress, gpointer user_data, GError **error);
gboolean jg_store_delete_run (JgStore *store, gint64 run_id, GError **error);

typedef struct {
  gint64 id;
  gint64 dataset_id;
  char *name, *model, *checkpoint, *settings, *date;
  guint n_predictions;
} JgStoreRun;

/* GArray of JgStoreRun (cleared with the array), by id; @dataset_id 0: all. */
GArray *jg_store_list_runs (JgStore *store, gint64 dataset_id, GError **error);

/* ---- curation: one transaction each, undoable ---- */

gboolean jg_store_set_tag (JgStore *store, gint64 sample_id, JgTag tag, GError **error);
/* NULL or "" removes the note. */
gboolean jg_store_set_note (JgStore *store, gint64 sample_id, const char *note, GError **error);
/* JG_TAG_NONE / NULL when the sample has none (or does not exist). */
JgTag    jg_store_get_tag (JgStore *store, gint64 sample_id);
char    *jg_store_get_note (JgStore *store, gint64 sample_id);

/* Undo the latest curation change not yet undone, or redo the latest undone
 * one; a new change drops what could be redone. The history lives in the
 * file, so it survives restarts. @sample_id (may be NULL) receives the
 * sample changed, 0 when there was nothing to do (not an error). */
gboolean jg_store_undo (JgStore *store, gint64 *sample_id, GError **error);
gboolean jg_store_redo (JgStore *store, gint64 *sample_id, GError **error);
gboolean jg_store_can_undo (JgStore *store);
gboolean jg_store_can_redo (JgStore *store);

/* ---- queries for the error-analysis table ---- */

typedef struct {
  gint64 sample_id;
  JgTask task;
  const char *path;
  const char *gender;          /* NULL when none */
  const char *gt_text;
  const char *pred_text[2];    /* run A, run B; NULL when that run has none */
  gboolean has_prediction[2];
  JgSampleMetrics metrics[2];  /* all NAN / -1 without a prediction */
  JgTag tag;
  const char *note;            /* NULL when none */
} JgStoreRow;

typedef struct {
  int task;                    /* a JgTask, or -1 for all */
  double error_min, error_max; /* on run A's error, inclusive; NAN: open */
  int tag;                     /* a JgTag, or -1 for all */
  const char *text;            /* case-insensitive substring of the path,
                                * answers or note; NULL or "": all */
  gboolean unparsed_only;      /* run A's answer did not parse */
} JgStoreFilter;

void jg_store_filter_init (JgStoreFilter *filter);

typedef enum {
  JG_STORE_SORT_SAMPLE,        /* manifest order */
  JG_STORE_SORT_PATH,
  JG_STORE_SORT_TASK,
  JG_STORE_SORT_ERROR_A,       /* unscored rows last either way */
  JG_STORE_SORT_ERROR_B,
  JG_STORE_SORT_ERROR_DELTA,   /* error B - error A */
} JgStoreSort;

typedef struct _JgStoreRows JgStoreRows;

/* The samples of run A's dataset with run A's and (when @run_b is not 0,
 * same dataset) run B's predictions, filtered and sorted. */
JgStoreRows *jg_store_query (JgStore *store, gint64 run_a, gint64 run_b,
                             const JgStoreFilter *filter, JgStoreSort sort,
                             gboolean descending, GError **error);
guint             jg_store_rows_get_n (const JgStoreRows *rows);
const JgStoreRow *jg_store_rows_get (const JgStoreRows *rows, guint i);
void              jg_store_rows_free (JgStoreRows *rows);
/* Histogram of run @which's (0 = A, 1 = B) errors over the rows (see
 * jg_histogram); returns how many were counted. */
gsize             jg_store_rows_histogram (const JgStoreRows *rows, guint which,
                                           double lo, double hi, guint n_bins,
                                           guint *counts);

/* The manifest entries (JSON text) of @dataset_id's samples in order,
 * without the rejected ones: what a curated manifest holds. */
GPtrArray *jg_store_curated_entries (JgStore *store, gint64 dataset_id, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgStore, jg_store_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgStoreRows, jg_store_rows_free)

G_END_DECLS
