/* `jaeger eval` (score predictions against manifests) and `jaeger curate`
 * (the results store: list, tag, note, undo, export). */
#include "cli/jg-cli.h"
#include "core/jg-error.h"
#include "eval/jg-eval.h"
#include "eval/jg-export.h"
#include "eval/jg-eval-store.h"
#include "store/jg-store.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- jaeger eval ---- */

static char **eval_manifests;
static char **eval_predictions;
static char *eval_root;
static gboolean eval_json;
static char *eval_per_sample;
static char *eval_store;
static char *eval_run_name;
static int eval_bootstrap = 1000;
static gint64 eval_seed;

static const GOptionEntry eval_entries[] = {
  { "manifest", 'm', 0, G_OPTION_ARG_FILENAME_ARRAY, &eval_manifests, "A manifest with the ground truth (repeatable)", "FILE" },
  { "predictions", 'p', 0, G_OPTION_ARG_FILENAME_ARRAY, &eval_predictions, "A prediction file: jaeger JSON/JSONL or the reference scripts' results (repeatable)", "FILE" },
  { "root", 'r', 0, G_OPTION_ARG_FILENAME, &eval_root, "Where the dataset lives (remaps the manifests' /path/to/ paths)", "DIR" },
  { "json", 0, 0, G_OPTION_ARG_NONE, &eval_json, "Print JSON instead of a table", NULL },
  { "per-sample", 0, 0, G_OPTION_ARG_FILENAME, &eval_per_sample, "Write per-sample results (CSV if FILE ends in .csv, else JSON)", "FILE" },
  { "store", 0, 0, G_OPTION_ARG_FILENAME, &eval_store, "Save the run and its per-sample results in this results store", "DB" },
  { "run-name", 0, 0, G_OPTION_ARG_STRING, &eval_run_name, "Name of the run in the store (default: the model, or the file name)", "NAME" },
  { "bootstrap", 0, 0, G_OPTION_ARG_INT, &eval_bootstrap, "Bootstrap resamples for the 95% intervals, 0 for none (default 1000)", "N" },
  { "seed", 0, 0, G_OPTION_ARG_INT64, &eval_seed, "Seed of the bootstrap (default 0)", "N" },
  { NULL }
};

static const JgCommand eval_cmd = {
  "eval", NULL,
  "Score predictions against manifests with the reference metrics: DoA great-circle,\n"
  "azimuth and elevation errors; grounding 3D IoU and centre offset (boxes matched by\n"
  "index); matching accuracy overall and per gender. Unparsed answers are counted;\n"
  "intervals are seeded percentile bootstraps.", NULL
};

static void
reset_eval_options (void)
{
  g_clear_pointer (&eval_manifests, g_strfreev);
  g_clear_pointer (&eval_predictions, g_strfreev);
  g_clear_pointer (&eval_root, g_free);
  g_clear_pointer (&eval_per_sample, g_free);
  g_clear_pointer (&eval_store, g_free);
  g_clear_pointer (&eval_run_name, g_free);
}

static void
print_num (double v, const char *fmt)
{
  if (isnan (v))
    printf ("%9s", "-");
  else
    printf (fmt, v);
}

static void
print_ci (double lo, double hi, const char *fmt, gboolean last)
{
  char a[32], b[32], cell[80];

  if (isnan (lo))
    g_strlcpy (cell, "-", sizeof cell);
  else
    {
      g_snprintf (a, sizeof a, fmt, lo);
      g_snprintf (b, sizeof b, fmt, hi);
      g_snprintf (cell, sizeof cell, "[%s, %s]", g_strstrip (a), g_strstrip (b));
    }
  printf (last ? "  %s" : "  %-20s", cell);
}

