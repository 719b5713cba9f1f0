#include "jg-window.h"

#include "jg-audio-output.h"
#include "jg-audio-view.h"
#include "jg-chat-panel.h"
#include "jg-image-view.h"
#include "jg-preferences-window.h"
#include "jg-sample-browser.h"
#include "jg-sample-item.h"
#include "jg-sample-loader.h"
#include "jg-screenshot.h"
#include "jg-scene-view.h"
#include "jg-transport-bar.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "data/jg-manifest.h"
#include "audio/jg-hrtf.h"
#include "audio/jg-player.h"
#include "data/jg-sample.h"
#include "eval/jg-metrics.h"
#include "inference/jg-text-model.h"
#include "eval/jg-predictions.h"

#define MAX_RECENT 10
#define MAX_SCAN_DEPTH 4

struct _JgWindow {
  GtkApplicationWindow parent_instance;

  GtkLabel *title_label;
  GtkLabel *subtitle_label;
  GtkLabel *status_label;
  JgSampleBrowser *browser;
  JgSceneView *scene_view;
  JgAudioView *audio_view;
  JgImageView *image_view;
  JgChatPanel *chat;
  JgTransportBar *transport;
  GMenu *recent_submenu;

  GSettings *settings;
  GCancellable *load_cancellable;     /* scanning a dataset */
  GCancellable *sample_cancellable;   /* loading one sample */
  GFile *dataset;
  GPtrArray *manifests;               /* JgManifest: the open manifests, or NULL */
  int loading_entry;                  /* its entry being loaded, or -1 */
  JgSample *sample;                   /* the sample shown */
  JgPredictionSet *predictions;       /* opened with win.open-predictions, or NULL */
  GHashTable *prediction_index;       /* sample key -> GPtrArray of const JgPrediction * */
  gboolean loading_predictions;

  JgAudioOutput *output;              /* NULL: no device, play silently */
  gboolean output_checked;
  JgPlayer *player;                   /* the shown sample's audio, or NULL */
  GCancellable *player_cancellable;
  guint transport_tick;
  GSimpleAction *play_action, *loop_action, *solo_action;
  /* The HRTF loads once per file and rate (about 0.7 s of CPU), then every
   * sample's player copies it; players are built on worker threads. */
  GMutex hrtf_lock;
  JgHrtf *hrtf;
  char *hrtf_path;
  guint hrtf_rate;
  JgFoaAnalysis *analysis;            /* of the shown sample's audio, or NULL */
  int track_frame;                    /* frame of the live direction shown, -1 none */
  float analysis_peak;                /* loudest frame energy of the analysis */

  JgTextModel *model;                 /* used only by the asking thread while asking */
  struct _Asking *asking;             /* the question being answered, or NULL */
  guint frames_at_load;
};

G_DEFINE_FINAL_TYPE (JgWindow, jg_window, GTK_TYPE_APPLICATION_WINDOW)

static void
set_status (JgWindow *self, const char *text)
{
  gtk_label_set_label (self->status_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL && *text != '\0');
}

/* --- Finding samples (worker thread) --------------------------------- */

static gboolean
is_sample_dir (GFile *dir)
{
  static const char *const markers[] = { "rgb.png", "depth.png", "foa_ls.wav", "ir.npy", "ir_male.npy" };

  for (gsize i = 0; i < G_N_ELEMENTS (markers); i++)
    {
      g_autoptr(GFile) f = g_file_get_child (dir, markers[i]);
      if (g_file_query_exists (f, NULL))
        return TRUE;
    }
  return FALSE;
}

static const char *
guess_task (const char *name)
{
  if (g_str_has_prefix (name, "task1"))
    return "task1";
  if (g_str_has_prefix (name, "task2"))
    return "task2";
  return "";
}

static gboolean
scan_dir (GFile *dir, int depth, GPtrArray *items, GCancellable *cancellable, GError **error)
{
  g_autoptr(GFileEnumerator) e = NULL;
  g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func (g_object_unref);

  if (is_sample_dir (dir))
    {
      g_autofree char *path = g_file_get_path (dir);
      g_autofree char *base = g_file_get_basename (dir);
      g_ptr_array_add (items, jg_sample_item_new (path, guess_task (base), NULL, -1));
      return TRUE;
    }
  if (depth >= MAX_SCAN_DEPTH)
    return TRUE;
  e = g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                 G_FILE_QUERY_INFO_NONE, cancellable, error);
  if (e == NULL)
    return FALSE;
  for (;;)
    {
      GFileInfo *info = NULL;
      GFile *child = NULL;

      if (!g_file_enumerator_iterate (e, &info, &child, cancellable, error))
        return FALSE;
      if (info == NULL)
        break;
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
        g_ptr_array_add (children, g_object_ref (child));
    }
  for (guint i = 0; i < children->len; i++)
    if (!scan_dir (children->pdata[i], depth + 1, items, cancellable, error))
      return FALSE;
  return TRUE;
}

typedef struct {
  GFile *file;
  char *root;
  GPtrArray *manifests;      /* out: JgManifest */
  guint n_entries;           /* out: over all manifests */
  guint n_problems;          /* out */
  char *first_problem;       /* out */
} ScanJob;

static void
scan_job_free (ScanJob *job)
{
  g_object_unref (job->file);
  g_free (job->root);
  g_clear_pointer (&job->manifests, g_ptr_array_unref);
  g_free (job->first_problem);
  g_free (job);
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

/* Items number the entries of all manifests one after the other. */
static gboolean
load_manifest (ScanJob *job, const char *path, GPtrArray *items, GError **error)
{
  JgManifest *manifest = jg_manifest_load (path, job->root, error);

  if (manifest == NULL)
    return FALSE;
  for (guint i = 0; i < jg_manifest_get_n_entries (manifest); i++)
    {
      const JgManifestEntry *e = jg_manifest_get_entry (manifest, i);
      g_ptr_array_add (items, jg_sample_item_new (e->path, jg_task_to_string (e->task), e->text,
                                                  (int) (job->n_entries + i)));
    }
  job->n_entries += jg_manifest_get_n_entries (manifest);
  job->n_problems += jg_manifest_get_n_problems (manifest);
  if (job->first_problem == NULL && jg_manifest_get_n_problems (manifest) > 0)
    job->first_problem = g_strdup (jg_manifest_get_problem (manifest, 0));
  g_ptr_array_add (job->manifests, manifest);
  return TRUE;
}

/* A dataset folder with manifests at its top (a release split, or what
 * `jaeger sim` writes) opens as all of them; other .json files are not
 * manifests and are passed over. */
static gboolean
load_folder_manifests (ScanJob *job, GPtrArray *items, GCancellable *cancellable)
{
  g_autofree char *dir = g_file_get_path (job->file);
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (d == NULL)
    return FALSE;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".json"))
      g_ptr_array_add (names, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (names, compare_paths);
  for (guint i = 0; i < names->len && !g_cancellable_is_cancelled (cancellable); i++)
    load_manifest (job, names->pdata[i], items, NULL);
  return job->manifests->len > 0;
}

