/* jg-eval.c: see jg-eval.h. */
#include "eval/jg-eval.h"

#include <math.h>
#include <string.h>

struct _JgEvaluation {
  GArray *samples;                 /* JgEvalSample, manifest order */
  JgEvalTaskSummary summaries[JG_N_TASKS];
  gboolean present[JG_N_TASKS];
  GPtrArray *unmatched;            /* const JgPrediction * */
  guint n_duplicates;
};

void
jg_eval_options_init (JgEvalOptions *options)
{
  options->n_resamples = 1000;
  options->level = 0.95;
  options->seed = 0;
}

void
jg_evaluation_free (JgEvaluation *evaluation)
{
  if (evaluation == NULL)
    return;
  g_array_unref (evaluation->samples);
  g_ptr_array_unref (evaluation->unmatched);
  g_free (evaluation);
}

guint
jg_evaluation_get_n_samples (JgEvaluation *evaluation)
{
  return evaluation->samples->len;
}

const JgEvalSample *
jg_evaluation_get_sample (JgEvaluation *evaluation, guint i)
{
  g_return_val_if_fail (i < evaluation->samples->len, NULL);
  return &g_array_index (evaluation->samples, JgEvalSample, i);
}

const JgEvalTaskSummary *
jg_evaluation_get_summary (JgEvaluation *evaluation, JgTask task)
{
  g_return_val_if_fail (task >= 0 && task < JG_N_TASKS, NULL);
  return evaluation->present[task] ? &evaluation->summaries[task] : NULL;
}

guint
jg_evaluation_get_n_unmatched (JgEvaluation *evaluation)
{
  return evaluation->unmatched->len;
}

guint
jg_evaluation_get_n_duplicates (JgEvaluation *evaluation)
{
  return evaluation->n_duplicates;
}

const JgPrediction *
jg_evaluation_get_unmatched (JgEvaluation *evaluation, guint i)
{
  g_return_val_if_fail (i < evaluation->unmatched->len, NULL);
  return g_ptr_array_index (evaluation->unmatched, i);
}

/* The last two components of @path ("00800-X/task1_00000"), which stay the
 * same whatever root the data was moved under. */
static const char *
path_tail (const char *path, gsize *len)
{
  gsize n = strlen (path);
  int seen = 0;
  gsize i;

  while (n > 1 && path[n - 1] == '/')
    n--;
  for (i = n; i > 0; i--)
    if (path[i - 1] == '/' && ++seen == 2)
      break;
  *len = n - i;
  return path + i;
}

static char *
make_key (GStringChunk *chunk, JgTask task, const char *s, gsize len)
{
  char head[8];
  GString *key;
  char *out;

  g_snprintf (head, sizeof head, "%d\x1f", (int) task);
  key = g_string_new (head);
  g_string_append_len (key, s, (gssize) len);
  out = g_string_chunk_insert_len (chunk, key->str, (gssize) key->len);
  g_string_free (key, TRUE);
  return out;
}

typedef struct {
  JgStats *angle, *az, *el, *iou, *offset, *correct, *male, *female;
} TaskStats;

