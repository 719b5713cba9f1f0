/* The file formats of a sample: .npy (NumPy's documented layout, built
 * byte by byte here), PNG (fixtures encoded by Python's zlib straight from
 * the PNG specification) and WAV/FLAC (headers checked byte by byte). */
#include "data/jg-audio-clip.h"
#include "data/jg-npy.h"
#include "data/jg-png.h"
#include "core/jg-error.h"

#include <glib/gstdio.h>
#include <math.h>
#include <sndfile.h>
#include <string.h>

/* Written by Python (zlib + struct) straight from the PNG specification. */
static const guint8 png_rgb_3x2[] = {
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
  0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02,
  0x08, 0x02, 0x00, 0x00, 0x00, 0x12, 0x16, 0xf1, 0x4d, 0x00, 0x00, 0x00,
  0x17, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xc0,
  0x00, 0xc1, 0x5c, 0x22, 0x72, 0x1a, 0x46, 0x36, 0x6e, 0x01, 0x51, 0x00,
  0x33, 0x59, 0x04, 0xc0, 0xe4, 0x24, 0x98, 0xcb, 0x00, 0x00, 0x00, 0x00,
  0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};
static const guint8 png_gray16_3x2[] = {
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
  0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x02,
  0x10, 0x00, 0x00, 0x00, 0x00, 0xe8, 0x8f, 0xe5, 0x85, 0x00, 0x00, 0x00,
  0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x60, 0x60, 0x7e,
  0xc1, 0x79, 0x84, 0xe1, 0xff, 0x7f, 0x86, 0x6a, 0x01, 0x16, 0x00, 0x1c,
  0x3a, 0x04, 0x46, 0x9e, 0x05, 0x57, 0x53, 0x00, 0x00, 0x00, 0x00, 0x49,
  0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
};

static char *tmpdir;

/* The PNG specification's CRC-32 (polynomial 0xedb88320), bit by bit. */
static guint32
crc32 (const guint8 *p, gsize n)
{
  guint32 c = 0xffffffffu;
  for (gsize i = 0; i < n; i++)
    {
      c ^= p[i];
      for (int k = 0; k < 8; k++)
        c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
  return c ^ 0xffffffffu;
}

/* A .npy file: magic, version, header length, @dict, then @data. */
static GByteArray *
make_npy (guint major, const char *dict, const void *data, gsize data_len)
{
  GByteArray *b = g_byte_array_new ();
  guint8 pre[12] = { 0x93, 'N', 'U', 'M', 'P', 'Y', (guint8) major, 0 };
  guint32 hlen = (guint32) strlen (dict);

  if (major == 1)
    {
      pre[8] = hlen & 0xff, pre[9] = hlen >> 8;
      g_byte_array_append (b, pre, 10);
    }
  else
    {
      pre[8] = hlen & 0xff, pre[9] = (hlen >> 8) & 0xff, pre[10] = (hlen >> 16) & 0xff, pre[11] = hlen >> 24;
      g_byte_array_append (b, pre, 12);
    }
  g_byte_array_append (b, (const guint8 *) dict, hlen);
  g_byte_array_append (b, data, (guint) data_len);
  return b;
}

/* a[i][j] = 10 i + j for shape (4, 3). */
static void
check_4x3 (const JgNpyArray *a)
{
  g_assert_cmpuint (a->ndim, ==, 2);
  g_assert_cmpuint (a->shape[0], ==, 4);
  g_assert_cmpuint (a->shape[1], ==, 3);
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++)
      g_assert_cmpfloat (a->data[i * 3 + j], ==, 10 * i + j);
}