static int
compare_items (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (jg_sample_item_get_path (*(JgSampleItem **) a), jg_sample_item_get_path (*(JgSampleItem **) b));
}

static void
scan_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  ScanJob *job = task_data;
  GFile *file = job->file;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GError) error = NULL;
  GFileType type = g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, cancellable);
  gboolean ok;

  job->manifests = g_ptr_array_new_with_free_func ((GDestroyNotify) jg_manifest_free);
  if (type == G_FILE_TYPE_DIRECTORY)
    {
      ok = TRUE;
      if (!load_folder_manifests (job, items, cancellable))
        {
          ok = scan_dir (file, 0, items, cancellable, &error);
          g_ptr_array_sort (items, compare_items);
        }
    }
  else if (type == G_FILE_TYPE_REGULAR)
    {
      g_autofree char *path = g_file_get_path (file);
      ok = load_manifest (job, path, items, &error);
    }
  else
    {
      g_autofree char *name = g_file_get_parse_name (file);
      g_set_error (&error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("%s: no such file or folder"), name);
      ok = FALSE;
    }
  if (!ok)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, g_steal_pointer (&items), (GDestroyNotify) g_ptr_array_unref);
}

static void
scan_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JgWindow *self = JG_WINDOW (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = g_task_propagate_pointer (G_TASK (result), &error);
  ScanJob *job = g_task_get_task_data (G_TASK (result));
  GListStore *store;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->load_cancellable);
  if (items == NULL)
    {
      set_status (self, error->message);
      return;
    }
  g_clear_pointer (&self->manifests, g_ptr_array_unref);
  if (job->manifests->len > 0)
    self->manifests = g_steal_pointer (&job->manifests);
  store = g_list_store_new (JG_TYPE_SAMPLE_ITEM);
  g_list_store_splice (store, 0, 0, items->pdata, items->len);
  jg_sample_browser_set_items (self->browser, G_LIST_MODEL (store));
  if (items->len == 0)
    {
      g_autofree char *name = g_file_get_parse_name (self->dataset);
      g_autofree char *msg = g_strdup_printf (_("No samples found in %s"), name);
      set_status (self, msg);
    }
  else if (job->n_problems > 0)
    {
      g_autofree char *msg = g_strdup_printf (ngettext ("%u entry skipped: %s", "%u entries skipped; the first: %s",
                                                        job->n_problems), job->n_problems, job->first_problem);
      set_status (self, msg);
    }
}

void
jg_window_open (JgWindow *self, GFile *file)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *uri = g_file_get_uri (file);
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *parse_name = g_file_get_parse_name (file);

  g_return_if_fail (JG_IS_WINDOW (self));

  if (self->load_cancellable)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  self->load_cancellable = g_cancellable_new ();
  g_set_object (&self->dataset, file);

  gtk_label_set_label (self->title_label, name);
  gtk_label_set_label (self->subtitle_label, parse_name);
  gtk_widget_set_visible (GTK_WIDGET (self->subtitle_label), TRUE);
  set_status (self, _("Loading…"));
  gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);

  {
    ScanJob *job = g_new0 (ScanJob, 1);
    g_autofree char *root = g_settings_get_string (self->settings, "dataset-root");

    job->file = g_object_ref (file);
    job->root = *root ? g_steal_pointer (&root) : NULL;
    task = g_task_new (self, self->load_cancellable, scan_done, NULL);
    g_task_set_source_tag (task, jg_window_open);
    g_task_set_task_data (task, job, (GDestroyNotify) scan_job_free);
  }
  g_task_run_in_thread (task, scan_thread);
}

gboolean
jg_window_is_busy (JgWindow *self)
{
  return self->load_cancellable != NULL || self->sample_cancellable != NULL || self->loading_predictions
         || self->player_cancellable != NULL
         || jg_scene_view_is_moving (self->scene_view);
}

gboolean
jg_window_has_drawn (JgWindow *self)
{
  return jg_scene_view_get_frames_drawn (self->scene_view) > self->frames_at_load;
}

/* --- Predictions -------------------------------------------------------------- */

/* Prediction files name samples by the paths of the machine that made them:
 * match on the last two components ("<scene>/task1_00000"). */
static char *
sample_key (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *parent = g_path_get_basename (dir);

  return g_strdup_printf ("%s/%s", parent, base);
}

static void
show_predictions (JgWindow *self)
{
  JgScene *scene = jg_scene_view_get_scene (self->scene_view);
  g_autofree char *key = NULL;
  GPtrArray *preds;

  jg_scene_set_boxes (scene, JG_SET_PRED, NULL, 0);
  jg_scene_set_doas (scene, JG_SET_PRED, NULL, 0);
  if (self->sample == NULL || self->prediction_index == NULL)
    return;
  key = sample_key (jg_sample_get_path (self->sample));
  preds = g_hash_table_lookup (self->prediction_index, key);
  for (guint i = 0; preds != NULL && i < preds->len; i++)
    {
      const JgPrediction *p = preds->pdata[i];
      const JgAnswer *gt = jg_sample_get_answer (self->sample, p->task);

      /* With several questions on one sample, show the one whose ground truth is shown. */
      if (p->pred_text == NULL || (preds->len > 1 && gt == NULL))
        continue;
      jg_scene_show_answer (scene, JG_SET_PRED, p->task, p->pred_text, p->units);
      {
        g_autofree char *msg = g_strdup_printf (_("Prediction (%s): %s"), jg_task_to_string (p->task), p->pred_text);
        jg_chat_panel_add_message (self->chat, JG_CHAT_MODEL, msg);
      }
      break;
    }
  jg_scene_set_set_visible (scene, JG_SET_PRED, TRUE);
  jg_scene_view_scene_changed (self->scene_view);
}

static void
predictions_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JgWindow *self = JG_WINDOW (source);
  g_autoptr(GError) error = NULL;
  JgPredictionSet *set = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *msg = NULL;

  self->loading_predictions = FALSE;
  if (set == NULL)
    {
      set_status (self, error->message);
      return;
    }
  g_clear_pointer (&self->prediction_index, g_hash_table_unref);
  g_clear_pointer (&self->predictions, jg_prediction_set_free);
  self->predictions = set;
  self->prediction_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  for (guint i = 0; i < jg_prediction_set_get_n (set); i++)
    {
      const JgPrediction *p = jg_prediction_set_get (set, i);
      char *key = sample_key (p->path);
      GPtrArray *list = g_hash_table_lookup (self->prediction_index, key);

      if (list == NULL)
        g_hash_table_insert (self->prediction_index, key, list = g_ptr_array_new ());
      else
        g_free (key);
      g_ptr_array_add (list, (gpointer) p);
    }
  msg = g_strdup_printf (ngettext ("%u prediction loaded", "%u predictions loaded", jg_prediction_set_get_n (set)),
                         jg_prediction_set_get_n (set));
  set_status (self, msg);
  show_predictions (self);
}

