/* Manifests: every real manifest of the JAEGER release loads with zero
 * problems and the entry counts Python's json module finds; root remapping
 * finds sample folders under a user's root; bad entries are reported and
 * skipped while good ones load. */
#include "data/jg-manifest.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <string.h>

static const struct {
  const char *file;
  JgTask task;
  guint n;
  guint male, female;         /* entries per gender field */
} real[] = {
  { "hm3d_av_v2_ls_task1_test.json", JG_TASK_SPATIAL_DOA, 1000, 466, 534 },
  { "hm3d_av_v2_ls_task1_val.json", JG_TASK_SPATIAL_DOA, 1000, 496, 504 },
  { "hm3d_av_v2_ls_task2_test.json", JG_TASK_MULTI_SPATIAL_DOA, 895, 439, 456 },
  { "hm3d_av_v2_ls_task2_val.json", JG_TASK_MULTI_SPATIAL_DOA, 725, 368, 357 },
  { "hm3d_av_v2_task1_test.json", JG_TASK_SINGLE_SOURCE, 416, 0, 0 },
  { "hm3d_av_v2_task1_val.json", JG_TASK_SINGLE_SOURCE, 447, 0, 0 },
  { "hm3d_av_v2_task2_test.json", JG_TASK_DUAL_SOURCE, 895, 441, 454 },
  { "hm3d_av_v2_task2_val.json", JG_TASK_DUAL_SOURCE, 725, 360, 365 },
  { "starss23_test.json", JG_TASK_STARSS23, 536, 312, 224 },
  { "visual_grounding_hm3d_av_v2_speaker_only_test.json", JG_TASK_VISUAL_GROUNDING, 1895, 0, 0 },
  { "visual_grounding_hm3d_av_v2_speaker_only_val.json", JG_TASK_VISUAL_GROUNDING, 1725, 0, 0 },
};

