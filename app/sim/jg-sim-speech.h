/* jg-sim-speech.h: dry speech for the simulator, at 16 kHz mono.
 *
 * Either synthesised by espeak-ng (male and female voice variants over a
 * built-in sentence list; the program is run once per distinct utterance
 * and cached) or read from a folder of real recordings laid out as
 * DIR/male/... and DIR/female/... (any format libsndfile reads: WAV, FLAC).
 * Every utterance is scaled to a peak of 0.5 so that no talker dominates
 * by accident of the recording level. */
#pragma once

#include "sim/jg-sim-rng.h"

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum {
  JG_SIM_MALE,
  JG_SIM_FEMALE,
} JgSimGender;

typedef struct _JgSimSpeech JgSimSpeech;

/* @dir NULL selects espeak-ng. Fails when @dir has no male/ or female/
 * recordings, or when espeak-ng cannot be run. */
JgSimSpeech *jg_sim_speech_new (const char *dir, double min_seconds, GError **error);
void         jg_sim_speech_free (JgSimSpeech *speech);

/* An utterance of @gender drawn with @rng: the samples stay owned by
 * @speech; @describe (may be NULL) receives a JSON object saying what it is. */
const float *jg_sim_speech_get (JgSimSpeech *speech, JgSimGender gender, JgSimRng *rng,
                                gsize *n_samples, JsonBuilder *describe, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgSimSpeech, jg_sim_speech_free)

G_END_DECLS