static void
score_sample (JgEvalSample *s, JgEvalTaskSummary *sum, TaskStats *ts,
              GArray *ious, GArray *offsets)
{
  const JgManifestEntry *e = s->entry;
  const JgPrediction *p = s->prediction;
  g_autoptr(JgAnswer) a = jg_answer_parse (e->task, p->pred_text, p->units);
  JgSampleMetrics *m = &s->metrics;

  m->parsed = a->kind != JG_ANSWER_UNPARSED;
  if (!m->parsed)
    sum->n_unparsed++;

  switch (e->task)
    {
    case JG_TASK_SPATIAL_DOA:
    case JG_TASK_MULTI_SPATIAL_DOA:
    case JG_TASK_STARSS23:
      if (!m->parsed)
        return;
      m->angle = jg_doa_angular_error (e->answer->az_deg, e->answer->el_deg, a->az_deg, a->el_deg);
      m->az = jg_azimuth_error (e->answer->az_deg, a->az_deg);
      m->el = jg_elevation_error (e->answer->el_deg, a->el_deg);
      m->error = m->angle;
      jg_stats_add (ts->angle, m->angle);
      jg_stats_add (ts->az, m->az);
      jg_stats_add (ts->el, m->el);
      sum->n_scored++;
      break;

    case JG_TASK_VISUAL_GROUNDING:
      {
        JgGroundingScore g;

        g_array_set_size (ious, 0);
        g_array_set_size (offsets, 0);
        jg_grounding_score (e->answer->boxes, m->parsed ? a->boxes : NULL, &g, ious, offsets);
        for (guint i = 0; i < ious->len; i++)
          jg_stats_add (ts->iou, g_array_index (ious, double, i));
        for (guint i = 0; i < offsets->len; i++)
          jg_stats_add (ts->offset, g_array_index (offsets, double, i));
        sum->n_gt_boxes += g.n_gt;
        sum->n_matched_boxes += g.n_matched;
        m->iou = g.n_gt > 0 ? g.iou_sum / g.n_gt : NAN;
        m->offset = g.n_matched > 0 ? g.offset_sum / g.n_matched : NAN;
        m->error = 1.0 - m->iou;
        sum->n_scored++;
      }
      break;

    case JG_TASK_SINGLE_SOURCE:
    case JG_TASK_DUAL_SOURCE:
      m->correct = m->parsed && a->side == e->answer->side ? 1 : 0;
      m->error = 1.0 - m->correct;
      jg_stats_add (ts->correct, m->correct);
      if (e->gender == JG_GENDER_MALE)
        jg_stats_add (ts->male, m->correct);
      else if (e->gender == JG_GENDER_FEMALE)
        jg_stats_add (ts->female, m->correct);
      sum->n_scored++;
      break;

    case JG_N_TASKS:
    default:
      break;
    }
}

static void
fill_stat (JgEvalStat *out, JgStats *stats, const JgEvalOptions *o, guint64 stream)
{
  out->count = jg_stats_get_count (stats);
  out->mean = jg_stats_mean (stats);
  out->median = jg_stats_median (stats);
  /* One generator stream per statistic, so adding a task or metric does not
   * change the intervals of the others. */
  jg_stats_bootstrap (stats, o->n_resamples, o->level, o->seed * 1000003u + stream, &out->ci);
}

