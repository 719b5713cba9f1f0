#include "jg-audio-view-private.h"
#include "jg-draw.h"

#include <glib/gi18n.h>
#include <math.h>

/* Spectrogram shows the top 80 dB below the loudest bin. */
#define DYNAMIC_RANGE_DB 80.0f
#define LABEL_WIDTH 46

struct _JgAudioView {
  GtkWidget parent_instance;

  JgAudioViewImages *images;
  GdkTexture *spectrogram;
  GdkTexture *az_map;
  double position;
  GskRenderNode *cached;
  float cached_w, cached_h;
};

G_DEFINE_FINAL_TYPE (JgAudioView, jg_audio_view, GTK_TYPE_WIDGET)

void
jg_audio_view_colormap (float t, guint8 rgb[3])
{
  /* Control points sampled from matplotlib's viridis. */
  static const float stops[6][3] = {
    { 0.267f, 0.005f, 0.329f }, { 0.253f, 0.265f, 0.530f }, { 0.164f, 0.471f, 0.558f },
    { 0.134f, 0.658f, 0.518f }, { 0.478f, 0.821f, 0.318f }, { 0.993f, 0.906f, 0.144f },
  };
  float x = CLAMP (t, 0.0f, 1.0f) * 5.0f;
  int i = MIN ((int) x, 4);
  float f = x - i;

  for (int k = 0; k < 3; k++)
    rgb[k] = (guint8) lrintf (255.0f * (stops[i][k] + f * (stops[i + 1][k] - stops[i][k])));
}

JgAudioViewImages *
jg_audio_view_images_new (const JgFoaAnalysis *a)
{
  JgAudioViewImages *img = g_new0 (JgAudioViewImages, 1);
  guint w = MAX (a->n_frames, 1), hs = a->n_bins, ha = JG_DOA_N_AZ_BINS;
  guint8 *spec = g_malloc0 ((gsize) w * hs * 4);
  guint8 *azm = g_malloc0 ((gsize) w * ha * 4);
  float top = -INFINITY, az_max = 0.0f;

  for (gsize i = 0; i < (gsize) a->n_frames * a->n_bins; i++)
    top = MAX (top, a->spectrogram_db[i]);
  for (gsize i = 0; i < (gsize) a->n_frames * JG_DOA_N_AZ_BINS; i++)
    az_max = MAX (az_max, a->az_map[i]);

  for (guint t = 0; t < a->n_frames; t++)
    {
      for (guint b = 0; b < hs; b++)
        {
          float db = a->spectrogram_db[(gsize) t * a->n_bins + b];
          guint8 *px = spec + 4 * ((gsize) (hs - 1 - b) * w + t);
          jg_audio_view_colormap ((db - (top - DYNAMIC_RANGE_DB)) / DYNAMIC_RANGE_DB, px);
          px[3] = 255;
        }
      for (guint b = 0; b < ha; b++)
        {
          /* Square root so quieter directions stay visible next to the main one. */
          float v = az_max > 0.0f ? sqrtf (a->az_map[(gsize) t * JG_DOA_N_AZ_BINS + b] / az_max) : 0.0f;
          guint8 *px = azm + 4 * ((gsize) (ha - 1 - b) * w + t);
          jg_audio_view_colormap (v, px);
          px[3] = 255;
        }
    }
  img->spectrogram = g_bytes_new_take (spec, (gsize) w * hs * 4);
  img->az_map = g_bytes_new_take (azm, (gsize) w * ha * 4);
  img->n_frames = w;
  img->n_bins = hs;
  img->frame_period = a->frame_period;
  img->duration = a->n_frames * a->frame_period;
  return img;
}

void
jg_audio_view_images_free (JgAudioViewImages *img)
{
  if (img == NULL)
    return;
  g_bytes_unref (img->spectrogram);
  g_bytes_unref (img->az_map);
  g_free (img);
}

