/* Error analysis: a table of samples with ground truth, the answers of one
 * or two runs and their errors, filtered and sorted by the store (queries
 * run on a worker thread with their own connection), an error histogram
 * whose bars filter the table, two linked 3-D views, keyboard review with
 * undo, and exports. */
#include "jg-review-window.h"

#include "jg-histogram.h"
#include "jg-review-model.h"
#include "jg-sample-loader.h"
#include "jg-scene-view.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#include "core/jg-error.h"
#include "data/jg-manifest.h"
#include "eval/jg-eval-store.h"
#include "eval/jg-export.h"
#include "store/jg-store.h"

#define HISTOGRAM_BINS 30

enum { COL_SAMPLE, COL_TASK, COL_GT, COL_PRED_A, COL_ERR_A, COL_PRED_B, COL_ERR_B, COL_TAG, COL_NOTE, N_COLS };

struct _JgReviewWindow {
  GtkApplicationWindow parent_instance;

  GtkDropDown *run_a, *run_b, *task_filter, *tag_filter, *sort_by;
  GtkSpinButton *error_min, *error_max;
  GtkToggleButton *unparsed_only, *descending;
  GtkSearchEntry *search;
  JgHistogramWidget *histogram;
  GtkColumnView *table;
  GtkEntry *note_entry;
  GtkLabel *count_label, *sample_label, *status_label;
  JgSceneView *view_a, *view_b;

  JgStore *store;              /* main thread: runs, curation */
  char *store_path;
  GArray *runs;                /* JgStoreRun */
  GArray *datasets;            /* JgStoreDataset: their manifests locate the samples */
  JgReviewModel *model;
  GtkSingleSelection *selection;

  GThreadPool *queries;        /* one thread, its own store connection */
  struct _QueryWorker *worker;
  guint generation;            /* of the latest query asked for */
  gboolean querying;
  gint64 reselect_sample;      /* keep this sample selected after a re-query */
  GCancellable *sample_cancellable;
  gboolean linking;            /* guards the camera link against echo */
  gboolean pick_task;          /* after opening: filter on the first row's task */

  /* Importing a run (worker thread): progress and cancel shared with it. */
  GCancellable *import_cancellable;
  gint import_done, import_total;
  guint import_tick;
  char *import_predictions;
};

G_DEFINE_FINAL_TYPE (JgReviewWindow, jg_review_window, GTK_TYPE_APPLICATION_WINDOW)

static void
set_status (JgReviewWindow *self, const char *text)
{
  gtk_label_set_label (self->status_label, text ? text : "");
}

/* --- Queries (worker thread) --------------------------------------------- */

typedef struct {
  JgReviewWindow *self;        /* strong */
  guint generation;
  char *store_path;
  gint64 run_a, run_b;
  JgStoreFilter filter;
  char *text;
  JgStoreSort sort;
  gboolean descending;
  double hist_lo, hist_hi;
  /* out */
  JgStoreRows *rows;
  guint counts[2][HISTOGRAM_BINS];
  GError *error;
} Query;

typedef struct _QueryWorker {
  char *path;
  JgStore *store;
} QueryWorker;

static void
query_free (Query *q)
{
  g_object_unref (q->self);
  g_free (q->store_path);
  g_free (q->text);
  g_clear_pointer (&q->rows, jg_store_rows_free);
  g_clear_error (&q->error);
  g_free (q);
}

static void
query_worker_free (QueryWorker *w)
{
  g_clear_pointer (&w->store, jg_store_free);
  g_free (w->path);
  g_free (w);
}

static gboolean query_done (gpointer data);

static void
run_query (gpointer data, gpointer user_data)
{
  Query *q = data;
  QueryWorker *w = user_data;

  if (w->store == NULL || g_strcmp0 (w->path, q->store_path) != 0)
    {
      g_clear_pointer (&w->store, jg_store_free);
      g_free (w->path);
      w->path = g_strdup (q->store_path);
      w->store = jg_store_open (q->store_path, &q->error);
    }
  if (w->store != NULL)
    {
      q->filter.text = q->text;
      q->rows = jg_store_query (w->store, q->run_a, q->run_b, &q->filter, q->sort, q->descending, &q->error);
      if (q->rows != NULL && q->hist_hi > q->hist_lo)
        for (guint which = 0; which < (q->run_b ? 2u : 1u); which++)
          jg_store_rows_histogram (q->rows, which, q->hist_lo, q->hist_hi, HISTOGRAM_BINS, q->counts[which]);
    }
  g_idle_add (query_done, q);
}

static gint64
selected_run (JgReviewWindow *self, GtkDropDown *dd, gboolean allow_none)
{
  guint i = gtk_drop_down_get_selected (dd);

  if (allow_none)
    {
      if (i == 0 || i == GTK_INVALID_LIST_POSITION)
        return 0;
      i--;
    }
  if (self->runs == NULL || i >= self->runs->len)
    return 0;
  return g_array_index (self->runs, JgStoreRun, i).id;
}

static int
selected_task (JgReviewWindow *self)
{
  guint i = gtk_drop_down_get_selected (self->task_filter);
  return i == 0 || i == GTK_INVALID_LIST_POSITION ? -1 : (int) i - 1;
}

/* Each task's headline error has its own scale (see JgSampleMetrics). */
static void
histogram_range (int task, double *lo, double *hi, const char **unit)
{
  *lo = 0.0;
  switch (task)
    {
    case JG_TASK_SPATIAL_DOA:
    case JG_TASK_MULTI_SPATIAL_DOA:
    case JG_TASK_STARSS23:
      *hi = 90.0, *unit = "°";
      break;
    case JG_TASK_VISUAL_GROUNDING:
      *hi = 1.0, *unit = "";
      break;
    case JG_TASK_SINGLE_SOURCE:
    case JG_TASK_DUAL_SOURCE:
      *hi = 2.0, *unit = "";
      break;
    default:
      *hi = 0.0, *unit = "";
    }
}

