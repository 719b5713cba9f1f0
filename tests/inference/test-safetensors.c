/* Safetensors: files written here (by jg_safetensors_write and by hand for
 * corrupt ones), sharded indexes, expectations, half-precision rounding
 * checked against brute-force nearest values, and LoRA merging checked
 * against a direct double-precision B·A. */
#include "core/jg-error.h"
#include "inference/jg-safetensors.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("jg-st-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  GDir *d = g_dir_open (f->dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_unlink (p);
    }
  g_dir_close (d);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static char *
path_in (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

/* Raw file: 8-byte little-endian header length, header, data. */
static void
write_raw (const char *path, const char *header, guint64 claimed_len, const void *data, gsize n_data)
{
  g_autoptr(GByteArray) b = g_byte_array_new ();
  guint64 le = GUINT64_TO_LE (claimed_len);
  g_byte_array_append (b, (const guint8 *) &le, 8);
  g_byte_array_append (b, (const guint8 *) header, strlen (header));
  if (n_data)
    g_byte_array_append (b, data, n_data);
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, NULL));
}

static void
test_roundtrip (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = path_in (f, "model.safetensors");
  float w32[6] = { 1.5f, -2.25f, 3.0f, 0.125f, -0.0f, 65504.0f };
  guint16 w16[4], wb[4];
  gint8 q[3] = { -128, 0, 127 };
  guint8 u[2] = { 0, 255 };
  float back[6];
  JgStWriteTensor ts[] = {
    { "z.f32", JG_ST_F32, 2, { 2, 3 }, w32 },
    { "a.f16", JG_ST_F16, 1, { 4 }, w16 },
    { "m.bf16", JG_ST_BF16, 2, { 2, 2 }, wb },
    { "q.i8", JG_ST_I8, 1, { 3 }, q },
    { "u.u8", JG_ST_U8, 1, { 2 }, u },
    { "empty", JG_ST_F32, 2, { 0, 7 }, NULL },
  };
  g_autoptr(JgSafetensors) st = NULL;
  const JgStTensor *t;

  for (int i = 0; i < 4; i++)
    {
      w16[i] = jg_f32_to_f16 (w32[i]);
      wb[i] = jg_f32_to_bf16 (w32[i]);
    }
  g_assert_true (jg_safetensors_write (path, ts, G_N_ELEMENTS (ts), &error));
  g_assert_no_error (error);

  /* A folder with a single model.safetensors opens that file. */
  st = jg_safetensors_open (f->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (jg_safetensors_get_n_tensors (st), ==, 6);
  /* Sorted by name. */
  g_assert_cmpstr (jg_safetensors_get_tensor (st, 0)->name, ==, "a.f16");
  g_assert_cmpstr (jg_safetensors_get_tensor (st, 5)->name, ==, "z.f32");

  t = jg_safetensors_lookup (st, "z.f32");
  g_assert_nonnull (t);
  g_assert_cmpint (t->dtype, ==, JG_ST_F32);
  g_assert_cmpuint (t->n_dims, ==, 2);
  g_assert_cmpint (t->shape[0], ==, 2);
  g_assert_cmpint (t->shape[1], ==, 3);
  g_assert_cmpint (t->n_elements, ==, 6);
  g_assert_true (jg_st_tensor_to_f32 (t, back, &error));
  for (int i = 0; i < 6; i++)
    g_assert_cmpfloat (back[i], ==, w32[i]);

  /* These four values are exact in f16 and bf16. */
  g_assert_true (jg_st_tensor_to_f32 (jg_safetensors_lookup (st, "a.f16"), back, &error));
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (back[i], ==, w32[i]);
  g_assert_true (jg_st_tensor_to_f32 (jg_safetensors_lookup (st, "m.bf16"), back, &error));
  for (int i = 0; i < 4; i++)
    g_assert_cmpfloat (back[i], ==, w32[i]);
  {
    guint16 h[4];
    g_assert_true (jg_st_tensor_to_f16 (jg_safetensors_lookup (st, "m.bf16"), h, &error));
    for (int i = 0; i < 4; i++)
      g_assert_cmpuint (h[i], ==, w16[i]);
  }

  t = jg_safetensors_lookup (st, "q.i8");
  g_assert_cmpint (t->dtype, ==, JG_ST_I8);
  g_assert_cmpint (((const gint8 *) t->data)[0], ==, -128);
  g_assert_cmpint (((const gint8 *) t->data)[2], ==, 127);
  t = jg_safetensors_lookup (st, "u.u8");
  g_assert_cmpuint (t->data[1], ==, 255);
  g_assert_false (jg_st_tensor_to_f32 (t, back, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED);
  g_clear_error (&error);

  t = jg_safetensors_lookup (st, "empty");
  g_assert_cmpint (t->n_elements, ==, 0);
  g_assert_null (jg_safetensors_lookup (st, "nope"));
}

/* Every f16 value survives f16 -> f32 -> f16; f32 -> f16 picks the
 * nearest f16 (ties to even), checked by comparing with the neighbours. */
static void
test_half_conversions (void)
{
  GRand *rand = g_rand_new_with_seed (7);

  for (guint h = 0; h < 65536; h++)
    {
      float f = jg_f16_to_f32 ((guint16) h);
      if (isnan (f))
        {
          g_assert_true (isnan (jg_f16_to_f32 (jg_f32_to_f16 (f))));
          continue;
        }
      g_assert_cmpuint (jg_f32_to_f16 (f), ==, h);
      g_assert_cmpuint (jg_f32_to_bf16 (jg_bf16_to_f32 ((guint16) h)), ==,
                        isnan (jg_bf16_to_f32 ((guint16) h)) ? jg_f32_to_bf16 (jg_bf16_to_f32 ((guint16) h)) : h);
    }
  /* Known values. */
  g_assert_cmpuint (jg_f32_to_f16 (1.0f), ==, 0x3c00);
  g_assert_cmpuint (jg_f32_to_f16 (-2.0f), ==, 0xc000);
  g_assert_cmpuint (jg_f32_to_f16 (65520.0f), ==, 0x7c00);   /* rounds to inf */
  g_assert_cmpuint (jg_f32_to_f16 (65519.0f), ==, 0x7bff);
  g_assert_cmpuint (jg_f32_to_f16 (5.9604645e-8f), ==, 0x0001); /* smallest subnormal */
  g_assert_cmpuint (jg_f32_to_f16 (2.9802322e-8f), ==, 0x0000); /* half of it: tie to even */
  g_assert_cmpuint (jg_f32_to_bf16 (1.0f), ==, 0x3f80);
  g_assert_cmpfloat (jg_bf16_to_f32 (0x4049), ==, 3.140625f);

  for (int i = 0; i < 200000; i++)
    {
      /* Magnitudes from 2^-26 to 2^17 cover subnormals and overflow. */
      float f = (float) ((g_rand_boolean (rand) ? -1 : 1) * ldexp (g_rand_double (rand) + 0.5, g_rand_int_range (rand, -26, 17)));
      guint16 h = jg_f32_to_f16 (f);
      double err = fabs ((double) f - jg_f16_to_f32 (h));
      guint16 b = jg_f32_to_bf16 (f);
      double errb = fabs ((double) f - jg_bf16_to_f32 (b));

      if (isinf (jg_f16_to_f32 (h)))
        g_assert_cmpfloat (fabs (f), >=, 65520.0);
      else
        for (int d = -1; d <= 1; d += 2)
          {
            guint16 n = (guint16) (h + d);
            if ((n & 0x7fff) <= 0x7bff && ((n ^ h) & 0x8000) == 0)
              g_assert_cmpfloat (err, <=, fabs ((double) f - jg_f16_to_f32 (n)));
          }
      for (int d = -1; d <= 1; d += 2)
        {
          guint16 n = (guint16) (b + d);
          if (((n ^ b) & 0x8000) == 0)
            g_assert_cmpfloat (errb, <=, fabs ((double) f - jg_bf16_to_f32 (n)));
        }
    }
  g_rand_free (rand);
}

static void
expect_open_error (const char *path, int code, const char *const *needles)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgSafetensors) st = jg_safetensors_open (path, &error);

  g_assert_null (st);
  g_assert_error (error, JG_ERROR, code);
  if (g_test_verbose ())
    g_test_message ("%s", error->message);
  for (int i = 0; needles[i]; i++)
    if (strstr (error->message, needles[i]) == NULL)
      g_error ("error \"%s\" lacks \"%s\"", error->message, needles[i]);
}