void
jg_audio_view_set_images (JgAudioView *self, JgAudioViewImages *images)
{
  g_return_if_fail (JG_IS_AUDIO_VIEW (self));

  g_clear_object (&self->spectrogram);
  g_clear_object (&self->az_map);
  g_clear_pointer (&self->cached, gsk_render_node_unref);
  g_clear_pointer (&self->images, jg_audio_view_images_free);
  self->images = images;
  self->position = 0.0;
  if (images != NULL)
    {
      self->spectrogram = gdk_memory_texture_new (images->n_frames, images->n_bins, GDK_MEMORY_R8G8B8A8,
                                                  images->spectrogram, (gsize) images->n_frames * 4);
      self->az_map = gdk_memory_texture_new (images->n_frames, JG_DOA_N_AZ_BINS, GDK_MEMORY_R8G8B8A8,
                                             images->az_map, (gsize) images->n_frames * 4);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
jg_audio_view_set_position (JgAudioView *self, double seconds)
{
  g_return_if_fail (JG_IS_AUDIO_VIEW (self));
  if (self->position == seconds)
    return;
  self->position = seconds;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

double
jg_audio_view_get_duration (JgAudioView *self)
{
  return self->images ? self->images->duration : 0.0;
}

/* Everything but the playhead, rebuilt only when the size or the images
 * change, so playback redraws append one cached node and one rectangle. */
static GskRenderNode *
build_static (JgAudioView *self, float w, float h)
{
  GtkWidget *widget = GTK_WIDGET (self);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  float plot_w = w - LABEL_WIDTH, half = floorf (h / 2.0f) - 1.0f;
  GdkRGBA fg;

  jg_widget_get_fg (widget, &fg);
  if (self->images == NULL || plot_w <= 0 || half <= 0)
    jg_snapshot_text (widget, snapshot, _("No audio"), 8, 8, &fg);
  else
    {
      gtk_snapshot_append_texture (snapshot, self->spectrogram, &GRAPHENE_RECT_INIT (LABEL_WIDTH, 0, plot_w, half));
      gtk_snapshot_append_texture (snapshot, self->az_map, &GRAPHENE_RECT_INIT (LABEL_WIDTH, half + 2, plot_w, half));
      jg_snapshot_text (widget, snapshot, _("8 kHz"), 4, 0, &fg);
      jg_snapshot_text (widget, snapshot, "0", 4, half - 16, &fg);
      jg_snapshot_text (widget, snapshot, _("+180°"), 2, half + 2, &fg);
      jg_snapshot_text (widget, snapshot, "0°", 4, half + half / 2 - 8, &fg);
      jg_snapshot_text (widget, snapshot, _("−180°"), 2, h - 18, &fg);
    }
  return gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
}

static void
jg_audio_view_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  JgAudioView *self = JG_AUDIO_VIEW (widget);
  float w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  float plot_w = w - LABEL_WIDTH;
  static const GdkRGBA playhead = { 1.0f, 1.0f, 1.0f, 0.9f };

  if (self->cached == NULL || self->cached_w != w || self->cached_h != h)
    {
      g_clear_pointer (&self->cached, gsk_render_node_unref);
      self->cached = build_static (self, w, h);
      self->cached_w = w;
      self->cached_h = h;
    }
  if (self->cached != NULL)
    gtk_snapshot_append_node (snapshot, self->cached);
  if (self->images != NULL && self->images->duration > 0 && plot_w > 0)
    {
      float x = LABEL_WIDTH + plot_w * (float) CLAMP (self->position / self->images->duration, 0.0, 1.0);
      gtk_snapshot_append_color (snapshot, &playhead, &GRAPHENE_RECT_INIT (x - 1, 0, 2, h));
    }
}

static void
jg_audio_view_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  JgAudioView *self = JG_AUDIO_VIEW (widget);

  GTK_WIDGET_CLASS (jg_audio_view_parent_class)->css_changed (widget, change);
  g_clear_pointer (&self->cached, gsk_render_node_unref);
}

static void
jg_audio_view_finalize (GObject *object)
{
  JgAudioView *self = JG_AUDIO_VIEW (object);

  g_clear_object (&self->spectrogram);
  g_clear_object (&self->az_map);
  g_clear_pointer (&self->cached, gsk_render_node_unref);
  g_clear_pointer (&self->images, jg_audio_view_images_free);
  G_OBJECT_CLASS (jg_audio_view_parent_class)->finalize (object);
}

static void
jg_audio_view_class_init (JgAudioViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = jg_audio_view_finalize;
  widget_class->snapshot = jg_audio_view_snapshot;
  widget_class->css_changed = jg_audio_view_css_changed;
  gtk_widget_class_set_css_name (widget_class, "audioview");
}

static void
jg_audio_view_init (JgAudioView *self)
{
  gtk_widget_set_size_request (GTK_WIDGET (self), 200, 120);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self),
                               _("Top: spectrogram of W (0–8 kHz). Bottom: sound intensity by azimuth over time."));
}
