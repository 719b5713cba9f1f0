/* Scoring end to end: a hand-made manifest and prediction file whose
 * numbers are worked out by hand in the comments; every real manifest's
 * answers, written back the way the reference inference scripts write
 * model outputs (centimetres, forced prefixes), read and score perfectly;
 * a curated manifest exported from the store loads back through the
 * manifest loader and equals the released entries field for field. */
#include "eval/jg-eval.h"
#include "eval/jg-export.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

static char *tmpdir;

/* tests/eval/fixtures/hand-manifest.json, entry by entry:
 *  0: az 179 vs -179 across the seam: 2 degrees.
 *  1: exact: 0. The prediction file has it twice (a different answer second).
 *  2: unparsed answer: dropped from DoA statistics, counted.
 *  3: no prediction at all: missing.
 *  4: multi_spatial_doa, 90 degrees; the prediction sits under another root.
 *  5: two boxes; bbox_0 predicted 0.5 m off along x (IoU 1/3, offset 0.5),
 *     bbox_1 missing (IoU 0).
 *  6: exact box plus an extra one, ignored: IoU 1, offset 0.
 *  7: unparsed boxes (just the forced prefix): its one box scores IoU 0.
 *  8-11: dual_source: right, right ("right."), wrong, unparsed.
 *  12: single_source, right.
 * The prediction file also has one record for a sample not in the manifest. */
static char *
fixture (const char *name)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "eval", "fixtures", name, NULL);
  char *text = NULL;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  return text;
}