static void
predictions_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  g_autoptr(JgPredictionSet) set = jg_prediction_set_new ();
  GError *error = NULL;

  if (!jg_prediction_set_add_file (set, task_data, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&set), (GDestroyNotify) jg_prediction_set_free);
}

void
jg_window_open_predictions (JgWindow *self, const char *path)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, predictions_loaded, NULL);

  self->loading_predictions = TRUE;
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, predictions_thread);
}

static void
predictions_response (GtkNativeDialog *dialog, int response, JgWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      jg_window_open_predictions (self, path);
    }
  g_object_unref (dialog);
}

static void
open_predictions_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Open Predictions"), GTK_WINDOW (widget),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), NULL);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Predictions (*.json, *.jsonl)"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_filter_add_pattern (filter, "*.jsonl");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (predictions_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* --- Playback --------------------------------------------------------------- */

static void
update_head (JgWindow *self)
{
  double yaw, pitch, roll;

  if (self->player == NULL)
    return;
  jg_scene_view_get_orientation (self->scene_view, &yaw, &pitch, &roll);
  /* The camera's roll is positive with the head tilted left; the sound
   * field's with the right ear down: the same tilt, opposite signs. */
  jg_player_set_orientation (self->player, yaw, pitch, -roll);
}

/* The intensity direction of the frame being heard, as the "now" ray. */
static void
show_live_direction (JgWindow *self, double pos)
{
  JgScene *scene = jg_scene_view_get_scene (self->scene_view);
  int frame = -1;

  if (self->analysis != NULL && pos >= 0.0)
    {
      frame = (int) lround (pos / self->analysis->frame_period);
      if (frame >= (int) self->analysis->n_frames)
        frame = -1;
      /* Silent frames have no direction worth drawing (40 dB below the loudest). */
      if (frame >= 0 && self->analysis->frame_energy[frame] < self->analysis_peak * 1e-4f)
        frame = -1;
    }
  if (frame == self->track_frame)
    return;
  self->track_frame = frame;
  if (frame < 0)
    jg_scene_set_doas (scene, JG_SET_RUN_B, NULL, 0);
  else
    {
      JgDoa d = { self->analysis->frame_az_deg[frame], self->analysis->frame_el_deg[frame], 0.0, 1.5 };
      jg_scene_set_doas (scene, JG_SET_RUN_B, &d, 1);
    }
  jg_scene_view_scene_changed (self->scene_view);
}

static gboolean
transport_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  JgWindow *self = JG_WINDOW (user_data);
  float in_peak[4], out_peak[4];
  double pos;

  if (self->player == NULL)
    {
      self->transport_tick = 0;
      return G_SOURCE_REMOVE;
    }
  pos = jg_player_get_position (self->player);
  jg_transport_bar_set_position (self->transport, pos);
  jg_audio_view_set_position (self->audio_view, pos);
  jg_player_take_levels (self->player, in_peak, out_peak);
  jg_transport_bar_set_levels (self->transport, in_peak);
  show_live_direction (self, jg_player_is_playing (self->player) ? pos : -1.0);
  jg_transport_bar_set_playing (self->transport, jg_player_is_playing (self->player));
  return G_SOURCE_CONTINUE;
}

static void
stop_player (JgWindow *self)
{
  if (self->player_cancellable)
    g_cancellable_cancel (self->player_cancellable);
  g_clear_object (&self->player_cancellable);
  if (self->output)
    jg_audio_output_detach (self->output);
  g_clear_pointer (&self->player, jg_player_free);
  if (self->transport_tick)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->transport), self->transport_tick);
  self->transport_tick = 0;
  g_simple_action_set_enabled (self->play_action, FALSE);
  g_simple_action_set_enabled (self->loop_action, FALSE);
  g_simple_action_set_enabled (self->solo_action, FALSE);
  jg_transport_bar_set_playing (self->transport, FALSE);
}

typedef struct {
  char *path;
  JgPlayerConfig config;
  char *hrtf_path;
  double start;
} PlayerJob;

static void
player_job_free (PlayerJob *job)
{
  g_free (job->path);
  g_free (job->hrtf_path);
  g_free (job);
}

static void
player_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  JgWindow *self = JG_WINDOW (source);
  PlayerJob *job = task_data;
  GError *error = NULL;
  JgPlayer *player = NULL;

  job->config.hrtf_path = job->hrtf_path;
  g_mutex_lock (&self->hrtf_lock);
  if (job->config.decoder == JG_DECODER_BINAURAL
      && (self->hrtf == NULL || self->hrtf_rate != job->config.sample_rate
          || g_strcmp0 (self->hrtf_path, job->hrtf_path) != 0))
    {
      g_clear_pointer (&self->hrtf, jg_hrtf_free);
      g_clear_pointer (&self->hrtf_path, g_free);
      self->hrtf = jg_hrtf_load (job->hrtf_path, job->config.sample_rate, &error);
      self->hrtf_path = g_strdup (job->hrtf_path);
      self->hrtf_rate = job->config.sample_rate;
    }
  job->config.hrtf = self->hrtf;
  if (error == NULL)
    player = jg_player_new (job->path, &job->config, &error);
  g_mutex_unlock (&self->hrtf_lock);
  if (player == NULL)
    g_task_return_error (task, error);
  else if (g_task_return_error_if_cancelled (task))
    jg_player_free (player);
  else
    g_task_return_pointer (task, player, (GDestroyNotify) jg_player_free);
}

static void
player_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JgWindow *self = JG_WINDOW (source);
  PlayerJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  JgPlayer *player = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->player_cancellable);
  if (player == NULL)
    {
      jg_transport_bar_set_duration (self->transport, 0.0, error->message);
      return;
    }
  self->player = player;
  jg_player_set_loop (self->player, g_variant_get_boolean (g_action_get_state (G_ACTION (self->loop_action))));
  jg_player_set_solo_w (self->player, g_variant_get_boolean (g_action_get_state (G_ACTION (self->solo_action))));
  if (job->start > 0.0)
    jg_player_seek (self->player, job->start);
  update_head (self);
  if (self->output == NULL || !jg_audio_output_attach (self->output, self->player, &error))
    {
      jg_player_start_silent_clock (self->player);
      if (error != NULL)
        set_status (self, error->message);
    }
  g_simple_action_set_enabled (self->play_action, TRUE);
  g_simple_action_set_enabled (self->loop_action, TRUE);
  g_simple_action_set_enabled (self->solo_action, TRUE);
  if (self->transport_tick == 0)
    self->transport_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self->transport), transport_tick, self, NULL);
}

