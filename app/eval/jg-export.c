/* jg-export.c: see jg-export.h. */
#include "eval/jg-export.h"
#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <math.h>
#include <string.h>

static gboolean
is_doa (JgTask task)
{
  return task == JG_TASK_SPATIAL_DOA || task == JG_TASK_MULTI_SPATIAL_DOA || task == JG_TASK_STARSS23;
}

char *
jg_manifest_entry_to_json (const JgManifestEntry *e)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "path");
  json_builder_add_string_value (b, e->original_path);
  if (e->num_speakers > 0)
    {
      json_builder_set_member_name (b, "num_speakers");
      json_builder_add_int_value (b, e->num_speakers);
    }
  if (e->target_label != NULL)
    {
      json_builder_set_member_name (b, "target_label");
      json_builder_add_string_value (b, e->target_label);
    }
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, e->text);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, jg_task_to_string (e->task));
  if (e->gender != JG_GENDER_NONE)
    {
      /* The release spells it "M"/"F" beside DoA answers, "male"/"female"
       * in dual_source questions. */
      gboolean male = e->gender == JG_GENDER_MALE;
      json_builder_set_member_name (b, "gender");
      json_builder_add_string_value (b, is_doa (e->task) ? (male ? "M" : "F")
                                                         : (male ? "male" : "female"));
    }
  if (e->obj_category != NULL)
    {
      json_builder_set_member_name (b, "obj_category");
      json_builder_begin_array (b);
      for (char **c = e->obj_category; *c; c++)
        json_builder_add_string_value (b, *c);
      json_builder_end_array (b);
    }
  if (e->hfov_deg > 0)
    {
      json_builder_set_member_name (b, "hfov");
      json_builder_add_double_value (b, e->hfov_deg);
      json_builder_set_member_name (b, "vfov");
      json_builder_add_double_value (b, e->vfov_deg);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return json_to_string (root, FALSE);
}

gboolean
jg_export_manifest (const char *filename, GPtrArray *entries, GError **error)
{
  g_autoptr(GString) s = g_string_new ("{\"annotation\": [");

  for (guint i = 0; i < entries->len; i++)
    {
      g_string_append (s, i ? ",\n  " : "\n  ");
      g_string_append (s, g_ptr_array_index (entries, i));
    }
  g_string_append (s, "\n]}\n");
  return jg_file_write_atomic (filename, s->str, s->len, error);
}

gboolean
jg_export_curated_manifest (JgStore *store, gint64 dataset_id, const char *filename,
                            GError **error)
{
  g_autoptr(GPtrArray) entries = jg_store_curated_entries (store, dataset_id, error);

  if (entries == NULL)
    return FALSE;
  return jg_export_manifest (filename, entries, error);
}

/* ---- per-sample reports ---- */

typedef struct {
  const char *path, *task, *gender, *gt_text, *pred_text;
  gboolean has_prediction;
  const JgSampleMetrics *m;
  const char *pred_text_b;
  const JgSampleMetrics *m_b;
  const char *tag, *note;
  gint64 sample_id;      /* store rows: the id `jaeger curate --sample` takes */
} ReportRow;

static const char *const columns[] = {
  "path", "task", "gender", "gt_text", "pred_text", "predicted", "parsed", "error",
  "angle_deg", "azimuth_error_deg", "elevation_error_deg", "iou", "center_offset_m", "correct",
};

typedef struct {
  gboolean csv;
  gboolean with_b, with_curation;
  GString *out;
  JsonBuilder *json;
} Report;

static void
csv_field (GString *out, const char *s)
{
  if (s == NULL)
    return;
  if (strpbrk (s, ",\"\n\r") == NULL)
    {
      g_string_append (out, s);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = s; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
csv_number (GString *out, double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isnan (v))
    g_string_append (out, g_ascii_formatd (buf, sizeof buf, "%.6g", v));
}

static void
json_number (JsonBuilder *b, const char *name, double v)
{
  json_builder_set_member_name (b, name);
  if (isnan (v))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, v);
}

static void
json_string (JsonBuilder *b, const char *name, const char *s)
{
  json_builder_set_member_name (b, name);
  if (s == NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, s);
}

static void
report_begin (Report *r)
{
  if (r->csv)
    {
      for (guint i = 0; i < G_N_ELEMENTS (columns); i++)
        g_string_append_printf (r->out, "%s%s", i ? "," : "", columns[i]);
      if (r->with_b)
        g_string_append (r->out, ",pred_text_b,error_b");
      if (r->with_curation)
        g_string_append (r->out, ",tag,note,sample_id");
      g_string_append_c (r->out, '\n');
    }
  else
    json_builder_begin_array (r->json);
}

