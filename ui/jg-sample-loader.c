#include "jg-sample-loader.h"

#include <glib/gi18n.h>

#include "audio/jg-doa.h"


void
jg_loaded_sample_free (JgLoadedSample *loaded)
{
  if (loaded == NULL)
    return;
  g_clear_pointer (&loaded->sample, jg_sample_free);
  g_clear_pointer (&loaded->images, jg_audio_view_images_free);
  g_clear_pointer (&loaded->analysis, jg_foa_analysis_free);
  g_free (loaded->audio_status);
  g_free (loaded);
}

static void
analyse_audio (JgLoadedSample *loaded, GCancellable *cancellable)
{
  const JgAudioClip *clip = jg_sample_get_audio (loaded->sample);
  g_autofree float *interleaved = NULL;
  g_autoptr(JgFoaAnalysis) analysis = NULL;
  g_autoptr(GError) error = NULL;

  if (clip == NULL)
    {
      loaded->audio_status = g_strdup (_("No foa_ls.wav (make it with “jaeger prepare-audio”)"));
      return;
    }
  interleaved = g_new (float, clip->n_frames * clip->channels);
  for (gsize i = 0; i < clip->n_frames; i++)
    for (guint c = 0; c < clip->channels; c++)
      interleaved[i * clip->channels + c] = clip->data[c * clip->n_frames + i];
  if (g_cancellable_is_cancelled (cancellable))
    return;
  analysis = jg_foa_analyse (interleaved, clip->n_frames, clip->sample_rate,
                             jg_sample_get_foa_convention (loaded->sample), &error);
  if (analysis == NULL)
    {
      loaded->audio_status = g_strdup (error->message);
      return;
    }
  loaded->images = jg_audio_view_images_new (analysis);
  loaded->duration = (double) clip->n_frames / clip->sample_rate;
  loaded->audio_status = g_strdup_printf (_("%.0f kHz · intensity direction %+.0f°, %+.0f°"),
                                          clip->sample_rate / 1000.0, analysis->az_deg, analysis->el_deg);
  loaded->analysis = g_steal_pointer (&analysis);
}

static void
load_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  const char *path = task_data;
  g_autoptr(JgLoadedSample) loaded = g_new0 (JgLoadedSample, 1);
  GError *error = NULL;

  loaded->sample = jg_sample_load (path, &error);
  if (loaded->sample == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  analyse_audio (loaded, cancellable);
  if (g_task_return_error_if_cancelled (task))
    return;
  g_task_return_pointer (task, g_steal_pointer (&loaded), (GDestroyNotify) jg_loaded_sample_free);
}

void
jg_sample_loader_load_async (const char *path, GCancellable *cancellable,
                             GAsyncReadyCallback callback, gpointer user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, jg_sample_loader_load_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, load_thread);
}

JgLoadedSample *
jg_sample_loader_load_finish (GAsyncResult *result, GError **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
jg_scene_show_answer (JgScene *scene, JgOverlaySet set, JgTask task, const char *text, JgUnits units)
{
  g_autoptr(JgAnswer) a = jg_answer_parse (task, text, units);

  if (a->kind == JG_ANSWER_BOXES)
    {
      jg_scene_set_boxes (scene, set, (const JgBox *) a->boxes->data, a->boxes->len);
      jg_scene_set_doas (scene, set, NULL, 0);
    }
  else if (a->kind == JG_ANSWER_DOA)
    {
      JgDoa d = { a->az_deg, a->el_deg, 0.0, 0.0 };
      jg_scene_set_doas (scene, set, &d, 1);
      jg_scene_set_boxes (scene, set, NULL, 0);
    }
  else
    {
      jg_scene_set_boxes (scene, set, NULL, 0);
      jg_scene_set_doas (scene, set, NULL, 0);
    }
}

gboolean
jg_scene_show_sample (JgScene *scene, JgSample *sample, GError **error)
{
  g_autoptr(GArray) boxes = g_array_new (FALSE, FALSE, sizeof (JgBox));
  g_autoptr(GArray) doas = g_array_new (FALSE, FALSE, sizeof (JgDoa));
  guint rw = 0, rh = 0, dw = 0, dh = 0;
  const guint8 *rgb = jg_sample_get_rgb (sample, &rw, &rh);
  const float *depth = jg_sample_get_depth (sample, &dw, &dh);
  JgIntrinsics k;
  gboolean ok = TRUE;

  jg_sample_get_intrinsics (sample, &k);
  if (depth != NULL)
    ok = jg_scene_set_cloud (scene, rgb, rw, rh, depth, &k, error);
  else
    {
      /* No depth map (e.g. a STARSS23 recording): an empty cloud, same camera. */
      g_autofree float *none = g_new0 (float, (gsize) k.width * k.height);
      jg_scene_set_cloud (scene, NULL, 0, 0, none, &k, NULL);
    }

  for (int t = 0; t < JG_N_TASKS; t++)
    {
      const JgAnswer *a = jg_sample_get_answer (sample, (JgTask) t);

      if (a == NULL)
        continue;
      if (a->kind == JG_ANSWER_BOXES)
        g_array_append_vals (boxes, a->boxes->data, a->boxes->len);
      else if (a->kind == JG_ANSWER_DOA && doas->len == 0)
        {
          JgDoa d = { a->az_deg, a->el_deg, 0.0, 0.0 };
          g_array_append_val (doas, d);
        }
    }
  jg_scene_set_boxes (scene, JG_SET_GT, (const JgBox *) boxes->data, boxes->len);
  jg_scene_set_doas (scene, JG_SET_GT, (const JgDoa *) doas->data, doas->len);
  return ok;
}