/* The bulk conversions (F16C where the CPU has it) against the scalar
 * ones: every bf16 value, and f32 values of every exponent including NaN,
 * infinities, subnormals and halfway cases, at odd lengths. */
static void
test_bulk_conversions (void)
{
  enum { NF = 100003 };
  g_autofree guint16 *bf = g_new (guint16, 65536), *out = g_new (guint16, MAX (65536, NF));
  g_autofree float *f = g_new (float, NF);
  g_autoptr(GRand) rand = g_rand_new_with_seed (3);

  for (guint i = 0; i < 65536; i++)
    bf[i] = (guint16) i;
  jg_bf16_to_f16_n (bf, out, 65536);
  for (guint i = 0; i < 65536; i++)
    g_assert_cmphex (out[i], ==, jg_f32_to_f16 (jg_bf16_to_f32 (bf[i])));
  for (guint i = 0; i < NF; i++)
    {
      guint32 x = g_rand_int (rand);
      if (i % 4 == 1)
        x = (x & 0x80000000u) | ((guint32) g_rand_int_range (rand, 100, 145) << 23) | (x & 0x7fffffu);
      else if (i % 4 == 2)
        x = (x & 0xffffe000u) | 0x1000u;   /* exactly halfway between two f16 */
      memcpy (&f[i], &x, 4);
    }
  f[0] = INFINITY;
  f[1] = -INFINITY;
  f[2] = NAN;
  f[3] = 65520.0f;   /* rounds up to infinity */
  jg_f32_to_f16_n (f, out, NF);
  for (guint i = 0; i < NF; i++)
    g_assert_cmphex (out[i], ==, jg_f32_to_f16 (f[i]));
}

