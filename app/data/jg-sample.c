#include "data/jg-sample.h"
#include "data/jg-npy.h"
#include "data/jg-png.h"
#include "data/jg-read.h"
#include "core/jg-error.h"

#include <math.h>
#include <string.h>

#define JG_MAX_IRS 3

struct _JgSample {
  char *path;
  guint8 *rgb;
  guint rgb_w, rgb_h;
  float *depth;
  guint depth_w, depth_h;
  JgIntrinsics k;
  gboolean explicit_intrinsics;
  guint n_irs;
  char *ir_name[JG_MAX_IRS];
  float *ir[JG_MAX_IRS];
  gsize ir_frames[JG_MAX_IRS];
  JgAudioClip *audio;
  JgFoaConvention convention;
  JsonParser *meta_parser;
  JsonObject *meta;
  GPtrArray *missing;         /* char *, NULL-terminated */
  JgAnswer *answers[JG_N_TASKS];
  JgGender gender;
};

void
jg_sample_free (JgSample *s)
{
  if (s == NULL)
    return;
  g_free (s->path);
  g_free (s->rgb);
  g_free (s->depth);
  for (guint i = 0; i < s->n_irs; i++)
    {
      g_free (s->ir_name[i]);
      g_free (s->ir[i]);
    }
  jg_audio_clip_free (s->audio);
  g_clear_object (&s->meta_parser);
  g_ptr_array_unref (s->missing);
  for (int t = 0; t < JG_N_TASKS; t++)
    jg_answer_free (s->answers[t]);
  g_free (s);
}

static gboolean
load_rgb (JgSample *s, const char *file, GError **error)
{
  g_autoptr(JgImage) img = jg_png_load (file, error);
  gsize n;

  if (img == NULL)
    return FALSE;
  n = (gsize) img->width * img->height;
  s->rgb = g_malloc (n * 3);
  s->rgb_w = img->width;
  s->rgb_h = img->height;
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      {
        /* gray -> all three; gray+alpha and RGBA drop alpha; 16 bit -> high byte */
        guint src_c = img->channels >= 3 ? (guint) c : 0;
        gsize at = i * img->channels + src_c;
        s->rgb[i * 3 + c] = img->bit_depth == 16 ? (guint8) (((guint16 *) img->pixels)[at] >> 8)
                                                 : img->pixels[at];
      }
  return TRUE;
}

static gboolean
load_depth (JgSample *s, const char *file, GError **error)
{
  g_autoptr(JgImage) img = jg_png_load (file, error);
  gsize n;

  if (img == NULL)
    return FALSE;
  if (img->channels != 1)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: %u channels, expected a single-channel depth map", file, img->channels);
      return FALSE;
    }
  n = (gsize) img->width * img->height;
  s->depth = g_new (float, n);
  s->depth_w = img->width;
  s->depth_h = img->height;
  if (img->bit_depth == 16)
    for (gsize i = 0; i < n; i++)
      s->depth[i] = ((guint16 *) img->pixels)[i] * 0.001f;
  else
    for (gsize i = 0; i < n; i++)
      s->depth[i] = img->pixels[i] / 255.0f * 10.0f;
  return TRUE;
}

static gboolean
add_answer (JgSample *s, JgTask task, const char *text, const char *where, GError **error)
{
  JgAnswer *a = jg_answer_parse (task, text, JG_UNITS_METRES);

  if (a->kind == JG_ANSWER_UNPARSED)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: answer \"%.60s\" is not a valid %s answer",
                   where, text ? text : "", jg_task_to_string (task));
      jg_answer_free (a);
      return FALSE;
    }
  jg_answer_free (s->answers[task]);
  s->answers[task] = a;
  return TRUE;
}

static gboolean
meta_number (JsonObject *o, const char *key, const char *file, double lo, double hi,
             double *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, key);

  if (n == NULL)
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (n)
      && (json_node_get_value_type (n) == G_TYPE_INT64 || json_node_get_value_type (n) == G_TYPE_DOUBLE))
    {
      double v = json_node_get_double (n);
      if (isfinite (v) && v > lo && v < hi)
        {
          *out = v;
          return TRUE;
        }
    }
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: \"%s\" must be a number in (%g, %g)",
               file, key, lo, hi);
  return FALSE;
}

