#include "sim/jg-sim.h"
#include "sim/jg-sim-ir.h"
#include "sim/jg-sim-render.h"
#include "sim/jg-sim-speech.h"
#include "core/jg-error.h"
#include "core/jg-file-util.h"
#include "audio/jg-fft.h"
#include "data/jg-audio-clip.h"
#include "data/jg-intrinsics.h"
#include "data/jg-npy.h"
#include "data/jg-png.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#define WIDTH 672
#define HEIGHT 378
#define LAYOUT_TRIES 300
#define PEAK_LIMIT 0.9

/* Purposes of the random streams (see jg-sim-rng.h). */
enum { RNG_ROOM = 1, RNG_LAYOUT, RNG_TAIL, RNG_SPEECH, RNG_LABELS, RNG_NOISE };

static const struct {
  const char *task, *question;
} questions[] = {
  { "spatial_doa", "Based on the audio cues, please output the precise azimuth and elevation. Note: Azimuth 0\xc2\xb0 is straight ahead, positive to the left, range [-180\xc2\xb0, 180\xc2\xb0]; Elevation 0\xc2\xb0 is horizontal, positive upwards, range [-90\xc2\xb0, 90\xc2\xb0]." },
  { "visual_grounding", "Identify the 3D boxes for the {obj_category} in this scene. Follow this format: bbox_i=Bbox(category, x, y, z, dx, dy, dz)" },
  { "multi_spatial_doa", "Where is the {gender} voice coming from? Output azimuth and elevation." },
  { "single_source", "Determine which speaker corresponds to the audio source." },
  { "dual_source", "Identify the source speaker for the {gender} voice." },
};

/* Manifests in the release's names and order of tasks. */
enum { M_LS_TASK1, M_LS_TASK2, M_TASK1, M_TASK2, M_GROUNDING, N_MANIFESTS };
static const char *const manifest_names[N_MANIFESTS] = {
  "hm3d_av_v2_ls_task1_%s.json", "hm3d_av_v2_ls_task2_%s.json",
  "hm3d_av_v2_task1_%s.json", "hm3d_av_v2_task2_%s.json",
  "visual_grounding_hm3d_av_v2_speaker_only_%s.json",
};

const char *
jg_sim_question (const char *task)
{
  for (gsize i = 0; i < G_N_ELEMENTS (questions); i++)
    if (g_strcmp0 (task, questions[i].task) == 0)
      return questions[i].question;
  return NULL;
}

void
jg_sim_options_init (JgSimOptions *o)
{
  memset (o, 0, sizeof *o);
  o->n_scenes = 1;
  o->seed = 1;
  o->split = "test";
  o->rt60 = -1.0;
  o->speakers_max = 3;
  o->shoebox = o->lshape = TRUE;
  o->convention = JG_FOA_JAEGER;
  o->speech_seconds = 4.0;
  o->path_prefix = JG_SIM_RELEASE_PREFIX;
  o->task1_per_scene = 4;
  o->task2_per_scene = 3;
  o->ism_order = 3;
  o->noise_snr_db = G_MAXDOUBLE;
  o->limits.min_distance = 0.9;
  o->limits.max_distance = 4.1;
  o->limits.max_az_deg = 40.0;
  o->limits.max_el_deg = 25.0;
  o->limits.min_separation_deg = 8.0;
}

gboolean
jg_sim_parse_room_kinds (const char *text, JgSimOptions *o, GError **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);

  o->shoebox = o->lshape = FALSE;
  for (int i = 0; parts[i] != NULL; i++)
    {
      const char *p = g_strstrip (parts[i]);
      if (g_ascii_strcasecmp (p, "shoebox") == 0)
        o->shoebox = TRUE;
      else if (g_ascii_strcasecmp (p, "lshape") == 0 || g_ascii_strcasecmp (p, "l-shape") == 0
               || g_ascii_strcasecmp (p, "l") == 0)
        o->lshape = TRUE;
      else
        {
          g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                       "unknown room kind '%s' (use shoebox, lshape or both, comma-separated)", p);
          return FALSE;
        }
    }
  if (!o->shoebox && !o->lshape)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "no room kind given");
      return FALSE;
    }
  return TRUE;
}

/* ---- manifests, written the way Python's json.dump(indent=4) does ---- */

static void
json_string (GString *s, const char *text)
{
  const char *p = text;

  g_string_append_c (s, '"');
  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char (p);
      p = g_utf8_next_char (p);
      if (c == '"' || c == '\\')
        g_string_append_printf (s, "\\%c", (char) c);
      else if (c == '\n')
        g_string_append (s, "\\n");
      else if (c == '\t')
        g_string_append (s, "\\t");
      else if (c < 0x20 || (c >= 0x7f && c < 0x10000))
        g_string_append_printf (s, "\\u%04x", c);
      else if (c >= 0x10000)
        {
          c -= 0x10000;
          g_string_append_printf (s, "\\u%04x\\u%04x", 0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
        }
      else
        g_string_append_c (s, (char) c);
    }
  g_string_append_c (s, '"');
}

static void
entry_begin (GString *m, const char *path)
{
  if (m->len > 0)
    g_string_append (m, ",\n");
  g_string_append (m, "        {\n            \"path\": ");
  json_string (m, path);
}

static void
entry_str (GString *m, const char *key, const char *value)
{
  g_string_append_printf (m, ",\n            \"%s\": ", key);
  json_string (m, value);
}

