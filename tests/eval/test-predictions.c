/* Prediction readers: jaeger's JSON / JSONL and the three formats of the
 * reference inference scripts, written here by hand as those scripts write
 * them (field names and nesting from their json.dump calls); bad files give
 * errors that name the file and the problem. */
#include "eval/jg-predictions.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <string.h>

static const char reference_audio[] =
  "{\"config\": {\"model\": {\"ckpt\": \"/ckpt/neural_iv/model.safetensors\"}, \"datasets\": {}},\n"
  " \"details\": {\n"
  "  \"audio_event_detection\": [{\"path\": \"/a\", \"gt_label\": \"dog\", \"pred_label\": null, \"raw_output\": \"cat\"}],\n"
  "  \"spatial_doa\": [\n"
  "   {\"path\": \"/path/to/test/00800-TEEsavR23oF/task1_00000\", \"gt_az\": -7.0, \"gt_el\": -22.0,\n"
  "    \"pred_az\": -6.0, \"pred_el\": -21.0, \"angular_error\": 1.3, \"raw_output\": \"azimuth: -6; elevation: -21\", \"gender\": \"M\"},\n"
  "   {\"path\": \"/path/to/test/00800-TEEsavR23oF/task1_00002\", \"gt_az\": 12.0, \"gt_el\": 3.0,\n"
  "    \"pred_az\": null, \"pred_el\": null, \"angular_error\": null, \"raw_output\": \"azimuth: I cannot tell\", \"gender\": \"F\"}],\n"
  "  \"multi_spatial_doa\": [\n"
  "   {\"path\": \"/path/to/test/00800-TEEsavR23oF/task2_00000\", \"gt_az\": -10, \"gt_el\": -16,\n"
  "    \"pred_az\": -10, \"pred_el\": -15, \"angular_error\": 1.0, \"raw_output\": \"azimuth: -10; elevation: -15\", \"gender\": \"M\"}],\n"
  "  \"distance_estimation\": [],\n"
  "  \"starss23\": [\n"
  "   {\"path\": \"/path/to/STARSS23_mf/test/fold4_room23_mix002_class1_src2_seg0000.wav\", \"gt_az\": -13.9, \"gt_el\": -10.8,\n"
  "    \"pred_az\": -12.5, \"pred_el\": -9.0, \"angular_error\": 2.2, \"raw_output\": \"azimuth: -12.5; elevation: -9.0\", \"gender\": \"M\"}]\n"
  " }}\n";

static const char reference_av[] =
  "[\n"
  "  {\"path\": \"/path/to/test/00800-TEEsavR23oF/task1_00001\", \"task\": \"single_source\", \"gender\": null,\n"
  "   \"category\": \"\", \"gt_text\": \"Left\", \"pred_text\": \"Left\"},\n"
  "  {\"path\": \"/path/to/test/00800-TEEsavR23oF/task2_00000\", \"task\": \"dual_source\", \"gender\": \"female\",\n"
  "   \"category\": \"\", \"gt_text\": \"Left\", \"pred_text\": \"right.\"},\n"
  "  {\"path\": \"/path/to/vgg/x\", \"task\": \"dual_source_vgg\", \"gender\": null,\n"
  "   \"category\": \"dog\", \"gt_text\": \"Left\", \"pred_text\": \"Left\"}\n"
  "]\n";

static const char reference_visual[] =
  "[{\"path\": \"/path/to/test/00800-TEEsavR23oF/task1_00000\", \"task\": \"visual_grounding\",\n"
  "  \"text\": \"bbox_0=Bbox(speaker, 0.14, -0.48, -1.15, 0.33, 0.88, 0.32)\", \"obj_category\": [\"speaker\"],\n"
  "  \"pred_text\": \"bbox_0=Bbox(speaker,14, -48, -115, 33, 88, 32)\"}]";

