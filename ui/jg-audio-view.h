/* jg-audio-view.h: the spectrogram of W and the azimuth-over-time intensity
 * map of a sample's FOA audio, with a playhead. */
#pragma once

#include <gtk/gtk.h>

#include "audio/jg-doa.h"

G_BEGIN_DECLS

#define JG_TYPE_AUDIO_VIEW (jg_audio_view_get_type ())
G_DECLARE_FINAL_TYPE (JgAudioView, jg_audio_view, JG, AUDIO_VIEW, GtkWidget)

typedef struct _JgAudioViewImages JgAudioViewImages;

/* Colour-mapped images of an analysis. Pure computation: build them on a
 * worker thread, hand them to the view on the main thread. */
JgAudioViewImages *jg_audio_view_images_new (const JgFoaAnalysis *analysis);
void               jg_audio_view_images_free (JgAudioViewImages *images);

/* Takes @images (may be NULL to clear). */
void   jg_audio_view_set_images (JgAudioView *self, JgAudioViewImages *images);
void   jg_audio_view_set_position (JgAudioView *self, double seconds);
double jg_audio_view_get_duration (JgAudioView *self);

/* The viridis-like colour of @t in [0, 1] as 8-bit RGB (exposed for tests). */
void jg_audio_view_colormap (float t, guint8 rgb[3]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgAudioViewImages, jg_audio_view_images_free)

G_END_DECLS