static void
test_hand_made (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hand_manifest = fixture ("hand-manifest.json");
  g_autofree char *hand_predictions = fixture ("hand-predictions.json");
  g_autoptr(JgManifest) m = jg_manifest_parse (hand_manifest, strlen (hand_manifest), "hand.json", NULL, &error);
  g_autoptr(JgPredictionSet) p = jg_prediction_set_new ();
  g_autoptr(JgEvaluation) ev = NULL;
  const JgEvalTaskSummary *s;
  JgEvalOptions o;

  g_assert_no_error (error);
  g_assert_cmpuint (jg_manifest_get_n_problems (m), ==, 0);
  g_assert_true (jg_prediction_set_add_data (p, hand_predictions, -1, "hand-pred.json", &error));
  jg_eval_options_init (&o);
  o.n_resamples = 200;
  ev = jg_evaluation_new (&m, 1, p, &o);
  g_assert_cmpuint (jg_evaluation_get_n_samples (ev), ==, 13);
  g_assert_cmpuint (jg_evaluation_get_n_unmatched (ev), ==, 1);
  g_assert_cmpstr (jg_evaluation_get_unmatched (ev, 0)->path, ==, "/path/to/hm3d/test/09999-Z/task1_00000");
  g_assert_cmpuint (jg_evaluation_get_n_duplicates (ev), ==, 1);

  s = jg_evaluation_get_summary (ev, JG_TASK_SPATIAL_DOA);
  g_assert_cmpuint (s->n_samples, ==, 4);
  g_assert_cmpuint (s->n_predicted, ==, 3);
  g_assert_cmpuint (s->n_unparsed, ==, 1);
  g_assert_cmpuint (s->n_scored, ==, 2);
  g_assert_cmpuint (s->angle.count, ==, 2);
  g_assert_cmpfloat_with_epsilon (s->angle.mean, 1.0, 1e-9);     /* (2 + 0) / 2 */
  g_assert_cmpfloat_with_epsilon (s->angle.median, 1.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (s->az.mean, 1.0, 1e-9);
  g_assert_cmpfloat (s->el.mean, ==, 0.0);
  g_assert_cmpfloat (s->angle.ci.mean_lo, >=, 0.0);
  g_assert_cmpfloat (s->angle.ci.mean_hi, <=, 2.0 + 1e-9);
  g_assert_cmpfloat (s->angle.ci.mean_lo, <, s->angle.ci.mean_hi);
  /* The first prediction of a repeated one is kept. */
  g_assert_cmpfloat (jg_evaluation_get_sample (ev, 1)->metrics.angle, ==, 0.0);
  g_assert_null (jg_evaluation_get_sample (ev, 3)->prediction);
  g_assert_false (jg_evaluation_get_sample (ev, 2)->metrics.parsed);
  g_assert_true (isnan (jg_evaluation_get_sample (ev, 2)->metrics.error));

  s = jg_evaluation_get_summary (ev, JG_TASK_MULTI_SPATIAL_DOA);
  g_assert_cmpuint (s->n_scored, ==, 1);
  g_assert_cmpfloat_with_epsilon (s->angle.median, 90.0, 1e-9);

  s = jg_evaluation_get_summary (ev, JG_TASK_VISUAL_GROUNDING);
  g_assert_cmpuint (s->n_samples, ==, 3);
  g_assert_cmpuint (s->n_unparsed, ==, 1);
  g_assert_cmpuint (s->n_scored, ==, 3);
  g_assert_cmpuint (s->n_gt_boxes, ==, 4);
  g_assert_cmpuint (s->n_matched_boxes, ==, 2);
  /* Box IoUs 1/3, 0, 1, 0: mean 1/3, median (0 + 1/3) / 2. */
  g_assert_cmpuint (s->iou.count, ==, 4);
  g_assert_cmpfloat_with_epsilon (s->iou.mean, 1.0 / 3.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (s->iou.median, 1.0 / 6.0, 1e-9);
  /* Offsets over matched boxes: 0.5 and 0. */
  g_assert_cmpuint (s->offset.count, ==, 2);
  g_assert_cmpfloat_with_epsilon (s->offset.mean, 0.25, 1e-9);
  /* Per sample: mean IoU of its boxes, error 1 - IoU. */
  g_assert_cmpfloat_with_epsilon (jg_evaluation_get_sample (ev, 5)->metrics.iou, 1.0 / 6.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (jg_evaluation_get_sample (ev, 5)->metrics.error, 5.0 / 6.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (jg_evaluation_get_sample (ev, 6)->metrics.iou, 1.0, 1e-9);
  g_assert_cmpfloat (jg_evaluation_get_sample (ev, 7)->metrics.iou, ==, 0.0);
  g_assert_true (isnan (jg_evaluation_get_sample (ev, 7)->metrics.offset));

  s = jg_evaluation_get_summary (ev, JG_TASK_DUAL_SOURCE);
  g_assert_cmpuint (s->n_unparsed, ==, 1);
  g_assert_cmpuint (s->correct.count, ==, 4);
  g_assert_cmpfloat (s->correct.mean, ==, 0.5);
  g_assert_cmpuint (s->correct_male.count, ==, 2);
  g_assert_cmpfloat (s->correct_male.mean, ==, 0.5);
  g_assert_cmpuint (s->correct_female.count, ==, 2);
  g_assert_cmpfloat (s->correct_female.mean, ==, 0.5);
  s = jg_evaluation_get_summary (ev, JG_TASK_SINGLE_SOURCE);
  g_assert_cmpfloat (s->correct.mean, ==, 1.0);
  g_assert_cmpuint (s->correct_male.count + s->correct_female.count, ==, 0);
  g_assert_null (jg_evaluation_get_summary (ev, JG_TASK_STARSS23));

  /* The summary JSON carries the same numbers, NANs as null. */
  {
    g_autoptr(JsonNode) root = jg_evaluation_summary_to_json (ev, &o);
    JsonObject *tasks = json_object_get_object_member (json_node_get_object (root), "tasks");
    JsonObject *g = json_object_get_object_member (tasks, "visual_grounding");
    JsonObject *d = json_object_get_object_member (tasks, "dual_source");
    g_assert_cmpint (json_object_get_int_member (g, "unparsed"), ==, 1);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (json_object_get_object_member (g, "iou"), "median"),
                                    1.0 / 6.0, 1e-9);
    g_assert_cmpfloat (json_object_get_double_member (
        json_object_get_object_member (json_object_get_object_member (d, "by_gender"), "female"), "mean"), ==, 0.5);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (tasks, "spatial_doa"), "missing"), ==, 1);
  }

  /* Per-sample report, CSV and JSON. */
  {
    g_autofree char *csv = g_build_filename (tmpdir, "per-sample.csv", NULL);
    g_autofree char *js = g_build_filename (tmpdir, "per-sample.json", NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonArray *arr;

    g_assert_true (jg_export_evaluation_report (ev, csv, &error));
    g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
    lines = g_strsplit (text, "\n", -1);
    g_assert_true (g_str_has_prefix (lines[0], "path,task,gender,gt_text,pred_text,predicted,parsed,error,"));
    g_assert_cmpstr (lines[1], ==, "/path/to/hm3d/test/00800-X/task1_00000,spatial_doa,male,"
                                   "azimuth: 179; elevation: 0,azimuth: -179; elevation: 0,1,1,2,2,2,0,,,");
    /* A multi-line answer is quoted: 13 rows take 14 + 2 lines. */
    g_assert_cmpuint (g_strv_length (lines), ==, 1 + 13 + 2 + 1);
    g_assert_true (jg_export_evaluation_report (ev, js, &error));
    g_assert_true (json_parser_load_from_file (parser, js, &error));
    arr = json_node_get_array (json_parser_get_root (parser));
    g_assert_cmpuint (json_array_get_length (arr), ==, 13);
    g_assert_true (json_object_get_null_member (json_array_get_object_element (arr, 3), "pred_text"));
    g_assert_false (json_object_get_boolean_member (json_array_get_object_element (arr, 3), "predicted"));
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (json_array_get_object_element (arr, 5), "iou"),
                                    1.0 / 6.0, 1e-6);
    g_unlink (csv);
    g_unlink (js);
  }
}

/* ---- the real manifests ---- */

static const char *const real_files[] = {
  "hm3d_av_v2_ls_task1_test.json", "hm3d_av_v2_ls_task1_val.json",
  "hm3d_av_v2_ls_task2_test.json", "hm3d_av_v2_ls_task2_val.json",
  "hm3d_av_v2_task1_test.json", "hm3d_av_v2_task1_val.json",
  "hm3d_av_v2_task2_test.json", "hm3d_av_v2_task2_val.json",
  "starss23_test.json",
  "visual_grounding_hm3d_av_v2_speaker_only_test.json",
  "visual_grounding_hm3d_av_v2_speaker_only_val.json",
};

static JgManifest *
load_real (const char *file)
{
  g_autofree char *path = g_build_filename (g_getenv ("JAEGER_MANIFESTS"), file, NULL);
  g_autoptr(GError) error = NULL;
  JgManifest *m = jg_manifest_load (path, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (jg_manifest_get_n_problems (m), ==, 0);
  return m;
}

/* What a perfect model's answer looks like in the reference scripts'
 * output: DoA with the forced "azimuth: " already in the text, boxes in
 * truncated centimetres right after the forced "bbox_0=Bbox(speaker,". */
static char *
reference_output (const JgManifestEntry *e)
{
  if (e->task == JG_TASK_VISUAL_GROUNDING)
    {
      g_autofree char *cm = jg_answer_format (e->answer, JG_UNITS_CENTIMETRES);
      const char *prefix = "bbox_0=Bbox(speaker, ";
      g_assert_true (g_str_has_prefix (cm, prefix));
      return g_strconcat ("bbox_0=Bbox(speaker,", cm + strlen (prefix), NULL);
    }
  return g_strdup (e->text);
}

/* The reference writers' file for the manifest's task family. */
static char *
reference_file (JgManifest *m)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  JgTask task = jg_manifest_get_entry (m, 0)->task;
  gboolean audio = task == JG_TASK_SPATIAL_DOA || task == JG_TASK_MULTI_SPATIAL_DOA || task == JG_TASK_STARSS23;

  if (audio)
    {
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "config");
      json_builder_begin_object (b);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "details");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, jg_task_to_string (task));
    }
  json_builder_begin_array (b);
  for (guint i = 0; i < jg_manifest_get_n_entries (m); i++)
    {
      const JgManifestEntry *e = jg_manifest_get_entry (m, i);
      g_autofree char *out = reference_output (e);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "path");
      json_builder_add_string_value (b, e->original_path);
      if (audio)
        {
          json_builder_set_member_name (b, "gt_az");
          json_builder_add_double_value (b, e->answer->az_deg);
          json_builder_set_member_name (b, "gt_el");
          json_builder_add_double_value (b, e->answer->el_deg);
          json_builder_set_member_name (b, "raw_output");
        }
      else
        {
          json_builder_set_member_name (b, "task");
          json_builder_add_string_value (b, jg_task_to_string (task));
          json_builder_set_member_name (b, task == JG_TASK_VISUAL_GROUNDING ? "text" : "gt_text");
          json_builder_add_string_value (b, e->text);
          json_builder_set_member_name (b, "pred_text");
        }
      json_builder_add_string_value (b, out);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (audio)
    {
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  root = json_builder_get_root (b);
  return json_to_string (root, TRUE);
}