static void
request_query (JgReviewWindow *self)
{
  Query *q;
  const char *unit;

  if (self->store == NULL || self->runs == NULL || self->runs->len == 0)
    return;
  q = g_new0 (Query, 1);
  q->self = g_object_ref (self);
  q->generation = ++self->generation;
  q->store_path = g_strdup (self->store_path);
  q->run_a = selected_run (self, self->run_a, FALSE);
  q->run_b = selected_run (self, self->run_b, TRUE);
  jg_store_filter_init (&q->filter);
  q->filter.task = selected_task (self);
  q->filter.tag = (int) gtk_drop_down_get_selected (self->tag_filter) - 1;
  if (gtk_spin_button_get_value (self->error_min) > 0.0)
    q->filter.error_min = gtk_spin_button_get_value (self->error_min);
  if (gtk_spin_button_get_value (self->error_max) < 360.0)
    q->filter.error_max = gtk_spin_button_get_value (self->error_max);
  q->filter.unparsed_only = gtk_toggle_button_get_active (self->unparsed_only);
  q->text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search)));
  q->sort = (JgStoreSort) gtk_drop_down_get_selected (self->sort_by);
  q->descending = gtk_toggle_button_get_active (self->descending);
  histogram_range (q->filter.task, &q->hist_lo, &q->hist_hi, &unit);
  self->querying = TRUE;
  g_thread_pool_push (self->queries, q, NULL);
}

static void show_selected (JgReviewWindow *self);

static gboolean
query_done (gpointer data)
{
  Query *q = data;
  JgReviewWindow *self = q->self;
  const char *unit;
  double lo, hi;
  guint n, keep = GTK_INVALID_LIST_POSITION;
  g_autofree char *count = NULL;

  if (q->generation != self->generation || self->queries == NULL)
    {
      query_free (q);
      return G_SOURCE_REMOVE;   /* a newer query is on its way */
    }
  self->querying = FALSE;
  if (q->rows == NULL)
    {
      set_status (self, q->error ? q->error->message : NULL);
      query_free (q);
      return G_SOURCE_REMOVE;
    }
  n = jg_store_rows_get_n (q->rows);
  /* Errors of different tasks have different units: start on one task. */
  if (self->pick_task && n > 0 && q->filter.task < 0)
    {
      self->pick_task = FALSE;
      gtk_drop_down_set_selected (self->task_filter, (guint) jg_store_rows_get (q->rows, 0)->task + 1);
      query_free (q);
      return G_SOURCE_REMOVE;
    }
  self->pick_task = FALSE;
  if (self->reselect_sample != 0)
    for (guint i = 0; i < n; i++)
      if (jg_store_rows_get (q->rows, i)->sample_id == self->reselect_sample)
        {
          keep = i;
          break;
        }
  jg_review_model_set_rows (self->model, g_steal_pointer (&q->rows));
  if (n > 0)
    gtk_single_selection_set_selected (self->selection, keep != GTK_INVALID_LIST_POSITION ? keep : 0);
  self->reselect_sample = 0;

  histogram_range (q->filter.task, &lo, &hi, &unit);
  if (hi > lo)
    jg_histogram_widget_set (self->histogram, lo, hi, HISTOGRAM_BINS, q->counts[0], q->run_b ? q->counts[1] : NULL, unit);
  else
    jg_histogram_widget_set (self->histogram, 0, 0, 0, NULL, NULL, NULL);
  count = g_strdup_printf (ngettext ("%u sample", "%u samples", n), n);
  gtk_label_set_label (self->count_label, count);
  show_selected (self);
  query_free (q);
  return G_SOURCE_REMOVE;
}

static void
filters_changed (JgReviewWindow *self)
{
  request_query (self);
}

static void
bin_activated (JgHistogramWidget *histogram, double lo, double hi, JgReviewWindow *self)
{
  /* Both spin buttons trigger a query; one is enough. */
  g_signal_handlers_block_by_func (self->error_min, filters_changed, self);
  gtk_spin_button_set_value (self->error_min, lo);
  g_signal_handlers_unblock_by_func (self->error_min, filters_changed, self);
  gtk_spin_button_set_value (self->error_max, hi);
}

/* --- The table ------------------------------------------------------------ */

static void
format_error (char *buf, gsize len, const JgStoreRow *row, int which)
{
  const JgSampleMetrics *m = &row->metrics[which];

  if (!row->has_prediction[which])
    g_strlcpy (buf, "", len);
  else if (!m->parsed)
    g_strlcpy (buf, _("unparsed"), len);
  else if (!isnan (m->angle))
    g_snprintf (buf, len, "%.1f°", m->angle);
  else if (!isnan (m->iou))
    g_snprintf (buf, len, "IoU %.2f", m->iou);
  else if (m->correct >= 0)
    g_strlcpy (buf, m->correct ? "✓" : "✗", len);
  else
    g_snprintf (buf, len, "%.3g", m->error);
}

/* Cells are GtkInscriptions: their size comes from the column's character
 * counts, not from the text, so binding a row while scrolling changes no
 * size request (a GtkLabel re-measures, and its column with it, on every
 * new text). Natural and minimum widths in characters, by column. */
static const guint column_chars[N_COLS][2] = {
  { 24, 14 }, { 17, 11 }, { 28, 12 }, { 28, 12 }, { 8, 6 }, { 28, 12 }, { 8, 6 }, { 9, 4 }, { 16, 4 },
};

