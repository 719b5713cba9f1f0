/* jg-sim-ir.h: FOA room impulse responses for the scene simulator.
 *
 * Early sound comes from an image-source model of the room (shoebox or
 * L-shaped, with path validation so that the L's re-entrant corner hides
 * what it should), every surface reflecting with the same coefficient
 * beta derived from the room's RT60. Late sound is an exponentially
 * decaying diffuse tail with the same RT60, faded in where the image
 * sources thin out. Each arrival is a 1/r plane wave with a fractional
 * delay (Hann-windowed sinc), encoded in ambiX at its direction of arrival
 * in the camera frame, then converted to the requested convention. */
#pragma once

#include "audio/jg-foa.h"
#include "sim/jg-sim-scene.h"

#include <glib.h>

G_BEGIN_DECLS

#define JG_SIM_SPEED_OF_SOUND 343.0
#define JG_SIM_SAMPLE_RATE 16000
/* Half-length of the fractional-delay kernel, samples. */
#define JG_SIM_FRAC_HALF 8

typedef struct {
  double delay;             /* seconds */
  double gain;              /* pressure: beta^order / path length (1 at 1 m) */
  double dir[3];            /* camera frame, unit, towards where the sound comes from */
  int order;                /* number of reflections */
} JgSimArrival;

/* Appends to @out (a GArray of JgSimArrival) the direct path and the valid
 * image sources of up to @max_order reflections from @src_world to the
 * camera of @pose, direct path first, with delay below @max_delay. */
void jg_sim_ism_arrivals (const JgSimRoom *room, const JgSimPose *pose,
                          const double src_world[3], int max_order, double max_delay,
                          GArray *out);

/* The impulse response from the camera-frame point @src_cam: channel-major
 * (4, n) floats in @convention, n returned in @n_frames. A room with
 * rt60 = 0 gives the direct path only. @rng draws the diffuse tail. */
float *jg_sim_ir_render (const JgSimRoom *room, const JgSimPose *pose, const double src_cam[3],
                         int max_order, JgFoaConvention convention, JgSimRng *rng,
                         gsize *n_frames);

G_END_DECLS