static void
report_row (Report *r, const ReportRow *row)
{
  const JgSampleMetrics *m = row->m;
  double correct = m->correct < 0 ? NAN : m->correct;

  if (r->csv)
    {
      GString *o = r->out;
      const char *texts[] = { row->path, row->task, row->gender, row->gt_text, row->pred_text };
      double nums[] = { m->error, m->angle, m->az, m->el, m->iou, m->offset, correct };

      for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
        {
          csv_field (o, texts[i]);
          g_string_append_c (o, ',');
        }
      g_string_append (o, row->has_prediction ? "1," : "0,");
      g_string_append (o, m->parsed ? "1" : "0");
      for (guint i = 0; i < G_N_ELEMENTS (nums); i++)
        {
          g_string_append_c (o, ',');
          csv_number (o, nums[i]);
        }
      if (r->with_b)
        {
          g_string_append_c (o, ',');
          csv_field (o, row->pred_text_b);
          g_string_append_c (o, ',');
          csv_number (o, row->m_b->error);
        }
      if (r->with_curation)
        {
          g_string_append_c (o, ',');
          csv_field (o, row->tag);
          g_string_append_c (o, ',');
          csv_field (o, row->note);
          g_string_append_printf (o, ",%" G_GINT64_FORMAT, row->sample_id);
        }
      g_string_append_c (o, '\n');
      return;
    }

  json_builder_begin_object (r->json);
  json_string (r->json, "path", row->path);
  json_string (r->json, "task", row->task);
  json_string (r->json, "gender", row->gender);
  json_string (r->json, "gt_text", row->gt_text);
  json_string (r->json, "pred_text", row->pred_text);
  json_builder_set_member_name (r->json, "predicted");
  json_builder_add_boolean_value (r->json, row->has_prediction);
  json_builder_set_member_name (r->json, "parsed");
  json_builder_add_boolean_value (r->json, m->parsed);
  json_number (r->json, "error", m->error);
  json_number (r->json, "angle_deg", m->angle);
  json_number (r->json, "azimuth_error_deg", m->az);
  json_number (r->json, "elevation_error_deg", m->el);
  json_number (r->json, "iou", m->iou);
  json_number (r->json, "center_offset_m", m->offset);
  json_builder_set_member_name (r->json, "correct");
  if (m->correct < 0)
    json_builder_add_null_value (r->json);
  else
    json_builder_add_boolean_value (r->json, m->correct == 1);
  if (r->with_b)
    {
      json_string (r->json, "pred_text_b", row->pred_text_b);
      json_number (r->json, "error_b", row->m_b->error);
    }
  if (r->with_curation)
    {
      json_string (r->json, "tag", row->tag);
      json_string (r->json, "note", row->note);
      json_builder_set_member_name (r->json, "sample_id");
      json_builder_add_int_value (r->json, row->sample_id);
    }
  json_builder_end_object (r->json);
}

static gboolean
report_finish (Report *r, const char *filename, GError **error)
{
  if (!r->csv)
    {
      g_autoptr(JsonNode) root = NULL;
      g_autoptr(JsonGenerator) gen = json_generator_new ();
      gsize len;
      g_autofree char *text = NULL;

      json_builder_end_array (r->json);
      root = json_builder_get_root (r->json);
      json_generator_set_root (gen, root);
      json_generator_set_pretty (gen, TRUE);
      text = json_generator_to_data (gen, &len);
      return jg_file_write_atomic (filename, text, len, error);
    }
  return jg_file_write_atomic (filename, r->out->str, r->out->len, error);
}

static void
report_init (Report *r, const char *filename, gboolean with_b, gboolean with_curation)
{
  r->csv = g_str_has_suffix (filename, ".csv") || g_str_has_suffix (filename, ".CSV");
  r->with_b = with_b;
  r->with_curation = with_curation;
  r->out = g_string_new (NULL);
  r->json = json_builder_new ();
}

static void
report_clear (Report *r)
{
  g_string_free (r->out, TRUE);
  g_object_unref (r->json);
}

gboolean
jg_export_evaluation_report (JgEvaluation *evaluation, const char *filename, GError **error)
{
  Report r;
  gboolean ok;

  report_init (&r, filename, FALSE, FALSE);
  report_begin (&r);
  for (guint i = 0; i < jg_evaluation_get_n_samples (evaluation); i++)
    {
      const JgEvalSample *s = jg_evaluation_get_sample (evaluation, i);
      const JgManifestEntry *e = s->entry;
      ReportRow row = {
        e->original_path, jg_task_to_string (e->task),
        e->gender == JG_GENDER_NONE ? NULL : jg_gender_to_string (e->gender),
        e->text, s->prediction ? s->prediction->pred_text : NULL, s->prediction != NULL,
        &s->metrics, NULL, NULL, NULL, NULL, 0,
      };
      report_row (&r, &row);
    }
  ok = report_finish (&r, filename, error);
  report_clear (&r);
  return ok;
}