/* The full path of the sample cell, asked for only when hovered. */
static gboolean
sample_tooltip (GtkWidget *cell, int x, int y, gboolean keyboard, GtkTooltip *tooltip, GtkListItem *item)
{
  gpointer obj = gtk_list_item_get_item (item);
  const JgStoreRow *row = obj ? jg_review_row_get (obj) : NULL;

  if (row == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, row->path);
  return TRUE;
}

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  int col = GPOINTER_TO_INT (user_data);
  GtkWidget *cell = gtk_inscription_new (NULL);

  gtk_inscription_set_xalign (GTK_INSCRIPTION (cell), 0.0f);
  /* A sample is told apart by the end of its path (its task id). */
  gtk_inscription_set_text_overflow (GTK_INSCRIPTION (cell), col == COL_SAMPLE ? GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_START
                                                                               : GTK_INSCRIPTION_OVERFLOW_ELLIPSIZE_END);
  gtk_inscription_set_nat_chars (GTK_INSCRIPTION (cell), column_chars[col][0]);
  gtk_inscription_set_min_chars (GTK_INSCRIPTION (cell), column_chars[col][1]);
  if (col == COL_SAMPLE)
    {
      gtk_widget_set_has_tooltip (cell, TRUE);
      g_signal_connect (cell, "query-tooltip", G_CALLBACK (sample_tooltip), item);
    }
  gtk_list_item_set_child (item, cell);
}

/* "scene/task1_00000": the last two components of a path say the most. */
static const char *
short_path (const char *p)
{
  const char *slash = strrchr (p, '/'), *prev;

  if (slash == NULL || slash == p)
    return p;
  for (prev = slash - 1; prev > p && *prev != '/'; prev--)
    ;
  return *prev == '/' ? prev + 1 : prev;
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer user_data)
{
  int col = GPOINTER_TO_INT (user_data);
  const JgStoreRow *row = jg_review_row_get (gtk_list_item_get_item (item));
  GtkInscription *cell = GTK_INSCRIPTION (gtk_list_item_get_child (item));
  char buf[64];
  const char *text = NULL;

  if (row != NULL)
    switch (col)
      {
      case COL_SAMPLE: text = short_path (row->path); break;
      case COL_TASK: text = jg_task_to_string (row->task); break;
      case COL_GT: text = row->gt_text; break;
      case COL_PRED_A: text = row->pred_text[0]; break;
      case COL_PRED_B: text = row->pred_text[1]; break;
      case COL_ERR_A: format_error (buf, sizeof buf, row, 0); text = buf; break;
      case COL_ERR_B: format_error (buf, sizeof buf, row, 1); text = buf; break;
      case COL_TAG: text = row->tag == JG_TAG_NONE ? NULL : jg_tag_to_string (row->tag); break;
      case COL_NOTE: text = row->note; break;
      default: break;
      }
  gtk_inscription_set_text (cell, text);
}

static void
add_column (JgReviewWindow *self, int col, const char *title, gboolean expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), GINT_TO_POINTER (col));
  g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), GINT_TO_POINTER (col));
  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_append_column (self->table, column);
  g_object_unref (column);
}

static const JgStoreRow *
selected_row (JgReviewWindow *self)
{
  JgReviewRow *item = gtk_single_selection_get_selected_item (self->selection);
  return item ? jg_review_row_get (item) : NULL;
}

/* --- The 3-D views under the cairo renderer -------------------------------- */

/* GTK 4.8's cairo renderer converts every texture node it draws to cairo's
 * pixel format (through floats) on every frame, even outside the damaged
 * region: the two GL views cost about 7 ms of each table scroll frame so.
 * This bin draws its child once, when the child changes, into a cairo image
 * surface and shows that through a cairo node, which later frames only
 * composite within their clip. Other renderers draw the child as it is. */
#define JG_TYPE_CAIRO_CACHE_BIN (jg_cairo_cache_bin_get_type ())
G_DECLARE_FINAL_TYPE (JgCairoCacheBin, jg_cairo_cache_bin, JG, CAIRO_CACHE_BIN, GtkWidget)

struct _JgCairoCacheBin {
  GtkWidget parent_instance;
  GtkWidget *child;
};

G_DEFINE_FINAL_TYPE (JgCairoCacheBin, jg_cairo_cache_bin, GTK_TYPE_WIDGET)

enum { BIN_PROP_CHILD = 1 };

static void
jg_cairo_cache_bin_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  JgCairoCacheBin *self = JG_CAIRO_CACHE_BIN (widget);
  GtkNative *native = gtk_widget_get_native (widget);
  int w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  g_autoptr(GskRenderNode) node = NULL;
  GtkSnapshot *inner;
  cairo_surface_t *surface;
  cairo_t *cr;

  if (self->child == NULL)
    return;
  if (native == NULL || !GSK_IS_CAIRO_RENDERER (gtk_native_get_renderer (native)) || w <= 0 || h <= 0)
    {
      gtk_widget_snapshot_child (widget, self->child, snapshot);
      return;
    }
  /* Called only when the child queued a redraw: otherwise GTK reuses the
   * node made here. */
  inner = gtk_snapshot_new ();
  gtk_widget_snapshot_child (widget, self->child, inner);
  node = gtk_snapshot_free_to_node (inner);
  if (node == NULL)
    return;
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w * scale, h * scale);
  cairo_surface_set_device_scale (surface, scale, scale);
  cr = cairo_create (surface);
  gsk_render_node_draw (node, cr);
  cairo_destroy (cr);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  cairo_set_source_surface (cr, surface, 0, 0);
  cairo_paint (cr);
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
}

static void
jg_cairo_cache_bin_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  JgCairoCacheBin *self = JG_CAIRO_CACHE_BIN (object);

  if (id != BIN_PROP_CHILD)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
      return;
    }
  g_clear_pointer (&self->child, gtk_widget_unparent);
  self->child = g_value_get_object (value);
  if (self->child != NULL)
    gtk_widget_set_parent (self->child, GTK_WIDGET (self));
}

static void
jg_cairo_cache_bin_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  if (id == BIN_PROP_CHILD)
    g_value_set_object (value, JG_CAIRO_CACHE_BIN (object)->child);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
jg_cairo_cache_bin_dispose (GObject *object)
{
  g_clear_pointer (&JG_CAIRO_CACHE_BIN (object)->child, gtk_widget_unparent);
  G_OBJECT_CLASS (jg_cairo_cache_bin_parent_class)->dispose (object);
}