static void
entry_int (GString *m, const char *key, int value)
{
  g_string_append_printf (m, ",\n            \"%s\": %d", key, value);
}

static void
entry_end (GString *m)
{
  g_string_append (m, "\n        }");
}

static gboolean
write_manifest (const char *out_dir, const char *name_fmt, const char *split, GString *entries,
                GError **error)
{
  g_autofree char *name = g_strdup_printf (name_fmt, split);
  g_autofree char *path = g_build_filename (out_dir, name, NULL);
  g_autoptr(GString) s = g_string_new ("{\n    \"annotation\": [");

  if (entries->len > 0)
    g_string_append_printf (s, "\n%s\n    ]\n}", entries->str);
  else
    g_string_append (s, "]\n}");
  return jg_file_write_atomic (path, s->str, s->len, error);
}

/* ---- one sample --------------------------------------------------------- */

typedef struct {
  const JgSimOptions *o;
  JgIntrinsics k;
  JgSimRaster *raster;
  GArray *quads;
  JgSimSpeech *speech;
  GString *manifests[N_MANIFESTS];
  guint8 *depth8;
  float *mix;
  gsize mix_cap;
  JgFft *fft;               /* plan and spectra for the current FFT size */
  float *xf, *hf, *yf;
} Sim;

typedef struct {
  int task;                 /* 1 or 2 */
  guint index;
  int n;
  JgSimSpeaker spk[JG_SIM_MAX_SPEAKERS];
  JgSimPose pose;
  int talker[2];            /* speaker index by JgSimGender; -1 when silent */
  JgSimFurniture occluder;  /* --occluders: in front of speaker @occluded */
  int occluded;
  double visible_fraction;
} Sample;

static int
compare_az_desc (const void *a, const void *b)
{
  const JgSimSpeaker *x = a, *y = b;
  return x->az_deg < y->az_deg ? 1 : x->az_deg > y->az_deg ? -1 : 0;
}

/* The release's task1 samples hold 1-3 loudspeakers (57/33/11 %), task2
 * samples 2-3 (83/17 %); with more allowed, counts beyond are uniform. */
static int
draw_count (int task, guint max, JgSimRng *rng)
{
  double u = jg_sim_rng_uniform (rng);

  if (max > 3)
    return (task == 1 ? 1 : 2) + (int) jg_sim_rng_index (rng, max - (task == 1 ? 0 : 1));
  if (task == 1)
    return MIN ((int) max, u < 0.57 ? 1 : u < 0.90 ? 2 : 3);
  return MIN ((int) max, u < 0.83 ? 2 : 3);
}

/* Pixels showing speaker @i, and the area of its projected bounding box. */
static void
speaker_pixels (Sim *sim, const JgSimSpeaker *sp, int i, long *count, long *area)
{
  const int *obj = jg_sim_raster_objects (sim->raster);
  double u = 0, v = 0, umin = G_MAXDOUBLE, umax = -G_MAXDOUBLE, vmin = G_MAXDOUBLE, vmax = -G_MAXDOUBLE;

  /* jg_sim_place kept the whole box in front of the camera and in frame. */
  for (int c = 0; c < 8; c++)
    {
      double p[3];
      for (int a = 0; a < 3; a++)
        p[a] = sp->center[a] + ((c >> a) & 1 ? 0.5 : -0.5) * sp->size[a];
      jg_intrinsics_project (&sim->k, p, &u, &v);
      umin = MIN (umin, u); umax = MAX (umax, u);
      vmin = MIN (vmin, v); vmax = MAX (vmax, v);
    }
  umin = MAX (umin, 0); vmin = MAX (vmin, 0);
  umax = MIN (umax, WIDTH - 1); vmax = MIN (vmax, HEIGHT - 1);
  *area = (long) ((umax - umin) * (vmax - vmin));
  *count = 0;
  for (int y = (int) ceil (vmin); y <= (int) floor (vmax); y++)
    for (int x = (int) ceil (umin); x <= (int) floor (umax); x++)
      *count += obj[y * WIDTH + x] == i;
}

/* Each speaker must read as a loudspeaker in the picture: its centre pixel
 * shows it, and most of its projected outline is unoccluded. */
static gboolean
speakers_visible (Sim *sim, const Sample *s)
{
  const int *obj = jg_sim_raster_objects (sim->raster);

  for (int i = 0; i < s->n; i++)
    {
      long count, area;
      double u = 0, v = 0;

      jg_intrinsics_project (&sim->k, s->spk[i].center, &u, &v);
      if (obj[lround (v) * WIDTH + lround (u)] != i)
        return FALSE;
      speaker_pixels (sim, &s->spk[i], i, &count, &area);
      if (count < 0.5 * area)
        return FALSE;
    }
  return TRUE;
}

/* --occluders: a crate on the floor part of the way to one loudspeaker,
 * drawn in the picture (acoustically transparent: small objects barely
 * shadow speech, and the labels stay those of the loudspeakers). */