/* The sample's FOA file, decoded the way the preferences say. */
static void
start_player (JgWindow *self, double start)
{
  const char *dir = jg_sample_get_path (self->sample);
  g_autoptr(GTask) task = NULL;
  g_autofree char *decoder = NULL;
  PlayerJob *job;

  stop_player (self);
  if (jg_sample_get_audio (self->sample) == NULL)
    return;
  if (!self->output_checked)
    {
      g_autoptr(GError) error = NULL;

      self->output_checked = TRUE;
      /* JAEGER_NO_AUDIO keeps tests and headless runs off the sound system. */
      if (g_getenv ("JAEGER_NO_AUDIO") == NULL)
        self->output = jg_audio_output_new (&error);
      if (self->output == NULL)
        {
          g_autofree char *msg = g_strdup_printf (_("No audio output (%s): playing silently."),
                                                  error ? error->message : "JAEGER_NO_AUDIO");
          set_status (self, msg);
        }
    }
  job = g_new0 (PlayerJob, 1);
  job->path = g_str_has_suffix (dir, ".wav") ? g_strdup (dir) : g_build_filename (dir, "foa_ls.wav", NULL);
  jg_player_config_init (&job->config);
  decoder = g_settings_get_string (self->settings, "audio-decoder");
  jg_decoder_kind_from_string (decoder, &job->config.decoder, NULL);
  if (job->config.decoder == JG_DECODER_PASSTHROUGH && self->output && jg_audio_output_get_max_channels (self->output) < 4)
    job->config.decoder = JG_DECODER_STEREO;
  job->hrtf_path = g_settings_get_string (self->settings, "hrtf-path");
  if (*job->hrtf_path == '\0')
    g_clear_pointer (&job->hrtf_path, g_free);
  job->config.convention = jg_sample_get_foa_convention (self->sample);
  if (self->output)
    job->config.sample_rate = jg_audio_output_get_sample_rate (self->output);
  job->start = start;

  self->player_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->player_cancellable, player_ready, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) player_job_free);
  g_task_run_in_thread (task, player_thread);
}

static void
audio_settings_changed (GSettings *settings, const char *key, JgWindow *self)
{
  if (self->sample != NULL && self->player != NULL)
    start_player (self, jg_player_get_position (self->player));
}

static void
play_pause (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  JgWindow *self = user_data;

  if (self->player == NULL)
    return;
  if (jg_player_is_playing (self->player))
    jg_player_pause (self->player);
  else
    jg_player_play (self->player);
  jg_transport_bar_set_playing (self->transport, jg_player_is_playing (self->player));
}

static void
toggle_loop (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  JgWindow *self = user_data;
  gboolean on = !g_variant_get_boolean (g_action_get_state (G_ACTION (action)));

  g_simple_action_set_state (action, g_variant_new_boolean (on));
  if (self->player)
    jg_player_set_loop (self->player, on);
}

static void
toggle_solo (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  JgWindow *self = user_data;
  gboolean on = !g_variant_get_boolean (g_action_get_state (G_ACTION (action)));

  g_simple_action_set_state (action, g_variant_new_boolean (on));
  if (self->player)
    jg_player_set_solo_w (self->player, on);
}

static void
seek (JgTransportBar *bar, double seconds, JgWindow *self)
{
  if (self->player)
    jg_player_seek (self->player, seconds);
}

/* --- Loading one sample --------------------------------------------------- */

static void
clear_sample (JgWindow *self, const char *status)
{
  JgScene *scene = jg_scene_view_get_scene (self->scene_view);
  JgIntrinsics k;
  g_autofree float *none = NULL;

  stop_player (self);
  g_clear_pointer (&self->sample, jg_sample_free);
  g_clear_pointer (&self->analysis, jg_foa_analysis_free);
  jg_intrinsics_from_fov (&k, 672, 378, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
  none = g_new0 (float, (gsize) k.width * k.height);
  jg_scene_set_cloud (scene, NULL, 0, 0, none, &k, NULL);
  for (int set = 0; set < JG_N_SETS; set++)
    {
      jg_scene_set_boxes (scene, (JgOverlaySet) set, NULL, 0);
      jg_scene_set_doas (scene, (JgOverlaySet) set, NULL, 0);
    }
  jg_scene_view_scene_changed (self->scene_view);
  jg_image_view_set_images (self->image_view, NULL, 0, 0, NULL, 0, 0);
  jg_audio_view_set_images (self->audio_view, NULL);
  jg_transport_bar_set_duration (self->transport, 0.0, _("No audio"));
  set_status (self, status);
}

/* The classical intensity-vector estimate of the whole clip is a prediction
 * like any other: drawn as set A ("IV") and compared with the ground truth. */
static void
show_audio_estimate (JgWindow *self)
{
  JgScene *scene = jg_scene_view_get_scene (self->scene_view);
  const JgAnswer *gt = NULL;

  self->track_frame = -1;
  jg_scene_set_doas (scene, JG_SET_RUN_B, NULL, 0);
  if (self->analysis == NULL)
    {
      jg_scene_set_doas (scene, JG_SET_RUN_A, NULL, 0);
      return;
    }
  {
    JgDoa d = { self->analysis->az_deg, self->analysis->el_deg, 0.0, 0.0 };
    jg_scene_set_doas (scene, JG_SET_RUN_A, &d, 1);
  }
  for (int t = 0; t < JG_N_TASKS && gt == NULL; t++)
    {
      const JgAnswer *a = jg_sample_get_answer (self->sample, (JgTask) t);
      if (a != NULL && a->kind == JG_ANSWER_DOA)
        gt = a;
    }
  if (gt != NULL)
    {
      g_autofree char *msg = g_strdup_printf (_("Classical intensity-vector estimate: azimuth %+.1f°, elevation %+.1f° "
                                                "(%.1f° from the ground truth)"),
                                              self->analysis->az_deg, self->analysis->el_deg,
                                              jg_doa_angular_error (gt->az_deg, gt->el_deg,
                                                                    self->analysis->az_deg, self->analysis->el_deg));
      jg_chat_panel_add_message (self->chat, JG_CHAT_MODEL, msg);
    }
}

/* The manifest entry of the sample being loaded, or NULL. */
static const JgManifestEntry *
loading_entry (JgWindow *self)
{
  guint index;

  if (self->manifests == NULL || self->loading_entry < 0)
    return NULL;
  index = (guint) self->loading_entry;
  for (guint m = 0; m < self->manifests->len; m++)
    {
      JgManifest *manifest = self->manifests->pdata[m];
      guint n = jg_manifest_get_n_entries (manifest);
      if (index < n)
        return jg_manifest_get_entry (manifest, index);
      index -= n;
    }
  return NULL;
}

static void
sample_loaded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr(JgWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) cloud_error = NULL;
  g_autoptr(JgLoadedSample) loaded = jg_sample_loader_load_finish (result, &error);
  const char *const *missing;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* a newer selection is loading */
  g_clear_object (&self->sample_cancellable);
  if (loaded == NULL)
    {
      clear_sample (self, error->message);
      /* The manifest still knows the answer: show it without the scene. */
      if (loading_entry (self) != NULL)
        {
          const JgManifestEntry *e = loading_entry (self);
          jg_scene_show_answer (jg_scene_view_get_scene (self->scene_view), JG_SET_GT, e->task, e->text, JG_UNITS_METRES);
          jg_scene_view_scene_changed (self->scene_view);
        }
      return;
    }
  stop_player (self);
  g_clear_pointer (&self->sample, jg_sample_free);
  self->sample = g_steal_pointer (&loaded->sample);
  /* The manifest's entry carries the ground truth of the question asked. */
  if (loading_entry (self) != NULL)
    jg_sample_apply_entry (self->sample, loading_entry (self));
  if (!jg_scene_show_sample (jg_scene_view_get_scene (self->scene_view), self->sample, &cloud_error))
    set_status (self, cloud_error->message);
  {
    guint rw = 0, rh = 0, dw = 0, dh = 0;
    const guint8 *rgb = jg_sample_get_rgb (self->sample, &rw, &rh);
    const float *depth = jg_sample_get_depth (self->sample, &dw, &dh);
    jg_image_view_set_images (self->image_view, rgb, rw, rh, depth, dw, dh);
  }
  show_predictions (self);
  g_clear_pointer (&self->analysis, jg_foa_analysis_free);
  self->analysis = g_steal_pointer (&loaded->analysis);
  self->analysis_peak = 0.0f;
  for (guint t = 0; self->analysis != NULL && t < self->analysis->n_frames; t++)
    self->analysis_peak = MAX (self->analysis_peak, self->analysis->frame_energy[t]);
  show_audio_estimate (self);
  jg_scene_view_scene_changed (self->scene_view);
  jg_scene_view_set_view (self->scene_view, JG_VIEW_SENSOR);
  jg_audio_view_set_images (self->audio_view, g_steal_pointer (&loaded->images));
  jg_transport_bar_set_duration (self->transport, loaded->duration, loaded->audio_status);
  start_player (self, 0.0);

  missing = jg_sample_get_missing (self->sample);
  if (cloud_error != NULL)
    return;
  if (missing != NULL && missing[0] != NULL)
    {
      g_autofree char *list = g_strjoinv (", ", (char **) missing);
      g_autofree char *msg = g_strdup_printf (_("%s — missing: %s"), jg_sample_get_path (self->sample), list);
      set_status (self, msg);
    }
  else
    set_status (self, jg_sample_get_path (self->sample));
}

