/* jg-foa.h: First-Order Ambisonics conventions, in one place.
 *
 * Internally everything is ambiX: ACN channel order [W, Y, Z, X], SN3D
 * normalisation, ambisonic axes (X front, Y left, Z up). Directions use
 * JAEGER's convention: azimuth 0 straight ahead, positive to the left;
 * elevation positive up. The camera frame is OpenGL/Habitat (+x right,
 * +y up, looking along -z), so front = -z, left = -x, up = +y. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  JG_FOA_AMBIX,   /* ACN / SN3D */
  JG_FOA_FUMA,    /* [W, X, Y, Z], W scaled by 1/sqrt(2) */
  JG_FOA_N3D,     /* ACN / N3D: X, Y, Z scaled by sqrt(3) */
  JG_FOA_JAEGER,  /* SpatialSceneQA/Habitat: [W, +y up, +z back, +x right], SN3D */
} JgFoaConvention;

#define JG_FOA_N_CONVENTIONS 4

gboolean    jg_foa_convention_from_string (const char *name, JgFoaConvention *out, GError **error);
const char *jg_foa_convention_to_string (JgFoaConvention conv);

/* Row-major 4x4 matrix M with ambix = M * source, for one frame. */
void jg_foa_matrix_to_ambix (JgFoaConvention from, float m[16]);
/* Row-major 4x4 matrix M with dest = M * ambix. */
void jg_foa_matrix_from_ambix (JgFoaConvention to, float m[16]);

/* Convert @n_frames interleaved 4-channel frames in place. */
void jg_foa_convert (JgFoaConvention from, JgFoaConvention to, float *frames, gsize n_frames);

/* ambiX gains of a unit plane wave arriving from (az, el), in radians. */
void jg_foa_encode_ambix (double az, double el, float gains[4]);

/* JAEGER angles (degrees) of a point or direction in the camera frame. */
void jg_camera_to_doa (const double xyz[3], double *az_deg, double *el_deg);
/* Unit vector in the camera frame for JAEGER angles (degrees). */
void jg_doa_to_camera (double az_deg, double el_deg, double xyz[3]);

/* Row-major 3x3 rotation acting on ambiX direction components [X, Y, Z]
 * (front, left, up): the sound field as heard by a listener whose head is
 * turned by @yaw_deg (to the left), @pitch_deg (nose up) and @roll_deg
 * (right ear down), applied in that order (intrinsic yaw, pitch, roll).
 * A source at azimuth a is heard at azimuth a - yaw. */
void jg_foa_head_rotation (double yaw_deg, double pitch_deg, double roll_deg, float r[9]);

/* Applies a first-order rotation to ambiX blocks, crossfading sample by
 * sample from the previous block's matrix to the new one so orientation
 * changes never click. No allocation after _new. */
typedef struct _JgFoaRotator JgFoaRotator;

JgFoaRotator *jg_foa_rotator_new (void);
void          jg_foa_rotator_free (JgFoaRotator *rot);
/* The matrix the next block fades to (identity at first). */
void          jg_foa_rotator_set_matrix (JgFoaRotator *rot, const float r[9]);
/* The first call after _new or _reset starts at the target, no fade. */
void          jg_foa_rotator_reset (JgFoaRotator *rot);
/* Rotates @n_frames interleaved ambiX frames in place. */
void          jg_foa_rotator_process (JgFoaRotator *rot, float *frames, gsize n_frames);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgFoaRotator, jg_foa_rotator_free)

G_END_DECLS
