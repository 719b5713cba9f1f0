#include "audio/jg-decoder.h"
#include "audio/jg-convolver.h"
#include "audio/jg-foa.h"
#include "core/jg-error.h"

#include <string.h>

static const char *const kind_names[JG_DECODER_N_KINDS] = { "binaural", "stereo", "passthrough" };

gboolean
jg_decoder_kind_from_string (const char *name, JgDecoderKind *out, GError **error)
{
  for (int i = 0; i < JG_DECODER_N_KINDS; i++)
    if (g_ascii_strcasecmp (name, kind_names[i]) == 0)
      {
        *out = (JgDecoderKind) i;
        return TRUE;
      }
  g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
               "unknown decoder '%s' (use binaural, stereo or passthrough)", name);
  return FALSE;
}

const char *
jg_decoder_kind_to_string (JgDecoderKind kind)
{
  g_return_val_if_fail ((int) kind >= 0 && kind < JG_DECODER_N_KINDS, "binaural");
  return kind_names[kind];
}

struct _JgFoaDecoder {
  JgDecoderKind kind;
  guint block;
  JgFoaRotator *rot;
  JgConvolver *conv;   /* binaural only */
  float *scratch;      /* block * 4 */
};

JgFoaDecoder *
jg_foa_decoder_new (JgDecoderKind kind, const JgHrtf *hrtf, guint block, GError **error)
{
  g_autoptr(JgConvolver) conv = NULL;
  JgFoaDecoder *dec;

  if (block < 2 || block > 16384 || (block & (block - 1)) != 0)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "decoder block %u is not a power of two between 2 and 16384", block);
      return NULL;
    }
  if (kind == JG_DECODER_BINAURAL)
    {
      const float *filters[8];
      g_return_val_if_fail (hrtf != NULL, NULL);
      for (guint ear = 0; ear < 2; ear++)
        for (guint c = 0; c < 4; c++)
          filters[ear * 4 + c] = jg_hrtf_get_filter (hrtf, ear, c);
      conv = jg_convolver_new (block, 4, 2, filters, jg_hrtf_get_length (hrtf), error);
      if (conv == NULL)
        return NULL;
    }
  dec = g_new0 (JgFoaDecoder, 1);
  dec->kind = kind;
  dec->block = block;
  dec->rot = jg_foa_rotator_new ();
  dec->conv = g_steal_pointer (&conv);
  dec->scratch = g_new0 (float, 4 * (gsize) block);
  return dec;
}

void
jg_foa_decoder_free (JgFoaDecoder *dec)
{
  if (dec == NULL)
    return;
  jg_foa_rotator_free (dec->rot);
  jg_convolver_free (dec->conv);
  g_free (dec->scratch);
  g_free (dec);
}

JgDecoderKind jg_foa_decoder_get_kind (const JgFoaDecoder *dec) { return dec->kind; }
guint jg_foa_decoder_get_block (const JgFoaDecoder *dec) { return dec->block; }

guint
jg_foa_decoder_get_n_outputs (const JgFoaDecoder *dec)
{
  return dec->kind == JG_DECODER_PASSTHROUGH ? 4 : 2;
}

void
jg_foa_decoder_set_orientation (JgFoaDecoder *dec, double yaw, double pitch, double roll)
{
  float r[9];

  jg_foa_head_rotation (yaw, pitch, roll, r);
  jg_foa_rotator_set_matrix (dec->rot, r);
}

void
jg_foa_decoder_reset (JgFoaDecoder *dec)
{
  jg_foa_rotator_reset (dec->rot);
  if (dec->conv != NULL)
    jg_convolver_reset (dec->conv);
}

void
jg_foa_decoder_process (JgFoaDecoder *dec, const float *in, float *out)
{
  guint n = dec->block;

  memcpy (dec->scratch, in, 4 * (gsize) n * sizeof (float));
  jg_foa_rotator_process (dec->rot, dec->scratch, n);
  switch (dec->kind)
    {
    case JG_DECODER_BINAURAL:
      jg_convolver_process (dec->conv, dec->scratch, out);
      break;
    case JG_DECODER_STEREO:
      /* Cardioid 0.5 (1 + cos theta) towards +-Y: 0.5 (W +- Y) in SN3D. */
      for (guint i = 0; i < n; i++)
        {
          const float *f = dec->scratch + 4 * i;
          out[2 * i] = 0.5f * (f[0] + f[1]);
          out[2 * i + 1] = 0.5f * (f[0] - f[1]);
        }
      break;
    case JG_DECODER_PASSTHROUGH:
      memcpy (out, dec->scratch, 4 * (gsize) n * sizeof (float));
      break;
    default:
      g_return_if_reached ();
    }
}

void
jg_foa_decoder_render (JgFoaDecoder *dec, const float *in, gsize n_frames, float *out)
{
  guint B = dec->block, no = jg_foa_decoder_get_n_outputs (dec);
  g_autofree float *pad_in = g_new0 (float, 4 * (gsize) B);
  g_autofree float *pad_out = g_new (float, (gsize) no * B);
  gsize i;

  for (i = 0; i + B <= n_frames; i += B)
    jg_foa_decoder_process (dec, in + 4 * i, out + no * i);
  if (i < n_frames)
    {
      memcpy (pad_in, in + 4 * i, 4 * (n_frames - i) * sizeof (float));
      jg_foa_decoder_process (dec, pad_in, pad_out);
      memcpy (out + no * i, pad_out, no * (n_frames - i) * sizeof (float));
    }
}