static void
load_sample (JgWindow *self, JgSampleItem *item)
{

  if (self->sample_cancellable)
    g_cancellable_cancel (self->sample_cancellable);
  g_clear_object (&self->sample_cancellable);
  self->sample_cancellable = g_cancellable_new ();
  self->loading_entry = jg_sample_item_get_entry (item);
  jg_sample_loader_load_async (jg_sample_item_get_path (item), self->sample_cancellable,
                               sample_loaded, g_object_ref (self));
}

/* --- Selection -------------------------------------------------------- */

static void
sample_selected (JgSampleBrowser *browser, JgWindow *self)
{
  JgSampleItem *item = jg_sample_browser_get_selected (browser);

  self->frames_at_load = jg_scene_view_get_frames_drawn (self->scene_view);
  gtk_widget_queue_draw (GTK_WIDGET (self->scene_view));
  if (item == NULL)
    {
      clear_sample (self, NULL);
      return;
    }
  load_sample (self, item);
  set_status (self, _("Loading…"));
  gtk_label_set_label (self->subtitle_label, jg_sample_item_get_path (item));
  if (*jg_sample_item_get_answer (item) != '\0')
    {
      g_autofree char *msg = g_strdup_printf (_("Ground truth: %s"), jg_sample_item_get_answer (item));
      jg_chat_panel_clear (self->chat);
      jg_chat_panel_add_message (self->chat, JG_CHAT_SYSTEM, msg);
    }
}

/* --- Asking the model ----------------------------------------------------- */

#define ASK_MAX_CTX 4096
#define ASK_MAX_TOKENS 512

/* The worker appends the answer here; a frame-clock callback shows it, so
 * decoding neither allocates per token nor floods the main loop. */
typedef struct _Asking {
  GMutex lock;
  GString *text;
  gboolean done;
  GError *error;
  JgGenerateStats stats;
  char *device_name;
  GCancellable *cancellable;
  char *dir;
  char *adapter;               /* NULL: none */
  int device;
  char *question;
  guint tick_id;
} Asking;

static void
asking_free (Asking *a)
{
  g_mutex_clear (&a->lock);
  g_string_free (a->text, TRUE);
  g_clear_error (&a->error);
  g_free (a->device_name);
  g_clear_object (&a->cancellable);
  g_free (a->dir);
  g_free (a->adapter);
  g_free (a->question);
  g_free (a);
}

static gboolean
ask_piece (const char *text, gsize len, gpointer data)
{
  Asking *a = data;

  g_mutex_lock (&a->lock);
  g_string_append_len (a->text, text, (gssize) len);
  g_mutex_unlock (&a->lock);
  return TRUE;
}

static void
ask_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  JgWindow *self = JG_WINDOW (source);
  Asking *a = task_data;
  GError *error = NULL;

  /* Loaded again only when the weights or the checkpoint changed. */
  if (self->model == NULL || g_strcmp0 (jg_text_model_get_dir (self->model), a->dir) != 0
      || g_strcmp0 (jg_text_model_get_adapter (self->model), a->adapter) != 0)
    {
      g_clear_pointer (&self->model, jg_text_model_free);
      self->model = jg_text_model_load (a->dir, a->adapter, a->device, ASK_MAX_CTX, &error);
    }
  if (self->model != NULL)
    jg_text_model_ask (self->model, a->question, NULL, ASK_MAX_TOKENS, ask_piece, a, cancellable, &a->stats, &error);
  g_mutex_lock (&a->lock);
  a->error = error;
  if (self->model != NULL)
    a->device_name = g_strdup (jg_text_model_get_device_name (self->model));
  a->done = TRUE;
  g_mutex_unlock (&a->lock);
  g_task_return_boolean (task, TRUE);
}

static gboolean
ask_tick (GtkWidget *widget, GdkFrameClock *clock, gpointer user_data)
{
  JgWindow *self = JG_WINDOW (user_data);
  Asking *a = self->asking;
  gboolean done;
  g_autofree char *summary = NULL;

  g_mutex_lock (&a->lock);
  if (a->text->len > 0)
    {
      jg_chat_panel_append (self->chat, a->text->str, (gssize) a->text->len);
      g_string_truncate (a->text, 0);
    }
  done = a->done;
  g_mutex_unlock (&a->lock);
  if (!done)
    return G_SOURCE_CONTINUE;

  if (a->error != NULL)
    jg_chat_panel_add_message (self->chat, JG_CHAT_SYSTEM, a->error->message);
  else
    {
      summary = g_strdup_printf (_("%s: %u prompt tokens in %.0f ms, %u answer tokens at %.1f tokens/s%s"),
                                 a->device_name, a->stats.n_prompt, a->stats.prefill_s * 1e3, a->stats.n_generated,
                                 a->stats.n_generated > 1 ? (a->stats.n_generated - 1) / MAX (a->stats.decode_s, 1e-9) : 0.0,
                                 a->stats.cancelled ? _(" (stopped)") : "");
      jg_chat_panel_add_message (self->chat, JG_CHAT_SYSTEM, summary);
    }
  jg_chat_panel_set_busy (self->chat, FALSE);
  g_clear_pointer (&self->asking, asking_free);
  return G_SOURCE_REMOVE;
}

