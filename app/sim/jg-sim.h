/* jg-sim.h: `jaeger sim`, a simulated SpatialSceneQA split.
 *
 * Writes <out>/<split>/<scene-id>/task{1,2}_NNNNN/ sample folders (rgb.png,
 * depth.png, metadata.json, ir.npy or ir_male.npy + ir_female.npy,
 * foa_ls.wav) and the release's five HM3D manifests into <out>/, with the
 * release's file names, field order, answer formats and value ranges.
 * The same options give byte-identical output. */
#pragma once

#include "audio/jg-foa.h"
#include "sim/jg-sim-scene.h"

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *out_dir;
  guint n_scenes;
  guint64 seed;
  const char *split;             /* "test" */
  double rt60;                   /* < 0: drawn per room in [0.2, 0.6] s; 0: direct path only */
  guint speakers_max;            /* 1..JG_SIM_MAX_SPEAKERS, 3 like the release */
  gboolean shoebox, lshape;      /* room kinds to draw from */
  JgFoaConvention convention;    /* of ir*.npy and foa_ls.wav */
  gboolean no_audio;             /* impulse responses only, no foa_ls.wav */
  const char *speech_dir;        /* NULL: espeak-ng */
  double speech_seconds;         /* espeak utterances are at least this long */
  const char *path_prefix;       /* manifest paths: PREFIX/<split>/...; "" for relative */
  guint task1_per_scene, task2_per_scene;
  int ism_order;                 /* image-source reflections */
  double noise_snr_db;           /* diffuse distractor noise; G_MAXDOUBLE for none */
  gboolean occluders;            /* a crate partly hiding one loudspeaker per sample */
  JgSimPlacementLimits limits;
} JgSimOptions;

/* The release's defaults. */
void jg_sim_options_init (JgSimOptions *options);

/* Parses "shoebox,lshape" (also "l-shape", "L"). */
gboolean jg_sim_parse_room_kinds (const char *text, JgSimOptions *options, GError **error);

typedef void (*JgSimProgressFunc) (guint done, guint total, const char *sample, gpointer user_data);

gboolean jg_sim_run (const JgSimOptions *options, JgSimProgressFunc progress, gpointer user_data,
                     GError **error);

/* The question template of a task name ("spatial_doa", ...), as in the
 * release's test_prompt.json; NULL for an unknown task. */
const char *jg_sim_question (const char *task);

/* The prefix of the release's manifest paths. */
#define JG_SIM_RELEASE_PREFIX "/path/to/simulation_ds/hm3d/hm3d_foa_av_v2"

G_END_DECLS
