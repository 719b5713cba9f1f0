/* Sample directories built file by file in a temporary folder: depth
 * decoding (8-bit px/255*10 and 16-bit millimetres), intrinsics from the
 * field of view or explicit values, impulse responses in both layouts,
 * foa_ls.wav, ground truth, missing files, and broken files named in errors. */
#include "data/jg-sample.h"
#include "data/jg-npy.h"
#include "data/jg-png.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

static char *
make_dir (const char *name)
{
  g_autofree char *root = g_dir_make_tmp ("jg-sample-XXXXXX", NULL);
  char *dir = g_build_filename (root, name, NULL);

  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  return dir;
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree char *parent = g_path_get_dirname (dir);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (dir);
  g_rmdir (parent);
}

static void
write_file (const char *dir, const char *name, const char *text)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_assert_true (g_file_set_contents (p, text, -1, NULL));
}

static void
write_png (const char *dir, const char *name, guint w, guint h, guint ch, guint depth, const void *px)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true (jg_png_write (p, w, h, ch, depth, px, &error));
  g_assert_no_error (error);
}

static void
write_ir (const char *dir, const char *name, gboolean frames_first, float offset)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  float v[4 * 50];
  gsize shape[2];

  /* value of channel c at time t: offset + c + t / 100 */
  for (int c = 0; c < 4; c++)
    for (int t = 0; t < 50; t++)
      v[frames_first ? t * 4 + c : c * 50 + t] = offset + c + t / 100.0f;
  shape[0] = frames_first ? 50 : 4;
  shape[1] = frames_first ? 4 : 50;
  g_assert_true (jg_npy_write_f32 (p, v, 2, shape, &error));
  g_assert_no_error (error);
}

static void
check_ir (JgSample *s, guint i, const char *want_name, float offset)
{
  const char *name = NULL;
  gsize n = 0;
  const float *ir = jg_sample_get_ir (s, i, &name, &n);

  g_assert_cmpstr (name, ==, want_name);
  g_assert_cmpuint (n, ==, 50);
  for (int c = 0; c < 4; c++)
    for (int t = 0; t < 50; t++)
      g_assert_cmpfloat_with_epsilon (ir[c * 50 + t], offset + c + t / 100.0f, 1e-6);
}