static void
jg_cairo_cache_bin_class_init (JgCairoCacheBinClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->set_property = jg_cairo_cache_bin_set_property;
  object_class->get_property = jg_cairo_cache_bin_get_property;
  object_class->dispose = jg_cairo_cache_bin_dispose;
  widget_class->snapshot = jg_cairo_cache_bin_snapshot;
  g_object_class_install_property (object_class, BIN_PROP_CHILD,
    g_param_spec_object ("child", NULL, NULL, GTK_TYPE_WIDGET, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
jg_cairo_cache_bin_init (JgCairoCacheBin *self)
{
}

/* --- The 3-D views -------------------------------------------------------- */

static void
show_answers (JgReviewWindow *self, JgSceneView *view, const JgStoreRow *row, int which)
{
  JgScene *scene = jg_scene_view_get_scene (view);
  JgOverlaySet mine = which == 0 ? JG_SET_RUN_A : JG_SET_RUN_B;
  JgOverlaySet other = which == 0 ? JG_SET_RUN_B : JG_SET_RUN_A;

  jg_scene_show_answer (scene, JG_SET_GT, row->task, row->gt_text, JG_UNITS_METRES);
  /* Model answers give boxes in centimetres, like the training targets. */
  jg_scene_show_answer (scene, mine, row->task, row->pred_text[which], JG_UNITS_CENTIMETRES);
  jg_scene_set_boxes (scene, other, NULL, 0);
  jg_scene_set_doas (scene, other, NULL, 0);
  jg_scene_set_set_visible (scene, JG_SET_GT, TRUE);
  jg_scene_set_set_visible (scene, mine, TRUE);
  jg_scene_set_set_visible (scene, other, FALSE);
  jg_scene_set_set_visible (scene, JG_SET_PRED, FALSE);
  jg_scene_view_scene_changed (view);
}

static void
sample_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(JgReviewWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JgLoadedSample) loaded = jg_sample_loader_load_finish (result, &error);
  const JgStoreRow *row = selected_row (self);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->sample_cancellable);
  if (row == NULL)
    return;
  for (int which = 0; which < 2; which++)
    {
      JgSceneView *view = which == 0 ? self->view_a : self->view_b;
      JgScene *scene = jg_scene_view_get_scene (view);
      g_autoptr(GError) cloud_error = NULL;

      if (loaded != NULL)
        jg_scene_show_sample (scene, loaded->sample, &cloud_error);
      else
        {
          JgIntrinsics k;
          g_autofree float *none = NULL;
          jg_intrinsics_from_fov (&k, 672, 378, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
          none = g_new0 (float, (gsize) k.width * k.height);
          jg_scene_set_cloud (scene, NULL, 0, 0, none, &k, NULL);
        }
      show_answers (self, view, row, which);
    }
  set_status (self, error ? error->message : NULL);
}


/* The store keeps sample paths as the manifest wrote them (often relative
 * to it, or under the release's /path/to/): find them beside the run's
 * manifests, or under the dataset-root preference. */
static gint64 run_a_dataset (JgReviewWindow *self);

static char *
resolve_sample_path (JgReviewWindow *self, const char *path)
{
  gint64 ds = run_a_dataset (self);
  g_autoptr(GSettings) settings = g_settings_new (JG_APP_ID);
  g_autofree char *root = g_settings_get_string (settings, "dataset-root");
  char *first = NULL;

  for (guint i = 0; self->datasets != NULL && i < self->datasets->len; i++)
    {
      const JgStoreDataset *d = &g_array_index (self->datasets, JgStoreDataset, i);
      g_auto(GStrv) manifests = NULL;

      if (d->id != ds || d->manifest == NULL)
        continue;
      manifests = g_strsplit (d->manifest, "\n", -1);
      for (guint m = 0; manifests[m] != NULL; m++)
        for (int with_root = *root ? 1 : 0; with_root >= 0; with_root--)
          {
            char *cand = jg_manifest_resolve_path (manifests[m], with_root ? root : NULL, path);
            if (g_file_test (cand, G_FILE_TEST_EXISTS))
              {
                g_free (first);
                return cand;
              }
            if (first == NULL)
              first = cand;
            else
              g_free (cand);
          }
    }
  return first != NULL ? first : g_strdup (path);
}

static void
show_selected (JgReviewWindow *self)
{
  const JgStoreRow *row = selected_row (self);

  if (self->sample_cancellable)
    g_cancellable_cancel (self->sample_cancellable);
  g_clear_object (&self->sample_cancellable);
  if (row == NULL)
    {
      gtk_label_set_label (self->sample_label, "");
      return;
    }
  gtk_label_set_label (self->sample_label, row->path);
  gtk_editable_set_text (GTK_EDITABLE (self->note_entry), row->note ? row->note : "");
  /* Answers show at once; the cloud follows when the files are read. */
  show_answers (self, self->view_a, row, 0);
  show_answers (self, self->view_b, row, 1);
  self->sample_cancellable = g_cancellable_new ();
  {
    g_autofree char *path = resolve_sample_path (self, row->path);
    jg_sample_loader_load_async (path, self->sample_cancellable, sample_loaded, g_object_ref (self));
  }
}

static void
selection_changed (GtkSingleSelection *selection, guint position, guint n, JgReviewWindow *self)
{
  show_selected (self);
}

static void
camera_changed (JgSceneView *view, JgReviewWindow *self)
{
  JgSceneView *other = view == self->view_a ? self->view_b : self->view_a;
  JgCameraPose pose;

  if (self->linking)
    return;
  self->linking = TRUE;
  jg_camera_get_pose (jg_scene_view_get_camera (view), &pose);
  jg_scene_view_set_pose (other, &pose);
  self->linking = FALSE;
}

/* --- Review actions -------------------------------------------------------- */

static void
after_change (JgReviewWindow *self, gint64 sample_id, GError *error)
{
  if (error != NULL)
    {
      set_status (self, error->message);
      return;
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo", jg_store_can_undo (self->store));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.redo", jg_store_can_redo (self->store));
  self->reselect_sample = sample_id;
  request_query (self);
}

static void
tag_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgReviewWindow *self = JG_REVIEW_WINDOW (widget);
  const JgStoreRow *row = selected_row (self);
  g_autoptr(GError) error = NULL;
  JgTag tag;
  guint pos = gtk_single_selection_get_selected (self->selection);
  gint64 next_id = 0;

  if (row == NULL || self->store == NULL || !jg_tag_from_string (g_variant_get_string (param, NULL), &tag))
    return;
  /* Reviewing moves on to the next sample, like a reviewer expects. */
  if (pos + 1 < g_list_model_get_n_items (G_LIST_MODEL (self->model)))
    next_id = jg_store_rows_get (jg_review_model_get_rows (self->model), pos + 1)->sample_id;
  jg_store_set_tag (self->store, row->sample_id, tag, &error);
  after_change (self, next_id ? next_id : row->sample_id, error);
}

static void
save_note (JgReviewWindow *self)
{
  const JgStoreRow *row = selected_row (self);
  g_autoptr(GError) error = NULL;

  if (row == NULL || self->store == NULL)
    return;
  jg_store_set_note (self->store, row->sample_id, gtk_editable_get_text (GTK_EDITABLE (self->note_entry)), &error);
  after_change (self, row->sample_id, error);
  gtk_widget_grab_focus (GTK_WIDGET (self->table));
}

static void
edit_note_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  gtk_widget_grab_focus (GTK_WIDGET (JG_REVIEW_WINDOW (widget)->note_entry));
}