static gboolean
matrix_number (JsonArray *row, guint i, double *out)
{
  JsonNode *n = i < json_array_get_length (row) ? json_array_get_element (row, i) : NULL;

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n)
      || (json_node_get_value_type (n) != G_TYPE_INT64 && json_node_get_value_type (n) != G_TYPE_DOUBLE))
    return FALSE;
  *out = json_node_get_double (n);
  return isfinite (*out);
}

static gboolean
matrix_intrinsics (JsonArray *m, double *fx, double *fy, double *cx, double *cy)
{
  JsonArray *rows[3];
  double unused;

  if (json_array_get_length (m) != 3)
    return FALSE;
  for (guint r = 0; r < 3; r++)
    {
      JsonNode *n = json_array_get_element (m, r);
      if (!JSON_NODE_HOLDS_ARRAY (n) || json_array_get_length (json_node_get_array (n)) != 3)
        return FALSE;
      rows[r] = json_node_get_array (n);
      for (guint c = 0; c < 3; c++)
        if (!matrix_number (rows[r], c, &unused))
          return FALSE;
    }
  matrix_number (rows[0], 0, fx);
  matrix_number (rows[1], 1, fy);
  matrix_number (rows[0], 2, cx);
  matrix_number (rows[1], 2, cy);
  return *fx > 0 && *fy > 0;
}

static gboolean
load_metadata (JgSample *s, const char *file, double *hfov, double *vfov, GError **error)
{
  g_autofree guint8 *bytes = NULL;
  g_autoptr(GError) local = NULL;
  gsize len;
  JsonNode *root, *n;

  if (!jg_read_file (file, 64 << 20, &bytes, &len, error))
    return FALSE;
  s->meta_parser = json_parser_new ();
  if (!json_parser_load_from_data (s->meta_parser, (const char *) bytes, (gssize) len, &local))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: not valid JSON: %s", file, local->message);
      return FALSE;
    }
  root = json_parser_get_root (s->meta_parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: expected a JSON object", file);
      return FALSE;
    }
  s->meta = json_node_get_object (root);

  if (!meta_number (s->meta, "hfov", file, 0, 180, hfov, error)
      || !meta_number (s->meta, "vfov", file, 0, 180, vfov, error))
    return FALSE;

  if ((n = json_object_get_member (s->meta, "intrinsics")) != NULL)
    {
      double fx = 0, fy = 0, cx = -1, cy = -1, w = 0, h = 0;

      if (JSON_NODE_HOLDS_ARRAY (n))
        {
          /* A 3x3 camera matrix [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]. */
          if (!matrix_intrinsics (json_node_get_array (n), &fx, &fy, &cx, &cy))
            {
              g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                           "%s: \"intrinsics\" as a list must be a 3x3 matrix [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]"
                           " with positive fx, fy", file);
              return FALSE;
            }
        }
      else if (JSON_NODE_HOLDS_OBJECT (n))
        {
          JsonObject *k = json_node_get_object (n);

          if (!meta_number (k, "fx", file, 0, 1e6, &fx, error) || !meta_number (k, "fy", file, 0, 1e6, &fy, error)
              || !meta_number (k, "cx", file, -1e6, 1e6, &cx, error)
              || !meta_number (k, "cy", file, -1e6, 1e6, &cy, error)
              || !meta_number (k, "width", file, 0, 1e6, &w, error)
              || !meta_number (k, "height", file, 0, 1e6, &h, error))
            return FALSE;
          if (fx == 0 || fy == 0 || !json_object_has_member (k, "cx") || !json_object_has_member (k, "cy"))
            {
              g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                           "%s: \"intrinsics\" needs fx, fy, cx and cy", file);
              return FALSE;
            }
        }
      else
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: \"intrinsics\" must be an object {fx, fy, cx, cy} or a 3x3 matrix", file);
          return FALSE;
        }
      s->k.fx = fx, s->k.fy = fy, s->k.cx = cx, s->k.cy = cy;
      s->k.width = (guint) w, s->k.height = (guint) h;
      s->explicit_intrinsics = TRUE;
    }

  if ((n = json_object_get_member (s->meta, "foa_convention")) != NULL)
    {
      const char *name = JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
                         ? json_node_get_string (n) : NULL;
      if (!jg_foa_convention_from_string (name ? name : "", &s->convention, &local))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: \"foa_convention\": %s",
                       file, local->message);
          return FALSE;
        }
    }

  if ((n = json_object_get_member (s->meta, "answers")) != NULL)
    {
      JsonObject *ans;
      g_autoptr(GList) keys = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (n))
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: \"answers\" must be an object {task: answer}", file);
          return FALSE;
        }
      ans = json_node_get_object (n);
      keys = json_object_get_members (ans);
      for (GList *l = keys; l; l = l->next)
        {
          JsonNode *v = json_object_get_member (ans, l->data);
          JgTask task;

          if (!jg_task_from_string (l->data, &task, &local))
            {
              g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: \"answers\": %s", file, local->message);
              return FALSE;
            }
          if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_STRING)
            {
              g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                           "%s: \"answers\".\"%s\" must be a string", file, (char *) l->data);
              return FALSE;
            }
          if (!add_answer (s, task, json_node_get_string (v), file, error))
            return FALSE;
        }
    }
  return TRUE;
}

