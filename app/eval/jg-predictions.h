/* jg-predictions.h: prediction files in, as raw answer records.
 *
 * Formats read (detected from the content, not the file name):
 *  - jaeger JSON: {"run": {...}, "predictions": [RECORD, ...]} or a bare
 *    list of RECORDs; jaeger JSONL: one RECORD per line, optionally a first
 *    line {"run": {...}}. RECORD = {"path", "task", "question"?,
 *    "pred_text" (or "answer"), "gender"?, "units"? ("cm" | "m")}.
 *  - the reference project's audio-only eval_results_rank_N.json (and its
 *    merged eval_results.json): {"config", "details": {TASK: [{"path",
 *    "raw_output", "pred_az", "pred_el", "gt_az", "gt_el", "gender"}]}}.
 *  - its av_results_rank_N.json: [{"path", "task", "gender", "gt_text",
 *    "pred_text"}], and visual_results_rank_N.json: [{"path", "task",
 *    "text" (ground truth), "obj_category", "pred_text"}] (the merged files
 *    put these lists under "details").
 *
 * Answers are kept as text; scoring parses them (jg-answer.h). A record with
 * no answer is kept with pred_text NULL and counts as unparsed. Records of
 * tasks this project does not score (audio_event_detection, *_vgg, ...) are
 * skipped and counted. */
#pragma once

#include <glib.h>

#include "data/jg-answer.h"

G_BEGIN_DECLS

typedef struct {
  const char *path;        /* sample path as written (before any root remap) */
  JgTask task;
  const char *question;    /* NULL when the file does not say */
  const char *pred_text;   /* the raw answer; NULL when absent */
  const char *gt_text;     /* ground truth carried by the file, or NULL */
  const char *gender;      /* as written ("M", "female", ...), or NULL */
  JgUnits units;           /* how box numbers in pred_text are to be read */
} JgPrediction;

typedef struct {
  const char *model;       /* NULL when unknown */
  const char *checkpoint;
  const char *settings;    /* JSON text of the run settings / reference "config" */
  const char *date;        /* ISO 8601 */
  const char *format;      /* "jaeger-json", "jaeger-jsonl", "reference-audio",
                            * "reference-av", "reference-visual" */
} JgRunInfo;

typedef struct _JgPredictionSet JgPredictionSet;

JgPredictionSet *jg_prediction_set_new (void);
void             jg_prediction_set_free (JgPredictionSet *set);

/* Appends the records of @filename (several rank files make one run). The
 * first file's run information is kept. On error nothing is appended and
 * the message names the file and the problem. */
gboolean jg_prediction_set_add_file (JgPredictionSet *set, const char *filename,
                                     GError **error);
/* The same from memory; @name stands for the file in messages. */
gboolean jg_prediction_set_add_data (JgPredictionSet *set, const char *data, gssize len,
                                     const char *name, GError **error);

guint               jg_prediction_set_get_n (const JgPredictionSet *set);
const JgPrediction *jg_prediction_set_get (const JgPredictionSet *set, guint i);
const JgRunInfo    *jg_prediction_set_get_run (const JgPredictionSet *set);
/* Records skipped because their task is not one of JgTask. */
guint               jg_prediction_set_get_n_skipped (const JgPredictionSet *set);

/* Writing jaeger's own JSON lines: a first line {"run": {...}}, then one
 * record per answer. Buffered in memory, written atomically by _finish. */
typedef struct _JgPredictionWriter JgPredictionWriter;

JgPredictionWriter *jg_prediction_writer_new (const char *model, const char *checkpoint,
                                              const char *settings_json);
/* @question, @gender may be NULL; @pred_text NULL records "no answer".
 * Box answers are taken as the model writes them, in centimetres. */
void     jg_prediction_writer_add (JgPredictionWriter *writer, const char *path, JgTask task,
                                   const char *question, const char *gender,
                                   const char *pred_text);
gboolean jg_prediction_writer_finish (JgPredictionWriter *writer, const char *filename,
                                      GError **error);
void     jg_prediction_writer_free (JgPredictionWriter *writer);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgPredictionSet, jg_prediction_set_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgPredictionWriter, jg_prediction_writer_free)

G_END_DECLS
