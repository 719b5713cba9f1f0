/* jg-manifest.h: SpatialSceneQA manifests, `{"annotation": [ ... ]}`.
 *
 * Every entry is checked (task known, answer parses, values in range);
 * bad entries are skipped and listed as problems, good ones kept, so one
 * broken line never hides a whole split. */
#pragma once

#include "data/jg-answer.h"

G_BEGIN_DECLS

typedef enum {
  JG_GENDER_NONE,
  JG_GENDER_MALE,             /* "M" or "male" */
  JG_GENDER_FEMALE,           /* "F" or "female" */
} JgGender;

typedef struct {
  guint index;                /* position in the manifest's array */
  JgTask task;
  char *path;                 /* after root remapping: a sample directory, or a .wav (starss23) */
  char *original_path;        /* as written in the manifest */
  char *text;                 /* ground-truth answer text */
  JgAnswer *answer;           /* @text parsed in metres; never JG_ANSWER_UNPARSED */
  JgGender gender;            /* DoA: the talker; dual_source: whose voice is asked for */
  guint num_speakers;         /* single/dual_source; 0 when absent */
  char *target_label;         /* dual_source, e.g. "female: Left"; NULL when absent */
  char **obj_category;        /* visual_grounding, e.g. {"speaker", NULL}; NULL when absent */
  double hfov_deg, vfov_deg;  /* per-entry field of view; 0 when absent */
} JgManifestEntry;

typedef struct _JgManifest JgManifest;

/* Root remapping. Without @root, paths are used as written (relative ones
 * against the manifest's folder). With @root, the release's placeholder
 * prefix "/path/to/" is dropped and the rest is looked up under @root with
 * as many leading folders as it takes to exist: for
 * "/path/to/simulation_ds/hm3d/hm3d_foa_av_v2/test/00800-X/task1_00000"
 * and --root /data, "/data/simulation_ds/hm3d/hm3d_foa_av_v2/test/...",
 * then "/data/hm3d/hm3d_foa_av_v2/test/...", ..., "/data/test/00800-X/task1_00000",
 * "/data/00800-X/task1_00000". When none exists, the depth that matched
 * for an earlier entry is used, else the full path. */
JgManifest *jg_manifest_load (const char *path, const char *root, GError **error);
/* The same from memory; @name is the file name used in messages and for
 * relative paths. Fails only when the whole file is unusable (not JSON, no
 * annotation array). */
JgManifest *jg_manifest_parse (const char *data, gsize len, const char *name, const char *root,
                               GError **error);
void        jg_manifest_free (JgManifest *manifest);

/* Where @path, as written in the manifest @manifest_path, lives on this
 * machine, by the rules above: for a sample path kept elsewhere (a results
 * store keeps paths as the manifest wrote them). */
char       *jg_manifest_resolve_path (const char *manifest_path, const char *root, const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgManifest, jg_manifest_free)

const char             *jg_manifest_get_name (JgManifest *manifest);
guint                   jg_manifest_get_n_entries (JgManifest *manifest);
const JgManifestEntry  *jg_manifest_get_entry (JgManifest *manifest, guint i);
guint                   jg_manifest_count_task (JgManifest *manifest, JgTask task);
/* Entries that were skipped, as "entry 12 (PATH): what is wrong". */
guint                   jg_manifest_get_n_problems (JgManifest *manifest);
const char             *jg_manifest_get_problem (JgManifest *manifest, guint i);

const char *jg_gender_to_string (JgGender gender);   /* "male", "female", "" */

G_END_DECLS