static gboolean
place_occluder (Sim *sim, const JgSimRoom *room, Sample *s, JgSimRng *rng)
{
  const JgSimSpeaker *t;
  double f = jg_sim_rng_range (rng, 0.35, 0.65), c[3], w[3];
  double hw = jg_sim_rng_range (rng, 0.2, 0.45), hd = jg_sim_rng_range (rng, 0.15, 0.3);
  double h = jg_sim_rng_range (rng, 0.4, 0.9);
  JgSimFurniture *o = &s->occluder;

  s->occluded = (int) jg_sim_rng_index (rng, s->n);
  t = &s->spk[s->occluded];
  c[0] = f * t->center[0];
  c[1] = 0.0;
  c[2] = f * t->center[2];
  jg_sim_pose_to_world (&s->pose, c, w, TRUE);
  o->min[0] = w[0] - hw; o->max[0] = w[0] + hw;
  o->min[2] = w[2] - hd; o->max[2] = w[2] + hd;
  o->min[1] = 0.0; o->max[1] = h;
  o->style = JG_SIM_STYLE_WOOD;
  o->color[0] = 0.62f; o->color[1] = 0.48f; o->color[2] = 0.30f;
  if (!jg_sim_room_contains (room, o->min[0] - 0.05, o->min[2] - 0.05)
      || !jg_sim_room_contains (room, o->max[0] + 0.05, o->max[2] + 0.05)
      || !jg_sim_room_contains (room, o->min[0] - 0.05, o->max[2] + 0.05)
      || !jg_sim_room_contains (room, o->max[0] + 0.05, o->min[2] - 0.05))
    return FALSE;
  if (hypot (w[0] - s->pose.pos[0], w[2] - s->pose.pos[2]) < hw + hd + 0.4)
    return FALSE;
  for (int i = 0; i < room->n_furniture; i++)
    {
      const JgSimFurniture *g = &room->furniture[i];
      if (o->min[0] < g->max[0] && g->min[0] < o->max[0] && o->min[2] < g->max[2] && g->min[2] < o->max[2])
        return FALSE;
    }
  for (int i = 0; i < s->n; i++)
    {
      double sw[3], e = MAX (s->spk[i].size[0], s->spk[i].size[2]) / 2 + 0.05;
      jg_sim_pose_to_world (&s->pose, s->spk[i].center, sw, TRUE);
      if (sw[0] + e > o->min[0] && sw[0] - e < o->max[0] && sw[2] + e > o->min[2] && sw[2] - e < o->max[2])
        return FALSE;
    }
  /* Visible share of the target: unoccluded pixels now against without it. */
  {
    long before, after, area;
    speaker_pixels (sim, t, s->occluded, &before, &area);
    g_array_set_size (sim->quads, 0);
    jg_sim_scene_quads (room, &s->pose, s->spk, s->n, o, 1, sim->quads);
    jg_sim_raster_draw (sim->raster, &s->pose, (const JgSimQuad *) sim->quads->data, (int) sim->quads->len);
    speaker_pixels (sim, t, s->occluded, &after, &area);
    s->visible_fraction = before > 0 ? (double) after / before : 0.0;
    if (s->visible_fraction < 0.25 || s->visible_fraction > 0.9)
      return FALSE;
    for (int i = 0; i < s->n; i++)
      if (i != s->occluded)
        {
          long b2;
          speaker_pixels (sim, &s->spk[i], i, &b2, &area);
          if (b2 < 0.5 * area)
            return FALSE;
        }
  }
  return TRUE;
}

static gboolean
layout (Sim *sim, const JgSimRoom *room, guint64 scene, Sample *s, GError **error)
{
  JgSimRng rng;

  jg_sim_rng_init (&rng, sim->o->seed, scene, (guint64) s->task * 100000 + s->index, RNG_LAYOUT);
  s->n = draw_count (s->task, sim->o->speakers_max, &rng);
  for (int attempt = 0; attempt < LAYOUT_TRIES; attempt++)
    {
      if (!jg_sim_place (room, &sim->o->limits, &sim->k, s->n, &rng, &s->pose, s->spk))
        continue;
      qsort (s->spk, s->n, sizeof s->spk[0], compare_az_desc);
      g_array_set_size (sim->quads, 0);
      jg_sim_scene_quads (room, &s->pose, s->spk, s->n, NULL, 0, sim->quads);
      jg_sim_raster_draw (sim->raster, &s->pose, (const JgSimQuad *) sim->quads->data,
                          (int) sim->quads->len);
      if (!speakers_visible (sim, s))
        continue;
      if (sim->o->occluders && !place_occluder (sim, room, s, &rng))
        continue;
      jg_sim_raster_shade (sim->raster, &s->pose, (const JgSimQuad *) sim->quads->data, room->light);
      if (s->task == 1)
        {
          int t = (int) jg_sim_rng_index (&rng, s->n);
          gboolean male = jg_sim_rng_uniform (&rng) < 0.5;
          s->talker[JG_SIM_MALE] = male ? t : -1;
          s->talker[JG_SIM_FEMALE] = male ? -1 : t;
        }
      else
        {
          int a = (int) jg_sim_rng_index (&rng, s->n);
          int b = (a + 1 + (int) jg_sim_rng_index (&rng, s->n - 1)) % s->n;
          s->talker[JG_SIM_MALE] = a;
          s->talker[JG_SIM_FEMALE] = b;
        }
      return TRUE;
    }
  g_set_error (error, JG_ERROR, JG_ERROR_FAILED,
               "could not place %d visible loudspeakers in a %.1f x %.1f m room in %d tries "
               "(try fewer --speakers-max or a larger --max-distance)",
               s->n, room->width, room->depth, LAYOUT_TRIES);
  return FALSE;
}