gboolean
jg_export_rows_report (const JgStoreRows *rows, gboolean with_b, const char *filename,
                       GError **error)
{
  Report r;
  gboolean ok;

  report_init (&r, filename, with_b, TRUE);
  report_begin (&r);
  for (guint i = 0; i < jg_store_rows_get_n (rows); i++)
    {
      const JgStoreRow *s = jg_store_rows_get (rows, i);
      ReportRow row = {
        s->path, jg_task_to_string (s->task), s->gender, s->gt_text, s->pred_text[0],
        s->has_prediction[0], &s->metrics[0], s->pred_text[1], &s->metrics[1],
        s->tag == JG_TAG_NONE ? NULL : jg_tag_to_string (s->tag), s->note, s->sample_id,
      };
      report_row (&r, &row);
    }
  ok = report_finish (&r, filename, error);
  report_clear (&r);
  return ok;
}

/* ---- summary ---- */

static void
add_stat (JsonBuilder *b, const char *name, const JgEvalStat *s, gboolean with_median)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "count");
  json_builder_add_int_value (b, s->count);
  json_number (b, "mean", s->mean);
  if (with_median)
    json_number (b, "median", s->median);
  json_builder_set_member_name (b, "mean_ci");
  json_builder_begin_array (b);
  json_builder_add_double_value (b, s->ci.mean_lo);
  json_builder_add_double_value (b, s->ci.mean_hi);
  json_builder_end_array (b);
  if (with_median)
    {
      json_builder_set_member_name (b, "median_ci");
      json_builder_begin_array (b);
      json_builder_add_double_value (b, s->ci.median_lo);
      json_builder_add_double_value (b, s->ci.median_hi);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
}

/* NANs (no values, or no resamples) are not JSON: null instead. */
static void
nan_to_null (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (o);
      for (GList *l = members; l; l = l->next)
        nan_to_null (json_object_get_member (o, l->data));
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      for (guint i = 0; i < json_array_get_length (a); i++)
        nan_to_null (json_array_get_element (a, i));
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE
           && !isfinite (json_node_get_double (node)))
    json_node_init_null (node);
}

JsonNode *
jg_evaluation_summary_to_json (JgEvaluation *ev, const JgEvalOptions *options)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  JsonNode *root;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "bootstrap");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "resamples");
  json_builder_add_int_value (b, options->n_resamples);
  json_builder_set_member_name (b, "level");
  json_builder_add_double_value (b, options->level);
  json_builder_set_member_name (b, "seed");
  json_builder_add_int_value (b, (gint64) options->seed);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "unmatched_predictions");
  json_builder_add_int_value (b, jg_evaluation_get_n_unmatched (ev));
  json_builder_set_member_name (b, "duplicate_predictions");
  json_builder_add_int_value (b, jg_evaluation_get_n_duplicates (ev));

  json_builder_set_member_name (b, "tasks");
  json_builder_begin_object (b);
  for (int t = 0; t < JG_N_TASKS; t++)
    {
      const JgEvalTaskSummary *s = jg_evaluation_get_summary (ev, (JgTask) t);

      if (s == NULL)
        continue;
      json_builder_set_member_name (b, jg_task_to_string (s->task));
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "samples");
      json_builder_add_int_value (b, s->n_samples);
      json_builder_set_member_name (b, "predicted");
      json_builder_add_int_value (b, s->n_predicted);
      json_builder_set_member_name (b, "missing");
      json_builder_add_int_value (b, s->n_samples - s->n_predicted);
      json_builder_set_member_name (b, "unparsed");
      json_builder_add_int_value (b, s->n_unparsed);
      json_builder_set_member_name (b, "scored");
      json_builder_add_int_value (b, s->n_scored);
      switch (s->task)
        {
        case JG_TASK_SPATIAL_DOA:
        case JG_TASK_MULTI_SPATIAL_DOA:
        case JG_TASK_STARSS23:
          add_stat (b, "angular_error_deg", &s->angle, TRUE);
          add_stat (b, "azimuth_error_deg", &s->az, TRUE);
          add_stat (b, "elevation_error_deg", &s->el, TRUE);
          break;
        case JG_TASK_VISUAL_GROUNDING:
          json_builder_set_member_name (b, "gt_boxes");
          json_builder_add_int_value (b, s->n_gt_boxes);
          json_builder_set_member_name (b, "matched_boxes");
          json_builder_add_int_value (b, s->n_matched_boxes);
          add_stat (b, "iou", &s->iou, TRUE);
          add_stat (b, "center_offset_m", &s->offset, TRUE);
          break;
        case JG_TASK_SINGLE_SOURCE:
        case JG_TASK_DUAL_SOURCE:
          add_stat (b, "accuracy", &s->correct, FALSE);
          if (s->correct_male.count + s->correct_female.count > 0)
            {
              json_builder_set_member_name (b, "by_gender");
              json_builder_begin_object (b);
              add_stat (b, "male", &s->correct_male, FALSE);
              add_stat (b, "female", &s->correct_female, FALSE);
              json_builder_end_object (b);
            }
          break;
        case JG_N_TASKS:
        default:
          break;
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  nan_to_null (root);
  return root;
}
