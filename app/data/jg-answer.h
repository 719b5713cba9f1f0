/* jg-answer.h: tasks and typed answers of SpatialSceneQA, parsed from the
 * answer strings of manifests (ground truth) and of models (predictions)
 * with the reference project's scoring rules (see JAEGER.md §2). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  JG_TASK_SPATIAL_DOA,        /* "spatial_doa": single-source DoA */
  JG_TASK_MULTI_SPATIAL_DOA,  /* "multi_spatial_doa": overlapping talkers */
  JG_TASK_VISUAL_GROUNDING,   /* "visual_grounding": 3-D boxes of loudspeakers */
  JG_TASK_SINGLE_SOURCE,      /* "single_source": which loudspeaker talks */
  JG_TASK_DUAL_SOURCE,        /* "dual_source": which one has the male/female voice */
  JG_TASK_STARSS23,           /* "starss23": real recordings, DoA */
  JG_N_TASKS
} JgTask;

gboolean    jg_task_from_string (const char *name, JgTask *out, GError **error);
const char *jg_task_to_string (JgTask task);
/* Human-readable, translatable-free label ("Single-source DoA"). */
const char *jg_task_label (JgTask task);

typedef enum {
  JG_SIDE_LEFT,
  JG_SIDE_CENTER,
  JG_SIDE_RIGHT,
} JgSide;

typedef struct {
  int index;                  /* the i of bbox_i */
  double center[3];           /* metres, camera frame */
  double size[3];             /* full extents, metres */
  char category[32];          /* "speaker"; truncated if longer */
} JgBox;

typedef enum {
  JG_ANSWER_UNPARSED,         /* kept as raw text; counted, not scored */
  JG_ANSWER_DOA,
  JG_ANSWER_BOXES,
  JG_ANSWER_SIDE,
} JgAnswerKind;

typedef enum {
  JG_UNITS_METRES,            /* manifests' ground truth */
  JG_UNITS_CENTIMETRES,       /* model outputs (training targets are integer cm) */
} JgUnits;

typedef struct {
  JgAnswerKind kind;
  double az_deg, el_deg;      /* JG_ANSWER_DOA */
  GArray *boxes;              /* JG_ANSWER_BOXES: JgBox, in bbox_i order as written */
  JgSide side;                /* JG_ANSWER_SIDE */
  char *raw;                  /* the text as given */
  JgTask task;                /* what it was parsed for */
} JgAnswer;

/* Parses @text for @task. Never fails on bad text: an answer that does not
 * parse comes back as JG_ANSWER_UNPARSED with @raw kept; NULL text too. */
JgAnswer *jg_answer_parse (JgTask task, const char *text, JgUnits units);
void      jg_answer_free (JgAnswer *answer);

/* The canonical answer text of @answer, as the manifests write it:
 * "azimuth: -7; elevation: -22" (shortest decimals; STARSS23 always one
 * decimal, "azimuth: 131.5; elevation: -14.0"), boxes "bbox_i=Bbox(cat,
 * x, y, z, dx, dy, dz)" joined by "\n" with two decimals in metres or
 * truncated integers in centimetres (the training targets), "Left" /
 * "Center" / "Right". An unparsed answer gives its raw text ("" for NULL). */
char     *jg_answer_format (const JgAnswer *answer, JgUnits units);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgAnswer, jg_answer_free)

G_END_DECLS