static void
step_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgReviewWindow *self = JG_REVIEW_WINDOW (widget);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  guint pos = gtk_single_selection_get_selected (self->selection);
  int delta = g_str_equal (action_name, "win.next") ? 1 : -1;
  gint64 next;

  if (n == 0)
    return;
  next = pos == GTK_INVALID_LIST_POSITION ? 0 : CLAMP ((gint64) pos + delta, 0, (gint64) n - 1);
  gtk_single_selection_set_selected (self->selection, (guint) next);
  gtk_widget_activate_action (GTK_WIDGET (self->table), "list.scroll-to-item", "u", (guint) next);
}

static void
history_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgReviewWindow *self = JG_REVIEW_WINDOW (widget);
  g_autoptr(GError) error = NULL;
  gint64 sample_id = 0;

  if (self->store == NULL)
    return;
  if (g_str_equal (action_name, "win.undo"))
    jg_store_undo (self->store, &sample_id, &error);
  else
    jg_store_redo (self->store, &sample_id, &error);
  after_change (self, sample_id, error);
}

/* --- Exports ---------------------------------------------------------------- */

static gint64
run_a_dataset (JgReviewWindow *self)
{
  gint64 run_a = selected_run (self, self->run_a, FALSE);

  for (guint i = 0; self->runs && i < self->runs->len; i++)
    if (g_array_index (self->runs, JgStoreRun, i).id == run_a)
      return g_array_index (self->runs, JgStoreRun, i).dataset_id;
  return 0;
}

static void
export_response (GtkNativeDialog *dialog, int response, JgReviewWindow *self)
{
  gboolean manifest = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (dialog), "manifest"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;
      const JgStoreRows *rows = jg_review_model_get_rows (self->model);
      gboolean ok;

      if (manifest)
        ok = jg_export_curated_manifest (self->store, run_a_dataset (self), path, &error);
      else if (rows != NULL)
        ok = jg_export_rows_report (rows, selected_run (self, self->run_b, TRUE) != 0, path, &error);
      else
        ok = FALSE;
      if (ok)
        {
          g_autofree char *msg = g_strdup_printf (_("Saved %s"), path);
          set_status (self, msg);
        }
      else if (error != NULL)
        set_status (self, error->message);
    }
  g_object_unref (dialog);
}

