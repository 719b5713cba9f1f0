/* `jaeger sim` against independent references: the camera model (depth
 * back-projects onto the boxes), JAEGER.md's atan2 DoA formulas, the speed
 * of sound (direct-path delay), the intensity vector (direction of the
 * direct sound), Schroeder backward integration (RT60), the real manifests'
 * answer formats and field order, and byte-identical reruns. */
#include "core/jg-file-util.h"
#include "sim/jg-sim.h"
#include "sim/jg-sim-ir.h"
#include "sim/jg-sim-scene.h"
#include "audio/jg-foa.h"
#include "core/jg-error.h"
#include "data/jg-answer.h"
#include "data/jg-audio-clip.h"
#include "data/jg-intrinsics.h"
#include "data/jg-manifest.h"
#include "data/jg-npy.h"
#include "data/jg-png.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

static const char *const manifest_files[] = {
  "hm3d_av_v2_ls_task1_%s.json", "hm3d_av_v2_ls_task2_%s.json",
  "hm3d_av_v2_task1_%s.json", "hm3d_av_v2_task2_%s.json",
  "visual_grounding_hm3d_av_v2_speaker_only_%s.json",
};

/* Two runs of the same small split (direct path only, like the release's
 * test split) and one reverberant run per room kind. */
static char *dir_a, *dir_b, *dir_shoebox, *dir_lshape;

static void
simulate (const char *dir, guint64 seed, double rt60, const char *kinds, gboolean audio,
          guint task1, guint task2)
{
  JgSimOptions o;
  g_autoptr(GError) error = NULL;

  jg_sim_options_init (&o);
  o.out_dir = dir;
  o.seed = seed;
  o.rt60 = rt60;
  o.no_audio = !audio;
  o.task1_per_scene = task1;
  o.task2_per_scene = task2;
  o.speech_seconds = 1.5;
  g_assert_true (jg_sim_parse_room_kinds (kinds, &o, &error));
  g_assert_true (jg_sim_run (&o, NULL, NULL, &error));
  g_assert_no_error (error);
}

static GPtrArray *
sample_dirs (const char *root)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *split = g_build_filename (root, "test", NULL);
  g_autoptr(GDir) d = g_dir_open (split, 0, NULL);
  const char *scene;

  g_assert_nonnull (d);
  while ((scene = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sd = g_build_filename (split, scene, NULL);
      g_autoptr(GDir) d2 = g_dir_open (sd, 0, NULL);
      const char *s;
      g_assert_true (g_regex_match_simple ("^[0-9]{5}-[A-Za-z0-9]{11}$", scene, 0, 0));
      while ((s = g_dir_read_name (d2)) != NULL)
        {
          g_assert_true (g_regex_match_simple ("^task[12]_[0-9]{5}$", s, 0, 0));
          g_ptr_array_add (out, g_build_filename (sd, s, NULL));
        }
    }
  g_assert_cmpuint (out->len, >, 0);
  return out;
}

static JsonObject *
load_meta (const char *dir, JsonParser **parser)
{
  g_autofree char *p = g_build_filename (dir, "metadata.json", NULL);
  g_autoptr(GError) error = NULL;

  *parser = json_parser_new ();
  g_assert_true (json_parser_load_from_file (*parser, p, &error));
  return json_node_get_object (json_parser_get_root (*parser));
}

static void
vec3 (JsonObject *o, const char *name, double v[3])
{
  JsonArray *a = json_object_get_array_member (o, name);
  for (guint i = 0; i < 3; i++)
    v[i] = json_array_get_double_element (a, i);
}

/* The speaker that talks with @gender ("male"/"female"), or -1. */
static int
talker_index (JsonObject *meta, const char *gender)
{
  JsonArray *spk = json_object_get_array_member (meta, "speakers");
  for (guint i = 0; i < json_array_get_length (spk); i++)
    {
      JsonNode *t = json_object_get_member (json_array_get_object_element (spk, i), "talker");
      if (!JSON_NODE_HOLDS_NULL (t) && g_strcmp0 (json_node_get_string (t), gender) == 0)
        return (int) i;
    }
  return -1;
}