static void
print_stat_row (gboolean first, const JgEvalTaskSummary *s, const char *label,
                const JgEvalStat *st, double scale, const char *fmt, gboolean median)
{
  if (first)
    printf ("%-18s %7u %9u %8u %7u", jg_task_to_string (s->task), s->n_samples,
            s->n_predicted, s->n_unparsed, s->n_scored);
  else
    printf ("%-18s %7s %9s %8s %7s", "", "", "", "", "");
  printf ("  %-22s", label);
  print_num (st->mean * scale, fmt);
  if (median)
    print_num (st->median * scale, fmt);
  else
    printf ("%9s", "");
  print_ci (st->ci.mean_lo * scale, st->ci.mean_hi * scale, fmt, !median);
  if (median)
    print_ci (st->ci.median_lo * scale, st->ci.median_hi * scale, fmt, TRUE);
  printf ("\n");
}

static void
print_table (JgEvaluation *ev, const JgEvalOptions *o)
{
  printf ("%-18s %7s %9s %8s %7s  %-22s%9s%9s  %-20s  %s\n", "task", "samples", "predicted",
          "unparsed", "scored", "metric", "mean", "median", "95% CI of mean", "95% CI of median");
  for (int t = 0; t < JG_N_TASKS; t++)
    {
      const JgEvalTaskSummary *s = jg_evaluation_get_summary (ev, (JgTask) t);
      char male[48], female[48];

      if (s == NULL)
        continue;
      switch (s->task)
        {
        case JG_TASK_SPATIAL_DOA:
        case JG_TASK_MULTI_SPATIAL_DOA:
        case JG_TASK_STARSS23:
          print_stat_row (TRUE, s, "angular error (deg)", &s->angle, 1, "%9.2f", TRUE);
          print_stat_row (FALSE, s, "azimuth error (deg)", &s->az, 1, "%9.2f", TRUE);
          print_stat_row (FALSE, s, "elevation error (deg)", &s->el, 1, "%9.2f", TRUE);
          break;
        case JG_TASK_VISUAL_GROUNDING:
          print_stat_row (TRUE, s, "3D IoU", &s->iou, 1, "%9.3f", TRUE);
          print_stat_row (FALSE, s, "centre offset (m)", &s->offset, 1, "%9.3f", TRUE);
          printf ("%-18s %7s %9s %8s %7s  boxes matched by index: %u of %u\n", "", "", "", "", "",
                  s->n_matched_boxes, s->n_gt_boxes);
          break;
        case JG_TASK_SINGLE_SOURCE:
        case JG_TASK_DUAL_SOURCE:
          print_stat_row (TRUE, s, "accuracy (%)", &s->correct, 100, "%9.1f", FALSE);
          g_snprintf (male, sizeof male, "  male target (%u)", s->correct_male.count);
          g_snprintf (female, sizeof female, "  female target (%u)", s->correct_female.count);
          if (s->correct_male.count > 0)
            print_stat_row (FALSE, s, male, &s->correct_male, 100, "%9.1f", FALSE);
          if (s->correct_female.count > 0)
            print_stat_row (FALSE, s, female, &s->correct_female, 100, "%9.1f", FALSE);
          break;
        case JG_N_TASKS:
        default:
          break;
        }
    }
  if (o->n_resamples > 0)
    printf ("\nIntervals: percentile bootstrap, %u resamples, seed %" G_GUINT64_FORMAT ".\n",
            o->n_resamples, o->seed);
}

static gboolean
save_to_store (JgEvaluation *ev, JgPredictionSet *preds, GError **error)
{
  g_autoptr(JgStore) store = jg_store_open (eval_store, error);
  g_autofree char *fallback = g_path_get_basename (eval_predictions[0]);
  gint64 run;

  if (store == NULL)
    return FALSE;
  run = jg_evaluation_save_run (ev, store, (const char *const *) eval_manifests, preds, eval_run_name,
                                fallback, NULL, NULL, error);
  if (run == 0)
    return FALSE;
  fprintf (stderr, "jaeger eval: saved run %" G_GINT64_FORMAT " in %s\n", run, eval_store);
  return TRUE;
}