static void
export_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  gboolean manifest = g_str_equal (action_name, "win.export-manifest");
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (manifest ? _("Export Curated Manifest") : _("Export Report"),
                                                              GTK_WINDOW (widget), GTK_FILE_CHOOSER_ACTION_SAVE,
                                                              _("_Save"), NULL);

  /* The report's format follows the name: .csv or .json. */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), manifest ? "curated.json" : "report.csv");
  g_object_set_data (G_OBJECT (dialog), "manifest", GINT_TO_POINTER (manifest));
  g_signal_connect (dialog, "response", G_CALLBACK (export_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* --- Importing a run ------------------------------------------------------------- */

typedef struct {
  char *store_path, *manifest, *predictions, *root;
  JgReviewWindow *self;   /* for the progress counters; the task holds a ref */
  gint64 run;             /* out */
} ImportJob;

static void
import_job_free (ImportJob *job)
{
  g_free (job->store_path);
  g_free (job->manifest);
  g_free (job->predictions);
  g_free (job->root);
  g_free (job);
}

static gboolean
import_progress (guint done, guint total, gpointer data)
{
  JgReviewWindow *self = data;

  g_atomic_int_set (&self->import_done, (gint) done);
  g_atomic_int_set (&self->import_total, (gint) total);
  return !g_cancellable_is_cancelled (self->import_cancellable);
}

/* The same scoring as `jaeger eval --store`, on the window's behalf. */
static void
import_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ImportJob *job = task_data;
  g_autoptr(JgManifest) manifest = NULL;
  g_autoptr(JgPredictionSet) preds = jg_prediction_set_new ();
  g_autoptr(JgEvaluation) ev = NULL;
  g_autoptr(JgStore) store = NULL;
  g_autofree char *fallback = g_path_get_basename (job->predictions);
  const char *const manifests[] = { job->manifest, NULL };
  JgEvalOptions options;
  GError *error = NULL;
  guint n_matched = 0;

  if ((manifest = jg_manifest_load (job->manifest, job->root, &error)) == NULL
      || !jg_prediction_set_add_file (preds, job->predictions, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  jg_eval_options_init (&options);
  options.n_resamples = 0;   /* the table needs per-sample errors, not intervals */
  ev = jg_evaluation_new (&manifest, 1, preds, &options);
  for (int t = 0; t < JG_N_TASKS; t++)
    {
      const JgEvalTaskSummary *s = jg_evaluation_get_summary (ev, (JgTask) t);
      n_matched += s ? s->n_predicted : 0;
    }
  if (n_matched == 0)
    {
      g_task_return_new_error (task, JG_ERROR, JG_ERROR_INVALID_DATA, _("%s: no prediction matches an entry of %s (wrong files?)"),
                               job->predictions, job->manifest);
      return;
    }
  /* Cancelled while scoring: stop before anything is written. Later, the
   * store's progress callback rolls the run back. */
  if (g_task_return_error_if_cancelled (task))
    return;
  if ((store = jg_store_open (job->store_path, &error)) == NULL
      || (job->run = jg_evaluation_save_run (ev, store, manifests, preds, NULL, fallback,
                                             import_progress, job->self, &error)) == 0)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static gboolean
import_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  JgReviewWindow *self = JG_REVIEW_WINDOW (widget);
  int done = g_atomic_int_get (&self->import_done), total = g_atomic_int_get (&self->import_total);
  g_autofree char *msg = total > 0 ? g_strdup_printf (_("Importing… %d%% (Esc cancels)"), (int) (100.0 * done / total))
                                   : g_strdup (_("Scoring the predictions… (Esc cancels)"));

  set_status (self, msg);
  return G_SOURCE_CONTINUE;
}

static void
import_done (GObject *source, GAsyncResult *result, gpointer data)
{
  JgReviewWindow *self = JG_REVIEW_WINDOW (source);
  ImportJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup (self->store_path);

  if (self->queries == NULL)
    return;   /* the window was closed meanwhile */
  if (self->import_tick)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->import_tick);
  self->import_tick = 0;
  g_clear_object (&self->import_cancellable);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || g_error_matches (error, JG_ERROR, JG_ERROR_CANCELLED))
        set_status (self, _("Import cancelled: no run was added."));
      else
        {
          g_autofree char *msg = g_strdup_printf (_("Import failed: %s"), error->message);
          set_status (self, msg);
        }
      return;
    }
  /* Reopen to list the new run, and show it as run A. */
  if (jg_review_window_open_store (self, path, &error))
    for (guint i = 0; i < self->runs->len; i++)
      if (g_array_index (self->runs, JgStoreRun, i).id == job->run)
        gtk_drop_down_set_selected (self->run_a, i);
  {
    g_autofree char *msg = g_strdup_printf (_("Imported run %d"), (int) job->run);
    set_status (self, msg);
  }
}

gboolean
jg_review_window_import (JgReviewWindow *self, const char *predictions, const char *manifest)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *root = NULL;
  ImportJob *job;

  g_return_val_if_fail (JG_IS_REVIEW_WINDOW (self), FALSE);
  g_return_val_if_fail (predictions != NULL && manifest != NULL, FALSE);

  if (self->store == NULL)
    {
      set_status (self, _("Open or create a store first."));
      return FALSE;
    }
  if (self->import_cancellable != NULL)
    {
      set_status (self, _("An import is already running (Esc cancels it)."));
      return FALSE;
    }
  settings = g_settings_new (JG_APP_ID);
  root = g_settings_get_string (settings, "dataset-root");
  job = g_new0 (ImportJob, 1);
  job->store_path = g_strdup (self->store_path);
  job->manifest = g_strdup (manifest);
  job->predictions = g_strdup (predictions);
  job->root = *root ? g_steal_pointer (&root) : NULL;
  job->self = self;
  self->import_cancellable = g_cancellable_new ();
  g_atomic_int_set (&self->import_done, 0);
  g_atomic_int_set (&self->import_total, 0);
  self->import_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), import_tick, NULL, NULL);
  set_status (self, _("Scoring the predictions… (Esc cancels)"));
  task = g_task_new (self, self->import_cancellable, import_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) import_job_free);
  g_task_run_in_thread (task, import_thread);
  return TRUE;
}

static void
import_manifest_response (GtkNativeDialog *dialog, int response, JgReviewWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autofree char *predictions = g_steal_pointer (&self->import_predictions);
      jg_review_window_import (self, predictions, path);
    }
  g_object_unref (dialog);
}

static void
import_predictions_response (GtkNativeDialog *dialog, int response, JgReviewWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      GtkFileChooserNative *next = gtk_file_chooser_native_new (_("Choose the Manifest of the Predicted Samples"), GTK_WINDOW (self),
                                                                GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"), NULL);

      g_free (self->import_predictions);
      self->import_predictions = g_file_get_path (file);
      g_signal_connect (next, "response", G_CALLBACK (import_manifest_response), self);
      gtk_native_dialog_show (GTK_NATIVE_DIALOG (next));
    }
  g_object_unref (dialog);
}