static void
add_vec (JsonBuilder *b, const char *name, const double *v, int n)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (int i = 0; i < n; i++)
    json_builder_add_double_value (b, v[i]);
  json_builder_end_array (b);
}

static void
add_num (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, v);
}

static void
add_str (JsonBuilder *b, const char *name, const char *v)
{
  json_builder_set_member_name (b, name);
  json_builder_add_string_value (b, v);
}

static const char *
side_label (int rank, int n)
{
  if (rank == 0)
    return "Left";
  return rank == n - 1 ? "Right" : "Center";
}

/* Linear convolution of each IR channel with @x, added to @out
 * (channel-major, @n_out frames): FFT overlap-add in blocks of about the
 * IR's length, so the transforms stay cache-sized however long the speech. */
static gboolean
convolve_add (Sim *sim, const float *ir, gsize n_ir, const float *x, gsize n_x,
              float *out, gsize n_out, GError **error)
{
  gsize n_full = n_x + n_ir - 1, block;
  guint n;

  if (n_ir > (1u << 22))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "impulse response of %" G_GSIZE_FORMAT " samples is too long", n_ir);
      return FALSE;
    }
  n = MAX (4096u, jg_fft_next_size ((guint) (2 * n_ir)));
  block = n - n_ir + 1;
  if (sim->fft == NULL || jg_fft_get_size (sim->fft) != n)
    {
      jg_fft_free (sim->fft);
      sim->fft = jg_fft_new (n, error);
      if (sim->fft == NULL)
        return FALSE;
      sim->xf = g_renew (float, sim->xf, n + 2);
      sim->hf = g_renew (float, sim->hf, 4 * (n + 2));
      sim->yf = g_renew (float, sim->yf, n + 2);
    }
  for (int c = 0; c < 4; c++)
    {
      float *h = sim->hf + c * (n + 2);
      memset (h, 0, (n + 2) * sizeof (float));
      memcpy (h, ir + c * n_ir, n_ir * sizeof (float));
      jg_fft_real_forward (sim->fft, h, h);
    }
  for (gsize start = 0; start < n_x; start += block)
    {
      gsize len = MIN (block, n_x - start);

      memset (sim->xf, 0, (n + 2) * sizeof (float));
      memcpy (sim->xf, x + start, len * sizeof (float));
      jg_fft_real_forward (sim->fft, sim->xf, sim->xf);
      for (int c = 0; c < 4; c++)
        {
          const float *h = sim->hf + c * (n + 2);
          float *o = out + c * n_out + start;
          gsize m = MIN ((gsize) n, MIN (n_full, n_out) - start);

          for (guint k = 0; k <= n / 2; k++)
            {
              float ar = sim->xf[2 * k], ai = sim->xf[2 * k + 1];
              float br = h[2 * k], bi = h[2 * k + 1];
              sim->yf[2 * k] = ar * br - ai * bi;
              sim->yf[2 * k + 1] = ar * bi + ai * br;
            }
          jg_fft_real_inverse (sim->fft, sim->yf, sim->yf);
          for (gsize i = 0; i < m; i++)
            o[i] += sim->yf[i] / (float) n;
        }
    }
  return TRUE;
}

/* Distractor noise: a diffuse field (independent channels, each first-order
 * channel with a third of W's power, as SN3D gives for noise from all
 * directions) of low-passed Gaussian noise, like ventilation hum, at
 * --noise-snr dB below the W channel of the speech. */
static gboolean
add_noise (Sim *sim, guint64 scene, const Sample *s, gsize n)
{
  const JgSimOptions *o = sim->o;
  g_autofree float *noise = g_new (float, 4 * n);
  double state[4] = { 0, 0, 0, 0 }, p_speech = 0.0, p_noise = 0.0, scale;
  /* One-pole low-pass at about 1 kHz. */
  const double a = exp (-2.0 * G_PI * 1000.0 / JG_SIM_SAMPLE_RATE);
  JgSimRng rng;

  jg_sim_rng_init (&rng, o->seed, scene, (guint64) s->task * 100000 + s->index, RNG_NOISE);
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 4; c++)
      {
        state[c] = a * state[c] + (1.0 - a) * jg_sim_rng_normal (&rng);
        noise[4 * i + c] = (float) (state[c] * (c == 0 ? 1.0 : 1.0 / sqrt (3.0)));
      }
  jg_foa_convert (JG_FOA_AMBIX, o->convention, noise, n);
  for (gsize i = 0; i < n; i++)
    {
      p_speech += (double) sim->mix[i] * sim->mix[i];
      p_noise += (double) noise[4 * i] * noise[4 * i];
    }
  if (p_speech <= 0.0 || p_noise <= 0.0)
    return FALSE;
  scale = sqrt (p_speech / p_noise * pow (10.0, -o->noise_snr_db / 10.0));
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 4; c++)
      sim->mix[c * n + i] += (float) (scale * noise[4 * i + c]);
  return TRUE;
}