static void
test_npy_variants (void)
{
  float c_f4[12], f_f4[12];
  guint8 be_f8[12 * 8];
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 3; j++)
      {
        double v = 10 * i + j;
        guint64 u;
        c_f4[i * 3 + j] = (float) v;
        f_f4[j * 4 + i] = (float) v;
        memcpy (&u, &v, 8);
        u = GUINT64_TO_BE (u);
        memcpy (be_f8 + (i * 3 + j) * 8, &u, 8);
      }

  {
    g_autoptr(GByteArray) b = make_npy (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 3), }     \n",
                                        c_f4, sizeof c_f4);
    g_autoptr(JgNpyArray) a = jg_npy_parse (b->data, b->len, "c.npy", &error);
    g_assert_no_error (error);
    check_4x3 (a);
  }
  {
    g_autoptr(GByteArray) b = make_npy (2, "{'fortran_order': True, 'shape': (4,3), 'descr': '<f4'}\n",
                                        f_f4, sizeof f_f4);
    g_autoptr(JgNpyArray) a = jg_npy_parse (b->data, b->len, "f.npy", &error);
    g_assert_no_error (error);
    check_4x3 (a);
  }
  {
    g_autoptr(GByteArray) b = make_npy (3, "{\"descr\": \">f8\", \"fortran_order\": False, \"shape\": (4, 3)}\n",
                                        be_f8, sizeof be_f8);
    g_autoptr(JgNpyArray) a = jg_npy_parse (b->data, b->len, "be.npy", &error);
    g_assert_no_error (error);
    check_4x3 (a);
  }
  /* (N, 4) as written by a (frames, channels) array: comes back channel-major. */
  {
    g_autoptr(GByteArray) b = make_npy (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }\n",
                                        f_f4, sizeof f_f4);
    gsize n = 0;
    g_autofree float *foa = jg_npy_parse_foa (b->data, b->len, "n4.npy", &n, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (n, ==, 3);
    for (int ch = 0; ch < 4; ch++)
      for (int t = 0; t < 3; t++)
        g_assert_cmpfloat (foa[ch * 3 + t], ==, 10 * ch + t);
  }
}

static void
test_npy_write (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "w.npy", NULL);
  g_autofree char *bytes = NULL;
  g_autoptr(GError) error = NULL;
  float data[4 * 5];
  gsize shape[2] = { 4, 5 }, len, n = 0;
  g_autofree float *back = NULL;
  const char *expect = "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 5), }";

  for (int i = 0; i < 20; i++)
    data[i] = (float) (i * 0.25 - 3);
  g_assert_true (jg_npy_write_f32 (path, data, 2, shape, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &bytes, &len, NULL));
  /* numpy's own layout: v1.0, header padded to 64 bytes, ending in '\n'. */
  g_assert_cmpmem (bytes, 8, "\x93NUMPY\x01\x00", 8);
  g_assert_cmpuint ((guint8) bytes[8] | (guint8) bytes[9] << 8, ==, 118);
  g_assert_cmpmem (bytes + 10, strlen (expect), expect, strlen (expect));
  g_assert_cmpint (bytes[127], ==, '\n');
  g_assert_cmpuint (len, ==, 128 + 80);
  back = jg_npy_load_foa (path, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 5);
  g_assert_cmpmem (back, sizeof data, data, sizeof data);

  data[7] = NAN;
  g_assert_false (jg_npy_write_f32 (path, data, 2, shape, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
}

static void
expect_npy_error (const char *dict, const void *data, gsize len, int code, const char *words)
{
  g_autoptr(GByteArray) b = make_npy (1, dict, data, len);
  g_autoptr(GError) error = NULL;
  g_autoptr(JgNpyArray) a = jg_npy_parse (b->data, b->len, "bad.npy", &error);

  g_assert_null (a);
  g_assert_error (error, JG_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_true (g_str_has_prefix (error->message, "bad.npy: "));
  g_assert_nonnull (strstr (error->message, words));
}

static void
test_npy_errors (void)
{
  float v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (tmpdir, "nope.npy", NULL);
  g_autoptr(GByteArray) good = make_npy (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2), }\n",
                                         v, sizeof v);

  expect_npy_error ("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2), }\n", v, 28,
                    JG_ERROR_INVALID_DATA, "truncated");
  expect_npy_error ("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 1), }\n", v, 32,
                    JG_ERROR_INVALID_DATA, "unexpected bytes");
  expect_npy_error ("{'descr': '<i2', 'fortran_order': False, 'shape': (4, 2), }\n", v, 16,
                    JG_ERROR_UNSUPPORTED, "'<i2'");
  expect_npy_error ("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000, 100000000), }\n", v, 32,
                    JG_ERROR_INVALID_DATA, "absurdly large");
  expect_npy_error ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (4, 2), }\n", v, 32,
                    JG_ERROR_INVALID_DATA, "malformed");
  expect_npy_error ("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2}\n", v, 32,
                    JG_ERROR_INVALID_DATA, "shape");
  expect_npy_error ("{'descr': '<f4', 'fortran_order': False, 'shape': (), }\n", v, 4,
                    JG_ERROR_UNSUPPORTED, "scalar");
  v[5] = NAN;
  expect_npy_error ("{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2), }\n", v, 32,
                    JG_ERROR_INVALID_DATA, "element 5 of (4, 2) is NaN");
  v[5] = -INFINITY;
  expect_npy_error ("{'descr': '<f4', 'fortran_order': False, 'shape': (8,), }\n", v, 32,
                    JG_ERROR_INVALID_DATA, "element 5 of (8,) is infinite");

  /* Every truncation of a good file is an error, never a crash. */
  for (guint cut = 0; cut < good->len; cut++)
    {
      g_autoptr(JgNpyArray) a = jg_npy_parse (good->data, cut, "cut.npy", &error);
      g_assert_null (a);
      g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
      g_clear_error (&error);
    }
  {
    g_autoptr(JgNpyArray) a = jg_npy_parse (good->data, good->len, "ok.npy", &error);
    g_assert_no_error (error);
    g_assert_cmpuint (a->n_elements, ==, 8);
  }
  {
    gsize n;
    g_assert_null (jg_npy_load_foa (missing, &n, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, missing));
    g_clear_error (&error);
  }
  {
    gsize n;
    float w[6] = { 0 };
    g_autoptr(GByteArray) b = make_npy (1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
                                        w, sizeof w);
    g_assert_null (jg_npy_parse_foa (b->data, b->len, "two.npy", &n, &error));
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "shape (2, 3), expected 4 FOA channels"));
  }
}