static void
import_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgReviewWindow *self = JG_REVIEW_WINDOW (widget);
  GtkFileChooserNative *dialog;

  if (self->store == NULL || self->import_cancellable != NULL)
    {
      set_status (self, self->store ? _("An import is already running (Esc cancels it).") : _("Open or create a store first."));
      return;
    }
  dialog = gtk_file_chooser_native_new (_("Import Predictions"), GTK_WINDOW (widget),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _("_Next"), NULL);
  g_signal_connect (dialog, "response", G_CALLBACK (import_predictions_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
cancel_import_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgReviewWindow *self = JG_REVIEW_WINDOW (widget);

  if (self->import_cancellable != NULL)
    g_cancellable_cancel (self->import_cancellable);
}

/* --- Opening a store ---------------------------------------------------------- */

gboolean
jg_review_window_open_store (JgReviewWindow *self, const char *path, GError **error)
{
  g_autoptr(JgStore) store = jg_store_open (path, error);
  g_autoptr(GArray) runs = NULL;
  g_autoptr(GArray) datasets = NULL;
  g_autoptr(GtkStringList) names = NULL;
  g_autoptr(GtkStringList) names_b = NULL;

  if (store == NULL || (runs = jg_store_list_runs (store, 0, error)) == NULL
      || (datasets = jg_store_list_datasets (store, error)) == NULL)
    {
      set_status (self, error && *error ? (*error)->message : NULL);
      return FALSE;
    }
  g_clear_pointer (&self->store, jg_store_free);
  self->store = g_steal_pointer (&store);
  g_free (self->store_path);
  self->store_path = g_strdup (path);
  g_clear_pointer (&self->runs, g_array_unref);
  self->runs = g_steal_pointer (&runs);
  g_clear_pointer (&self->datasets, g_array_unref);
  self->datasets = g_steal_pointer (&datasets);

  names = gtk_string_list_new (NULL);
  names_b = gtk_string_list_new (NULL);
  gtk_string_list_append (names_b, _("None"));
  for (guint i = 0; i < self->runs->len; i++)
    {
      const JgStoreRun *r = &g_array_index (self->runs, JgStoreRun, i);
      g_autofree char *label = g_strdup_printf ("%s (%u)", r->name ? r->name : "?", r->n_predictions);
      gtk_string_list_append (names, label);
      gtk_string_list_append (names_b, label);
    }
  gtk_drop_down_set_model (self->run_a, G_LIST_MODEL (names));
  gtk_drop_down_set_model (self->run_b, G_LIST_MODEL (names_b));
  gtk_drop_down_set_selected (self->run_b, self->runs->len > 1 ? 2 : 0);
  gtk_window_set_title (GTK_WINDOW (self), path);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo", jg_store_can_undo (self->store));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.redo", jg_store_can_redo (self->store));
  if (self->runs->len == 0)
    set_status (self, _("This store has no runs yet: add one with “jaeger eval --store”."));
  self->pick_task = TRUE;
  gtk_drop_down_set_selected (self->task_filter, 0);
  request_query (self);
  return TRUE;
}

static void
open_response (GtkNativeDialog *dialog, int response, JgReviewWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      jg_review_window_open_store (self, path, &error);
    }
  g_object_unref (dialog);
}

static void
open_store_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  gboolean create = g_str_equal (action_name, "win.new-store");
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (create ? _("New Results Store") : _("Open Results Store"),
                                                              GTK_WINDOW (widget),
                                                              create ? GTK_FILE_CHOOSER_ACTION_SAVE : GTK_FILE_CHOOSER_ACTION_OPEN,
                                                              create ? _("_Create") : _("_Open"), NULL);

  if (create)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "results.db");

  g_signal_connect (dialog, "response", G_CALLBACK (open_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

gboolean
jg_review_window_is_busy (JgReviewWindow *self)
{
  return self->querying || self->sample_cancellable != NULL || self->import_cancellable != NULL;
}

const char *
jg_review_window_get_status (JgReviewWindow *self)
{
  return gtk_label_get_label (self->status_label);
}

/* --- GObject ------------------------------------------------------------------ */

static void
jg_review_window_dispose (GObject *object)
{
  JgReviewWindow *self = JG_REVIEW_WINDOW (object);

  if (self->queries != NULL)
    {
      /* Wait for the query in flight; its idle callback sees queries == NULL. */
      g_thread_pool_free (self->queries, TRUE, TRUE);
      self->queries = NULL;
      g_clear_pointer (&self->worker, query_worker_free);
    }
  if (self->sample_cancellable)
    g_cancellable_cancel (self->sample_cancellable);
  g_clear_object (&self->sample_cancellable);
  /* An import in flight holds the window until it ends (it reads the counters). */
  if (self->import_cancellable)
    g_cancellable_cancel (self->import_cancellable);
  g_clear_pointer (&self->store, jg_store_free);
  g_clear_pointer (&self->datasets, g_array_unref);
  g_clear_pointer (&self->runs, g_array_unref);
  g_clear_object (&self->selection);
  g_clear_object (&self->model);
  gtk_widget_dispose_template (GTK_WIDGET (self), JG_TYPE_REVIEW_WINDOW);
  G_OBJECT_CLASS (jg_review_window_parent_class)->dispose (object);
}

static void
jg_review_window_finalize (GObject *object)
{
  g_free (JG_REVIEW_WINDOW (object)->store_path);
  g_free (JG_REVIEW_WINDOW (object)->import_predictions);
  G_OBJECT_CLASS (jg_review_window_parent_class)->finalize (object);
}

static void
jg_review_window_class_init (JgReviewWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = jg_review_window_dispose;
  object_class->finalize = jg_review_window_finalize;
  g_type_ensure (JG_TYPE_HISTOGRAM);
  g_type_ensure (JG_TYPE_SCENE_VIEW);
  g_type_ensure (JG_TYPE_CAIRO_CACHE_BIN);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/jaegerstudio/Studio/jg-review-window.ui");
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, run_a);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, run_b);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, task_filter);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, tag_filter);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, sort_by);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, error_min);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, error_max);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, unparsed_only);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, descending);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, search);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, histogram);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, table);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, note_entry);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, count_label);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, sample_label);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, view_a);
  gtk_widget_class_bind_template_child (widget_class, JgReviewWindow, view_b);

  gtk_widget_class_install_action (widget_class, "win.open-store", NULL, open_store_action);
  gtk_widget_class_install_action (widget_class, "win.new-store", NULL, open_store_action);
  gtk_widget_class_install_action (widget_class, "win.import-run", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-import", NULL, cancel_import_action);
  gtk_widget_class_install_action (widget_class, "win.tag", "s", tag_action);
  gtk_widget_class_install_action (widget_class, "win.edit-note", NULL, edit_note_action);
  gtk_widget_class_install_action (widget_class, "win.next", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.previous", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.undo", NULL, history_action);
  gtk_widget_class_install_action (widget_class, "win.redo", NULL, history_action);
  gtk_widget_class_install_action (widget_class, "win.export-manifest", NULL, export_action);
  gtk_widget_class_install_action (widget_class, "win.export-report", NULL, export_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK, "win.undo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_z, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.redo", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK, "win.open-store", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-store", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK, "win.import-run", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel-import", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export-manifest", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.export-report", NULL);
}