/* Depth.png, read back through the camera model, lands on every speaker box. */
static void
test_depth_on_boxes (void)
{
  g_autoptr(GPtrArray) dirs = sample_dirs (dir_a);
  JgIntrinsics k;
  guint checked = 0;

  jg_intrinsics_from_fov (&k, 672, 378, 90.0, 58.72);
  for (guint d = 0; d < dirs->len; d++)
    {
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *meta = load_meta (dirs->pdata[d], &parser);
      JsonArray *spk = json_object_get_array_member (meta, "speakers");
      g_autofree char *dp = g_build_filename (dirs->pdata[d], "depth.png", NULL);
      g_autofree char *rp = g_build_filename (dirs->pdata[d], "rgb.png", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(JgImage) depth = jg_png_load (dp, &error);
      g_autoptr(JgImage) rgb = jg_png_load (rp, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (depth->width, ==, 672);
      g_assert_cmpuint (depth->height, ==, 378);
      g_assert_cmpuint (depth->channels, ==, 1);
      g_assert_cmpuint (depth->bit_depth, ==, 8);
      g_assert_cmpuint (rgb->width, ==, 672);
      g_assert_cmpuint (rgb->height, ==, 378);
      g_assert_cmpuint (rgb->channels, ==, 3);
      for (guint i = 0; i < json_array_get_length (spk); i++)
        {
          JsonObject *s = json_array_get_object_element (spk, i);
          double c[3], size[3], u = -1, v = -1, p[3], metres;
          int pu, pv;

          vec3 (s, "center", c);
          vec3 (s, "size", size);
          g_assert_true (jg_intrinsics_project (&k, c, &u, &v));
          pu = (int) lround (u);
          pv = (int) lround (v);
          metres = depth->pixels[pv * 672 + pu] / 255.0 * 10.0;
          jg_intrinsics_unproject (&k, pu, pv, metres, p);
          /* The exact surface point is on the box; an 8-bit depth step of
           * 10/255 m moves the back-projected point along its ray by at most
           * half a step, i.e. each coordinate by |p_a| * step / 2 / depth. */
          {
            double q = 10.0 / 255.0 / 2.0 / metres + 1e-9;
            gboolean on_face = FALSE;
            for (int a = 0; a < 3; a++)
              {
                double tol = fabs (p[a]) * q;
                g_assert_cmpfloat (fabs (p[a] - c[a]), <=, size[a] / 2 + tol);
                on_face |= fabs (fabs (p[a] - c[a]) - size[a] / 2) <= tol;
              }
            g_assert_true (on_face);
          }
          checked++;
        }
    }
  g_assert_cmpuint (checked, >=, 3);
}

static JgManifest *
load_manifest (const char *root, int which)
{
  g_autofree char *name = g_strdup_printf (manifest_files[which], "test");
  g_autofree char *path = g_build_filename (root, name, NULL);
  g_autoptr(GError) error = NULL;
  JgManifest *m = jg_manifest_load (path, root, &error);

  g_assert_no_error (error);
  for (guint i = 0; i < jg_manifest_get_n_problems (m); i++)
    g_test_message ("%s", jg_manifest_get_problem (m, i));
  g_assert_cmpuint (jg_manifest_get_n_problems (m), ==, 0);
  return m;
}

/* DoA labels are JAEGER.md's atan2 formulas at the talker's box centre,
 * rounded; they equal jg_camera_to_doa and stay in the release's ranges. */
static void
test_doa_labels (void)
{
  guint checked = 0;

  for (int which = 0; which < 2; which++)
    {
      g_autoptr(JgManifest) m = load_manifest (dir_a, which);
      for (guint e = 0; e < jg_manifest_get_n_entries (m); e++)
        {
          const JgManifestEntry *en = jg_manifest_get_entry (m, e);
          g_autoptr(JsonParser) parser = NULL;
          JsonObject *meta = load_meta (en->path, &parser);
          int t = talker_index (meta, en->gender == JG_GENDER_MALE ? "male" : "female");
          double c[3], az, el, ref_az, ref_el, dist;

          g_assert_cmpint (t, >=, 0);
          g_assert_cmpint (en->answer->kind, ==, JG_ANSWER_DOA);
          vec3 (json_array_get_object_element (json_object_get_array_member (meta, "speakers"), t),
                "center", c);
          ref_az = atan2 (-c[0], -c[2]) * 180.0 / G_PI;
          ref_el = atan2 (c[1], hypot (c[0], c[2])) * 180.0 / G_PI;
          jg_camera_to_doa (c, &az, &el);
          g_assert_cmpfloat_with_epsilon (az, ref_az, 1e-9);
          g_assert_cmpfloat_with_epsilon (el, ref_el, 1e-9);
          g_assert_cmpfloat (en->answer->az_deg, ==, round (ref_az));
          g_assert_cmpfloat (en->answer->el_deg, ==, round (ref_el));
          g_assert_cmpfloat (fabs (en->answer->az_deg), <=, 40);
          g_assert_cmpfloat (fabs (en->answer->el_deg), <=, 25);
          dist = sqrt (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
          g_assert_cmpfloat (dist, >=, 0.9);
          g_assert_cmpfloat (dist, <=, 4.1);
          checked++;
        }
    }
  g_assert_cmpuint (checked, >=, 3);
}

/* Boxes are listed left to right; Left/Center/Right is the talker's rank
 * by decreasing azimuth among the boxes of the same sample. */
static void
test_grounding_and_sides (void)
{
  g_autoptr(JgManifest) vg = load_manifest (dir_a, 4);
  g_autoptr(GHashTable) boxes = g_hash_table_new (g_str_hash, g_str_equal);
  guint sides = 0;

  for (guint e = 0; e < jg_manifest_get_n_entries (vg); e++)
    {
      const JgManifestEntry *en = jg_manifest_get_entry (vg, e);
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *meta = load_meta (en->path, &parser);
      JsonArray *spk = json_object_get_array_member (meta, "speakers");
      GArray *b = en->answer->boxes;
      double prev_az = G_MAXDOUBLE;

      g_assert_cmpuint (b->len, ==, json_array_get_length (spk));
      g_assert_cmpuint (g_strv_length (en->obj_category), ==, b->len);
      for (guint i = 0; i < b->len; i++)
        {
          const JgBox *box = &g_array_index (b, JgBox, i);
          double c[3], size[3], az, el;
          vec3 (json_array_get_object_element (spk, i), "center", c);
          vec3 (json_array_get_object_element (spk, i), "size", size);
          for (int a = 0; a < 3; a++)
            {
              g_assert_cmpfloat (fabs (box->center[a] - c[a]), <=, 0.005 + 1e-9);
              g_assert_cmpfloat (fabs (box->size[a] - size[a]), <=, 0.005 + 1e-9);
            }
          jg_camera_to_doa (box->center, &az, &el);
          g_assert_cmpfloat (az, <, prev_az);
          prev_az = az;
        }
      g_hash_table_insert (boxes, (gpointer) en->path, b);
    }
  for (int which = 2; which < 4; which++)
    {
      g_autoptr(JgManifest) m = load_manifest (dir_a, which);
      for (guint e = 0; e < jg_manifest_get_n_entries (m); e++)
        {
          const JgManifestEntry *en = jg_manifest_get_entry (m, e);
          g_autoptr(JsonParser) parser = NULL;
          JsonObject *meta = load_meta (en->path, &parser);
          const char *gender = which == 2 ? (talker_index (meta, "male") >= 0 ? "male" : "female")
                                          : jg_gender_to_string (en->gender);
          int t = talker_index (meta, gender);
          JsonArray *spk = json_object_get_array_member (meta, "speakers");
          guint n = json_array_get_length (spk);
          double c[3], az_t, el, az;
          int rank = 0;
          JgSide want;

          g_assert_cmpuint (en->num_speakers, ==, n);
          g_assert_cmpuint (n, >=, 2);
          g_assert_cmpuint (n, <=, 3);
          vec3 (json_array_get_object_element (spk, t), "center", c);
          jg_camera_to_doa (c, &az_t, &el);
          for (guint i = 0; i < n; i++)
            {
              vec3 (json_array_get_object_element (spk, i), "center", c);
              jg_camera_to_doa (c, &az, &el);
              rank += az > az_t;
            }
          want = rank == 0 ? JG_SIDE_LEFT : rank == (int) n - 1 ? JG_SIDE_RIGHT : JG_SIDE_CENTER;
          g_assert_cmpint (en->answer->kind, ==, JG_ANSWER_SIDE);
          g_assert_cmpint (en->answer->side, ==, want);
          if (which == 3)
            {
              g_autofree char *label = g_strdup_printf ("%s: %s", gender, en->text);
              g_assert_cmpstr (en->target_label, ==, label);
            }
          sides++;
        }
    }
  g_assert_cmpuint (sides, >=, 1);
}

/* The direct path of an IR in @conv: its delay is distance / 343 m/s
 * (within @max_samples), its level 1/r, and the intensity
 * vector over it points at @src within @max_deg. */
static void
direct_path_checks (const float *ir, gsize n, const double src[3], JgFoaConvention conv,
                    double max_samples, double max_deg)
{
  g_autofree float *frames = g_new (float, 4 * n);
  double dist = sqrt (src[0] * src[0] + src[1] * src[1] + src[2] * src[2]);
  double tau = dist / 343.0 * 16000.0, peak = 0.0, est, iv[3] = { 0, 0, 0 }, dir[3], cosang;
  gsize at = 0;

  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 4; c++)
      frames[4 * i + c] = ir[c * n + i];
  jg_foa_convert (conv, JG_FOA_AMBIX, frames, n);
  for (gsize i = 0; i < (gsize) (tau + 20) && i < n; i++)
    if (fabs (frames[4 * i]) > peak)
      {
        peak = fabs (frames[4 * i]);
        at = i;
      }
  g_assert_cmpuint (at, >, 0);
  g_assert_cmpfloat (fabs ((double) at - tau), <=, 0.5);
  {
    /* A pure delay has linear phase: tau = -arg X(w) / w at a low w, with
     * X the DTFT of the arrival (taken relative to the peak sample). */
    const double w = 0.2;
    double re = 0.0, im = 0.0;
    for (long i = (long) at - 10; i <= (long) at + 10; i++)
      if (i >= 0 && i < (long) n)
        {
          re += frames[4 * i] * cos (w * (i - (long) at));
          im -= frames[4 * i] * sin (w * (i - (long) at));
        }
    est = at - atan2 (im, re) / w;
  }
  g_test_message ("direct path at %.4f samples, distance / c gives %.4f", est, tau);
  g_assert_cmpfloat (fabs (est - tau), <, max_samples);
  /* 1/r: the peak of a kernel centred near a sample is close to 1/dist. */
  g_assert_cmpfloat (peak, <=, 1.0 / dist * 1.001);
  g_assert_cmpfloat (peak, >=, 1.0 / dist * 0.6);
  for (gsize i = at - 3; i <= at + 3; i++)
    {
      /* ambiX: 1 Y (left), 2 Z (up), 3 X (front); camera: -x left, +y up, -z front. */
      iv[0] += frames[4 * i] * -frames[4 * i + 1];
      iv[1] += frames[4 * i] * frames[4 * i + 2];
      iv[2] += frames[4 * i] * -frames[4 * i + 3];
    }
  for (int a = 0; a < 3; a++)
    dir[a] = src[a] / dist;
  cosang = (iv[0] * dir[0] + iv[1] * dir[1] + iv[2] * dir[2])
           / sqrt (iv[0] * iv[0] + iv[1] * iv[1] + iv[2] * iv[2]);
  g_assert_cmpfloat (acos (MIN (1.0, cosang)) * 180.0 / G_PI, <, max_deg);
}

static void
test_ir_direct_path (void)
{
  g_autoptr(GPtrArray) dirs = sample_dirs (dir_a);
  guint checked = 0;

  for (guint d = 0; d < dirs->len; d++)
    {
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *meta = load_meta (dirs->pdata[d], &parser);
      JsonArray *spk = json_object_get_array_member (meta, "speakers");
      const char *genders[2] = { "male", "female" };

      for (int g = 0; g < 2; g++)
        {
          int t = talker_index (meta, genders[g]);
          g_autofree char *file = NULL, *path = NULL;
          g_autoptr(GError) error = NULL;
          g_autofree float *ir = NULL;
          gsize n;
          double c[3];

          if (t < 0)
            continue;
          file = strstr (dirs->pdata[d], "task1_") != NULL ? g_strdup ("ir.npy")
                                                          : g_strdup_printf ("ir_%s.npy", genders[g]);
          path = g_build_filename (dirs->pdata[d], file, NULL);
          ir = jg_npy_load_foa (path, &n, &error);
          g_assert_no_error (error);
          vec3 (json_array_get_object_element (spk, t), "center", c);
          direct_path_checks (ir, n, c, JG_FOA_JAEGER, 0.01, 1.0);
          {
            /* --rt60 0 is the direct path only, like the released test
             * split: nothing outside the 8-sample kernel around it. */
            double tau = sqrt (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]) / 343.0 * 16000.0;
            for (int ch = 0; ch < 4; ch++)
              for (gsize i = 0; i < n; i++)
                if (fabs (i - tau) >= 8.0)
                  g_assert_cmpfloat (ir[ch * n + i], ==, 0.0f);
          }
          checked++;
        }
    }
  g_assert_cmpuint (checked, >=, 4);
}

/* foa_ls.wav (IR * speech) of a one-talker, direct-path-only sample: the
 * intensity vector over the whole file points at the labelled talker. */
static void
test_wav_direction (void)
{
  g_autoptr(GPtrArray) dirs = sample_dirs (dir_a);
  guint checked = 0;

  for (guint d = 0; d < dirs->len; d++)
    {
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *meta;
      g_autofree char *path = g_build_filename (dirs->pdata[d], "foa_ls.wav", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(JgAudioClip) clip = NULL;
      g_autofree float *frames = NULL;
      double c[3], iv[3] = { 0, 0, 0 }, dist, cosang;
      int t;

      if (strstr (dirs->pdata[d], "task1_") == NULL)
        continue;
      meta = load_meta (dirs->pdata[d], &parser);
      t = MAX (talker_index (meta, "male"), talker_index (meta, "female"));
      clip = jg_audio_clip_load (path, &error);
      g_assert_no_error (error);
      g_assert_true (jg_audio_clip_check_foa (clip, path, &error));
      frames = g_new (float, 4 * clip->n_frames);
      for (gsize i = 0; i < clip->n_frames; i++)
        for (int ch = 0; ch < 4; ch++)
          frames[4 * i + ch] = clip->data[ch * clip->n_frames + i];
      jg_foa_convert (JG_FOA_JAEGER, JG_FOA_AMBIX, frames, clip->n_frames);
      for (gsize i = 0; i < clip->n_frames; i++)
        {
          iv[0] += frames[4 * i] * -frames[4 * i + 1];
          iv[1] += frames[4 * i] * frames[4 * i + 2];
          iv[2] += frames[4 * i] * -frames[4 * i + 3];
        }
      vec3 (json_array_get_object_element (json_object_get_array_member (meta, "speakers"), t), "center", c);
      dist = sqrt (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
      cosang = (iv[0] * c[0] + iv[1] * c[1] + iv[2] * c[2])
               / (dist * sqrt (iv[0] * iv[0] + iv[1] * iv[1] + iv[2] * iv[2]));
      g_assert_cmpfloat (acos (MIN (1.0, cosang)) * 180.0 / G_PI, <, 2.0);
      checked++;
    }
  g_assert_cmpuint (checked, >=, 1);
}

/* T from the Schroeder curve of W between -5 and -25 dB (a T20 fit). */
static double
schroeder_t20 (const float *w, gsize n)
{
  g_autofree double *e = g_new (double, n);
  double acc = 0.0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  gsize m = 0;

  for (gsize i = n; i-- > 0;)
    {
      acc += (double) w[i] * w[i];
      e[i] = acc;
    }
  for (gsize i = 0; i < n; i++)
    {
      double db = 10.0 * log10 (e[i] / e[0]);
      if (db <= -5.0 && db >= -25.0)
        {
          double t = i / 16000.0;
          sx += t; sy += db; sxx += t * t; sxy += t * db;
          m++;
        }
    }
  g_assert_cmpuint (m, >, 100);
  return -60.0 / ((m * sxy - sx * sy) / (m * sxx - sx * sx));
}

/* With reverberation the IR decays at the requested rate (within 20 %),
 * in a shoebox and in an L-shaped room, and the direct path is still
 * where the speed of sound puts it. */
static void
check_decay (const char *root, double rt60)
{
  g_autoptr(GPtrArray) dirs = sample_dirs (root);

  for (guint d = 0; d < dirs->len; d++)
    {
      g_autofree char *path = g_build_filename (dirs->pdata[d], "ir.npy", NULL);
      g_autofree char *wav = g_build_filename (dirs->pdata[d], "foa_ls.wav", NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *meta = load_meta (dirs->pdata[d], &parser);
      JsonObject *room = json_object_get_object_member (meta, "room");
      g_autofree float *ir = NULL;
      gsize n;
      double c[3], t20;
      int t = MAX (talker_index (meta, "male"), talker_index (meta, "female"));

      g_assert_false (g_file_test (wav, G_FILE_TEST_EXISTS));    /* --no-audio */
      ir = jg_npy_load_foa (path, &n, &error);
      g_assert_no_error (error);
      g_assert_cmpfloat (json_object_get_double_member (room, "rt60"), ==, rt60);
      t20 = schroeder_t20 (ir, n);
      g_test_message ("%s room, RT60 %.2f s requested, %.3f s measured (T20)",
                      json_object_get_string_member (room, "kind"), rt60, t20);
      g_assert_cmpfloat (fabs (t20 - rt60) / rt60, <, 0.2);
      vec3 (json_array_get_object_element (json_object_get_array_member (meta, "speakers"), t), "center", c);
      /* Early reflections overlap the kernel of the direct sound a little. */
      direct_path_checks (ir, n, c, JG_FOA_JAEGER, 0.5, 3.0);
    }
}

static void
test_rt60_shoebox (void)
{
  check_decay (dir_shoebox, 0.5);
}

static void
test_rt60_lshape (void)
{
  check_decay (dir_lshape, 0.35);
}

/* Key order of the first entry of a manifest, as written. */
static char *
key_order (const char *path)
{
  g_autoptr(JsonParser) p = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *a;
  GList *members;
  GString *s = g_string_new (NULL);

  g_assert_true (json_parser_load_from_file (p, path, &error));
  a = json_object_get_array_member (json_node_get_object (json_parser_get_root (p)), "annotation");
  g_assert_cmpuint (json_array_get_length (a), >, 0);
  members = json_object_get_members (json_array_get_object_element (a, 0));
  for (GList *l = members; l != NULL; l = l->next)
    g_string_append_printf (s, "%s,", (const char *) l->data);
  g_list_free (members);
  return g_string_free (s, FALSE);
}

/* Every manifest has the release's file name, field order and answer
 * formats (the regular expressions every real answer matches), and every
 * answer parses and round-trips through the data module. */
static void
test_manifest_format (void)
{
  static const char *const patterns[] = {
    "^azimuth: -?[0-9]+; elevation: -?[0-9]+$",
    "^azimuth: -?[0-9]+; elevation: -?[0-9]+$",
    "^(Left|Center|Right)$",
    "^(Left|Center|Right)$",
    "^bbox_0=Bbox\\(speaker(, -?[0-9]+\\.[0-9]{2}){6}\\)(\\nbbox_[0-9]+=Bbox\\(speaker(, -?[0-9]+\\.[0-9]{2}){6}\\))*$",
  };
  static const char *const real[] = {
    "hm3d_av_v2_ls_task1_test.json", "hm3d_av_v2_ls_task2_test.json",
    "hm3d_av_v2_task1_test.json", "hm3d_av_v2_task2_test.json",
    "visual_grounding_hm3d_av_v2_speaker_only_test.json",
  };
  const char *fixtures = g_getenv ("JAEGER_MANIFESTS");

  g_assert_nonnull (fixtures);
  for (int which = 0; which < 5; which++)
    {
      g_autoptr(JgManifest) m = load_manifest (dir_a, which);
      g_autoptr(JgManifest) r = NULL;
      g_autofree char *name = g_strdup_printf (manifest_files[which], "test");
      g_autofree char *ours = g_build_filename (dir_a, name, NULL);
      g_autofree char *theirs = g_build_filename (fixtures, real[which], NULL);
      g_autofree char *ko = key_order (ours), *kt = key_order (theirs);
      g_autoptr(GError) error = NULL;
      g_autoptr(GRegex) re = g_regex_new (patterns[which], 0, 0, &error);

      g_assert_cmpstr (ko, ==, kt);
      /* The same expressions hold for every real answer: they are the format. */
      r = jg_manifest_load (theirs, NULL, &error);
      g_assert_no_error (error);
      for (guint e = 0; e < jg_manifest_get_n_entries (r); e++)
        g_assert_true (g_regex_match (re, jg_manifest_get_entry (r, e)->text, 0, NULL));
      g_assert_cmpuint (jg_manifest_get_n_entries (m), >, 0);
      for (guint e = 0; e < jg_manifest_get_n_entries (m); e++)
        {
          const JgManifestEntry *en = jg_manifest_get_entry (m, e);
          g_autofree char *again = jg_answer_format (en->answer, JG_UNITS_METRES);
          g_assert_true (g_regex_match (re, en->text, 0, NULL));
          g_assert_true (g_str_has_prefix (en->original_path, JG_SIM_RELEASE_PREFIX "/test/"));
          g_assert_true (g_file_test (en->path, G_FILE_TEST_IS_DIR));
          g_assert_cmpstr (again, ==, en->text);
        }
    }
}

static void
compare_trees (const char *a, const char *b, guint *n_files)
{
  g_autoptr(GDir) d = g_dir_open (a, 0, NULL);
  const char *name;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *pa = g_build_filename (a, name, NULL);
      g_autofree char *pb = g_build_filename (b, name, NULL);
      if (g_file_test (pa, G_FILE_TEST_IS_DIR))
        compare_trees (pa, pb, n_files);
      else
        {
          g_autofree char *ca = NULL, *cb = NULL;
          gsize la, lb;
          g_assert_true (g_file_get_contents (pa, &ca, &la, NULL));
          g_assert_true (g_file_get_contents (pb, &cb, &lb, NULL));
          g_assert_cmpuint (la, ==, lb);
          g_assert_true (memcmp (ca, cb, la) == 0);
          (*n_files)++;
        }
    }
}

/* The same seed gives the same bytes, file for file, audio included. */
static void
test_deterministic (void)
{
  guint n_files = 0, n_other = 0;

  compare_trees (dir_a, dir_b, &n_files);
  compare_trees (dir_b, dir_a, &n_other);
  g_assert_cmpuint (n_files, ==, n_other);
  /* 5 manifests + 3 task1 samples of 5 files + 1 task2 sample of 6. */
  g_assert_cmpuint (n_files, ==, 5 + 3 * 5 + 6);
}

/* Question templates are the release's test_prompt.json. */
static void
test_prompts (void)
{
  g_autofree char *path = g_build_filename (JG_SOURCE_DIR, "resources", "prompts", "test_prompt.json", NULL);
  g_autoptr(JsonParser) p = json_parser_new ();
  g_autoptr(GError) error = NULL;
  static const char *const tasks[] = { "spatial_doa", "multi_spatial_doa", "visual_grounding",
                                       "single_source", "dual_source" };
  JsonObject *o;

  g_assert_true (json_parser_load_from_file (p, path, &error));
  o = json_node_get_object (json_parser_get_root (p));
  for (gsize i = 0; i < G_N_ELEMENTS (tasks); i++)
    g_assert_cmpstr (jg_sim_question (tasks[i]), ==, json_object_get_string_member (o, tasks[i]));
  g_assert_null (jg_sim_question ("nonsense"));
}

static void
test_bad_options (void)
{
  JgSimOptions o;
  g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL, e4 = NULL;

  jg_sim_options_init (&o);
  o.out_dir = dir_a;
  o.speakers_max = 9;
  g_assert_false (jg_sim_run (&o, NULL, NULL, &e1));
  g_assert_error (e1, JG_ERROR, JG_ERROR_UNSUPPORTED);
  jg_sim_options_init (&o);
  o.out_dir = dir_a;
  o.split = "../escape";
  g_assert_false (jg_sim_run (&o, NULL, NULL, &e2));
  g_assert_nonnull (strstr (e2->message, "split"));
  g_assert_false (jg_sim_parse_room_kinds ("shoebox,dome", &o, &e3));
  g_assert_nonnull (strstr (e3->message, "dome"));
  jg_sim_options_init (&o);
  o.out_dir = dir_a;
  o.speech_dir = "/nonexistent/speech";
  g_assert_false (jg_sim_run (&o, NULL, NULL, &e4));
  g_assert_nonnull (strstr (e4->message, "/nonexistent/speech"));
}


static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* In a shoebox every image source is valid, and Allen & Berkley's closed
 * form lists them: per axis of length L, coordinate 2nL + s with 2|n|
 * reflections and 2nL - s with |2n - 1|. The ISM (a generic polygon
 * image-source model with path validation) must find exactly those up to
 * order 3: same delays, gains beta^order / r, directions towards the image. */
static void
test_ism_shoebox_closed_form (void)
{
  JgSimRoom room;
  JgSimRng rng;
  JgSimPose pose;
  double cam[3] = { 1.3, 1.45, 2.1 }, src[3] = { 2.6, 0.75, 3.4 };
  g_autoptr(GArray) got = g_array_new (FALSE, FALSE, sizeof (JgSimArrival));
  g_autoptr(GArray) want = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) got_d = g_array_new (FALSE, FALSE, sizeof (double));
  const int max_order = 3;

  jg_sim_rng_init (&rng, 11, 0, 0, 1);
  jg_sim_room_generate (&room, JG_SIM_ROOM_SHOEBOX, 0.5, &rng);
  jg_sim_pose_set (&pose, cam, 0.7);
  jg_sim_ism_arrivals (&room, &pose, src, max_order, 10.0, got);

  {
    double L[3] = { room.width, room.height, room.depth };
    for (int nx = -2; nx <= 2; nx++)
      for (int sx = 0; sx < 2; sx++)
        for (int ny = -2; ny <= 2; ny++)
          for (int sy = 0; sy < 2; sy++)
            for (int nz = -2; nz <= 2; nz++)
              for (int sz = 0; sz < 2; sz++)
                {
                  int n[3] = { nx, ny, nz }, sg[3] = { sx, sy, sz }, order = 0;
                  double img[3], d2 = 0.0, delay;
                  for (int a = 0; a < 3; a++)
                    {
                      img[a] = 2.0 * n[a] * L[a] + (sg[a] ? -src[a] : src[a]);
                      order += sg[a] ? abs (2 * n[a] - 1) : 2 * abs (n[a]);
                      d2 += (img[a] - cam[a]) * (img[a] - cam[a]);
                    }
                  if (order > max_order)
                    continue;
                  delay = sqrt (d2) / 343.0;
                  g_array_append_val (want, delay);
                }
  }
  for (guint i = 0; i < got->len; i++)
    {
      const JgSimArrival *a = &g_array_index (got, JgSimArrival, i);
      double r = a->delay * 343.0, dn = sqrt (a->dir[0] * a->dir[0] + a->dir[1] * a->dir[1] + a->dir[2] * a->dir[2]);
      g_assert_cmpfloat (fabs (a->gain - pow (room.beta, a->order) / r), <, 1e-12);
      g_assert_cmpfloat (fabs (dn - 1.0), <, 1e-9);
      g_array_append_val (got_d, a->delay);
    }
  /* Direct path first, from the source's direction. */
  {
    const JgSimArrival *d = &g_array_index (got, JgSimArrival, 0);
    double c[3];
    jg_sim_pose_to_camera (&pose, src, c, TRUE);
    g_assert_cmpint (d->order, ==, 0);
    for (int a = 0; a < 3; a++)
      g_assert_cmpfloat (fabs (d->dir[a] - c[a] / (d->delay * 343.0)), <, 1e-9);
  }
  g_array_sort (want, cmp_double);
  g_array_sort (got_d, cmp_double);
  g_test_message ("%u image sources up to order %d, closed form %u", got_d->len, max_order, want->len);
  g_assert_cmpuint (got_d->len, ==, want->len);
  for (guint i = 0; i < want->len; i++)
    g_assert_cmpfloat (fabs (g_array_index (got_d, double, i) - g_array_index (want, double, i)), <, 1e-12);
}

/* In an L-shaped room, every first-order arrival is a mirror image whose
 * reflection point (recomputed here) lies on a real wall segment, floor or
 * ceiling, inside the room outline; and the walls of the notch hide the
 * image of a wall behind them. */
static void
test_ism_lshape_first_order (void)
{
  guint checked = 0, hidden = 0;

  for (int trial = 0; trial < 20; trial++)
    {
      JgSimRoom room;
      JgSimRng rng;
      JgSimPose pose;
      g_autoptr(GArray) got = g_array_new (FALSE, FALSE, sizeof (JgSimArrival));
      double cam[3], src[3];

      jg_sim_rng_init (&rng, 12, trial, 0, 1);
      jg_sim_room_generate (&room, JG_SIM_ROOM_LSHAPE, 0.4, &rng);
      /* Receiver in the arm along z, source in the arm along x. */
      cam[0] = 0.5 * (room.width - room.notch_w); cam[1] = 1.5; cam[2] = room.depth - 0.5 * room.notch_d;
      src[0] = room.width - 0.5 * room.notch_w; src[1] = 1.0; src[2] = 0.5 * (room.depth - room.notch_d);
      jg_sim_pose_set (&pose, cam, 0.0);
      jg_sim_ism_arrivals (&room, &pose, src, 1, 10.0, got);
      g_assert_cmpuint (got->len, >=, 1);
      g_assert_cmpuint (got->len, <=, 1 + 8);
      for (guint i = 1; i < got->len; i++)
        {
          const JgSimArrival *a = &g_array_index (got, JgSimArrival, i);
          double dw[3], p[3];
          gboolean on_wall = FALSE;

          /* The reflection point: the ray from the camera towards the
           * arrival, stopped at the first surface it meets. */
          jg_sim_pose_to_world (&pose, a->dir, dw, FALSE);
          if (fabs (dw[1]) > 1e-9)
            {
              /* Floor or ceiling: the mirrored source, and the ray's hit on
               * that plane inside the room outline. */
              double plane = dw[1] > 0 ? room.height : 0.0;
              double t = (plane - cam[1]) / dw[1];
              double mirror[3] = { src[0], 2 * plane - src[1], src[2] }, r;
              for (int k = 0; k < 3; k++)
                p[k] = cam[k] + t * dw[k];
              r = sqrt ((mirror[0] - cam[0]) * (mirror[0] - cam[0]) + (mirror[1] - cam[1]) * (mirror[1] - cam[1])
                        + (mirror[2] - cam[2]) * (mirror[2] - cam[2]));
              on_wall = fabs (r - a->delay * 343.0) < 1e-9 && jg_sim_room_contains (&room, p[0], p[2]);
            }
          for (int w = 0; w < room.n_walls && !on_wall; w++)
            {
              const JgSimWall *wall = &room.walls[w];
              double nx = wall->n[0], nz = wall->n[1];
              double dcam = nx * (cam[0] - wall->a[0]) + nz * (cam[2] - wall->a[1]);
              double dsrc = nx * (src[0] - wall->a[0]) + nz * (src[2] - wall->a[1]);
              double mirror[3] = { src[0] - 2 * dsrc * nx, src[1], src[2] - 2 * dsrc * nz }, r, t, q[3], along, len;
              r = sqrt ((mirror[0] - cam[0]) * (mirror[0] - cam[0]) + (mirror[1] - cam[1]) * (mirror[1] - cam[1])
                        + (mirror[2] - cam[2]) * (mirror[2] - cam[2]));
              if (fabs (r - a->delay * 343.0) > 1e-9)
                continue;
              t = dcam / (dcam + dsrc);
              for (int k = 0; k < 3; k++)
                q[k] = cam[k] + t * (mirror[k] - cam[k]);
              len = hypot (wall->b[0] - wall->a[0], wall->b[1] - wall->a[1]);
              along = ((q[0] - wall->a[0]) * (wall->b[0] - wall->a[0]) + (q[2] - wall->a[1]) * (wall->b[1] - wall->a[1])) / len;
              on_wall = along >= -1e-9 && along <= len + 1e-9 && q[1] >= 0 && q[1] <= room.height;
            }
          g_assert_true (on_wall);
          checked++;
        }
      hidden += 1 + 8 - got->len;
    }
  g_test_message ("%u first-order arrivals checked, %u images rejected", checked, hidden);
  g_assert_cmpuint (checked, >, 40);
  /* Seen from one arm, some of the other arm's walls are hidden. */
  g_assert_cmpuint (hidden, >, 0);
}

/* --convention changes only the channel layout: the ambiX IR of the same
 * seed, converted to JAEGER's preset, is the JAEGER IR. */
static void
test_convention_knob (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jaeger-sim-c-XXXXXX", NULL);
  g_autoptr(GPtrArray) a = NULL, b = NULL;
  JgSimOptions o;
  g_autoptr(GError) error = NULL;

  jg_sim_options_init (&o);
  o.out_dir = dir;
  o.seed = 3;
  o.rt60 = 0.3;
  o.no_audio = TRUE;
  o.task1_per_scene = 1;
  o.task2_per_scene = 0;
  o.convention = JG_FOA_AMBIX;
  g_assert_true (jg_sim_run (&o, NULL, NULL, &error));
  a = sample_dirs (dir);
  {
    g_autofree char *p1 = g_build_filename (a->pdata[0], "ir.npy", NULL);
    g_autofree float *amb = NULL, *jae = NULL;
    g_autofree float *frames = NULL;
    gsize n1, n2;
    g_autofree char *dir2 = g_dir_make_tmp ("jaeger-sim-d-XXXXXX", NULL);
    g_autofree char *p2 = NULL;

    amb = jg_npy_load_foa (p1, &n1, &error);
    g_assert_no_error (error);
    o.out_dir = dir2;
    o.convention = JG_FOA_JAEGER;
    g_assert_true (jg_sim_run (&o, NULL, NULL, &error));
    b = sample_dirs (dir2);
    p2 = g_build_filename (b->pdata[0], "ir.npy", NULL);
    jae = jg_npy_load_foa (p2, &n2, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (n1, ==, n2);
    frames = g_new (float, 4 * n1);
    for (gsize i = 0; i < n1; i++)
      for (int c = 0; c < 4; c++)
        frames[4 * i + c] = amb[c * n1 + i];
    jg_foa_convert (JG_FOA_AMBIX, JG_FOA_JAEGER, frames, n1);
    for (gsize i = 0; i < n1; i++)
      for (int c = 0; c < 4; c++)
        g_assert_cmpfloat (fabs (frames[4 * i + c] - jae[c * n1 + i]), <=, 1e-7);
    jg_file_remove_tree (dir2, NULL);
  }
  jg_file_remove_tree (dir, NULL);
}

/* --speech DIR: the recording is resampled to 16 kHz, convolved with the
 * IR (full length), and named in metadata.json. */
static void
test_speech_folder (void)
{
  g_autofree char *root = g_dir_make_tmp ("jaeger-sim-e-XXXXXX", NULL);
  g_autofree char *speech = g_build_filename (root, "speech", NULL);
  g_autofree char *out = g_build_filename (root, "out", NULL);
  const char *genders[2] = { "male", "female" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) dirs = NULL;
  JgSimOptions o;

  for (int g = 0; g < 2; g++)
    {
      /* 1 s at 22.05 kHz: a tone with a different pitch per talker. */
      g_autofree char *d = g_build_filename (speech, genders[g], NULL);
      g_autofree char *f = g_build_filename (d, "clip.wav", NULL);
      g_autofree float *x = g_new (float, 22050);
      for (int i = 0; i < 22050; i++)
        x[i] = (float) (0.3 * sin (2 * G_PI * (g ? 220.0 : 120.0) * i / 22050.0));
      g_assert_cmpint (g_mkdir_with_parents (d, 0755), ==, 0);
      g_assert_true (jg_wav_write (f, x, 1, 22050, 22050, JG_WAV_FLOAT, &error));
    }
  jg_sim_options_init (&o);
  o.out_dir = out;
  o.seed = 5;
  o.rt60 = 0.0;
  o.speech_dir = speech;
  o.task1_per_scene = 1;
  o.task2_per_scene = 1;
  g_assert_true (jg_sim_run (&o, NULL, NULL, &error));
  g_assert_no_error (error);
  dirs = sample_dirs (out);
  for (guint d = 0; d < dirs->len; d++)
    {
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *meta = load_meta (dirs->pdata[d], &parser);
      JsonObject *sp = json_object_get_object_member (json_object_get_object_member (meta, "audio"), "speech");
      g_autofree char *wav = g_build_filename (dirs->pdata[d], "foa_ls.wav", NULL);
      g_autoptr(JgAudioClip) clip = jg_audio_clip_load (wav, &error);
      gsize n_ir = 0;

      g_assert_no_error (error);
      for (int g = 0; g < 2; g++)
        if (json_object_has_member (sp, genders[g]))
          {
            g_autofree char *want = g_build_filename (genders[g], "clip.wav", NULL);
            g_autofree char *irp = g_build_filename (dirs->pdata[d], strstr (dirs->pdata[d], "task1_") ? "ir.npy"
                                                     : g == 0 ? "ir_male.npy" : "ir_female.npy", NULL);
            g_autofree float *ir = jg_npy_load_foa (irp, &n_ir, &error);
            g_assert_no_error (error);
            g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (sp, genders[g]), "file"), ==, want);
          }
      /* 22050 samples at 22.05 kHz are 16000 at 16 kHz, plus the IR tail. */
      g_assert_cmpint ((gint64) clip->n_frames, >=, (gint64) (16000 + n_ir - 1) - 2);
      g_assert_cmpint ((gint64) clip->n_frames, <=, (gint64) (16000 + n_ir - 1) + 2);
    }
  jg_file_remove_tree (root, NULL);
}

/* --noise-snr: the noise added to foa_ls.wav (the difference from the
 * same seed without noise, each undone by its recorded gain) sits the
 * requested number of dB below the speech in W. */
static void
test_noise_snr (void)
{
  g_autofree char *root = g_dir_make_tmp ("jaeger-sim-f-XXXXXX", NULL);
  JgAudioClip *clip[2] = { NULL, NULL };
  double gain[2];
  g_autoptr(GError) error = NULL;
  double p_s = 0.0, p_n = 0.0, snr;

  for (int k = 0; k < 2; k++)
    {
      g_autofree char *out = g_strdup_printf ("%s/%d", root, k);
      g_autoptr(GPtrArray) dirs = NULL;
      g_autoptr(JsonParser) parser = NULL;
      g_autofree char *wav = NULL;
      JsonObject *meta;
      JgSimOptions o;

      jg_sim_options_init (&o);
      o.out_dir = out;
      o.seed = 8;
      o.rt60 = 0.2;
      o.speech_seconds = 1.5;
      o.task1_per_scene = 1;
      o.task2_per_scene = 0;
      o.noise_snr_db = k == 0 ? G_MAXDOUBLE : 10.0;
      g_assert_true (jg_sim_run (&o, NULL, NULL, &error));
      dirs = sample_dirs (out);
      meta = load_meta (dirs->pdata[0], &parser);
      gain[k] = json_object_get_double_member (json_object_get_object_member (meta, "audio"), "gain");
      wav = g_build_filename (dirs->pdata[0], "foa_ls.wav", NULL);
      clip[k] = jg_audio_clip_load (wav, &error);
      g_assert_no_error (error);
    }
  g_assert_cmpuint (clip[0]->n_frames, ==, clip[1]->n_frames);
  for (gsize i = 0; i < clip[0]->n_frames; i++)
    {
      double s = clip[0]->data[i] / gain[0], x = clip[1]->data[i] / gain[1];
      p_s += s * s;
      p_n += (x - s) * (x - s);
    }
  snr = 10.0 * log10 (p_s / p_n);
  g_test_message ("requested 10 dB, measured %.2f dB", snr);
  g_assert_cmpfloat (fabs (snr - 10.0), <, 0.2);
  jg_audio_clip_free (clip[0]);
  jg_audio_clip_free (clip[1]);
  jg_file_remove_tree (root, NULL);
}

/* --occluders: a crate stands in front of one loudspeaker, leaving 25-90 %
 * of it in sight; the crate is in the depth map where metadata.json puts
 * it (camera pose: world = R(yaw) camera + position, yaw about +y). */
static void
test_occluders (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jaeger-sim-o-XXXXXX", NULL);
  g_autoptr(GPtrArray) dirs = NULL;
  g_autoptr(GError) error = NULL;
  JgIntrinsics k;
  JgSimOptions o;

  jg_sim_options_init (&o);
  o.out_dir = dir;
  o.seed = 2;
  o.no_audio = TRUE;
  o.occluders = TRUE;
  o.task1_per_scene = 2;
  o.task2_per_scene = 0;
  g_assert_true (jg_sim_run (&o, NULL, NULL, &error));
  g_assert_no_error (error);
  jg_intrinsics_from_fov (&k, 672, 378, 90.0, 58.72);
  dirs = sample_dirs (dir);
  for (guint d = 0; d < dirs->len; d++)
    {
      g_autoptr(JsonParser) parser = NULL;
      JsonObject *meta = load_meta (dirs->pdata[d], &parser);
      JsonObject *occ = json_object_get_object_member (meta, "occluder");
      JsonObject *cam = json_object_get_object_member (meta, "camera");
      g_autofree char *dp = g_build_filename (dirs->pdata[d], "depth.png", NULL);
      g_autoptr(JgImage) depth = jg_png_load (dp, &error);
      double mn[3], mx[3], pos[3], yaw, frac;
      long inside = 0;

      g_assert_no_error (error);
      g_assert_nonnull (occ);
      frac = json_object_get_double_member (occ, "visible_fraction");
      g_assert_cmpfloat (frac, >=, 0.25);
      g_assert_cmpfloat (frac, <=, 0.9);
      vec3 (occ, "min", mn);
      vec3 (occ, "max", mx);
      vec3 (cam, "position", pos);
      yaw = json_object_get_double_member (cam, "yaw_deg") * G_PI / 180.0;
      for (guint v = 0; v < 378; v++)
        for (guint u = 0; u < 672; u++)
          {
            double m = depth->pixels[v * 672 + u] / 255.0 * 10.0, c[3], w[3];
            gboolean in = TRUE;
            jg_intrinsics_unproject (&k, u, v, m, c);
            w[0] = cos (yaw) * c[0] + sin (yaw) * c[2] + pos[0];
            w[1] = c[1] + pos[1];
            w[2] = -sin (yaw) * c[0] + cos (yaw) * c[2] + pos[2];
            for (int a = 0; a < 3; a++)
              in &= w[a] >= mn[a] - 0.03 && w[a] <= mx[a] + 0.03;
            inside += in;
          }
      g_test_message ("occluder: %ld depth pixels on it, %.0f %% of the loudspeaker visible", inside, 100 * frac);
      g_assert_cmpint (inside, >, 500);
    }
  jg_file_remove_tree (dir, NULL);
}

/* Value ranges against the real test manifests (read here, not assumed):
 * every simulated DoA label and box lies within the release's own range of
 * azimuth, elevation, centre distance and box size. */
static void
test_ranges_match_release (void)
{
  const char *fixtures = g_getenv ("JAEGER_MANIFESTS");
  double lo[6] = { G_MAXDOUBLE, G_MAXDOUBLE, G_MAXDOUBLE, G_MAXDOUBLE, G_MAXDOUBLE, G_MAXDOUBLE };
  double hi[6] = { -G_MAXDOUBLE, -G_MAXDOUBLE, -G_MAXDOUBLE, -G_MAXDOUBLE, -G_MAXDOUBLE, -G_MAXDOUBLE };
  const char *roots[3] = { dir_a, dir_shoebox, dir_lshape };
  guint checked = 0;

  g_assert_nonnull (fixtures);
  /* Real ranges: [0] az, [1] el, [2] distance, [3..5] box dx, dy, dz. */
  {
    g_autofree char *vgp = g_build_filename (fixtures, "visual_grounding_hm3d_av_v2_speaker_only_test.json", NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(JgManifest) vg = jg_manifest_load (vgp, NULL, &error);
    static const char *const doa_files[] = { "hm3d_av_v2_ls_task1_test.json", "hm3d_av_v2_ls_task2_test.json" };

    g_assert_no_error (error);
    for (int f = 0; f < 2; f++)
      {
        g_autofree char *doap = g_build_filename (fixtures, doa_files[f], NULL);
        g_autoptr(JgManifest) doa = jg_manifest_load (doap, NULL, &error);
        g_assert_no_error (error);
        for (guint e = 0; e < jg_manifest_get_n_entries (doa); e++)
          {
            const JgAnswer *a = jg_manifest_get_entry (doa, e)->answer;
            lo[0] = MIN (lo[0], a->az_deg); hi[0] = MAX (hi[0], a->az_deg);
            lo[1] = MIN (lo[1], a->el_deg); hi[1] = MAX (hi[1], a->el_deg);
          }
      }
    for (guint e = 0; e < jg_manifest_get_n_entries (vg); e++)
      {
        GArray *b = jg_manifest_get_entry (vg, e)->answer->boxes;
        for (guint i = 0; i < b->len; i++)
          {
            const JgBox *x = &g_array_index (b, JgBox, i);
            double d = sqrt (x->center[0] * x->center[0] + x->center[1] * x->center[1] + x->center[2] * x->center[2]);
            lo[2] = MIN (lo[2], d); hi[2] = MAX (hi[2], d);
            for (int a = 0; a < 3; a++)
              {
                lo[3 + a] = MIN (lo[3 + a], x->size[a]);
                hi[3 + a] = MAX (hi[3 + a], x->size[a]);
              }
          }
      }
  }
  g_test_message ("release: az %.0f..%.0f, el %.0f..%.0f, distance %.2f..%.2f m, boxes %.2f-%.2f x %.2f-%.2f x %.2f-%.2f m",
                  lo[0], hi[0], lo[1], hi[1], lo[2], hi[2], lo[3], hi[3], lo[4], hi[4], lo[5], hi[5]);
  for (int r = 0; r < 3; r++)
    {
      g_autoptr(GPtrArray) dirs = sample_dirs (roots[r]);
      for (guint d = 0; d < dirs->len; d++)
        {
          g_autoptr(JsonParser) parser = NULL;
          JsonObject *meta = load_meta (dirs->pdata[d], &parser);
          JsonArray *spk = json_object_get_array_member (meta, "speakers");
          for (guint i = 0; i < json_array_get_length (spk); i++)
            {
              JsonObject *sp = json_array_get_object_element (spk, i);
              double c[3], size[3], az, el;
              vec3 (sp, "center", c);
              vec3 (sp, "size", size);
              jg_camera_to_doa (c, &az, &el);
              g_assert_cmpfloat (round (az), >=, lo[0]);
              g_assert_cmpfloat (round (az), <=, hi[0]);
              g_assert_cmpfloat (round (el), >=, lo[1]);
              g_assert_cmpfloat (round (el), <=, hi[1]);
              g_assert_cmpfloat (sqrt (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]), >=, lo[2]);
              g_assert_cmpfloat (sqrt (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]), <=, hi[2]);
              for (int a = 0; a < 3; a++)
                {
                  g_assert_cmpfloat (size[a], >=, lo[3 + a] - 0.005);
                  g_assert_cmpfloat (size[a], <=, hi[3 + a] + 0.005);
                }
              checked++;
            }
        }
    }
  g_assert_cmpuint (checked, >=, 8);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  dir_a = g_dir_make_tmp ("jaeger-sim-a-XXXXXX", NULL);
  dir_b = g_dir_make_tmp ("jaeger-sim-b-XXXXXX", NULL);
  dir_shoebox = g_dir_make_tmp ("jaeger-sim-s-XXXXXX", NULL);
  dir_lshape = g_dir_make_tmp ("jaeger-sim-l-XXXXXX", NULL);
  /* Seed 9 puts 2-3 loudspeakers in some task1 sample, so that all five
   * manifests have entries (test_manifest_format asserts it). */
  simulate (dir_a, 9, 0.0, "shoebox,lshape", TRUE, 3, 1);
  simulate (dir_b, 9, 0.0, "shoebox,lshape", TRUE, 3, 1);
  simulate (dir_shoebox, 3, 0.5, "shoebox", FALSE, 2, 0);
  simulate (dir_lshape, 4, 0.35, "lshape", FALSE, 2, 0);

  g_test_add_func ("/sim/depth-on-boxes", test_depth_on_boxes);
  g_test_add_func ("/sim/doa-labels", test_doa_labels);
  g_test_add_func ("/sim/grounding-and-sides", test_grounding_and_sides);
  g_test_add_func ("/sim/ir-direct-path", test_ir_direct_path);
  g_test_add_func ("/sim/wav-direction", test_wav_direction);
  g_test_add_func ("/sim/rt60-shoebox", test_rt60_shoebox);
  g_test_add_func ("/sim/rt60-lshape", test_rt60_lshape);
  g_test_add_func ("/sim/manifest-format", test_manifest_format);
  g_test_add_func ("/sim/deterministic", test_deterministic);
  g_test_add_func ("/sim/prompts", test_prompts);
  g_test_add_func ("/sim/bad-options", test_bad_options);
  g_test_add_func ("/sim/ism-shoebox-closed-form", test_ism_shoebox_closed_form);
  g_test_add_func ("/sim/ism-lshape-first-order", test_ism_lshape_first_order);
  g_test_add_func ("/sim/convention-knob", test_convention_knob);
  g_test_add_func ("/sim/speech-folder", test_speech_folder);
  g_test_add_func ("/sim/noise-snr", test_noise_snr);
  g_test_add_func ("/sim/occluders", test_occluders);
  g_test_add_func ("/sim/ranges-match-release", test_ranges_match_release);
  rc = g_test_run ();
  jg_file_remove_tree (dir_a, NULL);
  jg_file_remove_tree (dir_b, NULL);
  jg_file_remove_tree (dir_shoebox, NULL);
  jg_file_remove_tree (dir_lshape, NULL);
  return rc;
}
