#include "eval/jg-eval-store.h"
#include "eval/jg-export.h"

gint64
jg_evaluation_save_run (JgEvaluation *ev, JgStore *store, const char *const *manifest_paths,
                        JgPredictionSet *preds, const char *run_name, const char *fallback_name,
                        JgStoreProgress progress, gpointer user_data, GError **error)
{
  guint n = jg_evaluation_get_n_samples (ev);
  g_autofree JgStoreSample *samples = g_new0 (JgStoreSample, MAX (n, 1));
  g_autofree gint64 *ids = g_new0 (gint64, MAX (n, 1));
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) preds_out = g_array_new (FALSE, FALSE, sizeof (JgStorePrediction));
  g_autoptr(GString) name = g_string_new (NULL);
  g_autoptr(GString) manifest_list = g_string_new (NULL);
  const JgRunInfo *ri = jg_prediction_set_get_run (preds);
  JgStoreRunInfo info;
  gint64 ds;

  for (guint m = 0; manifest_paths[m] != NULL; m++)
    {
      g_autofree char *abs = g_canonicalize_filename (manifest_paths[m], NULL);
      g_string_append_printf (name, "%s%s", m ? " + " : "", abs);
      g_string_append_printf (manifest_list, "%s%s", m ? "\n" : "", abs);
    }
  for (guint i = 0; i < n; i++)
    {
      const JgManifestEntry *e = jg_evaluation_get_sample (ev, i)->entry;
      g_ptr_array_add (entries, jg_manifest_entry_to_json (e));
      samples[i] = (JgStoreSample) {
        e->original_path, e->task, e->gender == JG_GENDER_NONE ? NULL : jg_gender_to_string (e->gender),
        e->text, g_ptr_array_index (entries, i),
      };
    }
  ds = jg_store_ensure_dataset (store, name->str, manifest_list->str, samples, n, ids, error);
  if (ds == 0)
    return 0;
  for (guint i = 0; i < n; i++)
    {
      const JgEvalSample *s = jg_evaluation_get_sample (ev, i);
      JgStorePrediction p = { ids[i], NULL, s->metrics };

      if (s->prediction == NULL)
        continue;
      p.pred_text = s->prediction->pred_text;
      g_array_append_val (preds_out, p);
    }
  info = (JgStoreRunInfo) {
    run_name != NULL ? run_name : ri->model != NULL ? NULL : fallback_name,
    ri->model, ri->checkpoint, ri->settings, ri->date,
  };
  return jg_store_add_run (store, ds, &info, (JgStorePrediction *) preds_out->data, preds_out->len,
                           progress, user_data, error);
}