static void
test_corrupt (Fixture *f, gconstpointer data)
{
  g_autofree char *path = path_in (f, "bad.safetensors");
  g_autofree char *good = path_in (f, "good.safetensors");
  g_autofree char *contents = NULL;
  float w[16] = { 0 };
  JgStWriteTensor ts[] = { { "layer.weight", JG_ST_F32, 2, { 4, 4 }, w } };
  gsize len;
  const char *hdr;

  expect_open_error ("/nonexistent-jg/model.safetensors", JG_ERROR_NOT_FOUND,
                     (const char *[]) { "/nonexistent-jg/model.safetensors", NULL });
  expect_open_error (f->dir, JG_ERROR_NOT_FOUND, (const char *[]) { "no model.safetensors", NULL });

  g_assert_true (g_file_set_contents (path, "abc", 3, NULL));
  expect_open_error (path, JG_ERROR_INVALID_DATA, (const char *[]) { path, "truncated", NULL });

  /* Header length beyond the end of the file. */
  write_raw (path, "{}", 1000, NULL, 0);
  expect_open_error (path, JG_ERROR_INVALID_DATA, (const char *[]) { "truncated", "1000", NULL });

  write_raw (path, "{\"a\": [1, 2", 11, NULL, 0);
  expect_open_error (path, JG_ERROR_INVALID_DATA, (const char *[]) { "corrupt header JSON", NULL });

  write_raw (path, "[1, 2, 3]", 9, NULL, 0);
  expect_open_error (path, JG_ERROR_INVALID_DATA, (const char *[]) { "not a JSON object", NULL });

  hdr = "{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}";
  write_raw (path, hdr, strlen (hdr), w, 8);
  expect_open_error (path, JG_ERROR_INVALID_DATA, (const char *[]) { "corrupt header entry for tensor w", NULL });

  hdr = "{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -1], \"data_offsets\": [0, 8]}}";
  write_raw (path, hdr, strlen (hdr), w, 8);
  expect_open_error (path, JG_ERROR_INVALID_DATA, (const char *[]) { "tensor w", NULL });

  hdr = "{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}";
  write_raw (path, hdr, strlen (hdr), w, 8);
  expect_open_error (path, JG_ERROR_INVALID_DATA, (const char *[]) { "tensor w", "span 8 bytes", "need 12", NULL });

  hdr = "{\"w\": {\"dtype\": \"F64\", \"shape\": [1], \"data_offsets\": [0, 8]}}";
  write_raw (path, hdr, strlen (hdr), w, 8);
  expect_open_error (path, JG_ERROR_UNSUPPORTED, (const char *[]) { "tensor w", "F64", NULL });

  hdr = "{\"__metadata__\": {\"format\": \"pt\"}, \"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}";
  write_raw (path, hdr, strlen (hdr), w, 8);
  expect_open_error (path, JG_ERROR_INVALID_DATA,
                     (const char *[]) { "truncated", "tensor w", "16", "only 8", NULL });

  /* A good file cut short in its data names the tensor that runs off the end. */
  g_assert_true (jg_safetensors_write (good, ts, 1, NULL));
  g_assert_true (g_file_get_contents (good, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (path, contents, (gssize) len - 5, NULL));
  expect_open_error (path, JG_ERROR_INVALID_DATA, (const char *[]) { path, "truncated", "layer.weight", NULL });
  /* Cut inside the header. */
  g_assert_true (g_file_set_contents (path, contents, 20, NULL));
  expect_open_error (path, JG_ERROR_INVALID_DATA, (const char *[]) { "truncated", NULL });
}

/* Every truncation of a valid file fails cleanly; random byte changes in
 * its header either fail with an error or leave every tensor inside the
 * file (run under ASan by `./run tests --sanitize`). */
static void
test_mutations (Fixture *f, gconstpointer data)
{
  g_autofree char *good = path_in (f, "good.safetensors");
  g_autofree char *path = path_in (f, "mut.safetensors");
  g_autofree char *contents = NULL;
  float w[24];
  guint16 h[6];
  JgStWriteTensor ts[] = {
    { "a.weight", JG_ST_F32, 2, { 4, 6 }, w },
    { "b.bias", JG_ST_BF16, 1, { 6 }, h },
    { "c.q", JG_ST_I8, 2, { 3, 2 }, h },
  };
  GRand *rand = g_rand_new_with_seed (13);
  gsize len;
  guint64 header_len;
  guint n_ok = 0;

  memset (w, 0, sizeof w);
  memset (h, 0, sizeof h);
  g_assert_true (jg_safetensors_write (good, ts, G_N_ELEMENTS (ts), NULL));
  g_assert_true (g_file_get_contents (good, &contents, &len, NULL));
  memcpy (&header_len, contents, 8);
  header_len = GUINT64_FROM_LE (header_len);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JgSafetensors) st = NULL;
      g_assert_true (g_file_set_contents (path, contents, (gssize) cut, NULL));
      st = jg_safetensors_open (path, &error);
      g_assert_null (st);
      g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
    }
  for (int i = 0; i < 3000; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JgSafetensors) st = NULL;
      g_autofree char *mut = g_memdup2 (contents, len);
      int n_changes = g_rand_int_range (rand, 1, 4);
      for (int k = 0; k < n_changes; k++)
        {
          /* Mostly the JSON header, sometimes the length field. */
          gsize at = g_rand_int_range (rand, 0, 10) == 0 ? (gsize) g_rand_int_range (rand, 0, 8)
                                                          : 8 + (gsize) g_rand_int_range (rand, 0, (gint32) header_len);
          mut[at] = g_rand_int_range (rand, 0, 4) == 0 ? "0123456789,[]{}\" -"[g_rand_int_range (rand, 0, 18)]
                                                       : (char) g_rand_int_range (rand, 0, 256);
        }
      g_assert_true (g_file_set_contents (path, mut, (gssize) len, NULL));
      st = jg_safetensors_open (path, &error);
      if (st == NULL)
        {
          g_assert_nonnull (error);
          g_assert_true (error->domain == JG_ERROR);
          continue;
        }
      n_ok++;
      for (guint t = 0; t < jg_safetensors_get_n_tensors (st); t++)
        {
          const JgStTensor *tt = jg_safetensors_get_tensor (st, t);
          g_assert_cmpuint (tt->n_bytes, ==, (gsize) tt->n_elements * jg_st_dtype_size (tt->dtype));
          /* Read every byte: ASan catches anything outside the mapping. */
          {
            guint sum = 0;
            for (gsize b = 0; b < tt->n_bytes; b++)
              sum += tt->data[b];
            (void) sum;
          }
        }
    }
  g_rand_free (rand);
  g_test_message ("3000 mutated headers: %u still valid, the rest rejected with an error", n_ok);
}