static int
run_eval (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) manifests = g_ptr_array_new_with_free_func ((GDestroyNotify) jg_manifest_free);
  g_autoptr(JgPredictionSet) preds = jg_prediction_set_new ();
  g_autoptr(JgEvaluation) ev = NULL;
  JgEvalOptions o;
  guint n_matched = 0;

  if (eval_manifests == NULL || eval_predictions == NULL)
    {
      jg_cli_error (&eval_cmd, "--manifest and --predictions are required (see `jaeger eval --help`)");
      return JG_EXIT_USAGE;
    }
  if (eval_bootstrap < 0)
    {
      jg_cli_error (&eval_cmd, "--bootstrap must be 0 or more");
      return JG_EXIT_USAGE;
    }
  for (char **m = eval_manifests; *m; m++)
    {
      JgManifest *man = jg_manifest_load (*m, eval_root, &error);
      guint np;

      if (man == NULL)
        {
          jg_cli_error (&eval_cmd, "%s", error->message);
          return JG_EXIT_FAILURE;
        }
      g_ptr_array_add (manifests, man);
      np = jg_manifest_get_n_problems (man);
      if (np > 0)
        {
          fprintf (stderr, "jaeger eval: %s: %u entries skipped, first: %s\n", *m, np,
                   jg_manifest_get_problem (man, 0));
        }
    }
  for (char **p = eval_predictions; *p; p++)
    if (!jg_prediction_set_add_file (preds, *p, &error))
      {
        jg_cli_error (&eval_cmd, "%s", error->message);
        return JG_EXIT_FAILURE;
      }

  jg_eval_options_init (&o);
  o.n_resamples = (guint) eval_bootstrap;
  o.seed = (guint64) eval_seed;
  ev = jg_evaluation_new ((JgManifest **) manifests->pdata, manifests->len, preds, &o);

  if (jg_prediction_set_get_n_skipped (preds) > 0)
    fprintf (stderr, "jaeger eval: %u records of tasks not scored here were skipped\n",
             jg_prediction_set_get_n_skipped (preds));
  if (jg_evaluation_get_n_unmatched (ev) > 0)
    fprintf (stderr, "jaeger eval: %u predictions match no manifest entry (first: %s %s)\n",
             jg_evaluation_get_n_unmatched (ev),
             jg_task_to_string (jg_evaluation_get_unmatched (ev, 0)->task),
             jg_evaluation_get_unmatched (ev, 0)->path);
  if (jg_evaluation_get_n_duplicates (ev) > 0)
    fprintf (stderr, "jaeger eval: %u repeated predictions ignored (the first one counts)\n",
             jg_evaluation_get_n_duplicates (ev));
  for (int t = 0; t < JG_N_TASKS; t++)
    {
      const JgEvalTaskSummary *s = jg_evaluation_get_summary (ev, (JgTask) t);
      n_matched += s ? s->n_predicted : 0;
    }
  if (n_matched == 0)
    {
      jg_cli_error (&eval_cmd, "no prediction matches an entry of the manifests (wrong files?)");
      return JG_EXIT_FAILURE;
    }

  if (eval_per_sample != NULL && !jg_export_evaluation_report (ev, eval_per_sample, &error))
    {
      jg_cli_error (&eval_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }
  if (eval_store != NULL
      && !save_to_store (ev, preds, &error))
    {
      jg_cli_error (&eval_cmd, "%s", error->message);
      return JG_EXIT_FAILURE;
    }

  if (eval_json)
    {
      g_autoptr(JsonNode) root = jg_evaluation_summary_to_json (ev, &o);
      JsonObject *obj = json_node_get_object (root);
      const JgRunInfo *ri = jg_prediction_set_get_run (preds);
      g_autoptr(JsonArray) files = json_array_new ();
      g_autoptr(JsonArray) mans = json_array_new ();
      g_autofree char *text = NULL;

      for (char **p = eval_predictions; *p; p++)
        json_array_add_string_element (files, *p);
      for (char **m = eval_manifests; *m; m++)
        json_array_add_string_element (mans, *m);
      json_object_set_array_member (obj, "manifests", g_steal_pointer (&mans));
      json_object_set_array_member (obj, "predictions", g_steal_pointer (&files));
      json_object_set_string_member (obj, "format", ri->format ? ri->format : "");
      if (ri->model)
        json_object_set_string_member (obj, "model", ri->model);
      if (ri->checkpoint)
        json_object_set_string_member (obj, "checkpoint", ri->checkpoint);
      text = json_to_string (root, TRUE);
      printf ("%s\n", text);
    }
  else
    print_table (ev, &o);
  return JG_EXIT_OK;
}