static void
test_real_manifests_score (void)
{
  for (guint f = 0; f < G_N_ELEMENTS (real_files); f++)
    {
      g_autoptr(JgManifest) m = load_real (real_files[f]);
      g_autoptr(JgPredictionSet) p = jg_prediction_set_new ();
      g_autofree char *file = reference_file (m);
      g_autoptr(GError) error = NULL;
      g_autoptr(JgEvaluation) ev = NULL;
      JgEvalOptions o;
      JgTask task = jg_manifest_get_entry (m, 0)->task;
      const JgEvalTaskSummary *s;
      guint n = jg_manifest_get_n_entries (m);

      g_assert_true (jg_prediction_set_add_data (p, file, -1, real_files[f], &error));
      g_assert_no_error (error);
      g_assert_cmpuint (jg_prediction_set_get_n (p), ==, n);
      jg_eval_options_init (&o);
      o.n_resamples = 50;
      ev = jg_evaluation_new (&m, 1, p, &o);
      s = jg_evaluation_get_summary (ev, task);
      g_test_message ("%s: %u entries", real_files[f], n);
      g_assert_cmpuint (jg_evaluation_get_n_unmatched (ev), ==, 0);
      g_assert_cmpuint (s->n_predicted, ==, n);
      g_assert_cmpuint (s->n_unparsed, ==, 0);
      g_assert_cmpuint (s->n_scored, ==, n);
      switch (task)
        {
        case JG_TASK_SPATIAL_DOA:
        case JG_TASK_MULTI_SPATIAL_DOA:
        case JG_TASK_STARSS23:
          g_assert_cmpfloat (s->angle.mean, ==, 0.0);
          g_assert_cmpfloat (s->az.mean, ==, 0.0);
          break;
        case JG_TASK_VISUAL_GROUNDING:
          {
            double min_iou = 1.0, max_off = 0.0;
            g_assert_cmpuint (s->n_matched_boxes, ==, s->n_gt_boxes);
            g_assert_cmpuint (s->n_gt_boxes, >, n);   /* some scenes have several */
            for (guint i = 0; i < n; i++)
              {
                const JgEvalSample *e = jg_evaluation_get_sample (ev, i);
                min_iou = MIN (min_iou, e->metrics.iou);
                max_off = MAX (max_off, e->metrics.offset);
              }
            /* Truncation to centimetres moves each centre coordinate by
             * under 1 cm: offsets stay below sqrt(3) cm. */
            g_test_message ("  IoU mean %.4f min %.4f, offset max %.4f m", s->iou.mean, min_iou, max_off);
            g_assert_cmpfloat (max_off, <, sqrt (3.0) * 0.01 + 1e-9);
            g_assert_cmpfloat (min_iou, >, 0.8);
            g_assert_cmpfloat (s->iou.mean, >, 0.9);
          }
          break;
        case JG_TASK_SINGLE_SOURCE:
        case JG_TASK_DUAL_SOURCE:
          g_assert_cmpfloat (s->correct.mean, ==, 1.0);
          break;
        case JG_N_TASKS:
        default:
          g_assert_not_reached ();
        }
    }
}

