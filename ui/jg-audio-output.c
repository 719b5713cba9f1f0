#include "jg-audio-output.h"

#include <portaudio.h>

#include "core/jg-error.h"

struct _JgAudioOutput {
  PaDeviceIndex device;
  const PaDeviceInfo *info;
  PaStream *stream;
};

static int
render_callback (const void *input, void *output, unsigned long frames,
                 const PaStreamCallbackTimeInfo *time, PaStreamCallbackFlags flags, void *user_data)
{
  jg_player_render (user_data, output, frames);
  return paContinue;
}

JgAudioOutput *
jg_audio_output_new (GError **error)
{
  JgAudioOutput *self;
  PaError err = Pa_Initialize ();

  if (err != paNoError)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "audio output: %s", Pa_GetErrorText (err));
      return NULL;
    }
  self = g_new0 (JgAudioOutput, 1);
  self->device = Pa_GetDefaultOutputDevice ();
  self->info = self->device != paNoDevice ? Pa_GetDeviceInfo (self->device) : NULL;
  if (self->info == NULL || self->info->maxOutputChannels < 2)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "audio output: no output device");
      Pa_Terminate ();
      g_free (self);
      return NULL;
    }
  return self;
}

void
jg_audio_output_free (JgAudioOutput *self)
{
  if (self == NULL)
    return;
  jg_audio_output_detach (self);
  Pa_Terminate ();
  g_free (self);
}

guint
jg_audio_output_get_sample_rate (JgAudioOutput *self)
{
  return self->info->defaultSampleRate > 0 ? (guint) self->info->defaultSampleRate : 48000;
}

guint
jg_audio_output_get_max_channels (JgAudioOutput *self)
{
  return (guint) self->info->maxOutputChannels;
}

gboolean
jg_audio_output_attach (JgAudioOutput *self, JgPlayer *player, GError **error)
{
  PaStreamParameters out = {
    .device = self->device,
    .channelCount = (int) jg_player_get_n_outputs (player),
    .sampleFormat = paFloat32,
    .suggestedLatency = self->info->defaultLowOutputLatency,
  };
  PaError err;

  jg_audio_output_detach (self);
  /* One player block per callback keeps motion-to-sound latency at one block. */
  err = Pa_OpenStream (&self->stream, NULL, &out, jg_player_get_sample_rate (player),
                       jg_player_get_block (player), paNoFlag, render_callback, player);
  if (err == paNoError)
    err = Pa_StartStream (self->stream);
  if (err != paNoError)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_DEVICE, "audio output: %s", Pa_GetErrorText (err));
      if (self->stream)
        Pa_CloseStream (self->stream);
      self->stream = NULL;
      return FALSE;
    }
  return TRUE;
}

void
jg_audio_output_detach (JgAudioOutput *self)
{
  if (self->stream == NULL)
    return;
  Pa_StopStream (self->stream);
  Pa_CloseStream (self->stream);
  self->stream = NULL;
}