static gboolean
write_sample (Sim *sim, const JgSimRoom *room, guint64 scene, const char *scene_id,
              const char *scene_dir, Sample *s, GError **error)
{
  const JgSimOptions *o = sim->o;
  g_autofree char *name = g_strdup_printf ("task%d_%05u", s->task, s->index);
  g_autofree char *dir = g_build_filename (scene_dir, name, NULL);
  g_autofree char *mpath = NULL;
  g_autoptr(JsonBuilder) meta = json_builder_new ();
  g_autoptr(JsonBuilder) speech_meta = json_builder_new ();
  g_autoptr(JsonGenerator) gen = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *meta_text = NULL;
  g_autofree char *p = NULL;
  float *irs[2] = { NULL, NULL };
  gsize ir_n[2] = { 0, 0 }, n_out = 0;
  const float *depth = jg_sim_raster_depth (sim->raster);
  double gain = 1.0;
  JgSimRng labels;
  gboolean ok = FALSE;
  char buf[6][G_ASCII_DTOSTR_BUF_SIZE];

  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_IO, "%s: cannot create folder: %s", dir, g_strerror (errno));
      return FALSE;
    }

  /* Images: the raster still holds this sample's accepted layout. */
  p = g_build_filename (dir, "rgb.png", NULL);
  if (!jg_png_write (p, WIDTH, HEIGHT, 3, 8, jg_sim_raster_rgb (sim->raster), error))
    return FALSE;
  g_free (p);
  for (gsize i = 0; i < (gsize) WIDTH * HEIGHT; i++)
    sim->depth8[i] = (guint8) CLAMP (lround (depth[i] / 10.0 * 255.0), 0, 255);
  p = g_build_filename (dir, "depth.png", NULL);
  if (!jg_png_write (p, WIDTH, HEIGHT, 1, 8, sim->depth8, error))
    return FALSE;

  /* Impulse responses, one per talker. */
  for (int g = 0; g < 2; g++)
    {
      JgSimRng tail;
      gsize shape[2];
      const char *file = s->task == 1 ? "ir.npy" : g == JG_SIM_MALE ? "ir_male.npy" : "ir_female.npy";

      if (s->talker[g] < 0)
        continue;
      jg_sim_rng_init (&tail, o->seed, scene, (guint64) s->task * 100000 + s->index, RNG_TAIL * 16 + g);
      irs[g] = jg_sim_ir_render (room, &s->pose, s->spk[s->talker[g]].center, o->ism_order,
                                 o->convention, &tail, &ir_n[g]);
      shape[0] = 4;
      shape[1] = ir_n[g];
      g_free (p);
      p = g_build_filename (dir, file, NULL);
      if (!jg_npy_write_f32 (p, irs[g], 2, shape, error))
        goto out;
    }

  /* Audio: each talker's dry speech through its impulse response, summed. */
  json_builder_begin_object (speech_meta);
  if (!o->no_audio)
    {
      for (int g = 0; g < 2; g++)
        {
          const float *x;
          gsize n_x;
          JgSimRng rng;

          if (irs[g] == NULL)
            continue;
          jg_sim_rng_init (&rng, o->seed, scene, (guint64) s->task * 100000 + s->index, RNG_SPEECH * 16 + g);
          json_builder_set_member_name (speech_meta, g == JG_SIM_MALE ? "male" : "female");
          x = jg_sim_speech_get (sim->speech, (JgSimGender) g, &rng, &n_x, speech_meta, error);
          if (x == NULL)
            goto out;
          if (n_x + ir_n[g] - 1 > n_out)
            {
              gsize old = n_out, need = n_x + ir_n[g] - 1;
              /* Grow channel-major, keeping what the first talker wrote. */
              if (4 * need > sim->mix_cap)
                {
                  sim->mix_cap = 4 * need;
                  sim->mix = g_renew (float, sim->mix, sim->mix_cap);
                }
              for (int c = 3; c >= 0; c--)
                {
                  memmove (sim->mix + c * need, sim->mix + c * old, old * sizeof (float));
                  memset (sim->mix + c * need + old, 0, (need - old) * sizeof (float));
                }
              n_out = need;
            }
          if (!convolve_add (sim, irs[g], ir_n[g], x, n_x, sim->mix, n_out, error))
            goto out;
        }
      if (o->noise_snr_db < G_MAXDOUBLE && !add_noise (sim, scene, s, n_out))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_FAILED, "%s: no speech energy to set a noise level against", dir);
          goto out;
        }
      {
        double peak = 0.0;
        for (gsize i = 0; i < 4 * n_out; i++)
          peak = MAX (peak, fabs (sim->mix[i]));
        /* No level balancing between talkers; only keep the sum off the rails. */
        if (peak > PEAK_LIMIT)
          {
            gain = PEAK_LIMIT / peak;
            for (gsize i = 0; i < 4 * n_out; i++)
              sim->mix[i] = (float) (sim->mix[i] * gain);
          }
      }
      g_free (p);
      p = g_build_filename (dir, "foa_ls.wav", NULL);
      if (!jg_wav_write (p, sim->mix, 4, JG_SIM_SAMPLE_RATE, n_out, JG_WAV_PCM16, error))
        goto out;
    }
  json_builder_end_object (speech_meta);

  /* metadata.json: everything the labels were made from. */
  json_builder_begin_object (meta);
  add_str (meta, "generator", "jaeger sim " JG_VERSION);
  json_builder_set_member_name (meta, "seed");
  json_builder_add_int_value (meta, (gint64) o->seed);
  add_str (meta, "split", o->split);
  add_str (meta, "scene", scene_id);
  add_str (meta, "sample", name);
  json_builder_set_member_name (meta, "intrinsics");
  json_builder_begin_object (meta);
  json_builder_set_member_name (meta, "width"); json_builder_add_int_value (meta, WIDTH);
  json_builder_set_member_name (meta, "height"); json_builder_add_int_value (meta, HEIGHT);
  add_num (meta, "hfov_deg", JG_DEFAULT_HFOV_DEG);
  add_num (meta, "vfov_deg", JG_DEFAULT_VFOV_DEG);
  add_num (meta, "fx", sim->k.fx); add_num (meta, "fy", sim->k.fy);
  add_num (meta, "cx", sim->k.cx); add_num (meta, "cy", sim->k.cy);
  json_builder_end_object (meta);
  add_str (meta, "depth_encoding", "8-bit planar z, metres = pixel / 255 * 10");
  json_builder_set_member_name (meta, "room");
  json_builder_begin_object (meta);
  add_str (meta, "kind", room->kind == JG_SIM_ROOM_LSHAPE ? "lshape" : "shoebox");
  {
    double size[3] = { room->width, room->height, room->depth }, notch[2] = { room->notch_w, room->notch_d };
    add_vec (meta, "size", size, 3);
    if (room->kind == JG_SIM_ROOM_LSHAPE)
      add_vec (meta, "notch", notch, 2);
  }
  add_num (meta, "volume", room->volume);
  add_num (meta, "surface", room->surface);
  add_num (meta, "rt60", room->rt60);
  add_num (meta, "reflection_coefficient", room->beta);
  json_builder_set_member_name (meta, "furniture");
  json_builder_begin_array (meta);
  for (int i = 0; i < room->n_furniture; i++)
    {
      json_builder_begin_object (meta);
      add_vec (meta, "min", room->furniture[i].min, 3);
      add_vec (meta, "max", room->furniture[i].max, 3);
      json_builder_end_object (meta);
    }
  json_builder_end_array (meta);
  json_builder_end_object (meta);
  json_builder_set_member_name (meta, "camera");
  json_builder_begin_object (meta);
  add_vec (meta, "position", s->pose.pos, 3);
  add_num (meta, "yaw_deg", s->pose.yaw * 180.0 / G_PI);
  json_builder_end_object (meta);
  /* The key JgSample reads (data/jg-sample.h), so loaders decode the FOA right. */
  add_str (meta, "foa_convention", jg_foa_convention_to_string (o->convention));
  json_builder_set_member_name (meta, "audio");
  json_builder_begin_object (meta);
  add_str (meta, "convention", jg_foa_convention_to_string (o->convention));
  json_builder_set_member_name (meta, "sample_rate"); json_builder_add_int_value (meta, JG_SIM_SAMPLE_RATE);
  json_builder_set_member_name (meta, "ism_order"); json_builder_add_int_value (meta, o->ism_order);
  add_num (meta, "gain", gain);
  json_builder_set_member_name (meta, "noise_snr_db");
  if (o->noise_snr_db < G_MAXDOUBLE && !o->no_audio)
    json_builder_add_double_value (meta, o->noise_snr_db);
  else
    json_builder_add_null_value (meta);
  json_builder_set_member_name (meta, "speech");
  json_builder_add_value (meta, json_builder_get_root (speech_meta));
  json_builder_end_object (meta);
  json_builder_set_member_name (meta, "speakers");
  json_builder_begin_array (meta);
  for (int i = 0; i < s->n; i++)
    {
      const JgSimSpeaker *sp = &s->spk[i];
      json_builder_begin_object (meta);
      add_vec (meta, "center", sp->center, 3);
      add_vec (meta, "size", sp->size, 3);
      add_num (meta, "azimuth_deg", sp->az_deg);
      add_num (meta, "elevation_deg", sp->el_deg);
      add_num (meta, "distance", sp->distance);
      add_str (meta, "stands_on", sp->support < 0 ? "floor" : "furniture");
      json_builder_set_member_name (meta, "talker");
      if (s->talker[JG_SIM_MALE] == i)
        json_builder_add_string_value (meta, "male");
      else if (s->talker[JG_SIM_FEMALE] == i)
        json_builder_add_string_value (meta, "female");
      else
        json_builder_add_null_value (meta);
      json_builder_end_object (meta);
    }
  json_builder_end_array (meta);
  if (o->occluders)
    {
      json_builder_set_member_name (meta, "occluder");
      json_builder_begin_object (meta);
      add_vec (meta, "min", s->occluder.min, 3);
      add_vec (meta, "max", s->occluder.max, 3);
      json_builder_set_member_name (meta, "speaker");
      json_builder_add_int_value (meta, s->occluded);
      add_num (meta, "visible_fraction", s->visible_fraction);
      json_builder_end_object (meta);
    }

  /* Labels: DoA rounded to integer degrees, boxes in metres with two
   * decimals, left to right; which manifests list the sample follows the
   * release (single/dual_source only with 2-3 loudspeakers). */
  jg_sim_rng_init (&labels, o->seed, scene, (guint64) s->task * 100000 + s->index, RNG_LABELS);
  mpath = o->path_prefix[0] != '\0'
            ? g_strdup_printf ("%s/%s/%s/%s", o->path_prefix, o->split, scene_id, name)
            : g_strdup_printf ("%s/%s/%s", o->split, scene_id, name);
  {
    int doa_g = s->task == 1 ? (s->talker[JG_SIM_MALE] >= 0 ? JG_SIM_MALE : JG_SIM_FEMALE)
                             : (jg_sim_rng_uniform (&labels) < 0.5 ? JG_SIM_MALE : JG_SIM_FEMALE);
    int side_g = s->task == 1 ? doa_g : (jg_sim_rng_uniform (&labels) < 0.5 ? JG_SIM_MALE : JG_SIM_FEMALE);
    const JgSimSpeaker *t = &s->spk[s->talker[doa_g]];
    g_autofree char *doa = g_strdup_printf ("azimuth: %d; elevation: %d",
                                            (int) lround (t->az_deg), (int) lround (t->el_deg));
    g_autoptr(GString) boxes = g_string_new (NULL);
    GString *m;
    const char *side = side_label (s->talker[side_g], s->n);
    const char *gname = side_g == JG_SIM_MALE ? "male" : "female";

    m = sim->manifests[s->task == 1 ? M_LS_TASK1 : M_LS_TASK2];
    entry_begin (m, mpath);
    entry_str (m, "text", doa);
    entry_str (m, "task", s->task == 1 ? "spatial_doa" : "multi_spatial_doa");
    entry_str (m, "gender", doa_g == JG_SIM_MALE ? "M" : "F");
    entry_end (m);

    if (s->n >= 2 && s->n <= 3)
      {
        m = sim->manifests[s->task == 1 ? M_TASK1 : M_TASK2];
        entry_begin (m, mpath);
        entry_int (m, "num_speakers", s->n);
        if (s->task == 1)
          {
            entry_str (m, "text", side);
            entry_str (m, "task", "single_source");
          }
        else
          {
            g_autofree char *target = g_strdup_printf ("%s: %s", gname, side);
            entry_str (m, "target_label", target);
            entry_str (m, "task", "dual_source");
            entry_str (m, "gender", gname);
            entry_str (m, "text", side);
          }
        entry_end (m);
      }

    for (int i = 0; i < s->n; i++)
      {
        const JgSimSpeaker *sp = &s->spk[i];
        for (int a = 0; a < 3; a++)
          {
            g_ascii_formatd (buf[a], sizeof buf[a], "%.2f", sp->center[a]);
            g_ascii_formatd (buf[3 + a], sizeof buf[3 + a], "%.2f", sp->size[a]);
          }
        g_string_append_printf (boxes, "%sbbox_%d=Bbox(speaker, %s, %s, %s, %s, %s, %s)",
                                i > 0 ? "\n" : "", i, buf[0], buf[1], buf[2], buf[3], buf[4], buf[5]);
      }
    m = sim->manifests[M_GROUNDING];
    entry_begin (m, mpath);
    entry_str (m, "task", "visual_grounding");
    entry_str (m, "text", boxes->str);
    g_string_append (m, ",\n            \"obj_category\": [");
    for (int i = 0; i < s->n; i++)
      g_string_append_printf (m, "%s\n                \"speaker\"", i > 0 ? "," : "");
    g_string_append (m, "\n            ]");
    entry_end (m);

    json_builder_set_member_name (meta, "labels");
    json_builder_begin_object (meta);
    add_str (meta, "doa_gender", doa_g == JG_SIM_MALE ? "M" : "F");
    add_str (meta, "doa", doa);
    add_str (meta, "grounding", boxes->str);
    if (s->n >= 2 && s->n <= 3)
      {
        add_str (meta, "side_gender", gname);
        add_str (meta, "side", side);
      }
    json_builder_end_object (meta);

    /* The questions a model is asked about this sample (test_prompt.json). */
    json_builder_set_member_name (meta, "questions");
    json_builder_begin_object (meta);
    if (s->task == 1)
      add_str (meta, "spatial_doa", jg_sim_question ("spatial_doa"));
    else
      {
        g_autoptr(GString) qs = g_string_new (jg_sim_question ("multi_spatial_doa"));
        g_string_replace (qs, "{gender}", doa_g == JG_SIM_MALE ? "male" : "female", 0);
        add_str (meta, "multi_spatial_doa", qs->str);
      }
    {
      g_autoptr(GString) qs = g_string_new (jg_sim_question ("visual_grounding"));
      g_string_replace (qs, "{obj_category}", "speaker", 0);
      add_str (meta, "visual_grounding", qs->str);
    }
    if (s->n >= 2 && s->n <= 3)
      {
        if (s->task == 1)
          add_str (meta, "single_source", jg_sim_question ("single_source"));
        else
          {
            g_autoptr(GString) qs = g_string_new (jg_sim_question ("dual_source"));
            g_string_replace (qs, "{gender}", gname, 0);
            add_str (meta, "dual_source", qs->str);
          }
      }
    json_builder_end_object (meta);
  }
  json_builder_end_object (meta);

  root = json_builder_get_root (meta);
  gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  meta_text = json_generator_to_data (gen, NULL);
  g_free (p);
  p = g_build_filename (dir, "metadata.json", NULL);
  ok = jg_file_write_atomic (p, meta_text, strlen (meta_text), error);

