/* jg-sample-loader.h: loads a sample and analyses its audio on a worker
 * thread, for every window that shows samples. */
#pragma once

#include <gio/gio.h>

#include "data/jg-manifest.h"
#include "data/jg-sample.h"
#include "render/jg-scene.h"
#include "jg-audio-view.h"

G_BEGIN_DECLS

typedef struct {
  JgSample *sample;
  JgAudioViewImages *images;   /* NULL without audio */
  JgFoaAnalysis *analysis;     /* intensity-vector analysis, NULL without audio */
  double duration;             /* seconds of audio, 0 without */
  char *audio_status;          /* one line about the audio (or why there is none) */
} JgLoadedSample;

void jg_loaded_sample_free (JgLoadedSample *loaded);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgLoadedSample, jg_loaded_sample_free)

/* Loads the sample at @path (a sample folder or a STARSS23 .wav). */
void            jg_sample_loader_load_async (const char *path, GCancellable *cancellable,
                                             GAsyncReadyCallback callback, gpointer user_data);
JgLoadedSample *jg_sample_loader_load_finish (GAsyncResult *result, GError **error);

/* Puts the sample's cloud and its ground truth (every task it has) into
 * @scene; returns FALSE with @error when the cloud could not be built. */
gboolean jg_scene_show_sample (JgScene *scene, JgSample *sample, GError **error);

/* Parses @text for @task and shows it as overlay @set (boxes or a DoA). */
void jg_scene_show_answer (JgScene *scene, JgOverlaySet set, JgTask task, const char *text, JgUnits units);

G_END_DECLS