static void
test_png_fixtures (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgImage) rgb = jg_png_parse (png_rgb_3x2, sizeof png_rgb_3x2, "rgb.png", &error);
  g_autoptr(JgImage) g16 = jg_png_parse (png_gray16_3x2, sizeof png_gray16_3x2, "depth.png", &error);
  static const guint8 want_rgb[] = { 255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90 };
  static const guint16 want_g16[] = { 0, 1000, 2500, 65535, 123, 4100 };

  g_assert_no_error (error);
  g_assert_cmpuint (rgb->width, ==, 3);
  g_assert_cmpuint (rgb->height, ==, 2);
  g_assert_cmpuint (rgb->channels, ==, 3);
  g_assert_cmpuint (rgb->bit_depth, ==, 8);
  g_assert_cmpmem (rgb->pixels, sizeof want_rgb, want_rgb, sizeof want_rgb);
  g_assert_cmpuint (g16->channels, ==, 1);
  g_assert_cmpuint (g16->bit_depth, ==, 16);
  g_assert_cmpmem (g16->pixels, sizeof want_g16, want_g16, sizeof want_g16);

  for (gsize cut = 0; cut + 12 < sizeof png_rgb_3x2; cut++)
    {
      g_autoptr(JgImage) img = jg_png_parse (png_rgb_3x2, cut, "cut.png", &error);
      g_assert_null (img);
      g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
      g_assert_true (g_str_has_prefix (error->message, "cut.png: "));
      g_clear_error (&error);
    }
}