static void
test_task1_sample (void)
{
  g_autofree char *dir = make_dir ("task1_00000");
  g_autoptr(GError) error = NULL;
  g_autoptr(JgSample) s = NULL;
  guint8 rgb[4 * 2 * 3], depth8[4 * 2] = { 0, 51, 102, 255, 1, 128, 200, 254 };
  float audio[4 * 160];
  g_autofree char *wav = g_build_filename (dir, "foa_ls.wav", NULL);
  const float *depth;
  const guint8 *px;
  guint w, h;
  JgIntrinsics k;

  for (guint i = 0; i < sizeof rgb; i++)
    rgb[i] = (guint8) (i * 10);
  for (guint i = 0; i < G_N_ELEMENTS (audio); i++)
    audio[i] = (float) ((int) (i % 64) - 32) / 64.0f;
  write_png (dir, "rgb.png", 4, 2, 3, 8, rgb);
  write_png (dir, "depth.png", 4, 2, 1, 8, depth8);
  write_ir (dir, "ir.npy", TRUE, 0.5f);
  g_assert_true (jg_wav_write (wav, audio, 4, 16000, 160, JG_WAV_PCM16, &error));
  write_file (dir, "metadata.json",
              "{\"hfov\": 90, \"vfov\": 60, \"answers\": {\"spatial_doa\": \"azimuth: 12; elevation: -3\"},"
              " \"other\": [1, 2]}");

  s = jg_sample_load (dir, &error);
  g_assert_no_error (error);
  px = jg_sample_get_rgb (s, &w, &h);
  g_assert_cmpuint (w, ==, 4);
  g_assert_cmpuint (h, ==, 2);
  g_assert_cmpmem (px, sizeof rgb, rgb, sizeof rgb);
  depth = jg_sample_get_depth (s, &w, &h);
  for (int i = 0; i < 8; i++)
    g_assert_cmpfloat_with_epsilon (depth[i], depth8[i] / 255.0 * 10.0, 1e-6);
  g_assert_cmpfloat (depth[0], ==, 0.0f);
  g_assert_cmpfloat_with_epsilon (depth[3], 10.0, 1e-6);
  jg_sample_get_intrinsics (s, &k);
  /* 4x2 at hfov 90, vfov 60: fx = 2 / tan 45, fy = 1 / tan 30. */
  g_assert_cmpfloat_with_epsilon (k.fx, 2.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (k.fy, 1.0 / tan (G_PI / 6), 1e-12);
  g_assert_cmpfloat_with_epsilon (k.cx, 2.0, 1e-12);
  g_assert_cmpuint (jg_sample_get_n_irs (s), ==, 1);
  check_ir (s, 0, "ir", 0.5f);
  g_assert_nonnull (jg_sample_get_audio (s));
  g_assert_cmpuint (jg_sample_get_audio (s)->n_frames, ==, 160);
  g_assert_cmpfloat_with_epsilon (jg_sample_get_audio (s)->data[160 * 3 + 5], audio[160 * 3 + 5], 1e-4);
  g_assert_cmpint (jg_sample_get_foa_convention (s), ==, JG_FOA_JAEGER);
  g_assert_nonnull (jg_sample_get_metadata (s));
  g_assert_null (jg_sample_get_missing (s)[0]);
  g_assert_cmpfloat (jg_sample_get_answer (s, JG_TASK_SPATIAL_DOA)->az_deg, ==, 12.0);
  g_assert_null (jg_sample_get_answer (s, JG_TASK_VISUAL_GROUNDING));

  /* A manifest entry adds its task's answer and gender. */
  {
    JgManifestEntry e = { .task = JG_TASK_SINGLE_SOURCE, .text = (char *) "Right", .gender = JG_GENDER_FEMALE };
    jg_sample_apply_entry (s, &e);
    g_assert_cmpint (jg_sample_get_answer (s, JG_TASK_SINGLE_SOURCE)->side, ==, JG_SIDE_RIGHT);
    g_assert_cmpint (jg_sample_get_gender (s), ==, JG_GENDER_FEMALE);
  }
  remove_dir (dir);
}

static void
test_task2_sample (void)
{
  g_autofree char *dir = make_dir ("task2_00007");
  g_autoptr(GError) error = NULL;
  g_autoptr(JgSample) s = NULL;
  guint16 depth16[3 * 2] = { 0, 1000, 2500, 65535, 123, 4100 };
  const float *depth;
  const char *const *missing;
  JgIntrinsics k;
  guint w, h;

  write_png (dir, "depth.png", 3, 2, 1, 16, depth16);
  write_ir (dir, "ir_male.npy", FALSE, 1.0f);
  write_ir (dir, "ir_female.npy", TRUE, -2.0f);
  write_file (dir, "metadata.json",
              "{\"intrinsics\": {\"fx\": 336, \"fy\": 336, \"cx\": 336, \"cy\": 189, \"width\": 672, \"height\": 378},"
              " \"foa_convention\": \"ambix\"}");

  s = jg_sample_load (dir, &error);
  g_assert_no_error (error);
  depth = jg_sample_get_depth (s, &w, &h);
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat_with_epsilon (depth[i], depth16[i] / 1000.0, 1e-5 * (1 + depth16[i] / 1000.0));
  /* Explicit intrinsics for 672x378 scaled to the 3x2 depth map. */
  jg_sample_get_intrinsics (s, &k);
  g_assert_cmpuint (k.width, ==, 3);
  g_assert_cmpfloat_with_epsilon (k.fx, 336.0 * 3 / 672, 1e-9);
  g_assert_cmpfloat_with_epsilon (k.cy, 189.0 * 2 / 378, 1e-9);
  g_assert_cmpint (jg_sample_get_foa_convention (s), ==, JG_FOA_AMBIX);
  g_assert_cmpuint (jg_sample_get_n_irs (s), ==, 2);
  /* The 3x3 matrix form, in depth-map pixels. */
  {
    g_autoptr(JgSample) s2 = NULL;
    write_file (dir, "metadata.json", "{\"intrinsics\": [[2.5, 0, 1.5], [0, 2.25, 1.0], [0, 0, 1]]}");
    s2 = jg_sample_load (dir, &error);
    g_assert_no_error (error);
    jg_sample_get_intrinsics (s2, &k);
    g_assert_cmpfloat (k.fx, ==, 2.5);
    g_assert_cmpfloat (k.fy, ==, 2.25);
    g_assert_cmpfloat (k.cx, ==, 1.5);
    g_assert_cmpfloat (k.cy, ==, 1.0);
    g_assert_cmpint (jg_sample_get_foa_convention (s2), ==, JG_FOA_JAEGER);
  }
  check_ir (s, 0, "ir_male", 1.0f);
  check_ir (s, 1, "ir_female", -2.0f);
  g_assert_null (jg_sample_get_rgb (s, NULL, NULL));
  g_assert_null (jg_sample_get_audio (s));
  missing = jg_sample_get_missing (s);
  g_assert_cmpstr (missing[0], ==, "rgb.png");
  g_assert_cmpstr (missing[1], ==, "foa_ls.wav");
  g_assert_null (missing[2]);
  remove_dir (dir);
}

/* Each broken file makes the load fail with that file and the problem named. */
static void
test_broken (void)
{
  static const struct {
    const char *file;
    const char *content;   /* NULL: written by code below */
    const char *words;
    gsize len;             /* 0: strlen (content) */
  } cases[] = {
    { "metadata.json", "{\"hfov\": 90,", "not valid JSON" },
    { "metadata.json", "{\"hfov\": -5}", "\"hfov\" must be a number in (0, 180)" },
    { "metadata.json", "{\"foa_convention\": \"b-format\"}", "unknown FOA convention 'b-format'" },
    { "metadata.json", "{\"answers\": {\"spatial_doa\": \"north-east\"}}", "is not a valid spatial_doa answer" },
    { "metadata.json", "{\"intrinsics\": {\"fx\": 300}}", "needs fx, fy, cx and cy" },
    { "metadata.json", "{\"intrinsics\": [[300, 0, 1], [0, 300]]}", "must be a 3x3 matrix" },
    { "metadata.json", "{\"intrinsics\": \"pinhole\"}", "must be an object {fx, fy, cx, cy} or a 3x3 matrix" },
    { "depth.png", "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0", "bad PNG: truncated", 18 },
    { "depth.png", NULL, "3 channels, expected a single-channel depth map" },
    { "ir.npy", "\x93NUMPY\x01", "not a .npy file" },
    { "foa_ls.wav", NULL, "2 channels, expected 4" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *dir = make_dir ("task1_00001");
      g_autofree char *file = g_build_filename (dir, cases[i].file, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(JgSample) s = NULL;
      guint8 px[2 * 2 * 3] = { 0 };
      float stereo[2 * 10] = { 0 };

      if (cases[i].content != NULL)
        g_assert_true (g_file_set_contents (file, cases[i].content, cases[i].len ? cases[i].len : strlen (cases[i].content), NULL));
      else if (g_str_has_suffix (file, ".png"))
        write_png (dir, cases[i].file, 2, 2, 3, 8, px);
      else
        g_assert_true (jg_wav_write (file, stereo, 2, 16000, 10, JG_WAV_PCM16, NULL));

      s = jg_sample_load (dir, &error);
      g_assert_null (s);
      g_assert_nonnull (error);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, file));
      g_assert_nonnull (strstr (error->message, cases[i].words));
      remove_dir (dir);
    }

  {
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = make_dir ("empty");
    g_autoptr(JgSample) s = jg_sample_load (dir, &error);
    g_assert_null (s);
    g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "no SpatialSceneQA files"));
    g_clear_error (&error);
    remove_dir (dir);
    g_assert_null (jg_sample_load ("/nonexistent/task1_00000", &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
    g_assert_cmpstr (error->message, ==, "/nonexistent/task1_00000: no such sample directory or file");
  }
}

/* A STARSS23 entry is a recording on its own. */
static void
test_wav_sample (void)
{
  g_autofree char *dir = make_dir ("STARSS23");
  g_autofree char *wav = g_build_filename (dir, "fold4_room23_mix002.wav", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JgSample) s = NULL;
  float a[4 * 32] = { 0.25f };

  g_assert_true (jg_wav_write (wav, a, 4, 16000, 32, JG_WAV_FLOAT, &error));
  s = jg_sample_load (wav, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jg_sample_get_audio (s)->n_frames, ==, 32);
  g_assert_cmpfloat (jg_sample_get_audio (s)->data[0], ==, 0.25f);
  g_assert_null (jg_sample_get_depth (s, NULL, NULL));
  g_assert_cmpuint (jg_sample_get_n_irs (s), ==, 0);
  remove_dir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sample/task1", test_task1_sample);
  g_test_add_func ("/sample/task2", test_task2_sample);
  g_test_add_func ("/sample/broken", test_broken);
  g_test_add_func ("/sample/starss23-wav", test_wav_sample);
  return g_test_run ();
}