static void
test_real (void)
{
  for (gsize f = 0; f < G_N_ELEMENTS (real); f++)
    {
      g_autofree char *path = g_build_filename (g_getenv ("JAEGER_MANIFESTS"), real[f].file, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(JgManifest) m = jg_manifest_load (path, NULL, &error);
      guint genders[3] = { 0 };

      g_assert_no_error (error);
      g_assert_cmpuint (jg_manifest_get_n_problems (m), ==, 0);
      g_assert_cmpuint (jg_manifest_get_n_entries (m), ==, real[f].n);
      for (int t = 0; t < JG_N_TASKS; t++)
        g_assert_cmpuint (jg_manifest_count_task (m, (JgTask) t), ==, t == (int) real[f].task ? real[f].n : 0);
      for (guint i = 0; i < real[f].n; i++)
        {
          const JgManifestEntry *e = jg_manifest_get_entry (m, i);
          g_assert_cmpuint (e->index, ==, i);
          g_assert_cmpint (e->answer->kind, !=, JG_ANSWER_UNPARSED);
          g_assert_true (g_str_has_prefix (e->path, "/path/to/"));
          g_assert_cmpstr (e->path, ==, e->original_path);
          genders[e->gender]++;
          if (e->task == JG_TASK_DUAL_SOURCE)
            {
              /* target_label "female: Left" agrees with gender and answer. */
              g_autofree char *want = g_strdup_printf ("%s: %s", jg_gender_to_string (e->gender), e->text);
              g_assert_cmpstr (e->target_label, ==, want);
            }
          if (e->task == JG_TASK_SINGLE_SOURCE || e->task == JG_TASK_DUAL_SOURCE)
            g_assert_true (e->num_speakers == 2 || e->num_speakers == 3);
          if (e->task == JG_TASK_VISUAL_GROUNDING)
            g_assert_cmpuint (g_strv_length (e->obj_category), ==, e->answer->boxes->len);
          if (e->task == JG_TASK_STARSS23)
            g_assert_true (g_str_has_suffix (e->path, ".wav"));
        }
      g_assert_cmpuint (genders[JG_GENDER_MALE], ==, real[f].male);
      g_assert_cmpuint (genders[JG_GENDER_FEMALE], ==, real[f].female);
    }
}

static void
test_remap (void)
{
  g_autofree char *root = g_dir_make_tmp ("jg-remap-XXXXXX", NULL);
  g_autofree char *dir = g_build_filename (root, "test", "00800-TEEsavR23oF", "task1_00000", NULL);
  g_autofree char *wav_dir = g_build_filename (root, "STARSS23_mf", "test", NULL);
  g_autofree char *wav = g_build_filename (wav_dir, "a.wav", NULL);
  g_autofree char *rel_manifest = g_build_filename (root, "rel.json", NULL);
  g_autoptr(GError) error = NULL;
  const char *json =
    "{\"annotation\": ["
    "{\"path\": \"/path/to/simulation_ds/hm3d/hm3d_foa_av_v2/test/00800-TEEsavR23oF/task1_00000\","
    " \"text\": \"Left\", \"task\": \"single_source\", \"num_speakers\": 2},"
    "{\"path\": \"/path/to/simulation_ds/hm3d/hm3d_foa_av_v2/test/00800-TEEsavR23oF/task1_00009\","
    " \"text\": \"Right\", \"task\": \"single_source\", \"num_speakers\": 2},"
    "{\"path\": \"/path/to/STARSS23_mf/test/a.wav\", \"text\": \"azimuth: 1.5; elevation: -2.0\","
    " \"task\": \"starss23\", \"gender\": \"M\"}]}";
  g_autoptr(JgManifest) m = NULL, rel = NULL;
  g_autofree char *want0 = NULL, *want1 = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_cmpint (g_mkdir_with_parents (wav_dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (wav, "", 0, NULL));
  m = jg_manifest_parse (json, strlen (json), "m.json", root, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jg_manifest_get_n_entries (m), ==, 3);
  /* Found three folders down; the missing sibling takes the same depth. */
  g_assert_cmpstr (jg_manifest_get_entry (m, 0)->path, ==, dir);
  want1 = g_build_filename (root, "test", "00800-TEEsavR23oF", "task1_00009", NULL);
  g_assert_cmpstr (jg_manifest_get_entry (m, 1)->path, ==, want1);
  g_assert_cmpstr (jg_manifest_get_entry (m, 2)->path, ==, wav);

  /* Without a root, relative paths are relative to the manifest's folder. */
  g_assert_true (g_file_set_contents (rel_manifest,
                 "[{\"path\": \"test/x\", \"text\": \"center.\", \"task\": \"dual_source\"}]", -1, NULL));
  rel = jg_manifest_load (rel_manifest, NULL, &error);
  g_assert_no_error (error);
  want0 = g_build_filename (root, "test", "x", NULL);
  g_assert_cmpstr (jg_manifest_get_entry (rel, 0)->path, ==, want0);
  g_assert_cmpint (jg_manifest_get_entry (rel, 0)->answer->side, ==, JG_SIDE_CENTER);

  /* A path kept as written (a results store's) resolves as the loader did. */
  {
    g_autofree char *r0 = jg_manifest_resolve_path (rel_manifest, NULL, "test/x");
    g_autofree char *r1 = jg_manifest_resolve_path (rel_manifest, root,
        "/path/to/simulation_ds/hm3d/hm3d_foa_av_v2/test/00800-TEEsavR23oF/task1_00000");
    g_autofree char *r2 = jg_manifest_resolve_path ("/elsewhere/m.json", NULL, "/abs/sample");
    g_assert_cmpstr (r0, ==, want0);
    g_assert_cmpstr (r1, ==, dir);
    g_assert_cmpstr (r2, ==, "/abs/sample");
  }

  g_unlink (wav);
  g_unlink (rel_manifest);
  g_rmdir (wav_dir);
  g_rmdir (dir);
  {
    g_autofree char *p1 = g_build_filename (root, "test", "00800-TEEsavR23oF", NULL);
    g_autofree char *p2 = g_build_filename (root, "test", NULL);
    g_autofree char *p3 = g_build_filename (root, "STARSS23_mf", NULL);
    g_rmdir (p1);
    g_rmdir (p2);
    g_rmdir (p3);
  }
  g_rmdir (root);
}

static void
test_bad_entries (void)
{
  const char *json =
    "{\"annotation\": [\n"
    "  {\"path\": \"/d/0\", \"text\": \"azimuth: -7; elevation: -22\", \"task\": \"spatial_doa\", \"gender\": \"M\"},\n"
    "  42,\n"
    "  {\"text\": \"Left\", \"task\": \"single_source\"},\n"
    "  {\"path\": \"/d/3\", \"text\": \"Left\", \"task\": \"triple_source\"},\n"
    "  {\"path\": \"/d/4\", \"text\": \"somewhere left-ish\", \"task\": \"single_source\"},\n"
    "  {\"path\": \"/d/5\", \"text\": \"azimuth: 200; elevation: 0\", \"task\": \"spatial_doa\"},\n"
    "  {\"path\": \"/d/6\", \"text\": \"Center\", \"task\": \"single_source\", \"num_speakers\": 2},\n"
    "  {\"path\": \"/d/7\", \"text\": \"bbox_0=Bbox(speaker, 0.1, 0.2, -1.0, 0.0, 0.5, 0.3)\", \"task\": \"visual_grounding\"},\n"
    "  {\"path\": \"/d/8\", \"text\": \"Left\", \"task\": \"dual_source\", \"gender\": \"robot\"},\n"
    "  {\"path\": \"/d/9\", \"task\": \"spatial_doa\"},\n"
    "  {\"path\": \"/d/10\", \"text\": \"Right\", \"task\": \"dual_source\", \"gender\": \"female\", \"num_speakers\": 3}\n"
    "]}";
  static const char *const want[] = {
    "entry 1: not a JSON object",
    "entry 2: no \"path\" string",
    "entry 3 (/d/3): unknown task 'triple_source'",
    "entry 4 (/d/4): answer \"somewhere left-ish\" is not a valid single_source answer",
    "entry 5 (/d/5): direction (200, 0) is outside",
    "entry 6 (/d/6): answer Center with only 2 loudspeakers",
    "entry 7 (/d/7): bbox_0 has a size that is not positive",
    "entry 8 (/d/8): gender \"robot\"",
    "entry 9 (/d/9): no \"text\"",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(JgManifest) m = jg_manifest_parse (json, strlen (json), "bad.json", NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (jg_manifest_get_n_entries (m), ==, 2);
  g_assert_cmpuint (jg_manifest_get_entry (m, 0)->index, ==, 0);
  g_assert_cmpuint (jg_manifest_get_entry (m, 1)->index, ==, 10);
  g_assert_cmpint (jg_manifest_get_entry (m, 1)->gender, ==, JG_GENDER_FEMALE);
  g_assert_cmpuint (jg_manifest_count_task (m, JG_TASK_DUAL_SOURCE), ==, 1);
  g_assert_cmpuint (jg_manifest_get_n_problems (m), ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_test_message ("%s", jg_manifest_get_problem (m, i));
      g_assert_true (g_str_has_prefix (jg_manifest_get_problem (m, i), want[i]));
    }
}

static void
test_bad_files (void)
{
  static const struct { const char *json; const char *words; } cases[] = {
    { "{\"annotation\": [ {\"path\": \"x\", ", "not valid JSON" },
    { "{\"annotations\": []}", "no \"annotation\" list" },
    { "{\"annotation\": {\"path\": \"x\"}}", "no \"annotation\" list" },
    { "\"hello\"", "found no object" },
    { "", "empty file" },
  };
  g_autoptr(GError) error = NULL;
  GString *deep = g_string_new ("{\"annotation\": ");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JgManifest) m = jg_manifest_parse (cases[i].json, strlen (cases[i].json), "x.json", NULL, &error);
      g_assert_null (m);
      g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
      g_test_message ("%s", error->message);
      g_assert_true (g_str_has_prefix (error->message, "x.json: "));
      g_assert_nonnull (strstr (error->message, cases[i].words));
      g_clear_error (&error);
    }
  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  {
    g_autoptr(JgManifest) m = jg_manifest_parse (deep->str, deep->len, "deep.json", NULL, &error);
    g_assert_null (m);
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "nested"));
    g_clear_error (&error);
  }
  g_string_free (deep, TRUE);
  {
    g_autoptr(JgManifest) m = jg_manifest_load ("/nonexistent/manifest.json", NULL, &error);
    g_assert_null (m);
    g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
    g_assert_cmpstr (error->message, ==, "/nonexistent/manifest.json: file not found");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manifest/real", test_real);
  g_test_add_func ("/manifest/remap", test_remap);
  g_test_add_func ("/manifest/bad-entries", test_bad_entries);
  g_test_add_func ("/manifest/bad-files", test_bad_files);
  return g_test_run ();
}
