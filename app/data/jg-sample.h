/* jg-sample.h: one SpatialSceneQA sample, loaded from its directory
 * (<split>/<scene>/task{1,2}_NNNNN/) or from a STARSS23 .wav file.
 *
 * Files: rgb.png, depth.png, metadata.json, ir.npy or ir_male.npy +
 * ir_female.npy, foa_ls.wav. Absent files are not an error (users make
 * foa_ls.wav themselves; they are listed by jg_sample_get_missing ()); a
 * file that is present but broken is, with the file and problem named.
 *
 * metadata.json keys this reads, all optional:
 *   "hfov", "vfov"        degrees (defaults 90 and 58.72)
 *   "intrinsics"          {"fx", "fy", "cx", "cy"} in pixels, with optional
 *                         "width", "height" they refer to (else the depth size),
 *                         or a 3x3 matrix [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]
 *                         (for the depth size)
 *   "foa_convention"      "ambix", "fuma", "n3d" or "jaeger" (default "jaeger")
 *   "answers"             {TASK: answer text}, ground truth of simulated sets */
#pragma once

#include "audio/jg-foa.h"
#include "data/jg-answer.h"
#include "data/jg-audio-clip.h"
#include "data/jg-intrinsics.h"
#include "data/jg-manifest.h"

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct _JgSample JgSample;

JgSample   *jg_sample_load (const char *path, GError **error);
void        jg_sample_free (JgSample *sample);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgSample, jg_sample_free)

const char *jg_sample_get_path (JgSample *sample);

/* RGB, 8 bits per channel, rows packed (gray is replicated, alpha dropped);
 * NULL without rgb.png. */
const guint8 *jg_sample_get_rgb (JgSample *sample, guint *width, guint *height);

/* Planar z-depth in metres, 0 = invalid; NULL without depth.png. 8-bit
 * maps are px / 255 * 10 (SpatialSceneQA), 16-bit ones millimetres. */
const float  *jg_sample_get_depth (JgSample *sample, guint *width, guint *height);

/* The camera at the depth map's size (else the RGB's, else 672x378). */
void          jg_sample_get_intrinsics (JgSample *sample, JgIntrinsics *k);

/* Impulse responses, channel-major 4 x n_frames in the sample's FOA
 * convention; @name is "ir", "ir_male" or "ir_female". */
guint         jg_sample_get_n_irs (JgSample *sample);
const float  *jg_sample_get_ir (JgSample *sample, guint i, const char **name, gsize *n_frames);

/* foa_ls.wav (or the STARSS23 file): 4 channels at 16 kHz; NULL if absent. */
const JgAudioClip *jg_sample_get_audio (JgSample *sample);
JgFoaConvention    jg_sample_get_foa_convention (JgSample *sample);

/* metadata.json, NULL when absent. */
JsonObject   *jg_sample_get_metadata (JgSample *sample);

/* Expected files that are absent, e.g. {"foa_ls.wav", NULL}. */
const char *const *jg_sample_get_missing (JgSample *sample);

/* Ground truth per task, from metadata "answers" and from manifest entries
 * applied with jg_sample_apply_entry (); NULL when unknown. */
const JgAnswer *jg_sample_get_answer (JgSample *sample, JgTask task);
/* Takes the entry's answer, gender and field of view (unless metadata
 * gives explicit intrinsics). */
void            jg_sample_apply_entry (JgSample *sample, const JgManifestEntry *entry);
JgGender        jg_sample_get_gender (JgSample *sample);

G_END_DECLS
