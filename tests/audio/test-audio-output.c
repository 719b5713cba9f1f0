/* The PortAudio edge with the device disabled: it must not open a sound
 * card, must say why once, and must keep playback time moving. */
#include "audio/jg-audio-file.h"
#include "audio/jg-audio-output.h"

#include <glib/gstdio.h>
#include <string.h>

static int n_reports;

/* Counts the "no audio" reports; everything else goes to the default writer. */
static GLogWriterOutput
count_writer (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (strcmp (fields[i].key, "MESSAGE") == 0 && fields[i].length < 0
        && g_str_has_prefix (fields[i].value, "No audio output"))
      n_reports++;
  return g_log_writer_default (level, fields, n_fields, data);
}

static void
test_silent_fallback (void)
{
  g_autofree char *dir = g_dir_make_tmp ("jg-out-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "foa.wav", NULL);
  g_autofree float *x = g_new0 (float, 4 * 16000);
  g_autoptr(JgPlayer) player = NULL;
  g_autoptr(JgAudioOutput) out = NULL;
  JgPlayerConfig cfg;
  double pos;

  g_assert_cmpuint (jg_audio_output_preferred_rate (), ==, 48000);
  g_assert_true (jg_audio_file_write_wav (path, x, 16000, 4, 16000, NULL));
  jg_player_config_init (&cfg);
  cfg.decoder = JG_DECODER_STEREO;
  player = jg_player_new (path, &cfg, NULL);
  g_assert_nonnull (player);

  out = jg_audio_output_new (player);
  g_assert_cmpint (n_reports, ==, 1);
  g_assert_true (jg_audio_output_is_silent (out));
  g_assert_nonnull (strstr (jg_audio_output_get_message (out), "playing silently"));

  jg_player_play (player);
  g_usleep (200 * 1000);
  pos = jg_player_get_position (player);
  g_assert_cmpfloat (pos, >, 0.02);
  g_assert_cmpfloat (pos, <, 0.6);

  /* A second output in the same process stays quiet in the log. */
  {
    g_autoptr(JgPlayer) p2 = jg_player_new (path, &cfg, NULL);
    g_autoptr(JgAudioOutput) o2 = jg_audio_output_new (p2);
    g_assert_true (jg_audio_output_is_silent (o2));
    g_assert_cmpint (n_reports, ==, 1);
  }
  g_clear_pointer (&out, jg_audio_output_free);
  g_clear_pointer (&player, jg_player_free);
  g_unlink (path);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_setenv ("JAEGER_AUDIO_DEVICE", "none", TRUE);
  g_log_set_writer_func (count_writer, NULL, NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audio-output/silent-fallback", test_silent_fallback);
  return g_test_run ();
}