static void
ask_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  /* The frame-clock callback shows the end; nothing else to do here. */
}

static void
chat_stop (JgChatPanel *chat, JgWindow *self)
{
  if (self->asking != NULL)
    g_cancellable_cancel (self->asking->cancellable);
}

static void
chat_ask (JgChatPanel *chat, const char *question, JgWindow *self)
{
  g_autofree char *dir = g_settings_get_string (self->settings, "model-path");
  g_autoptr(GTask) task = NULL;
  Asking *a;

  if (self->asking != NULL)
    return;
  if (*dir == '\0')
    {
      jg_chat_panel_add_message (chat, JG_CHAT_SYSTEM,
                                 _("No model is loaded. Choose the folder of the JAEGER weights in Preferences."));
      return;
    }
  if (self->model == NULL)
    jg_chat_panel_add_message (chat, JG_CHAT_SYSTEM,
                               _("Text only: this version runs the language model but not yet the image and "
                                 "audio encoders, so the model does not see or hear the scene. Loading the model…"));
  a = g_new0 (Asking, 1);
  g_mutex_init (&a->lock);
  a->text = g_string_sized_new (1024);
  a->cancellable = g_cancellable_new ();
  a->dir = g_steal_pointer (&dir);
  {
    g_autofree char *adapter = g_settings_get_string (self->settings, "adapter-path");
    a->adapter = *adapter ? g_steal_pointer (&adapter) : NULL;
  }
  a->device = g_settings_get_int (self->settings, "vulkan-device");
  a->question = g_strdup (question);
  self->asking = a;
  jg_chat_panel_add_message (chat, JG_CHAT_MODEL, "");
  jg_chat_panel_set_busy (chat, TRUE);
  a->tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (chat), ask_tick, self, NULL);
  task = g_task_new (self, a->cancellable, ask_done, NULL);
  /* The Asking belongs to the window; the task only borrows it. */
  g_task_set_task_data (task, a, NULL);
  g_task_run_in_thread (task, ask_thread);
}

/* --- Screenshots -------------------------------------------------------- */

static void
screenshot_response (GtkNativeDialog *dialog, int response, JgWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = g_file_get_path (file);
      g_autoptr(GError) error = NULL;

      if (!jg_save_window_png (GTK_WINDOW (self), path, &error))
        set_status (self, error->message);
    }
  g_object_unref (dialog);
}

static void
save_screenshot_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Save Screenshot"), GTK_WINDOW (widget),
                                                              GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), NULL);

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "jaeger-studio.png");
  g_signal_connect (dialog, "response", G_CALLBACK (screenshot_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* --- Opening files ------------------------------------------------------ */

static void
open_response (GtkNativeDialog *dialog, int response, JgWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      if (file != NULL)
        jg_window_open (self, file);
    }
  g_object_unref (dialog);
}

static void
open_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Open Sample or Dataset Folder"), GTK_WINDOW (widget),
                                                              GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Open"), NULL);

  g_signal_connect (dialog, "response", G_CALLBACK (open_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_manifest_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Open Manifest"), GTK_WINDOW (widget),
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), NULL);
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("SpatialSceneQA manifests (*.json)"));
  gtk_file_filter_add_pattern (filter, "*.json");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_signal_connect (dialog, "response", G_CALLBACK (open_response), widget);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
open_recent_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  g_autoptr(GFile) file = g_file_new_for_uri (g_variant_get_string (param, NULL));

  jg_window_open (JG_WINDOW (widget), file);
}

static void
update_recent_menu (JgWindow *self)
{
  GList *infos = gtk_recent_manager_get_items (gtk_recent_manager_get_default ());
  const char *app_name = g_get_application_name ();
  guint n = 0;

  g_menu_remove_all (self->recent_submenu);
  for (GList *l = infos; l != NULL && n < MAX_RECENT; l = l->next)
    {
      GtkRecentInfo *info = l->data;
      g_autoptr(GMenuItem) item = NULL;

      if (app_name == NULL || !gtk_recent_info_has_application (info, app_name))
        continue;
      item = g_menu_item_new (gtk_recent_info_get_display_name (info), NULL);
      g_menu_item_set_action_and_target_value (item, "win.open-recent",
                                               g_variant_new_string (gtk_recent_info_get_uri (info)));
      g_menu_append_item (self->recent_submenu, item);
      n++;
    }
  g_list_free_full (infos, (GDestroyNotify) gtk_recent_info_unref);
}

static gboolean
drop_files (GtkDropTarget *target, const GValue *value, double x, double y, JgWindow *self)
{
  GSList *files = g_value_get_boxed (value);

  if (files == NULL)
    return FALSE;
  jg_window_open (self, files->data);
  return TRUE;
}

/* --- The 3-D view ------------------------------------------------------- */

static const struct { const char *nick; JgOverlayFlags flag; } overlay_names[] = {
  { "doa", JG_OVERLAY_DOA },
  { "cones", JG_OVERLAY_CONES },
  { "boxes", JG_OVERLAY_BOXES },
  { "box-faces", JG_OVERLAY_BOX_FACES },
  { "frustum", JG_OVERLAY_FRUSTUM },
  { "axes", JG_OVERLAY_AXES },
  { "sky", JG_OVERLAY_SKY },
};

static void
view_mode_changed (GSettings *settings, const char *key, JgWindow *self)
{
  g_autofree char *mode = g_settings_get_string (settings, "view-mode");

  gtk_widget_set_visible (GTK_WIDGET (self->scene_view), !g_str_equal (mode, "image"));
  gtk_widget_set_visible (GTK_WIDGET (self->image_view), !g_str_equal (mode, "3d"));
  jg_image_view_set_show_depth (self->image_view, g_settings_get_boolean (settings, "image-depth"));
}

static void
overlays_changed (GSettings *settings, const char *key, JgWindow *self)
{
  g_auto(GStrv) shown = g_settings_get_strv (settings, "overlays");
  JgOverlayFlags flags = 0;

  for (gsize i = 0; i < G_N_ELEMENTS (overlay_names); i++)
    if (g_strv_contains ((const char *const *) shown, overlay_names[i].nick))
      flags |= overlay_names[i].flag;
  jg_scene_set_overlays (jg_scene_view_get_scene (self->scene_view), flags);
  jg_scene_view_scene_changed (self->scene_view);
  gtk_widget_queue_draw (GTK_WIDGET (self->image_view));
}