static void
test_png_write (void)
{
  static const guint channels[] = { 1, 3, 4, 1 }, depths[] = { 8, 8, 8, 16 };
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "w.png", NULL);

  for (gsize c = 0; c < G_N_ELEMENTS (channels); c++)
    {
      guint w = 37, h = 11, bytes = depths[c] / 8;
      gsize n = (gsize) w * h * channels[c];
      g_autofree guint8 *px = g_malloc (n * bytes);
      g_autoptr(JgImage) img = NULL;

      for (gsize i = 0; i < n; i++)
        {
          if (bytes == 2)
            ((guint16 *) px)[i] = (guint16) (i * 977);
          else
            px[i] = (guint8) (i * 7);
        }
      g_assert_true (jg_png_write (path, w, h, channels[c], depths[c], px, &error));
      g_assert_no_error (error);
      img = jg_png_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (img->width, ==, w);
      g_assert_cmpuint (img->channels, ==, channels[c]);
      g_assert_cmpuint (img->bit_depth, ==, depths[c]);
      g_assert_cmpmem (img->pixels, n * bytes, px, n * bytes);
    }

  /* A header promising 10000x10000 in a few bytes is refused before allocating. */
  {
    guint8 forged[sizeof png_gray16_3x2];
    g_autoptr(JgImage) img = NULL;
    memcpy (forged, png_gray16_3x2, sizeof forged);
    guint32 crc;
    forged[18] = 0x27, forged[19] = 0x10, forged[22] = 0x27, forged[23] = 0x10;
    crc = crc32 (forged + 12, 17);   /* chunk type + IHDR data */
    forged[29] = crc >> 24, forged[30] = (crc >> 16) & 0xff, forged[31] = (crc >> 8) & 0xff, forged[32] = crc & 0xff;
    img = jg_png_parse (forged, sizeof forged, "forged.png", &error);
    g_assert_null (img);
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_test_message ("%s", error->message);
    g_assert_nonnull (strstr (error->message, "claims 10000x10000"));
  }
}

static guint32
rd32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static void
test_wav (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "foa.wav", NULL);
  g_autofree char *fpath = g_build_filename (tmpdir, "foa-float.wav", NULL);
  g_autofree guint8 *bytes = NULL;
  gsize len, n = 1000;
  g_autofree float *sig = g_new (float, 4 * n);
  g_autoptr(JgAudioClip) clip = NULL, fclip = NULL;

  for (int c = 0; c < 4; c++)
    for (gsize i = 0; i < n; i++)
      sig[c * n + i] = (float) (0.5 * sin (0.01 * (double) (i + 1) * (c + 1)));
  g_assert_true (jg_wav_write (path, sig, 4, 16000, n, JG_WAV_PCM16, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, (char **) &bytes, &len, NULL));
  /* Canonical 44-byte header: PCM (1), 4 channels, 16000 Hz, 16 bits. */
  g_assert_cmpuint (len, ==, 44 + n * 8);
  g_assert_cmpmem (bytes, 4, "RIFF", 4);
  g_assert_cmpuint (bytes[20] | bytes[21] << 8, ==, 1);
  g_assert_cmpuint (bytes[22] | bytes[23] << 8, ==, 4);
  g_assert_cmpuint (rd32 (bytes + 24), ==, 16000);
  g_assert_cmpuint (bytes[34] | bytes[35] << 8, ==, 16);
  g_assert_cmpuint (rd32 (bytes + 40), ==, n * 8);

  clip = jg_audio_clip_parse (bytes, len, "foa.wav", &error);
  g_assert_no_error (error);
  g_assert_true (jg_audio_clip_check_foa (clip, "foa.wav", &error));
  g_assert_cmpuint (clip->n_frames, ==, n);
  for (gsize i = 0; i < 4 * n; i++)
    g_assert_cmpfloat_with_epsilon (clip->data[i], sig[i], 1.0 / 32768 + 1e-7);

  g_assert_true (jg_wav_write (fpath, sig, 4, 16000, n, JG_WAV_FLOAT, &error));
  fclip = jg_audio_clip_load (fpath, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (fclip->data, 4 * n * sizeof (float), sig, 4 * n * sizeof (float));

  /* Truncated anywhere after the header: an error naming the file. */
  for (gsize cut = 0; cut < len; cut += (cut < 64 ? 1 : 997))
    {
      g_autoptr(JgAudioClip) c = jg_audio_clip_parse (bytes, cut, "cut.wav", &error);
      g_assert_null (c);
      g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
      g_assert_true (g_str_has_prefix (error->message, "cut.wav: "));
      g_clear_error (&error);
    }

  /* NaN in a float WAV (written by libsndfile directly: our writer is for
   * finished audio and never sees NaN from the pipeline). */
  {
    SF_INFO info = { .samplerate = 16000, .channels = 4, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT };
    SNDFILE *sf = sf_open (fpath, SFM_WRITE, &info);
    float frames[4 * 8] = { 0 };
    g_autoptr(JgAudioClip) c = NULL;

    frames[4 * 3 + 2] = NAN;
    g_assert_nonnull (sf);
    g_assert_cmpint (sf_writef_float (sf, frames, 8), ==, 8);
    sf_close (sf);
    c = jg_audio_clip_load (fpath, &error);
    g_assert_null (c);
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    g_assert_nonnull (strstr (error->message, "sample 3 of channel 2 is NaN"));
    g_assert_true (g_str_has_prefix (error->message, fpath));
  }
}