/* ---- curated manifest round trip ---- */

static void
test_curated_round_trip (void)
{
  for (guint f = 0; f < G_N_ELEMENTS (real_files); f++)
    {
      g_autoptr(JgManifest) m = load_real (real_files[f]);
      g_autofree char *db = g_build_filename (tmpdir, "curate.db", NULL);
      g_autofree char *out = g_build_filename (tmpdir, "curated.json", NULL);
      g_autofree char *orig_path = g_build_filename (g_getenv ("JAEGER_MANIFESTS"), real_files[f], NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(JgStore) store = jg_store_open (db, &error);
      g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_free);
      g_autoptr(JgManifest) back = NULL;
      g_autoptr(JsonParser) orig = json_parser_new ();
      g_autoptr(JsonParser) cur = json_parser_new ();
      g_autofree JgStoreSample *samples = NULL;
      g_autofree gint64 *ids = NULL;
      JsonArray *orig_a, *cur_a;
      guint n = jg_manifest_get_n_entries (m), kept = 0;
      gint64 ds;

      g_assert_no_error (error);
      samples = g_new0 (JgStoreSample, n);
      ids = g_new0 (gint64, n);
      for (guint i = 0; i < n; i++)
        {
          const JgManifestEntry *e = jg_manifest_get_entry (m, i);
          g_ptr_array_add (entries, jg_manifest_entry_to_json (e));
          samples[i] = (JgStoreSample) { e->original_path, e->task, NULL, e->text, g_ptr_array_index (entries, i) };
        }
      ds = jg_store_ensure_dataset (store, real_files[f], orig_path, samples, n, ids, &error);
      g_assert_no_error (error);
      /* Reject every 7th sample, accept every 5th, flag every 11th. */
      for (guint i = 0; i < n; i++)
        {
          JgTag tag = i % 7 == 0 ? JG_TAG_REJECT : i % 5 == 0 ? JG_TAG_ACCEPT
                    : i % 11 == 0 ? JG_TAG_NEEDS_FIX : JG_TAG_NONE;
          if (tag != JG_TAG_NONE && i < 50)
            g_assert_true (jg_store_set_tag (store, ids[i], tag, &error));
          if (!(i % 7 == 0 && i < 50))
            kept++;
        }
      g_assert_true (jg_export_curated_manifest (store, ds, out, &error));
      g_assert_no_error (error);

      /* Through the loader: the kept entries, in order, identical. */
      back = jg_manifest_load (out, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (jg_manifest_get_n_problems (back), ==, 0);
      g_assert_cmpuint (jg_manifest_get_n_entries (back), ==, kept);
      for (guint i = 0, j = 0; i < n; i++)
        {
          const JgManifestEntry *a = jg_manifest_get_entry (m, i), *b;
          if (i % 7 == 0 && i < 50)
            continue;
          b = jg_manifest_get_entry (back, j++);
          g_assert_cmpstr (a->original_path, ==, b->original_path);
          g_assert_cmpstr (a->text, ==, b->text);
          g_assert_cmpint (a->task, ==, b->task);
          g_assert_cmpint (a->gender, ==, b->gender);
          g_assert_cmpuint (a->num_speakers, ==, b->num_speakers);
          g_assert_cmpstr (a->target_label, ==, b->target_label);
          g_assert_cmpuint (a->obj_category ? g_strv_length (a->obj_category) : 0, ==,
                            b->obj_category ? g_strv_length (b->obj_category) : 0);
        }

      /* And as JSON: each kept entry equals the released one, member for
       * member, spelling of "gender" included. */
      g_assert_true (json_parser_load_from_file (orig, orig_path, &error));
      g_assert_true (json_parser_load_from_file (cur, out, &error));
      orig_a = json_object_get_array_member (json_node_get_object (json_parser_get_root (orig)), "annotation");
      cur_a = json_object_get_array_member (json_node_get_object (json_parser_get_root (cur)), "annotation");
      g_assert_cmpuint (json_array_get_length (cur_a), ==, kept);
      for (guint i = 0, j = 0; i < n; i++)
        {
          if (i % 7 == 0 && i < 50)
            continue;
          g_assert_true (json_node_equal (json_array_get_element (orig_a, i), json_array_get_element (cur_a, j++)));
        }
      g_clear_pointer (&store, jg_store_free);
      {
        g_autofree char *wal = g_strconcat (db, "-wal", NULL);
        g_autofree char *shm = g_strconcat (db, "-shm", NULL);
        g_unlink (db);
        g_unlink (wal);
        g_unlink (shm);
        g_unlink (out);
      }
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("jg-eval-XXXXXX", &error);
  g_assert_no_error (error);
  g_test_add_func ("/eval/hand-made", test_hand_made);
  g_test_add_func ("/eval/real-manifests-score", test_real_manifests_score);
  g_test_add_func ("/eval/curated-round-trip", test_curated_round_trip);
  rc = g_test_run ();
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return rc;
}