static void
toggle_overlay (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  JgWindow *self = user_data;
  const char *nick = g_action_get_name (G_ACTION (action)) + strlen ("overlay-");
  g_auto(GStrv) shown = g_settings_get_strv (self->settings, "overlays");
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_auto(GStrv) next = NULL;
  gboolean on = g_strv_contains ((const char *const *) shown, nick);

  for (gsize i = 0; shown[i] != NULL; i++)
    if (!g_str_equal (shown[i], nick))
      g_strv_builder_add (b, shown[i]);
  if (!on)
    g_strv_builder_add (b, nick);
  next = g_strv_builder_end (b);
  g_settings_set_strv (self->settings, "overlays", (const char *const *) next);
  g_simple_action_set_state (action, g_variant_new_boolean (!on));
}

static void
picked (JgSceneView *view, const JgPickHit *hit, JgWindow *self)
{
  static const char *const set_names[JG_N_SETS] = { N_("ground truth"), N_("prediction"), N_("run A"), N_("run B") };
  g_autofree char *msg = NULL;

  switch (hit->kind)
    {
    case JG_PICK_POINT:
      msg = g_strdup_printf (_("Point (%.2f, %.2f, %.2f) m · %.2f m away · azimuth %+.1f°, elevation %+.1f°"),
                             hit->xyz[0], hit->xyz[1], hit->xyz[2], hit->distance, hit->az_deg, hit->el_deg);
      break;
    case JG_PICK_BOX:
      {
        const JgBox *boxes;
        guint n = jg_scene_get_boxes (jg_scene_view_get_scene (view), hit->set, &boxes);
        if (hit->index < n)
          msg = g_strdup_printf (_("bbox_%d (%s): centre (%.2f, %.2f, %.2f) m, size %.2f × %.2f × %.2f m"),
                                 boxes[hit->index].index, _(set_names[hit->set]),
                                 boxes[hit->index].center[0], boxes[hit->index].center[1], boxes[hit->index].center[2],
                                 boxes[hit->index].size[0], boxes[hit->index].size[1], boxes[hit->index].size[2]);
      }
      break;
    case JG_PICK_DOA:
      {
        const JgDoa *doas;
        guint n = jg_scene_get_doas (jg_scene_view_get_scene (view), hit->set, &doas);
        if (hit->index < n)
          msg = g_strdup_printf (_("Sound direction (%s): azimuth %+.1f°, elevation %+.1f°"),
                                 _(set_names[hit->set]), doas[hit->index].az_deg, doas[hit->index].el_deg);
      }
      break;
    case JG_PICK_NONE:
    default:
      break;
    }
  set_status (self, msg);
}

static void
copy_camera_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgWindow *self = JG_WINDOW (widget);
  JgCameraPose pose;
  g_autofree char *text = NULL;

  jg_camera_get_pose (jg_scene_view_get_camera (self->scene_view), &pose);
  text = jg_camera_pose_to_string (&pose);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
  set_status (self, _("Camera copied"));
}

static void
paste_camera_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  JgWindow *self = JG_WINDOW (user_data);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);
  JgCameraPose pose;

  if (text != NULL && jg_camera_pose_from_string (&pose, g_strstrip (text), &error))
    {
      jg_camera_animate_to (jg_scene_view_get_camera (self->scene_view), &pose, g_get_monotonic_time () / 1e6, 0.35);
      jg_scene_view_set_view_animating (self->scene_view);
    }
  else if (error != NULL)
    set_status (self, error->message);
  g_object_unref (self);
}

static void
paste_camera_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (widget), NULL, paste_camera_done, g_object_ref (widget));
}

/* --- Other actions ------------------------------------------------------ */

static void
step_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgWindow *self = JG_WINDOW (widget);

  jg_sample_browser_step (self->browser, g_str_equal (action_name, "win.next-sample") ? 1 : -1);
}

static void
view_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgWindow *self = JG_WINDOW (widget);
  JgView preset = JG_VIEW_SENSOR;

  if (g_str_equal (action_name, "win.view-top"))
    preset = JG_VIEW_TOP;
  else if (g_str_equal (action_name, "win.view-front"))
    preset = JG_VIEW_FRONT;
  else if (g_str_equal (action_name, "win.view-side"))
    preset = JG_VIEW_SIDE;
  jg_scene_view_set_view (self->scene_view, preset);
}

static void
focus_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  JgWindow *self = JG_WINDOW (widget);

  if (g_str_equal (action_name, "win.focus-search"))
    {
      g_settings_set_boolean (self->settings, "show-browser", TRUE);
      jg_sample_browser_focus_search (self->browser);
    }
  else
    {
      g_settings_set_boolean (self->settings, "show-chat", TRUE);
      jg_chat_panel_focus_entry (self->chat);
    }
}

static void
fullscreen_action (GtkWidget *widget, const char *action_name, GVariant *param)
{
  if (gtk_window_is_fullscreen (GTK_WINDOW (widget)))
    gtk_window_unfullscreen (GTK_WINDOW (widget));
  else
    gtk_window_fullscreen (GTK_WINDOW (widget));
}

static void
jg_window_dispose (GObject *object)
{
  JgWindow *self = JG_WINDOW (object);

  /* The asking thread holds the window until it ends; finalize frees. */
  if (self->asking != NULL)
    g_cancellable_cancel (self->asking->cancellable);

  if (self->load_cancellable)
    g_cancellable_cancel (self->load_cancellable);
  g_clear_object (&self->load_cancellable);
  if (self->sample_cancellable)
    g_cancellable_cancel (self->sample_cancellable);
  g_clear_object (&self->sample_cancellable);
  g_clear_object (&self->dataset);
  g_clear_pointer (&self->manifests, g_ptr_array_unref);
  g_clear_pointer (&self->sample, jg_sample_free);
  g_clear_pointer (&self->prediction_index, g_hash_table_unref);
  g_clear_pointer (&self->predictions, jg_prediction_set_free);
  if (self->play_action != NULL)
    stop_player (self);
  g_clear_pointer (&self->output, jg_audio_output_free);
  g_clear_pointer (&self->analysis, jg_foa_analysis_free);
  g_clear_object (&self->play_action);
  g_clear_object (&self->loop_action);
  g_clear_object (&self->solo_action);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), JG_TYPE_WINDOW);
  G_OBJECT_CLASS (jg_window_parent_class)->dispose (object);
}

static void
jg_window_finalize (GObject *object)
{
  JgWindow *self = JG_WINDOW (object);

  g_clear_pointer (&self->asking, asking_free);
  g_clear_pointer (&self->model, jg_text_model_free);
  g_clear_pointer (&self->hrtf, jg_hrtf_free);
  g_free (self->hrtf_path);
  g_mutex_clear (&self->hrtf_lock);
  G_OBJECT_CLASS (jg_window_parent_class)->finalize (object);
}