static const char merged_av[] =
  "{\"summary\": {\"single_source\": {\"accuracy\": \"100.00%\", \"correct\": 1, \"total\": 1}},\n"
  " \"details\": {\"single_source\": [{\"path\": \"/p/task1_00001\", \"task\": \"single_source\", \"gender\": null,\n"
  "   \"category\": \"\", \"gt_text\": \"Right\", \"pred_text\": \"Right\"}]}}";

static const char jaeger_json[] =
  "{\"run\": {\"model\": \"JAEGER Neural IV\", \"checkpoint\": \"/w/neural_iv\",\n"
  "         \"settings\": {\"decoding\": \"greedy\", \"max_new_tokens\": 256}, \"date\": \"2026-11-26T09:00:00Z\"},\n"
  " \"predictions\": [\n"
  "  {\"path\": \"/s/task1_00000\", \"task\": \"spatial_doa\", \"question\": \"Where?\", \"pred_text\": \"azimuth: 3; elevation: 4\"},\n"
  "  {\"path\": \"/s/task1_00000\", \"task\": \"visual_grounding\", \"pred_text\": \"bbox_0=Bbox(speaker, 0.1, 0.2, -1.0, 0.3, 0.8, 0.3)\", \"units\": \"m\"}\n"
  " ]}";

static const char jaeger_jsonl[] =
  "{\"run\": {\"model\": \"JAEGER Classical IV\", \"date\": \"2026-11-26T10:00:00Z\"}}\n"
  "{\"path\": \"/s/task2_00000\", \"task\": \"dual_source\", \"gender\": \"male\", \"pred_text\": \"Center\"}\n"
  "\n"
  "{\"path\": \"/s/task2_00001\", \"task\": \"multi_spatial_doa\", \"gender\": \"F\", \"pred_text\": null}\n";