out:
  g_free (irs[0]);
  g_free (irs[1]);
  return ok;
}

/* ---- the run ------------------------------------------------------------ */

static void
sim_clear (Sim *sim)
{
  jg_sim_raster_free (sim->raster);
  if (sim->quads != NULL)
    g_array_unref (sim->quads);
  jg_sim_speech_free (sim->speech);
  for (int i = 0; i < N_MANIFESTS; i++)
    if (sim->manifests[i] != NULL)
      g_string_free (sim->manifests[i], TRUE);
  g_free (sim->depth8);
  g_free (sim->mix);
  jg_fft_free (sim->fft);
  g_free (sim->xf);
  g_free (sim->hf);
  g_free (sim->yf);
}

static gboolean
check_options (const JgSimOptions *o, GError **error)
{
  const char *bad = NULL;

  if (o->out_dir == NULL || o->out_dir[0] == '\0')
    bad = "no output folder given";
  else if (o->n_scenes < 1 || o->n_scenes > 99999)
    bad = "the number of scenes must be 1-99999";
  else if (o->split == NULL || o->split[0] == '\0' || strchr (o->split, '/') != NULL
           || strcmp (o->split, ".") == 0 || strcmp (o->split, "..") == 0)
    bad = "the split must be a plain folder name";
  else if (o->speakers_max < 1 || o->speakers_max > JG_SIM_MAX_SPEAKERS)
    bad = "--speakers-max must be 1-8";
  else if (!(o->rt60 <= 5.0) || isnan (o->rt60))
    bad = "--rt60 must be at most 5 s (0 for the direct path only, negative to draw one per room)";
  else if (o->task1_per_scene + o->task2_per_scene == 0 || o->task1_per_scene > 99999
           || o->task2_per_scene > 99999)
    bad = "at least one sample per scene is needed";
  else if (o->task2_per_scene > 0 && o->speakers_max < 2)
    bad = "task2 samples need --speakers-max of at least 2";
  else if (o->ism_order < 0 || o->ism_order > 6)
    bad = "--ism-order must be 0-6";
  else if (!(o->speech_seconds > 0.0 && o->speech_seconds <= 60.0))
    bad = "--speech-seconds must be in (0, 60]";
  else if (!(o->limits.min_distance > 0.3 && o->limits.max_distance > o->limits.min_distance
             && o->limits.max_distance <= 20.0))
    bad = "the distance range must lie in (0.3, 20] m";
  else if (!o->shoebox && !o->lshape)
    bad = "no room kind allowed";
  else if (isnan (o->noise_snr_db) || o->noise_snr_db < -30.0)
    bad = "--noise-snr must be at least -30 dB";
  if (bad != NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED, "%s", bad);
      return FALSE;
    }
  return TRUE;
}

