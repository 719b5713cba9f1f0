/* jg-hrtf.h: a binaural first-order ambisonic decoder derived from a SOFA
 * HRTF set (libmysofa).
 *
 * The HRIRs are resampled to the output rate, sampled at 32 virtual
 * loudspeakers on a uniform layout (the vertices of an icosahedron and a
 * dodecahedron together: a spherical 5-design) and summed through a
 * max-rE first-order decoder into 4 -> 2 filters in the SH domain: ear e
 * gets sum_c (ambiX channel c) * h[e][c]. Computed once per HRTF and rate. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define JG_HRTF_DEFAULT_PATH "/usr/share/libmysofa/default.sofa"
#define JG_HRTF_N_SPEAKERS 32

typedef struct _JgHrtf JgHrtf;

/* @path NULL loads JG_HRTF_DEFAULT_PATH (MIT KEMAR). The file is untrusted:
 * anything that is not a readable SOFA (HDF5) HRIR set with two receivers,
 * plausible sizes and finite data fails with a GError naming @path. */
JgHrtf *jg_hrtf_load (const char *path, guint sample_rate, GError **error);
void    jg_hrtf_free (JgHrtf *hrtf);

const char  *jg_hrtf_get_path (const JgHrtf *hrtf);
guint        jg_hrtf_get_sample_rate (const JgHrtf *hrtf);
guint        jg_hrtf_get_length (const JgHrtf *hrtf);
/* Taps of the filter from ambiX channel @ch (0 W, 1 Y, 2 Z, 3 X) to ear
 * @ear (0 left, 1 right). */
const float *jg_hrtf_get_filter (const JgHrtf *hrtf, guint ear, guint ch);

/* The virtual loudspeaker directions (unit ambiX [X, Y, Z]). */
void jg_hrtf_speaker_direction (guint i, float xyz[3]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgHrtf, jg_hrtf_free)

G_END_DECLS