static void
update_intrinsics (JgSample *s, double hfov, double vfov)
{
  guint w = s->depth ? s->depth_w : s->rgb ? s->rgb_w : 672;
  guint h = s->depth ? s->depth_h : s->rgb ? s->rgb_h : 378;

  if (s->explicit_intrinsics)
    {
      JgIntrinsics k = s->k;
      if (k.width == 0 || k.height == 0)
        k.width = w, k.height = h;
      jg_intrinsics_scale (&k, w, h, &s->k);
    }
  else
    jg_intrinsics_from_fov (&s->k, w, h, hfov, vfov);
}

static gboolean
load_ir (JgSample *s, const char *dir, const char *name, GError **error)
{
  g_autofree char *file = g_strdup_printf ("%s/%s.npy", dir, name);
  gsize n;
  float *data;

  if (!g_file_test (file, G_FILE_TEST_EXISTS))
    {
      g_ptr_array_insert (s->missing, (gint) s->missing->len - 1, g_strdup_printf ("%s.npy", name));
      return TRUE;
    }
  data = jg_npy_load_foa (file, &n, error);
  if (data == NULL)
    return FALSE;
  s->ir_name[s->n_irs] = g_strdup (name);
  s->ir[s->n_irs] = data;
  s->ir_frames[s->n_irs] = n;
  s->n_irs++;
  return TRUE;
}

static gboolean
load_audio (JgSample *s, const char *file, GError **error)
{
  s->audio = jg_audio_clip_load (file, error);
  return s->audio != NULL && jg_audio_clip_check_foa (s->audio, file, error);
}

JgSample *
jg_sample_load (const char *path, GError **error)
{
  g_autoptr(JgSample) s = g_new0 (JgSample, 1);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *rgb = NULL, *depth = NULL, *meta = NULL, *wav = NULL;
  double hfov = JG_DEFAULT_HFOV_DEG, vfov = JG_DEFAULT_VFOV_DEG;
  gboolean found = FALSE;

  s->path = g_strdup (path);
  s->convention = JG_FOA_JAEGER;
  s->missing = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (s->missing, NULL);
  s->gender = JG_GENDER_NONE;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: no such sample directory or file", path);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      /* A STARSS23 entry: the recording itself. */
      if (!load_audio (s, path, error))
        return NULL;
      update_intrinsics (s, hfov, vfov);
      return g_steal_pointer (&s);
    }

  rgb = g_build_filename (path, "rgb.png", NULL);
  depth = g_build_filename (path, "depth.png", NULL);
  meta = g_build_filename (path, "metadata.json", NULL);
  wav = g_build_filename (path, "foa_ls.wav", NULL);

