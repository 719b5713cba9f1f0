/* jg-prepare-audio.h: make foa_ls.wav for every sample of a manifest, as
 * the JAEGER release asks its users to: convolve the sample's FOA impulse
 * responses with dry speech (task2: a male talker through ir_male.npy plus
 * a female one through ir_female.npy, summed without level balancing).
 *
 * Speech: every .flac / .wav under the speech folder, in path order.
 * Genders come from LibriSpeech's SPEAKERS.TXT (in the folder or up to two
 * levels above; the speaker is the file name up to its first '-') or else
 * from a "male" / "female" folder in the file's path. Talkers are handed
 * out in turn, in sample-path order, as the reference script does; a task1
 * sample whose manifest entry names a gender gets a talker of that gender.
 *
 * Each sample's choice depends only on the manifest and the speech list,
 * so an interrupted run resumes where it stopped: a sample is finished
 * when foa_ls.wav exists and metadata.json records "audio_source_info".
 * Both files are written atomically. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *manifest;       /* manifest .json */
  const char *root;           /* root remapping (see jg-manifest.h); NULL = as written */
  const char *speech_dir;
  guint jobs;                 /* worker threads; 0 = one per CPU */
  gboolean force;             /* redo finished samples too */
} JgPrepareAudioOptions;

typedef struct {
  guint total;                /* distinct HM3D samples in the manifest */
  guint skipped;              /* already finished */
  guint done;                 /* made by this run */
  GPtrArray *failures;        /* char *: "SAMPLE: why" */
} JgPrepareAudioReport;

/* Called after each sample (from any thread, serialised). */
typedef void (*JgPrepareAudioProgress) (const JgPrepareAudioReport *report, gpointer user_data);

/* FALSE only when nothing can be done (unreadable manifest, no speech);
 * per-sample failures are listed in @report (free with _clear). */
gboolean jg_prepare_audio (const JgPrepareAudioOptions *options,
                           JgPrepareAudioProgress       progress,
                           gpointer                     user_data,
                           JgPrepareAudioReport        *report,
                           GError                     **error);
void     jg_prepare_audio_report_clear (JgPrepareAudioReport *report);

/* Full linear convolution of @x (@nx samples) with @h (@nh), by FFT:
 * @out receives nx + nh - 1 samples. */
gboolean jg_fft_convolve (const float *x, gsize nx, const float *h, gsize nh, float *out,
                          GError **error);

G_END_DECLS