/* Single keys review while the table has the focus (never while typing). */
static void
add_table_shortcuts (JgReviewWindow *self)
{
  static const struct { guint key; const char *action; const char *tag; } keys[] = {
    { GDK_KEY_a, "win.tag", "accept" },
    { GDK_KEY_r, "win.tag", "reject" },
    { GDK_KEY_f, "win.tag", "needs-fix" },
    { GDK_KEY_0, "win.tag", "none" },
    { GDK_KEY_n, "win.edit-note", NULL },
    { GDK_KEY_j, "win.next", NULL },
    { GDK_KEY_k, "win.previous", NULL },
  };
  GtkEventController *controller = gtk_shortcut_controller_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkShortcut *s = gtk_shortcut_new (gtk_keyval_trigger_new (keys[i].key, 0),
                                         gtk_named_action_new (keys[i].action));
      if (keys[i].tag != NULL)
        gtk_shortcut_set_arguments (s, g_variant_new_string (keys[i].tag));
      gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (controller), s);
    }
  gtk_widget_add_controller (GTK_WIDGET (self->table), controller);
}

static void
jg_review_window_init (JgReviewWindow *self)
{
  static const char *const titles[N_COLS] = {
    N_("Sample"), N_("Task"), N_("Ground truth"), N_("Run A"), N_("Error A"),
    N_("Run B"), N_("Error B"), N_("Tag"), N_("Note"),
  };
  static const char *const sorts[] = {
    N_("Manifest order"), N_("Path"), N_("Task"), N_("Error A"), N_("Error B"), N_("Error B − A"), NULL,
  };
  static const char *const tags[] = { N_("All"), N_("Untagged"), N_("Accepted"), N_("Rejected"), N_("Needs fix"), NULL };
  g_autoptr(GtkStringList) tasks = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) sort_list = gtk_string_list_new (NULL);
  g_autoptr(GtkStringList) tag_list = gtk_string_list_new (NULL);

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_string_list_append (tasks, _("All tasks"));
  for (int t = 0; t < JG_N_TASKS; t++)
    gtk_string_list_append (tasks, jg_task_to_string ((JgTask) t));
  gtk_drop_down_set_model (self->task_filter, G_LIST_MODEL (tasks));
  for (gsize i = 0; sorts[i]; i++)
    gtk_string_list_append (sort_list, _(sorts[i]));
  gtk_drop_down_set_model (self->sort_by, G_LIST_MODEL (sort_list));
  gtk_drop_down_set_selected (self->sort_by, JG_STORE_SORT_ERROR_A);
  for (gsize i = 0; tags[i]; i++)
    gtk_string_list_append (tag_list, _(tags[i]));
  gtk_drop_down_set_model (self->tag_filter, G_LIST_MODEL (tag_list));

  self->model = jg_review_model_new ();
  self->selection = gtk_single_selection_new (G_LIST_MODEL (g_object_ref (self->model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_column_view_set_model (self->table, GTK_SELECTION_MODEL (g_object_ref (self->selection)));
  for (int c = 0; c < N_COLS; c++)
    add_column (self, c, _(titles[c]), c == COL_SAMPLE || c == COL_GT || c == COL_PRED_A || c == COL_PRED_B);
  add_table_shortcuts (self);
  self->worker = g_new0 (QueryWorker, 1);
  self->queries = g_thread_pool_new_full (run_query, self->worker, (GDestroyNotify) query_free, 1, FALSE, NULL);

  g_signal_connect (self->selection, "selection-changed", G_CALLBACK (selection_changed), self);
  g_signal_connect_swapped (self->run_a, "notify::selected", G_CALLBACK (filters_changed), self);
  g_signal_connect_swapped (self->run_b, "notify::selected", G_CALLBACK (filters_changed), self);
  g_signal_connect_swapped (self->task_filter, "notify::selected", G_CALLBACK (filters_changed), self);
  g_signal_connect_swapped (self->tag_filter, "notify::selected", G_CALLBACK (filters_changed), self);
  g_signal_connect_swapped (self->sort_by, "notify::selected", G_CALLBACK (filters_changed), self);
  g_signal_connect_swapped (self->descending, "toggled", G_CALLBACK (filters_changed), self);
  g_signal_connect_swapped (self->unparsed_only, "toggled", G_CALLBACK (filters_changed), self);
  g_signal_connect_swapped (self->error_min, "value-changed", G_CALLBACK (filters_changed), self);
  g_signal_connect_swapped (self->error_max, "value-changed", G_CALLBACK (filters_changed), self);
  g_signal_connect_swapped (self->search, "search-changed", G_CALLBACK (filters_changed), self);
  g_signal_connect (self->histogram, "bin-activated", G_CALLBACK (bin_activated), self);
  g_signal_connect_swapped (self->note_entry, "activate", G_CALLBACK (save_note), self);
  g_signal_connect (self->view_a, "camera-changed", G_CALLBACK (camera_changed), self);
  g_signal_connect (self->view_b, "camera-changed", G_CALLBACK (camera_changed), self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.undo", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.redo", FALSE);
}

JgReviewWindow *
jg_review_window_new (GtkApplication *app)
{
  return g_object_new (JG_TYPE_REVIEW_WINDOW, "application", app, NULL);
}