#define OPTIONAL(file, short_name, loader) G_STMT_START {                        \
    if (g_file_test (file, G_FILE_TEST_EXISTS))                                  \
      {                                                                          \
        found = TRUE;                                                            \
        if (!(loader))                                                           \
          return NULL;                                                           \
      }                                                                          \
    else                                                                         \
      g_ptr_array_insert (s->missing, (gint) s->missing->len - 1, g_strdup (short_name)); \
  } G_STMT_END

  OPTIONAL (meta, "metadata.json", load_metadata (s, meta, &hfov, &vfov, error));
  OPTIONAL (rgb, "rgb.png", load_rgb (s, rgb, error));
  OPTIONAL (depth, "depth.png", load_depth (s, depth, error));
  OPTIONAL (wav, "foa_ls.wav", load_audio (s, wav, error));
#undef OPTIONAL

  /* task2 samples have two talkers; task1 (and unknown names) one, unless
   * the per-talker files are what is there. */
  {
    g_autofree char *male = g_build_filename (path, "ir_male.npy", NULL);
    g_autofree char *female = g_build_filename (path, "ir_female.npy", NULL);
    g_autofree char *single = g_build_filename (path, "ir.npy", NULL);
    gboolean two = g_str_has_prefix (base, "task2")
                   || ((g_file_test (male, G_FILE_TEST_EXISTS) || g_file_test (female, G_FILE_TEST_EXISTS))
                       && !g_file_test (single, G_FILE_TEST_EXISTS));
    guint before = s->n_irs;

    if (two)
      {
        if (!load_ir (s, path, "ir_male", error) || !load_ir (s, path, "ir_female", error))
          return NULL;
      }
    else if (!load_ir (s, path, "ir", error))
      return NULL;
    found = found || s->n_irs > before;
  }

  if (!found)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND,
                   "%s: no SpatialSceneQA files here (rgb.png, depth.png, metadata.json, ir*.npy, foa_ls.wav)",
                   path);
      return NULL;
    }
  update_intrinsics (s, hfov, vfov);
  return g_steal_pointer (&s);
}

const char *
jg_sample_get_path (JgSample *s)
{
  return s->path;
}

const guint8 *
jg_sample_get_rgb (JgSample *s, guint *width, guint *height)
{
  if (width)
    *width = s->rgb_w;
  if (height)
    *height = s->rgb_h;
  return s->rgb;
}

const float *
jg_sample_get_depth (JgSample *s, guint *width, guint *height)
{
  if (width)
    *width = s->depth_w;
  if (height)
    *height = s->depth_h;
  return s->depth;
}

void
jg_sample_get_intrinsics (JgSample *s, JgIntrinsics *k)
{
  *k = s->k;
}

guint
jg_sample_get_n_irs (JgSample *s)
{
  return s->n_irs;
}

const float *
jg_sample_get_ir (JgSample *s, guint i, const char **name, gsize *n_frames)
{
  g_return_val_if_fail (i < s->n_irs, NULL);
  if (name)
    *name = s->ir_name[i];
  if (n_frames)
    *n_frames = s->ir_frames[i];
  return s->ir[i];
}

const JgAudioClip *
jg_sample_get_audio (JgSample *s)
{
  return s->audio;
}

JgFoaConvention
jg_sample_get_foa_convention (JgSample *s)
{
  return s->convention;
}

JsonObject *
jg_sample_get_metadata (JgSample *s)
{
  return s->meta;
}

const char *const *
jg_sample_get_missing (JgSample *s)
{
  return (const char *const *) s->missing->pdata;
}

const JgAnswer *
jg_sample_get_answer (JgSample *s, JgTask task)
{
  g_return_val_if_fail (task >= 0 && task < JG_N_TASKS, NULL);
  return s->answers[task];
}

void
jg_sample_apply_entry (JgSample *s, const JgManifestEntry *e)
{
  /* Manifest entries are validated on load, so the answer parses. */
  jg_answer_free (s->answers[e->task]);
  s->answers[e->task] = jg_answer_parse (e->task, e->text, JG_UNITS_METRES);
  if (e->gender != JG_GENDER_NONE)
    s->gender = e->gender;
  if (e->hfov_deg > 0 && e->vfov_deg > 0 && !s->explicit_intrinsics)
    update_intrinsics (s, e->hfov_deg, e->vfov_deg);
}

JgGender
jg_sample_get_gender (JgSample *s)
{
  return s->gender;
}
