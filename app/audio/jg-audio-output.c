#include "audio/jg-audio-output.h"

#include <portaudio.h>
#include <string.h>

struct _JgAudioOutput {
  JgPlayer *player;
  PaStream *stream;
  gboolean pa_initialised;
  gboolean silent;
  char *message;
};

static gboolean
device_disabled (void)
{
  const char *env = g_getenv ("JAEGER_AUDIO_DEVICE");

  return env != NULL && g_ascii_strcasecmp (env, "none") == 0;
}

guint
jg_audio_output_preferred_rate (void)
{
  guint rate = 48000;
  PaDeviceIndex dev;

  if (device_disabled () || Pa_Initialize () != paNoError)
    return rate;
  dev = Pa_GetDefaultOutputDevice ();
  if (dev != paNoDevice)
    {
      const PaDeviceInfo *info = Pa_GetDeviceInfo (dev);
      if (info != NULL && info->defaultSampleRate >= 8000 && info->defaultSampleRate <= 384000)
        rate = (guint) info->defaultSampleRate;
    }
  Pa_Terminate ();
  return rate;
}

/* The real-time callback: only jg_player_render, which never allocates,
 * locks or touches files. */
static int
stream_callback (const void *input, void *output, unsigned long frames,
                 const PaStreamCallbackTimeInfo *time, PaStreamCallbackFlags flags, void *data)
{
  jg_player_render (data, output, frames);
  return paContinue;
}

static void
go_silent (JgAudioOutput *out, const char *why)
{
  static gsize reported = 0;

  out->silent = TRUE;
  out->message = g_strdup_printf ("No audio output (%s): playing silently", why);
  if (g_once_init_enter (&reported))
    {
      g_message ("%s", out->message);
      g_once_init_leave (&reported, 1);
    }
  jg_player_start_silent_clock (out->player);
}

JgAudioOutput *
jg_audio_output_new (JgPlayer *player)
{
  JgAudioOutput *out = g_new0 (JgAudioOutput, 1);
  PaStreamParameters params = { 0 };
  const PaDeviceInfo *info;
  PaError err;

  out->player = player;
  if (device_disabled ())
    {
      go_silent (out, "disabled by JAEGER_AUDIO_DEVICE=none");
      return out;
    }
  err = Pa_Initialize ();
  if (err != paNoError)
    {
      go_silent (out, Pa_GetErrorText (err));
      return out;
    }
  out->pa_initialised = TRUE;
  params.device = Pa_GetDefaultOutputDevice ();
  if (params.device == paNoDevice)
    {
      go_silent (out, "no output device");
      return out;
    }
  info = Pa_GetDeviceInfo (params.device);
  params.channelCount = (int) jg_player_get_n_outputs (player);
  params.sampleFormat = paFloat32;
  params.suggestedLatency = info != NULL ? info->defaultLowOutputLatency : 0.02;
  /* Fixed buffers of one render block: each callback is one decode. */
  err = Pa_OpenStream (&out->stream, NULL, &params, jg_player_get_sample_rate (player),
                       jg_player_get_block (player), paNoFlag, stream_callback, player);
  if (err == paNoError)
    err = Pa_StartStream (out->stream);
  if (err != paNoError)
    {
      g_autofree char *why = g_strdup_printf ("%s: %s", info != NULL ? info->name : "default device",
                                              Pa_GetErrorText (err));
      if (out->stream != NULL)
        Pa_CloseStream (out->stream);
      out->stream = NULL;
      go_silent (out, why);
      return out;
    }
  out->message = g_strdup_printf ("Playing on %s", info != NULL ? info->name : "the default device");
  return out;
}

void
jg_audio_output_free (JgAudioOutput *out)
{
  if (out == NULL)
    return;
  if (out->stream != NULL)
    {
      Pa_StopStream (out->stream);
      Pa_CloseStream (out->stream);
    }
  if (out->pa_initialised)
    Pa_Terminate ();
  g_free (out->message);
  g_free (out);
}

gboolean
jg_audio_output_is_silent (const JgAudioOutput *out)
{
  return out->silent;
}

const char *
jg_audio_output_get_message (const JgAudioOutput *out)
{
  return out->message;
}