static void
write_index (const char *path, const char *const *pairs)
{
  g_autoptr(GString) s = g_string_new ("{\"metadata\": {\"total_size\": 0}, \"weight_map\": {");
  for (int i = 0; pairs[i]; i += 2)
    g_string_append_printf (s, "%s\"%s\": \"%s\"", i ? ", " : "", pairs[i], pairs[i + 1]);
  g_string_append (s, "}}");
  g_assert_true (g_file_set_contents (path, s->str, -1, NULL));
}

static void
test_sharded (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *s1 = path_in (f, "model-00001-of-00002.safetensors");
  g_autofree char *s2 = path_in (f, "model-00002-of-00002.safetensors");
  g_autofree char *index = path_in (f, "model.safetensors.index.json");
  float a[4] = { 1, 2, 3, 4 }, b[2] = { 5, 6 }, c[3] = { 7, 8, 9 };
  JgStWriteTensor t1[] = { { "model.a", JG_ST_F32, 2, { 2, 2 }, a }, { "model.b", JG_ST_F32, 1, { 2 }, b } };
  JgStWriteTensor t2[] = { { "lm_head.c", JG_ST_F32, 1, { 3 }, c } };
  const char *n1 = "model-00001-of-00002.safetensors", *n2 = "model-00002-of-00002.safetensors";
  float got[4];

  g_assert_true (jg_safetensors_write (s1, t1, 2, &error));
  g_assert_true (jg_safetensors_write (s2, t2, 1, &error));
  write_index (index, (const char *[]) { "model.a", n1, "model.b", n1, "lm_head.c", n2, NULL });
  {
    g_autoptr(JgSafetensors) st = jg_safetensors_open (f->dir, &error);
    const JgStTensor *t;
    g_assert_no_error (error);
    g_assert_cmpuint (jg_safetensors_get_n_tensors (st), ==, 3);
    t = jg_safetensors_lookup (st, "lm_head.c");
    g_assert_cmpstr (t->file, ==, s2);
    g_assert_true (jg_st_tensor_to_f32 (t, got, &error));
    g_assert_cmpfloat (got[2], ==, 9.0f);
    t = jg_safetensors_lookup (st, "model.a");
    g_assert_cmpstr (t->file, ==, s1);
    g_assert_true (jg_st_tensor_to_f32 (t, got, &error));
    g_assert_cmpfloat (got[3], ==, 4.0f);
  }

  /* The index names a tensor no shard holds. */
  write_index (index, (const char *[]) { "model.a", n1, "model.b", n1, "lm_head.c", n2, "model.gone", n2, NULL });
  expect_open_error (index, JG_ERROR_INVALID_DATA, (const char *[]) { "missing tensor model.gone", n2, NULL });
  /* A shard holds a tensor the index does not list. */
  write_index (index, (const char *[]) { "model.a", n1, "lm_head.c", n2, NULL });
  expect_open_error (index, JG_ERROR_INVALID_DATA, (const char *[]) { "unexpected tensor model.b", NULL });
  /* The index points at the wrong shard. */
  write_index (index, (const char *[]) { "model.a", n1, "model.b", n2, "lm_head.c", n2, NULL });
  expect_open_error (index, JG_ERROR_INVALID_DATA, (const char *[]) { "model.b is in", n1, NULL });
  write_index (index, (const char *[]) { "model.a", n1, "model.b", n1, "lm_head.c", n1, NULL });
  expect_open_error (index, JG_ERROR_INVALID_DATA, (const char *[]) { "missing tensor lm_head.c", n1, NULL });
  /* A shard is missing on disk. */
  write_index (index, (const char *[]) { "model.a", n1, "model.b", n1, "lm_head.c", "model-00003.safetensors", NULL });
  expect_open_error (index, JG_ERROR_NOT_FOUND, (const char *[]) { "model-00003.safetensors", NULL });
  /* Shard names must stay inside the folder. */
  write_index (index, (const char *[]) { "model.a", "../x.safetensors", NULL });
  expect_open_error (index, JG_ERROR_INVALID_DATA, (const char *[]) { "model.a", "invalid shard", NULL });
  g_assert_true (g_file_set_contents (index, "{\"weights\": {}}", -1, NULL));
  expect_open_error (index, JG_ERROR_INVALID_DATA, (const char *[]) { "weight_map", NULL });
  /* A truncated shard is reported with the shard's name. */
  write_index (index, (const char *[]) { "model.a", n1, "model.b", n1, "lm_head.c", n2, NULL });
  g_assert_true (g_file_set_contents (s2, "1234567", 7, NULL));
  expect_open_error (f->dir, JG_ERROR_INVALID_DATA, (const char *[]) { n2, "truncated", NULL });
}