static void
test_wav_format_errors (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *stereo = g_build_filename (tmpdir, "stereo.wav", NULL);
  g_autofree char *rate = g_build_filename (tmpdir, "rate.wav", NULL);
  g_autofree char *flac = g_build_filename (tmpdir, "speech.flac", NULL);
  float sig[2 * 64] = { 0 };
  g_autoptr(JgAudioClip) a = NULL, b = NULL, f = NULL;
  SF_INFO info = { .samplerate = 16000, .channels = 1, .format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16 };
  SNDFILE *sf;
  short pcm[64];

  g_assert_true (jg_wav_write (stereo, sig, 2, 16000, 64, JG_WAV_PCM16, &error));
  a = jg_audio_clip_load (stereo, &error);
  g_assert_no_error (error);
  g_assert_false (jg_audio_clip_check_foa (a, stereo, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "2 channels, expected 4"));
  g_clear_error (&error);

  g_assert_true (jg_wav_write (rate, sig, 4, 44100, 32, JG_WAV_PCM16, &error));
  b = jg_audio_clip_load (rate, &error);
  g_assert_false (jg_audio_clip_check_foa (b, rate, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "44100 Hz, expected 16000 Hz"));
  g_clear_error (&error);

  /* FLAC (LibriSpeech's format) through the same loader. */
  for (int i = 0; i < 64; i++)
    pcm[i] = (short) (i * 100 - 3200);
  sf = sf_open (flac, SFM_WRITE, &info);
  g_assert_nonnull (sf);
  g_assert_cmpint (sf_write_short (sf, pcm, 64), ==, 64);
  sf_close (sf);
  f = jg_audio_clip_load (flac, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (f->channels, ==, 1);
  g_assert_cmpuint (f->n_frames, ==, 64);
  for (int i = 0; i < 64; i++)
    g_assert_cmpfloat_with_epsilon (f->data[i], pcm[i] / 32768.0, 1e-6);

  {
    g_autoptr(JgAudioClip) none = jg_audio_clip_parse ((const guint8 *) "hello world, not audio", 22, "x.wav", &error);
    g_assert_null (none);
    g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  }
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("jg-formats-XXXXXX", NULL);
  g_test_add_func ("/formats/npy/variants", test_npy_variants);
  g_test_add_func ("/formats/npy/write", test_npy_write);
  g_test_add_func ("/formats/npy/errors", test_npy_errors);
  g_test_add_func ("/formats/png/fixtures", test_png_fixtures);
  g_test_add_func ("/formats/png/write", test_png_write);
  g_test_add_func ("/formats/wav/round-trip", test_wav);
  g_test_add_func ("/formats/wav/format-errors", test_wav_format_errors);
  rc = g_test_run ();
  {
    g_autoptr(GDir) d = g_dir_open (tmpdir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name (d)))
      {
        g_autofree char *p = g_build_filename (tmpdir, name, NULL);
        g_unlink (p);
      }
    g_rmdir (tmpdir);
  }
  return rc;
}