int
jg_cmd_eval (int argc, char **argv)
{
  int rc;

  if (!jg_cli_parse (&eval_cmd, eval_entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc > 1)
    {
      jg_cli_error (&eval_cmd, "unexpected argument '%s'", argv[1]);
      reset_eval_options ();
      return JG_EXIT_USAGE;
    }
  rc = run_eval ();
  reset_eval_options ();
  return rc;
}

/* ---- jaeger curate ---- */

static char *cur_store;
static gboolean cur_list;
static gint64 cur_dataset;
static gint64 cur_sample;
static char *cur_tag;
static char *cur_note;
static gboolean cur_undo, cur_redo;
static char *cur_export;
static char *cur_report;
static gint64 cur_run, cur_run_b;

static const GOptionEntry curate_entries[] = {
  { "store", 's', 0, G_OPTION_ARG_FILENAME, &cur_store, "The results store (required)", "DB" },
  { "list", 'l', 0, G_OPTION_ARG_NONE, &cur_list, "List the datasets and runs", NULL },
  { "sample", 0, 0, G_OPTION_ARG_INT64, &cur_sample, "The sample to --tag or --note", "ID" },
  { "tag", 0, 0, G_OPTION_ARG_STRING, &cur_tag, "Tag the sample: accept, reject, needs-fix or none", "TAG" },
  { "note", 0, 0, G_OPTION_ARG_STRING, &cur_note, "Set the sample's note (\"\" removes it)", "TEXT" },
  { "undo", 0, 0, G_OPTION_ARG_NONE, &cur_undo, "Undo the latest tag or note change", NULL },
  { "redo", 0, 0, G_OPTION_ARG_NONE, &cur_redo, "Redo the latest undone change", NULL },
  { "dataset", 0, 0, G_OPTION_ARG_INT64, &cur_dataset, "The dataset to --export-manifest (default: the only one)", "ID" },
  { "export-manifest", 0, 0, G_OPTION_ARG_FILENAME, &cur_export, "Write the dataset as a JAEGER manifest without the rejected samples", "FILE" },
  { "report", 0, 0, G_OPTION_ARG_FILENAME, &cur_report, "Write the per-sample report of --run (CSV if FILE ends in .csv, else JSON)", "FILE" },
  { "run", 0, 0, G_OPTION_ARG_INT64, &cur_run, "The run to --report", "ID" },
  { "run-b", 0, 0, G_OPTION_ARG_INT64, &cur_run_b, "A second run of the same dataset for the --report", "ID" },
  { NULL }
};

static const JgCommand curate_cmd = {
  "curate", NULL,
  "Review a results store from the command line: list datasets and runs, tag samples\n"
  "(accept / reject / needs-fix), write notes, undo and redo, export a curated manifest\n"
  "or a per-sample report.", NULL
};

static void
reset_curate_options (void)
{
  g_clear_pointer (&cur_store, g_free);
  g_clear_pointer (&cur_tag, g_free);
  g_clear_pointer (&cur_note, g_free);
  g_clear_pointer (&cur_export, g_free);
  g_clear_pointer (&cur_report, g_free);
}

static int
run_curate (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgStore) store = NULL;
  int actions = (cur_list != 0) + (cur_tag != NULL || cur_note != NULL) + (cur_undo != 0)
              + (cur_redo != 0) + (cur_export != NULL) + (cur_report != NULL);

  if (cur_store == NULL)
    {
      jg_cli_error (&curate_cmd, "--store is required (see `jaeger curate --help`)");
      return JG_EXIT_USAGE;
    }
  if (actions != 1)
    {
      jg_cli_error (&curate_cmd, "give one of --list, --tag/--note, --undo, --redo, --export-manifest, --report");
      return JG_EXIT_USAGE;
    }
  if ((cur_tag != NULL || cur_note != NULL) && cur_sample == 0)
    {
      jg_cli_error (&curate_cmd, "--tag and --note need --sample");
      return JG_EXIT_USAGE;
    }
  if (cur_report != NULL && cur_run == 0)
    {
      jg_cli_error (&curate_cmd, "--report needs --run");
      return JG_EXIT_USAGE;
    }
  store = jg_store_open (cur_store, &error);
  if (store == NULL)
    goto fail;

  if (cur_list)
    {
      g_autoptr(GArray) ds = jg_store_list_datasets (store, &error);
      g_autoptr(GArray) runs = NULL;

      if (ds == NULL || (runs = jg_store_list_runs (store, 0, &error)) == NULL)
        goto fail;
      for (guint i = 0; i < ds->len; i++)
        {
          const JgStoreDataset *d = &g_array_index (ds, JgStoreDataset, i);
          printf ("dataset %" G_GINT64_FORMAT ": %s (%u samples)\n", d->id, d->name, d->n_samples);
          for (guint j = 0; j < runs->len; j++)
            {
              const JgStoreRun *r = &g_array_index (runs, JgStoreRun, j);
              if (r->dataset_id == d->id)
                printf ("  run %" G_GINT64_FORMAT ": %s, %s, %u predictions%s%s\n", r->id, r->name,
                        r->date, r->n_predictions, r->checkpoint ? ", " : "",
                        r->checkpoint ? r->checkpoint : "");
            }
        }
    }
  else if (cur_tag != NULL || cur_note != NULL)
    {
      JgTag tag;

      if (cur_tag != NULL && !jg_tag_from_string (cur_tag, &tag))
        {
          jg_cli_error (&curate_cmd, "unknown tag '%s' (accept, reject, needs-fix or none)", cur_tag);
          return JG_EXIT_USAGE;
        }
      if (cur_tag != NULL && !jg_store_set_tag (store, cur_sample, tag, &error))
        goto fail;
      if (cur_note != NULL && !jg_store_set_note (store, cur_sample, cur_note, &error))
        goto fail;
    }
  else if (cur_undo || cur_redo)
    {
      gint64 sid = 0;

      if (!(cur_undo ? jg_store_undo : jg_store_redo) (store, &sid, &error))
        goto fail;
      if (sid == 0)
        printf ("nothing to %s\n", cur_undo ? "undo" : "redo");
      else
        printf ("%s sample %" G_GINT64_FORMAT "\n", cur_undo ? "undid a change of" : "redid a change of", sid);
    }
  else if (cur_export != NULL)
    {
      gint64 ds_id = cur_dataset;

      if (ds_id == 0)
        {
          g_autoptr(GArray) ds = jg_store_list_datasets (store, &error);
          if (ds == NULL)
            goto fail;
          if (ds->len != 1)
            {
              jg_cli_error (&curate_cmd, "%s holds %u datasets: pick one with --dataset", cur_store, ds->len);
              return JG_EXIT_USAGE;
            }
          ds_id = g_array_index (ds, JgStoreDataset, 0).id;
        }
      if (!jg_export_curated_manifest (store, ds_id, cur_export, &error))
        goto fail;
    }
  else
    {
      g_autoptr(JgStoreRows) rows = jg_store_query (store, cur_run, cur_run_b, NULL,
                                                    JG_STORE_SORT_SAMPLE, FALSE, &error);
      if (rows == NULL || !jg_export_rows_report (rows, cur_run_b != 0, cur_report, &error))
        goto fail;
    }
  return JG_EXIT_OK;

fail:
  jg_cli_error (&curate_cmd, "%s", error->message);
  return JG_EXIT_FAILURE;
}

int
jg_cmd_curate (int argc, char **argv)
{
  int rc;

  if (!jg_cli_parse (&curate_cmd, curate_entries, &argc, &argv))
    return JG_EXIT_USAGE;
  if (argc > 1)
    {
      jg_cli_error (&curate_cmd, "unexpected argument '%s'", argv[1]);
      reset_curate_options ();
      return JG_EXIT_USAGE;
    }
  rc = run_curate ();
  reset_curate_options ();
  return rc;
}