static void
test_expectations (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = path_in (f, "m.safetensors");
  float buf[64] = { 0 };
  guint16 hbuf[64] = { 0 };
  JgStWriteTensor ts[] = {
    { "embed", JG_ST_BF16, 2, { 8, 4 }, hbuf },
    { "norm", JG_ST_F32, 1, { 4 }, buf },
    { "proj", JG_ST_F16, 2, { 4, 5 }, hbuf },
    { "extra", JG_ST_F32, 1, { 2 }, buf },
  };
  JgStExpect ok[] = {
    { "embed", JG_ST_MASK_FLOAT, 2, { 8, 4 } },
    { "norm", JG_ST_MASK (JG_ST_F32), 1, { -1 } },
    { "proj", JG_ST_MASK_FLOAT, 2, { 4, 5 } },
  };
  JgStExpect bad[] = {
    { "embed", JG_ST_MASK_FLOAT, 2, { 8, 4 } },
    { "norm", JG_ST_MASK (JG_ST_F16), 1, { 4 } },
    { "proj", JG_ST_MASK_FLOAT, 2, { 4, 6 } },
    { "lm_head", JG_ST_MASK_FLOAT, 2, { 8, 4 } },
  };
  g_autoptr(JgSafetensors) st = NULL;

  g_assert_true (jg_safetensors_write (path, ts, G_N_ELEMENTS (ts), &error));
  st = jg_safetensors_open (path, &error);
  g_assert_no_error (error);

  g_assert_true (jg_safetensors_check (st, ok, G_N_ELEMENTS (ok), TRUE, &error));
  g_assert_no_error (error);
  g_assert_false (jg_safetensors_check (st, ok, G_N_ELEMENTS (ok), FALSE, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "1 unexpected tensor: extra"));
  g_clear_error (&error);

  g_assert_false (jg_safetensors_check (st, bad, G_N_ELEMENTS (bad), FALSE, &error));
  if (g_test_verbose ())
    g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "1 missing tensor: lm_head"));
  g_assert_nonnull (strstr (error->message, "norm is F32 [4], expected F16 [4]"));
  g_assert_nonnull (strstr (error->message, "proj is F16 [4, 5], expected F32/F16/BF16 [4, 6]"));
  g_assert_nonnull (strstr (error->message, "unexpected tensor: extra"));
  g_assert_null (strstr (error->message, "embed"));
  g_clear_error (&error);

  g_assert_nonnull (jg_safetensors_require (st, "proj", JG_ST_MASK_FLOAT, 2, (gint64[]) { 4, -1 }, &error));
  g_assert_null (jg_safetensors_require (st, "proj", JG_ST_MASK_FLOAT, 1, (gint64[]) { 20 }, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "proj is F16 [4, 5], expected F32/F16/BF16 [20]"));
  g_clear_error (&error);
  g_assert_null (jg_safetensors_require (st, "q_proj", JG_ST_MASK_FLOAT, 0, NULL, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "missing tensor q_proj"));
}