JgEvaluation *
jg_evaluation_new (JgManifest *const *manifests, guint n_manifests,
                   JgPredictionSet *predictions, const JgEvalOptions *options)
{
  JgEvaluation *ev = g_new0 (JgEvaluation, 1);
  guint n = 0;
  JgEvalOptions defaults;
  g_autoptr(GHashTable) by_path = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) by_tail = g_hash_table_new (g_str_hash, g_str_equal);
  GStringChunk *keys = g_string_chunk_new (256 * 1024);
  g_autoptr(GArray) ious = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) offsets = g_array_new (FALSE, FALSE, sizeof (double));
  TaskStats ts[JG_N_TASKS];
  JgEvalOptions no_ci;

  if (options == NULL)
    {
      jg_eval_options_init (&defaults);
      options = &defaults;
    }
  no_ci = *options;
  no_ci.n_resamples = 0;
  for (guint m = 0; m < n_manifests; m++)
    n += jg_manifest_get_n_entries (manifests[m]);
  ev->samples = g_array_sized_new (FALSE, TRUE, sizeof (JgEvalSample), n);
  ev->unmatched = g_ptr_array_new ();

  for (guint m = 0, i = 0; m < n_manifests; m++)
    for (guint k = 0; k < jg_manifest_get_n_entries (manifests[m]); k++, i++)
      {
        const JgManifestEntry *e = jg_manifest_get_entry (manifests[m], k);
        JgEvalSample s = { e, NULL, { FALSE, NAN, NAN, NAN, NAN, NAN, NAN, -1 } };
        gpointer idx = GUINT_TO_POINTER (i + 1);
        const char *tail;
        gsize tail_len;
        char *key;

        g_array_append_val (ev->samples, s);
        ev->present[e->task] = TRUE;
        ev->summaries[e->task].n_samples++;
        g_hash_table_insert (by_path, make_key (keys, e->task, e->original_path, strlen (e->original_path)), idx);
        if (strcmp (e->path, e->original_path) != 0)
          g_hash_table_insert (by_path, make_key (keys, e->task, e->path, strlen (e->path)), idx);
        tail = path_tail (e->original_path, &tail_len);
        key = make_key (keys, e->task, tail, tail_len);
        /* Two entries with one tail: only full paths can tell them apart. */
        g_hash_table_insert (by_tail, key, g_hash_table_contains (by_tail, key) ? NULL : idx);
      }

  for (guint i = 0; i < jg_prediction_set_get_n (predictions); i++)
    {
      const JgPrediction *p = jg_prediction_set_get (predictions, i);
      g_autofree char *full = g_strdup_printf ("%d\x1f%s", (int) p->task, p->path);
      guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (by_path, full));
      JgEvalSample *s;

      if (idx == 0)
        {
          gsize tail_len;
          const char *tail = path_tail (p->path, &tail_len);
          g_autofree char *tkey = g_strdup_printf ("%d\x1f%.*s", (int) p->task, (int) tail_len, tail);
          idx = GPOINTER_TO_UINT (g_hash_table_lookup (by_tail, tkey));
        }
      if (idx == 0)
        {
          g_ptr_array_add (ev->unmatched, (gpointer) p);
          continue;
        }
      s = &g_array_index (ev->samples, JgEvalSample, idx - 1);
      if (s->prediction != NULL)
        {
          ev->n_duplicates++;
          continue;
        }
      s->prediction = p;
    }
  g_string_chunk_free (keys);

  for (int t = 0; t < JG_N_TASKS; t++)
    {
      ts[t].angle = jg_stats_new ();
      ts[t].az = jg_stats_new ();
      ts[t].el = jg_stats_new ();
      ts[t].iou = jg_stats_new ();
      ts[t].offset = jg_stats_new ();
      ts[t].correct = jg_stats_new ();
      ts[t].male = jg_stats_new ();
      ts[t].female = jg_stats_new ();
      ev->summaries[t].task = (JgTask) t;
    }
  for (guint i = 0; i < n; i++)
    {
      JgEvalSample *s = &g_array_index (ev->samples, JgEvalSample, i);
      JgTask task = s->entry->task;

      if (s->prediction == NULL)
        continue;
      ev->summaries[task].n_predicted++;
      score_sample (s, &ev->summaries[task], &ts[task], ious, offsets);
    }
  for (int t = 0; t < JG_N_TASKS; t++)
    {
      JgEvalTaskSummary *sum = &ev->summaries[t];
      guint64 base = (guint64) t * 16;

      fill_stat (&sum->angle, ts[t].angle, options, base + 0);
      /* Azimuth and elevation errors explain the angle; the paper reports
       * no intervals for them, and skipping theirs halves the DoA cost. */
      fill_stat (&sum->az, ts[t].az, &no_ci, base + 1);
      fill_stat (&sum->el, ts[t].el, &no_ci, base + 2);
      fill_stat (&sum->iou, ts[t].iou, options, base + 3);
      fill_stat (&sum->offset, ts[t].offset, options, base + 4);
      fill_stat (&sum->correct, ts[t].correct, options, base + 5);
      fill_stat (&sum->correct_male, ts[t].male, options, base + 6);
      fill_stat (&sum->correct_female, ts[t].female, options, base + 7);
      jg_stats_free (ts[t].angle);
      jg_stats_free (ts[t].az);
      jg_stats_free (ts[t].el);
      jg_stats_free (ts[t].iou);
      jg_stats_free (ts[t].offset);
      jg_stats_free (ts[t].correct);
      jg_stats_free (ts[t].male);
      jg_stats_free (ts[t].female);
    }
  return ev;
}
