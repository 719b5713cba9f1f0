/* jg-decoder.h: the block processor shared by playback and offline
 * rendering: head rotation (crossfaded per block), then one of three
 * decoders for ambiX input:
 *   binaural     4 -> 2 SH-domain HRTF filters (jg-hrtf), partitioned FFT
 *                convolution;
 *   stereo       two virtual cardioids pointing left and right (+-90 deg);
 *   passthrough  the rotated ambiX channels, for ambisonic hardware.
 * Processing is in fixed blocks and never allocates. */
#pragma once

#include "audio/jg-hrtf.h"

G_BEGIN_DECLS

typedef enum {
  JG_DECODER_BINAURAL,
  JG_DECODER_STEREO,
  JG_DECODER_PASSTHROUGH,
} JgDecoderKind;

#define JG_DECODER_N_KINDS 3

gboolean    jg_decoder_kind_from_string (const char *name, JgDecoderKind *out, GError **error);
const char *jg_decoder_kind_to_string (JgDecoderKind kind);

typedef struct _JgFoaDecoder JgFoaDecoder;

/* @hrtf (binaural only) is copied into the convolver and may be freed
 * afterwards; its rate is the output rate. @block is a power of two. */
JgFoaDecoder *jg_foa_decoder_new (JgDecoderKind kind, const JgHrtf *hrtf, guint block, GError **error);
void          jg_foa_decoder_free (JgFoaDecoder *dec);

JgDecoderKind jg_foa_decoder_get_kind (const JgFoaDecoder *dec);
guint         jg_foa_decoder_get_block (const JgFoaDecoder *dec);
guint         jg_foa_decoder_get_n_outputs (const JgFoaDecoder *dec);   /* 2 or 4 */

/* Head orientation in degrees (see jg_foa_head_rotation); the next block
 * fades to it. Call from the thread that calls _process. */
void jg_foa_decoder_set_orientation (JgFoaDecoder *dec, double yaw, double pitch, double roll);

/* One block: @in holds block interleaved ambiX frames (not modified),
 * @out receives block * n_outputs interleaved samples. */
void jg_foa_decoder_process (JgFoaDecoder *dec, const float *in, float *out);

/* Offline: renders @n_frames interleaved ambiX frames block by block (the
 * last block zero-padded) into @out (n_frames * n_outputs samples). Output
 * frame i lines up with input frame i: the decoders add no delay beyond
 * the HRIRs' own. */
void jg_foa_decoder_render (JgFoaDecoder *dec, const float *in, gsize n_frames, float *out);

/* Drop filter history and orientation fades (after a seek). */
void jg_foa_decoder_reset (JgFoaDecoder *dec);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgFoaDecoder, jg_foa_decoder_free)

G_END_DECLS