static void
test_lora_keys (void)
{
  struct { const char *key; const char *module; gboolean a; } cases[] = {
    { "model.base_model.model.model.layers.3.self_attn.q_proj.lora_A.default.weight", "model.layers.3.self_attn.q_proj", TRUE },
    { "base_model.model.model.layers.0.mlp.down_proj.lora_B.weight", "model.layers.0.mlp.down_proj", FALSE },
    { "model.layers.0.mlp.up_proj.lora_B.jaeger.weight", "model.layers.0.mlp.up_proj", FALSE },
    { "model.base_model.model.visual.blocks.0.attn.qkv.weight", NULL, FALSE },
    { "model.layers.0.mlp.up_proj.lora_A.default.bias", NULL, FALSE },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gboolean is_a = !cases[i].a;
      g_autofree char *m = jg_lora_module_from_key (cases[i].key, &is_a);
      g_assert_cmpstr (m, ==, cases[i].module);
      if (m)
        g_assert_cmpint (is_a, ==, cases[i].a);
    }
  g_assert_cmpstr (jg_peft_strip_prefix ("model.base_model.model.visual.merger.ln_q.weight"), ==, "visual.merger.ln_q.weight");
  g_assert_cmpstr (jg_peft_strip_prefix ("lm_head.weight"), ==, "lm_head.weight");
}

/* W + (α/r)·B·A against a direct double-precision sum, with A in BF16 and
 * B in F32 as mixed checkpoints have them. */