static void
test_reference_audio (void)
{
  g_autoptr(JgPredictionSet) set = jg_prediction_set_new ();
  g_autoptr(GError) error = NULL;
  const JgPrediction *p;
  const JgRunInfo *run;

  g_assert_true (jg_prediction_set_add_data (set, reference_audio, -1, "eval_results_rank_0.json", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (jg_prediction_set_get_n (set), ==, 4);
  g_assert_cmpuint (jg_prediction_set_get_n_skipped (set), ==, 1);
  run = jg_prediction_set_get_run (set);
  g_assert_cmpstr (run->format, ==, "reference-audio");
  g_assert_cmpstr (run->checkpoint, ==, "/ckpt/neural_iv/model.safetensors");
  g_assert_nonnull (strstr (run->settings, "\"datasets\""));

  p = jg_prediction_set_get (set, 0);
  g_assert_cmpint (p->task, ==, JG_TASK_SPATIAL_DOA);
  g_assert_cmpstr (p->path, ==, "/path/to/test/00800-TEEsavR23oF/task1_00000");
  g_assert_cmpstr (p->pred_text, ==, "azimuth: -6; elevation: -21");
  g_assert_cmpstr (p->gt_text, ==, "azimuth: -7; elevation: -22");
  g_assert_cmpstr (p->gender, ==, "M");
  /* The unparsed answer is kept as written. */
  p = jg_prediction_set_get (set, 1);
  g_assert_cmpstr (p->pred_text, ==, "azimuth: I cannot tell");
  g_assert_cmpstr (p->gt_text, ==, "azimuth: 12; elevation: 3");
  {
    g_autoptr(JgAnswer) a = jg_answer_parse (p->task, p->pred_text, p->units);
    g_assert_cmpint (a->kind, ==, JG_ANSWER_UNPARSED);
  }
  g_assert_cmpint (jg_prediction_set_get (set, 2)->task, ==, JG_TASK_MULTI_SPATIAL_DOA);
  p = jg_prediction_set_get (set, 3);
  g_assert_cmpint (p->task, ==, JG_TASK_STARSS23);
  g_assert_cmpstr (p->gt_text, ==, "azimuth: -13.9; elevation: -10.8");
}

static void
test_reference_av_visual (void)
{
  g_autoptr(JgPredictionSet) set = jg_prediction_set_new ();
  g_autoptr(GError) error = NULL;
  const JgPrediction *p;

  g_assert_true (jg_prediction_set_add_data (set, reference_av, -1, "av_results_rank_0.json", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (jg_prediction_set_get_run (set)->format, ==, "reference-av");
  g_assert_cmpuint (jg_prediction_set_get_n (set), ==, 2);
  g_assert_cmpuint (jg_prediction_set_get_n_skipped (set), ==, 1);
  p = jg_prediction_set_get (set, 1);
  g_assert_cmpint (p->task, ==, JG_TASK_DUAL_SOURCE);
  g_assert_cmpstr (p->gender, ==, "female");
  g_assert_cmpstr (p->gt_text, ==, "Left");
  g_assert_null (jg_prediction_set_get (set, 0)->gender);
  {
    g_autoptr(JgAnswer) a = jg_answer_parse (p->task, p->pred_text, p->units);
    g_assert_cmpint (a->kind, ==, JG_ANSWER_SIDE);
    g_assert_cmpint (a->side, ==, JG_SIDE_RIGHT);
  }

  /* A second rank file appends; the first file's run information stays. */
  g_assert_true (jg_prediction_set_add_data (set, reference_visual, -1, "visual_results_rank_0.json", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (jg_prediction_set_get_run (set)->format, ==, "reference-av");
  g_assert_cmpuint (jg_prediction_set_get_n (set), ==, 3);
  p = jg_prediction_set_get (set, 2);
  g_assert_cmpint (p->task, ==, JG_TASK_VISUAL_GROUNDING);
  g_assert_cmpint (p->units, ==, JG_UNITS_CENTIMETRES);
  g_assert_cmpstr (p->gt_text, ==, "bbox_0=Bbox(speaker, 0.14, -0.48, -1.15, 0.33, 0.88, 0.32)");
  {
    /* Centimetres with the forced prefix glued on, read as metres. */
    g_autoptr(JgAnswer) a = jg_answer_parse (p->task, p->pred_text, p->units);
    const JgBox *b;
    g_assert_cmpint (a->kind, ==, JG_ANSWER_BOXES);
    g_assert_cmpuint (a->boxes->len, ==, 1);
    b = &g_array_index (a->boxes, JgBox, 0);
    g_assert_cmpfloat_with_epsilon (b->center[0], 0.14, 1e-12);
    g_assert_cmpfloat_with_epsilon (b->center[2], -1.15, 1e-12);
    g_assert_cmpfloat_with_epsilon (b->size[1], 0.88, 1e-12);
  }

  {
    g_autoptr(JgPredictionSet) vis = jg_prediction_set_new ();
    g_assert_true (jg_prediction_set_add_data (vis, reference_visual, -1, "v.json", &error));
    g_assert_cmpstr (jg_prediction_set_get_run (vis)->format, ==, "reference-visual");
  }
  {
    g_autoptr(JgPredictionSet) merged = jg_prediction_set_new ();
    g_assert_true (jg_prediction_set_add_data (merged, merged_av, -1, "eval_results.json", &error));
    g_assert_no_error (error);
    g_assert_cmpstr (jg_prediction_set_get_run (merged)->format, ==, "reference-av");
    g_assert_cmpuint (jg_prediction_set_get_n (merged), ==, 1);
    g_assert_cmpstr (jg_prediction_set_get (merged, 0)->pred_text, ==, "Right");
  }
}

static void
test_jaeger_formats (void)
{
  g_autoptr(JgPredictionSet) set = jg_prediction_set_new ();
  g_autoptr(JgPredictionSet) lines = jg_prediction_set_new ();
  g_autoptr(GError) error = NULL;
  const JgRunInfo *run;
  const JgPrediction *p;

  g_assert_true (jg_prediction_set_add_data (set, jaeger_json, -1, "run.json", &error));
  g_assert_no_error (error);
  run = jg_prediction_set_get_run (set);
  g_assert_cmpstr (run->format, ==, "jaeger-json");
  g_assert_cmpstr (run->model, ==, "JAEGER Neural IV");
  g_assert_cmpstr (run->checkpoint, ==, "/w/neural_iv");
  g_assert_cmpstr (run->date, ==, "2026-11-26T09:00:00Z");
  g_assert_nonnull (strstr (run->settings, "\"max_new_tokens\":256"));
  g_assert_cmpuint (jg_prediction_set_get_n (set), ==, 2);
  g_assert_cmpstr (jg_prediction_set_get (set, 0)->question, ==, "Where?");
  p = jg_prediction_set_get (set, 1);
  g_assert_cmpint (p->units, ==, JG_UNITS_METRES);
  {
    g_autoptr(JgAnswer) a = jg_answer_parse (p->task, p->pred_text, p->units);
    g_assert_cmpfloat_with_epsilon (g_array_index (a->boxes, JgBox, 0).size[1], 0.8, 1e-12);
  }

  g_assert_true (jg_prediction_set_add_data (lines, jaeger_jsonl, -1, "run.jsonl", &error));
  g_assert_no_error (error);
  run = jg_prediction_set_get_run (lines);
  g_assert_cmpstr (run->format, ==, "jaeger-jsonl");
  g_assert_cmpstr (run->model, ==, "JAEGER Classical IV");
  g_assert_null (run->checkpoint);
  g_assert_cmpuint (jg_prediction_set_get_n (lines), ==, 2);
  g_assert_cmpstr (jg_prediction_set_get (lines, 0)->pred_text, ==, "Center");
  g_assert_null (jg_prediction_set_get (lines, 1)->pred_text);
  g_assert_cmpstr (jg_prediction_set_get (lines, 1)->gender, ==, "F");
}

static void
expect_error (const char *data, const char *name, int code, const char *fragment)
{
  g_autoptr(JgPredictionSet) set = jg_prediction_set_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (jg_prediction_set_add_data (set, jaeger_jsonl, -1, "good.jsonl", &error));
  g_assert_false (jg_prediction_set_add_data (set, data, -1, name, &error));
  g_assert_error (error, JG_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, name));
  g_assert_nonnull (strstr (error->message, fragment));
  /* A failed file adds nothing. */
  g_assert_cmpuint (jg_prediction_set_get_n (set), ==, 2);
}

static void
test_bad_files (void)
{
  expect_error ("", "empty.json", JG_ERROR_INVALID_DATA, "empty.json: ");
  expect_error ("not json at all", "text.json", JG_ERROR_INVALID_DATA, "text.json:1:");
  expect_error ("[{\"path\": \"/a\", \"task\": \"spatial_doa\", \"pred_text\": \"x\"},\n {\"path\": ",
                "cut.json", JG_ERROR_INVALID_DATA, "cut.json:2:");
  expect_error ("{\"path\": \"/a\", \"task\": \"spatial_doa\"}\n{\"path\": \"/b\", \"task\": \"spatial_doa\"}\n{\"path\": oops}\n",
                "bad.jsonl", JG_ERROR_INVALID_DATA, "bad.jsonl:3:13: ");
  expect_error ("[{\"path\": \"/a\", \"task\": \"spatial_doa\"}, {\"task\": \"spatial_doa\"}]",
                "nopath.json", JG_ERROR_INVALID_DATA, "record 2 has no \"path\"");
  expect_error ("[{\"path\": 3, \"task\": \"spatial_doa\"}]",
                "num.json", JG_ERROR_INVALID_DATA, "\"path\" is not a string");
  expect_error ("[{\"path\": \"/a\"}]", "notask.json", JG_ERROR_INVALID_DATA, "has no \"task\"");
  expect_error ("[{\"path\": \"/a\", \"task\": \"visual_grounding\", \"units\": \"mm\"}]",
                "units.json", JG_ERROR_INVALID_DATA, "unknown units 'mm'");
  expect_error ("42", "number.json", JG_ERROR_INVALID_DATA, "not a prediction file");
  expect_error ("{\"details\": {\"spatial_doa\": {}}}", "details.json", JG_ERROR_INVALID_DATA,
                "details.spatial_doa is not a list");
  expect_error ("[3]", "scalar.json", JG_ERROR_INVALID_DATA, "record 1 is not an object");
}

static void
test_files (void)
{
  g_autoptr(JgPredictionSet) set = jg_prediction_set_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jg-pred-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "av_results_rank_0.json", NULL);
  g_autofree char *missing = g_build_filename (dir, "nope.json", NULL);

  g_assert_no_error (error);
  g_assert_false (jg_prediction_set_add_file (set, missing, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nope.json"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (path, reference_av, -1, &error));
  g_assert_true (jg_prediction_set_add_file (set, path, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (jg_prediction_set_get_n (set), ==, 2);
  /* No date in the file: its modification time, today's. */
  {
    g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
    g_autoptr(GDateTime) when = g_date_time_new_from_iso8601 (jg_prediction_set_get_run (set)->date, NULL);
    g_assert_nonnull (when);
    g_assert_cmpint (ABS (g_date_time_difference (now, when)), <, 600 * G_TIME_SPAN_SECOND);
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* What jaeger writes, it reads back: every field, odd characters, a null
 * answer, a multi-line box answer. */
static void
test_writer_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("jg-pw-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "run.jsonl", NULL);
  g_autoptr(JgPredictionWriter) w = jg_prediction_writer_new ("JAEGER \"Neural\" IV", "/ck/m.safetensors",
                                                              "{\"max_new_tokens\": 256}");
  g_autoptr(JgPredictionSet) set = jg_prediction_set_new ();
  const JgRunInfo *run;

  jg_prediction_writer_add (w, "/s/task1_00000", JG_TASK_SPATIAL_DOA, "Where is it?\n(degrees)", "M",
                            "azimuth: 3; elevation: -4");
  jg_prediction_writer_add (w, "/s/t\u00e4sk1_00001", JG_TASK_VISUAL_GROUNDING, NULL, NULL,
                            "bbox_0=Bbox(speaker,14, -48, -115, 33, 88, 32)\nbbox_1=Bbox(speaker, 1, 2, 3, 4, 5, 6)");
  jg_prediction_writer_add (w, "/s/task2_00000", JG_TASK_DUAL_SOURCE, NULL, "female", NULL);
  g_assert_true (jg_prediction_writer_finish (w, path, &error));
  g_assert_no_error (error);

  g_assert_true (jg_prediction_set_add_file (set, path, &error));
  g_assert_no_error (error);
  run = jg_prediction_set_get_run (set);
  g_assert_cmpstr (run->format, ==, "jaeger-jsonl");
  g_assert_cmpstr (run->model, ==, "JAEGER \"Neural\" IV");
  g_assert_cmpstr (run->checkpoint, ==, "/ck/m.safetensors");
  g_assert_cmpstr (run->settings, ==, "{\"max_new_tokens\":256}");
  g_assert_nonnull (g_date_time_new_from_iso8601 (run->date, NULL));
  g_assert_cmpuint (jg_prediction_set_get_n (set), ==, 3);
  g_assert_cmpstr (jg_prediction_set_get (set, 0)->question, ==, "Where is it?\n(degrees)");
  g_assert_cmpstr (jg_prediction_set_get (set, 0)->gender, ==, "M");
  g_assert_cmpstr (jg_prediction_set_get (set, 1)->path, ==, "/s/t\u00e4sk1_00001");
  g_assert_cmpint (jg_prediction_set_get (set, 1)->units, ==, JG_UNITS_CENTIMETRES);
  {
    g_autoptr(JgAnswer) a = jg_answer_parse (JG_TASK_VISUAL_GROUNDING, jg_prediction_set_get (set, 1)->pred_text,
                                             JG_UNITS_CENTIMETRES);
    g_assert_cmpuint (a->boxes->len, ==, 2);
    g_assert_cmpfloat_with_epsilon (g_array_index (a->boxes, JgBox, 1).size[2], 0.06, 1e-12);
  }
  g_assert_null (jg_prediction_set_get (set, 2)->pred_text);
  g_assert_cmpint (jg_prediction_set_get (set, 2)->task, ==, JG_TASK_DUAL_SOURCE);

  /* A run without answers is still a valid file. */
  {
    g_autoptr(JgPredictionWriter) empty = jg_prediction_writer_new (NULL, NULL, NULL);
    g_autoptr(JgPredictionSet) none = jg_prediction_set_new ();
    g_assert_true (jg_prediction_writer_finish (empty, path, &error));
    g_assert_true (jg_prediction_set_add_file (none, path, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (jg_prediction_set_get_n (none), ==, 0);
    g_assert_cmpstr (jg_prediction_set_get_run (none)->format, ==, "jaeger-jsonl");
  }
  g_unlink (path);
  g_rmdir (dir);
}

/* jaeger's JSON lines take a fast reader; the same records as a JSON list
 * go through json-glib. Both must give the same predictions, escapes,
 * Unicode, numbers, nesting (which sends a line to json-glib), repeated
 * members and odd spacing included. */
static const char *const tricky[] = {
  "{\"path\": \"/a/task1_00000\", \"task\": \"spatial_doa\", \"pred_text\": \"azimuth: 1; elevation: 2\", \"gender\": \"M\"}",
  "{\"path\": \"/a/q\\\"uote\", \"task\": \"spatial_doa\", \"pred_text\": \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t end\"}",
  "{\"path\": \"/a/\\u00e4\\u4e2d\", \"task\": \"single_source\", \"pred_text\": \"\xc3\xa4\xe4\xb8\xad \\ud83d\\ude00 Left\"}",
  "{\"path\": \"/a/n\", \"task\": \"starss23\", \"pred_az\": -12.5e0, \"pred_el\": 3, \"gt_az\": 0, \"gt_el\": -0.5}",
  "{\"path\": \"/a/nested\", \"task\": \"dual_source\", \"meta\": {\"a\": [1, 2, {\"b\": null}]}, \"pred_text\": \"Right\"}",
  "{\"path\": \"/a/flags\", \"task\": \"dual_source\", \"ok\": true, \"bad\": false, \"pred_text\": null, \"gender\": \"female\"}",
  "{\"path\": \"/a/dup\", \"task\": \"single_source\", \"pred_text\": \"Left\", \"pred_text\": \"Center\"}",
  "  {  \"path\"\t:\"/a/ws\" ,\"task\" :  \"visual_grounding\",\"units\":\"m\" , \"pred_text\":\"bbox_0=Bbox(speaker, 1, 2, 3, 4, 5, 6)\"}\t ",
  "{\"path\": \"/a/skip\", \"task\": \"audio_event_detection\", \"raw_output\": \"dog\"}",
  "{\"path\": \"/a/raw\", \"task\": \"multi_spatial_doa\", \"raw_output\": \"azimuth: -3; elevation: 4\", \"question\": \"Where is the female voice?\"}",
  "{\"path\": \"/a/nul\", \"task\": \"spatial_doa\", \"pred_text\": \"before\\u0000after\"}",
  "{\"path\": \"/a/big\", \"task\": \"spatial_doa\", \"pred_az\": 1.5E+2, \"pred_el\": -0.0, \"text\": \"azimuth: 0; elevation: 0\"}",
};

static void
test_fast_path_equivalence (void)
{
  g_autoptr(GString) lines = g_string_new ("{\"run\": {\"model\": \"m\"}}\n");
  g_autoptr(GString) list = g_string_new ("[");
  g_autoptr(JgPredictionSet) a = jg_prediction_set_new ();
  g_autoptr(JgPredictionSet) b = jg_prediction_set_new ();
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (tricky); i++)
    {
      g_string_append_printf (lines, "%s\n", tricky[i]);
      g_string_append_printf (list, "%s%s", i ? ",\n" : "", tricky[i]);
    }
  g_string_append (list, "]");
  g_assert_true (jg_prediction_set_add_data (a, lines->str, -1, "fast.jsonl", &error));
  g_assert_no_error (error);
  g_assert_true (jg_prediction_set_add_data (b, list->str, -1, "slow.json", &error));
  g_assert_no_error (error);
  g_assert_cmpstr (jg_prediction_set_get_run (a)->format, ==, "jaeger-jsonl");
  g_assert_cmpstr (jg_prediction_set_get_run (b)->format, ==, "jaeger-json");
  g_assert_cmpuint (jg_prediction_set_get_n_skipped (a), ==, 1);
  g_assert_cmpuint (jg_prediction_set_get_n_skipped (b), ==, 1);
  g_assert_cmpuint (jg_prediction_set_get_n (a), ==, G_N_ELEMENTS (tricky) - 1);
  g_assert_cmpuint (jg_prediction_set_get_n (b), ==, G_N_ELEMENTS (tricky) - 1);
  for (guint i = 0; i < jg_prediction_set_get_n (a); i++)
    {
      const JgPrediction *x = jg_prediction_set_get (a, i), *y = jg_prediction_set_get (b, i);
      g_test_message ("%s: %s", x->path, x->pred_text ? x->pred_text : "(null)");
      g_assert_cmpstr (x->path, ==, y->path);
      g_assert_cmpint (x->task, ==, y->task);
      g_assert_cmpstr (x->pred_text, ==, y->pred_text);
      g_assert_cmpstr (x->gt_text, ==, y->gt_text);
      g_assert_cmpstr (x->gender, ==, y->gender);
      g_assert_cmpstr (x->question, ==, y->question);
      g_assert_cmpint (x->units, ==, y->units);
    }
  /* Spot checks against what the lines say. */
  g_assert_cmpstr (jg_prediction_set_get (a, 1)->pred_text, ==, "a\"b\\c/d\b\f\n\r\t end");
  g_assert_cmpstr (jg_prediction_set_get (a, 2)->path, ==, "/a/\xc3\xa4\xe4\xb8\xad");
  g_assert_cmpstr (jg_prediction_set_get (a, 2)->pred_text, ==, "\xc3\xa4\xe4\xb8\xad \xf0\x9f\x98\x80 Left");
  g_assert_cmpstr (jg_prediction_set_get (a, 3)->pred_text, ==, "azimuth: -12.5; elevation: 3");
  g_assert_cmpstr (jg_prediction_set_get (a, 3)->gt_text, ==, "azimuth: 0; elevation: -0.5");
  g_assert_cmpstr (jg_prediction_set_get (a, 6)->pred_text, ==, "Center");
  g_assert_cmpint (jg_prediction_set_get (a, 7)->units, ==, JG_UNITS_METRES);
  g_assert_null (jg_prediction_set_get (a, 5)->pred_text);

  /* A type error on a fast line names the line. */
  {
    g_autoptr(JgPredictionSet) c = jg_prediction_set_new ();
    const char *bad = "{\"path\": \"/a\", \"task\": \"spatial_doa\"}\n{\"path\": \"/b\", \"task\": \"spatial_doa\"}\n"
                      "{\"path\": \"/c\", \"task\": \"spatial_doa\", \"gender\": 7}\n";
    g_assert_false (jg_prediction_set_add_data (c, bad, -1, "bad.jsonl", &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_assert_cmpstr (error->message, ==, "bad.jsonl: line 3: \"gender\" is not a string");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/predictions/reference-audio", test_reference_audio);
  g_test_add_func ("/predictions/reference-av-visual", test_reference_av_visual);
  g_test_add_func ("/predictions/jaeger", test_jaeger_formats);
  g_test_add_func ("/predictions/bad-files", test_bad_files);
  g_test_add_func ("/predictions/files", test_files);
  g_test_add_func ("/predictions/writer-round-trip", test_writer_round_trip);
  g_test_add_func ("/predictions/fast-path-equivalence", test_fast_path_equivalence);
  return g_test_run ();
}