static void
jg_window_class_init (JgWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = jg_window_dispose;
  object_class->finalize = jg_window_finalize;

  g_type_ensure (JG_TYPE_SAMPLE_BROWSER);
  g_type_ensure (JG_TYPE_SCENE_VIEW);
  g_type_ensure (JG_TYPE_AUDIO_VIEW);
  g_type_ensure (JG_TYPE_IMAGE_VIEW);
  g_type_ensure (JG_TYPE_CHAT_PANEL);
  g_type_ensure (JG_TYPE_TRANSPORT_BAR);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/jaegerstudio/Studio/jg-window.ui");
  gtk_widget_class_bind_template_child (widget_class, JgWindow, title_label);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, status_label);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, browser);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, scene_view);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, audio_view);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, image_view);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, chat);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, transport);
  gtk_widget_class_bind_template_child (widget_class, JgWindow, recent_submenu);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-manifest", NULL, open_manifest_action);
  gtk_widget_class_install_action (widget_class, "win.open-recent", "s", open_recent_action);
  gtk_widget_class_install_action (widget_class, "win.open-predictions", NULL, open_predictions_action);
  gtk_widget_class_install_action (widget_class, "win.save-screenshot", NULL, save_screenshot_action);
  gtk_widget_class_install_action (widget_class, "win.next-sample", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.previous-sample", NULL, step_action);
  gtk_widget_class_install_action (widget_class, "win.reset-view", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "win.view-top", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "win.view-front", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "win.view-side", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "win.copy-camera", NULL, copy_camera_action);
  gtk_widget_class_install_action (widget_class, "win.paste-camera", NULL, paste_camera_action);
  gtk_widget_class_install_action (widget_class, "win.focus-search", NULL, focus_action);
  gtk_widget_class_install_action (widget_class, "win.focus-chat", NULL, focus_action);
  gtk_widget_class_install_action (widget_class, "win.fullscreen", NULL, fullscreen_action);
}

static void
jg_window_init (JgWindow *self)
{
  g_autoptr(GAction) show_browser = NULL;
  g_autoptr(GAction) show_chat = NULL;
  g_autoptr(GAction) show_audio_view = NULL;
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  g_mutex_init (&self->hrtf_lock);

  self->settings = g_settings_new (JG_APP_ID);
  g_settings_bind (self->settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "show-browser", self->browser, "visible", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "show-chat", self->chat, "visible", G_SETTINGS_BIND_DEFAULT);
  show_browser = g_settings_create_action (self->settings, "show-browser");
  show_chat = g_settings_create_action (self->settings, "show-chat");
  g_action_map_add_action (G_ACTION_MAP (self), show_browser);
  g_action_map_add_action (G_ACTION_MAP (self), show_chat);
  g_settings_bind (self->settings, "show-audio-view", self->audio_view, "visible", G_SETTINGS_BIND_DEFAULT);
  show_audio_view = g_settings_create_action (self->settings, "show-audio-view");
  g_action_map_add_action (G_ACTION_MAP (self), show_audio_view);

  g_settings_bind (self->settings, "point-size", self->scene_view, "point-size", G_SETTINGS_BIND_GET);
  g_settings_bind (self->settings, "color-mode", self->scene_view, "color-mode", G_SETTINGS_BIND_GET);
  g_signal_connect (self->settings, "changed::overlays", G_CALLBACK (overlays_changed), self);
  overlays_changed (self->settings, "overlays", self);
  {
    g_auto(GStrv) shown = g_settings_get_strv (self->settings, "overlays");
    for (gsize i = 0; i < G_N_ELEMENTS (overlay_names); i++)
      {
        g_autofree char *name = g_strdup_printf ("overlay-%s", overlay_names[i].nick);
        g_autoptr(GSimpleAction) action = g_simple_action_new_stateful (
          name, NULL, g_variant_new_boolean (g_strv_contains ((const char *const *) shown, overlay_names[i].nick)));
        g_signal_connect (action, "activate", G_CALLBACK (toggle_overlay), self);
        g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (action));
      }
  }
  g_signal_connect (self->scene_view, "picked", G_CALLBACK (picked), self);
  g_signal_connect_swapped (self->scene_view, "camera-changed", G_CALLBACK (update_head), self);
  g_signal_connect (self->transport, "seek", G_CALLBACK (seek), self);
  self->play_action = g_simple_action_new ("play-pause", NULL);
  self->loop_action = g_simple_action_new_stateful ("loop", NULL, g_variant_new_boolean (FALSE));
  self->solo_action = g_simple_action_new_stateful ("solo-w", NULL, g_variant_new_boolean (FALSE));
  g_signal_connect (self->play_action, "activate", G_CALLBACK (play_pause), self);
  g_signal_connect (self->loop_action, "activate", G_CALLBACK (toggle_loop), self);
  g_signal_connect (self->solo_action, "activate", G_CALLBACK (toggle_solo), self);
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (self->play_action));
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (self->loop_action));
  g_action_map_add_action (G_ACTION_MAP (self), G_ACTION (self->solo_action));
  g_simple_action_set_enabled (self->play_action, FALSE);
  g_simple_action_set_enabled (self->loop_action, FALSE);
  g_simple_action_set_enabled (self->solo_action, FALSE);
  g_signal_connect (self->settings, "changed::audio-decoder", G_CALLBACK (audio_settings_changed), self);
  g_signal_connect (self->settings, "changed::hrtf-path", G_CALLBACK (audio_settings_changed), self);
  jg_image_view_set_scene (self->image_view, jg_scene_view_get_scene (self->scene_view));
  /* Both views draw the scene's set names. */
  jg_scene_set_set_label (jg_scene_view_get_scene (self->scene_view), JG_SET_RUN_A, "IV");
  jg_scene_set_set_label (jg_scene_view_get_scene (self->scene_view), JG_SET_RUN_B, _("IV now"));
  self->track_frame = -1;
  {
    g_autoptr(GAction) mode = g_settings_create_action (self->settings, "view-mode");
    g_autoptr(GAction) depth = g_settings_create_action (self->settings, "image-depth");
    g_action_map_add_action (G_ACTION_MAP (self), mode);
    g_action_map_add_action (G_ACTION_MAP (self), depth);
  }
  g_signal_connect (self->settings, "changed::view-mode", G_CALLBACK (view_mode_changed), self);
  g_signal_connect (self->settings, "changed::image-depth", G_CALLBACK (view_mode_changed), self);
  view_mode_changed (self->settings, NULL, self);
  g_signal_connect (self->browser, "selected", G_CALLBACK (sample_selected), self);
  g_signal_connect (self->chat, "ask", G_CALLBACK (chat_ask), self);
  g_signal_connect (self->chat, "stop", G_CALLBACK (chat_stop), self);

  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_files), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  g_signal_connect_object (gtk_recent_manager_get_default (), "changed",
                           G_CALLBACK (update_recent_menu), self, G_CONNECT_SWAPPED);
  update_recent_menu (self);
  set_status (self, _("Open a sample folder, a dataset or a manifest (Ctrl+O), or drop one here."));
}

JgWindow *
jg_window_new (GtkApplication *app)
{
  return g_object_new (JG_TYPE_WINDOW, "application", app, NULL);
}