static void
test_lora_merge (Fixture *f, gconstpointer data)
{
  enum { OUT = 7, IN = 5, R = 3 };
  const float alpha = 6.0f;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = path_in (f, "adapter.safetensors");
  GRand *rand = g_rand_new_with_seed (11);
  float w[OUT * IN], w0[OUT * IN], a[R * IN], b[OUT * R];
  guint16 a_bf[R * IN];
  const char *mod = "model.layers.0.self_attn.q_proj";
  JgStWriteTensor ts[] = {
    { "model.base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight", JG_ST_BF16, 2, { R, IN }, a_bf },
    { "model.base_model.model.model.layers.0.self_attn.q_proj.lora_B.default.weight", JG_ST_F32, 2, { OUT, R }, b },
    { "model.base_model.model.model.layers.1.mlp.up_proj.lora_A.default.weight", JG_ST_BF16, 2, { R, IN }, a_bf },
    { "model.base_model.model.visual.blocks.0.norm1.weight", JG_ST_F32, 1, { IN }, a },
  };
  g_autoptr(JgSafetensors) st = NULL;
  g_autoptr(GPtrArray) mods = NULL;
  double max_err = 0;

  for (int i = 0; i < OUT * IN; i++)
    w0[i] = w[i] = (float) g_rand_double_range (rand, -1, 1);
  for (int i = 0; i < R * IN; i++)
    {
      a_bf[i] = jg_f32_to_bf16 ((float) g_rand_double_range (rand, -1, 1));
      a[i] = jg_bf16_to_f32 (a_bf[i]);
    }
  for (int i = 0; i < OUT * R; i++)
    b[i] = (float) g_rand_double_range (rand, -1, 1);
  g_rand_free (rand);

  g_assert_true (jg_safetensors_write (path, ts, G_N_ELEMENTS (ts), &error));
  st = jg_safetensors_open (path, &error);
  g_assert_no_error (error);

  mods = jg_lora_list_modules (st);
  g_assert_cmpuint (mods->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (mods, 0), ==, "model.layers.0.self_attn.q_proj");
  g_assert_cmpstr (g_ptr_array_index (mods, 1), ==, "model.layers.1.mlp.up_proj");

  g_assert_true (jg_lora_merge (st, mod, alpha, w, OUT, IN, &error));
  g_assert_no_error (error);
  for (int o = 0; o < OUT; o++)
    for (int i = 0; i < IN; i++)
      {
        double ref = w0[o * IN + i];
        for (int k = 0; k < R; k++)
          ref += (double) alpha / R * b[o * R + k] * a[k * IN + i];
        max_err = MAX (max_err, fabs (ref - w[o * IN + i]));
      }
  g_test_message ("LoRA merge max abs error vs double: %.3g", max_err);
  g_assert_cmpfloat (max_err, <, 1e-5);
  /* The update is not negligible, so the check above means something. */
  g_assert_cmpfloat (fabs (w[0] - w0[0]) + fabs (w[IN + 1] - w0[IN + 1]), >, 1e-2);

  /* Wrong weight shape, and a module with no lora_B. */
  g_assert_false (jg_lora_merge (st, mod, alpha, w, OUT, IN + 1, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "does not fit"));
  g_assert_nonnull (strstr (error->message, mod));
  g_clear_error (&error);
  g_assert_false (jg_lora_merge (st, "model.layers.1.mlp.up_proj", alpha, w, OUT, IN, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "lora_B of model.layers.1.mlp.up_proj"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/safetensors/roundtrip", Fixture, NULL, fixture_setup, test_roundtrip, fixture_teardown);
  g_test_add_func ("/safetensors/half-conversions", test_half_conversions);
  g_test_add_func ("/safetensors/bulk-conversions", test_bulk_conversions);
  g_test_add ("/safetensors/corrupt", Fixture, NULL, fixture_setup, test_corrupt, fixture_teardown);
  g_test_add ("/safetensors/mutations", Fixture, NULL, fixture_setup, test_mutations, fixture_teardown);
  g_test_add ("/safetensors/sharded", Fixture, NULL, fixture_setup, test_sharded, fixture_teardown);
  g_test_add ("/safetensors/expectations", Fixture, NULL, fixture_setup, test_expectations, fixture_teardown);
  g_test_add_func ("/safetensors/lora-keys", test_lora_keys);
  g_test_add ("/safetensors/lora-merge", Fixture, NULL, fixture_setup, test_lora_merge, fixture_teardown);
  return g_test_run ();
}