gboolean
jg_sim_run (const JgSimOptions *o, JgSimProgressFunc progress, gpointer user_data, GError **error)
{
  static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  Sim sim = { 0 };
  gboolean ok = FALSE;
  guint done = 0, total;

  if (!check_options (o, error))
    return FALSE;
  sim.o = o;
  jg_intrinsics_from_fov (&sim.k, WIDTH, HEIGHT, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
  sim.raster = jg_sim_raster_new (&sim.k);
  sim.quads = g_array_new (FALSE, FALSE, sizeof (JgSimQuad));
  sim.depth8 = g_new (guint8, WIDTH * HEIGHT);
  for (int i = 0; i < N_MANIFESTS; i++)
    sim.manifests[i] = g_string_new (NULL);
  if (!o->no_audio)
    {
      sim.speech = jg_sim_speech_new (o->speech_dir, o->speech_seconds, error);
      if (sim.speech == NULL)
        goto out;
    }
  total = o->n_scenes * (o->task1_per_scene + o->task2_per_scene);

  for (guint scene = 0; scene < o->n_scenes; scene++)
    {
      JgSimRng rng;
      JgSimRoom room;
      JgSimRoomKind kind;
      char scene_id[18];
      g_autofree char *scene_dir = NULL;

      jg_sim_rng_init (&rng, o->seed, scene, 0, RNG_ROOM);
      g_snprintf (scene_id, 7, "%05u-", scene);
      for (int i = 0; i < 11; i++)
        scene_id[6 + i] = alnum[jg_sim_rng_index (&rng, sizeof alnum - 1)];
      scene_id[17] = '\0';
      kind = o->shoebox && o->lshape ? (jg_sim_rng_uniform (&rng) < 0.5 ? JG_SIM_ROOM_SHOEBOX : JG_SIM_ROOM_LSHAPE)
             : o->shoebox ? JG_SIM_ROOM_SHOEBOX : JG_SIM_ROOM_LSHAPE;
      jg_sim_room_generate (&room, kind, o->rt60, &rng);
      scene_dir = g_build_filename (o->out_dir, o->split, scene_id, NULL);

      for (int task = 1; task <= 2; task++)
        for (guint i = 0; i < (task == 1 ? o->task1_per_scene : o->task2_per_scene); i++)
          {
            Sample s = { 0 };
            s.task = task;
            s.index = i;
            if (!layout (&sim, &room, scene, &s, error)
                || !write_sample (&sim, &room, scene, scene_id, scene_dir, &s, error))
              goto out;
            done++;
            if (progress != NULL)
              {
                g_autofree char *label = g_strdup_printf ("%s/task%d_%05u", scene_id, task, i);
                progress (done, total, label, user_data);
              }
          }
    }

  for (int i = 0; i < N_MANIFESTS; i++)
    if (!write_manifest (o->out_dir, manifest_names[i], o->split, sim.manifests[i], error))
      goto out;
  ok = TRUE;

out:
  sim_clear (&sim);
  return ok;
}
