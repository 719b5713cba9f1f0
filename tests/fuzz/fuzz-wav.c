/* libFuzzer entry point for audio decoding (foa_ls.wav, speech) through
 * libsndfile with our truncation and value checks. */
#include "data/jg-audio-clip.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  GError *error = NULL;
  JgAudioClip *clip = jg_audio_clip_parse (data, size, "fuzz.wav", &error);

  if (clip == NULL)
    {
      if (error == NULL || error->message == NULL)
        __builtin_trap ();
      g_error_free (error);
      return 0;
    }
  {
    volatile float sum = 0;
    for (gsize i = 0; i < clip->n_frames * clip->channels; i++)
      sum += clip->data[i];
  }
  if (!jg_audio_clip_check_foa (clip, "fuzz.wav", &error))
    g_error_free (error);
  jg_audio_clip_free (clip);
  return 0;
}
