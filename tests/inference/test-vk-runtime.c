/* The compute runtime: half-precision conversion, memory sub-allocation
 * within the binding and allocation limits, the fast-path switches,
 * pipeline caching, and barriers between dependent dispatches recorded
 * into one submission. */
#include "inference/jg-vk-context.h"
#include "inference/jg-tensor.h"
#include "inference/jg-safetensors.h"
#include "inference/jg-vk-ops.h"
#include "inference/jg-ops-ref.h"
#include "core/jg-error.h"

#include <math.h>
#include <string.h>

static JgVkContext *
context_or_fail (const JgVkContextOptions *opts)
{
  g_autoptr(GError) error = NULL;
  JgVkContext *ctx = jg_vk_context_new (opts, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ctx);
  return ctx;
}

static void
test_half (void)
{
  static const struct { float f; guint16 h; } known[] = {
    { 1.0f, 0x3c00 }, { -2.0f, 0xc000 }, { 65504.0f, 0x7bff }, { 65520.0f, 0x7c00 },
    { 0.1f, 0x2e66 }, { 5.9604645e-8f, 0x0001 }, { 0.0f, 0x0000 }, { -0.0f, 0x8000 },
    { 1.0f + 1.0f / 2048, 0x3c00 },          /* a tie rounds to even */
    { 1.0f + 3.0f / 2048, 0x3c02 },
    { 6.1035156e-5f, 0x0400 },               /* the smallest normal */
    { 1e-9f, 0x0000 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    g_assert_cmphex (jg_f32_to_f16 (known[i].f), ==, known[i].h);
  /* Every non-NaN half survives the round trip. */
  for (guint32 h = 0; h < 0x10000; h++)
    {
      if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0)
        continue;
      g_assert_cmphex (jg_f32_to_f16 (jg_f16_to_f32 ((guint16) h)), ==, h);
    }
  g_assert_cmpfloat (jg_f16_to_f32 (0x3555), ==, 0.333251953125f);
  g_assert_cmpfloat (jg_bf16_to_f32 (0x3f80), ==, 1.0f);
  g_assert_cmpfloat (jg_bf16_to_f32 (0xc0a0), ==, -5.0f);
}

static void
test_features (void)
{
  g_autoptr(JgVkContext) ctx = context_or_fail (NULL);
  g_autoptr(GError) error = NULL;
  const char *env = g_getenv ("JAEGER_VK_DISABLE");
  guint f = jg_vk_context_get_features (ctx);
  const JgVkDeviceInfo *info = jg_vk_context_get_info (ctx);
  g_autofree char *saved = g_strdup (env);

  g_test_message ("%s: fp16 %d, subgroup %d (size %u), coopmat %d; JAEGER_VK_DISABLE=%s",
                  info->name, !!(f & JG_VK_FEATURE_FP16), !!(f & JG_VK_FEATURE_SUBGROUP),
                  jg_vk_context_get_subgroup_size (ctx), !!(f & JG_VK_FEATURE_COOPMAT), env ? env : "");
  if (env && strstr (env, "subgroup"))
    g_assert_false (f & JG_VK_FEATURE_SUBGROUP);
  if (env && strstr (env, "fp16"))
    g_assert_false (f & (JG_VK_FEATURE_FP16 | JG_VK_FEATURE_COOPMAT));
  if (env && strstr (env, "coopmat"))
    g_assert_false (f & JG_VK_FEATURE_COOPMAT);
  if (env && strstr (env, "attn1pass"))
    g_assert_false (f & JG_VK_FEATURE_ATTN_ONE_PASS);
  if (!info->coopmat_nv)
    g_assert_false (f & JG_VK_FEATURE_COOPMAT);
  /* The one-pass attention is a cooperative-matrix kernel. */
  if (!(f & JG_VK_FEATURE_COOPMAT))
    g_assert_false (f & JG_VK_FEATURE_ATTN_ONE_PASS);
  g_assert_cmpuint (jg_vk_context_get_max_binding (ctx), <=, info->max_storage_buffer_range);

  g_setenv ("JAEGER_VK_DISABLE", "subgroup,warp-drive", TRUE);
  g_assert_null (jg_vk_context_new (NULL, &error));
  g_assert_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "warp-drive"));
  if (saved)
    g_setenv ("JAEGER_VK_DISABLE", saved, TRUE);
  else
    g_unsetenv ("JAEGER_VK_DISABLE");
}

static void
test_memory (void)
{
  JgVkContextOptions opts = { .device = -1, .block_size = 1 << 20, .max_binding_range = 256 << 10 };
  g_autoptr(JgVkContext) ctx = context_or_fail (&opts);
  g_autoptr(GError) error = NULL;
  JgTensor *t[24] = { NULL };
  float *data[24] = { NULL };
  guint n_blocks = 0;
  g_autoptr(JgTensor) big = NULL;

  /* Sizes from 8 KiB to 240 KiB (3 MiB in all) in 1 MiB blocks: several
   * per block, several blocks. */
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      gint64 n = 2048 + i * 2500 + g_test_rand_int_range (0, 100);
      t[i] = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 1, n, JG_TENSOR_DEVICE, &error);
      g_assert_no_error (error);
      data[i] = g_new (float, n);
      for (gint64 j = 0; j < n; j++)
        data[i][j] = (float) (i * 1000003 + j);
      g_assert_true (jg_tensor_upload_f32 (t[i], data[i], &error));
    }
  g_assert_cmpuint (jg_vk_context_get_allocated (ctx, FALSE, &n_blocks), >=, 2 << 20);
  g_assert_cmpuint (n_blocks, >=, 2);
  /* Free every other one and allocate into the holes; nothing may overlap. */
  for (guint i = 0; i < G_N_ELEMENTS (t); i += 2)
    {
      g_clear_pointer (&t[i], jg_tensor_free);
      g_clear_pointer (&data[i], g_free);
    }
  for (guint i = 0; i < G_N_ELEMENTS (t); i += 2)
    {
      gint64 n = g_test_rand_int_range (16, 20000);
      t[i] = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 1, n, JG_TENSOR_DEVICE, &error);
      g_assert_no_error (error);
      data[i] = g_new (float, n);
      for (gint64 j = 0; j < n; j++)
        data[i][j] = (float) (-(gint64) i * 7 - j);
      g_assert_true (jg_tensor_upload_f32 (t[i], data[i], &error));
    }
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      gint64 n = jg_tensor_get_n_elements (t[i]);
      g_autofree float *back = g_new (float, n);
      g_assert_true (jg_tensor_download_f32 (t[i], back, &error));
      g_assert_cmpmem (back, n * sizeof (float), data[i], n * sizeof (float));
    }
  /* Larger than one binding may be: a clear error. */
  big = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 1, (300 << 10) / 4, JG_TENSOR_DEVICE, &error);
  g_assert_null (big);
  g_assert_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (error->message, "maxStorageBufferRange"));
  for (guint i = 0; i < G_N_ELEMENTS (t); i++)
    {
      jg_tensor_free (t[i]);
      g_free (data[i]);
    }
  /* Empty blocks go back to the driver. */
  g_assert_cmpuint (jg_vk_context_get_allocated (ctx, FALSE, &n_blocks), ==, 0);
}

static void
test_views_and_host (void)
{
  g_autoptr(JgVkContext) ctx = context_or_fail (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JgTensor) a = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 8, 64, JG_TENSOR_DEVICE, &error);
  g_autoptr(JgTensor) h = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 2, 64, JG_TENSOR_HOST, &error);
  g_autoptr(JgTensor) view = NULL;
  float src[8 * 64], back[8 * 64], *mapped;

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (src); i++)
    src[i] = (float) i;
  g_assert_true (jg_tensor_upload_f32 (a, src, &error));
  mapped = jg_tensor_get_mapped (h);
  g_assert_nonnull (mapped);
  for (guint i = 0; i < 128; i++)
    mapped[i] = 1000.0f + i;
  /* a[3..5) += h, through a view. */
  view = jg_tensor_view_rows (a, 3, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpint (jg_tensor_get_dim (view, 0), ==, 2);
  g_assert_true (jg_op_add (ctx, view, view, h, &error));
  g_assert_no_error (error);
  g_assert_true (jg_tensor_download_f32 (a, back, &error));
  for (guint i = 0; i < G_N_ELEMENTS (src); i++)
    {
      float want = src[i] + (i >= 3 * 64 && i < 5 * 64 ? 1000.0f + (i - 3 * 64) : 0.0f);
      g_assert_cmpfloat (back[i], ==, want);
    }
}

static void
test_pipeline_cache_and_barriers (void)
{
  g_autoptr(JgVkContext) ctx = context_or_fail (NULL);
  g_autoptr(GError) error = NULL;
  enum { N = 1000, STEPS = 40 };
  g_autoptr(JgTensor) x = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 1, N, 0, &error);
  g_autoptr(JgTensor) b = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 1, N, 0, &error);
  g_autoptr(JgTensor) c = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 1, N, 0, &error);
  g_autoptr(JgTensor) d = jg_tensor_new_2d (ctx, JG_DTYPE_F32, 1, N, 0, &error);
  float hx[N], hb[N], hc[N], hd[N], got[N];
  guint n_pipes;

  g_assert_no_error (error);
  for (guint i = 0; i < N; i++)
    {
      hx[i] = (float) g_test_rand_double_range (-1, 1);
      hb[i] = (float) g_test_rand_double_range (0.5, 1.5);
    }
  g_assert_true (jg_tensor_upload_f32 (x, hx, &error));
  g_assert_true (jg_tensor_upload_f32 (b, hb, &error));

  /* A dependent chain in one submission: x = x * b + x, 40 times, with
   * c and d computed alongside from the running x. */
  jg_vk_begin (ctx);
  for (guint s = 0; s < STEPS; s++)
    {
      g_assert_true (jg_op_mul (ctx, c, x, b, &error));
      g_assert_true (jg_op_add (ctx, x, x, c, &error));
      g_assert_true (jg_op_silu (ctx, d, x, &error));
      g_assert_no_error (error);
    }
  n_pipes = jg_vk_context_get_n_pipelines (ctx);
  g_assert_true (jg_vk_submit (ctx, &error));
  g_assert_no_error (error);
  /* Each shader was built once however often it ran. */
  g_assert_cmpuint (n_pipes, ==, 3);

  for (guint s = 0; s < STEPS; s++)
    {
      jg_ref_mul (hc, hx, hb, N, N);
      jg_ref_add (hx, hx, hc, N, N);
      jg_ref_silu (hd, hx, N);
    }
  g_assert_true (jg_tensor_download_f32 (x, got, &error));
  g_assert_cmpfloat (jg_ref_rel_error (got, hx, N), <, 1e-5);
  g_assert_true (jg_tensor_download_f32 (d, got, &error));
  g_assert_cmpfloat (jg_ref_rel_error (got, hd, N), <, 1e-5);

  /* A second pass reuses the pipelines. */
  g_assert_true (jg_op_add (ctx, c, x, b, &error));
  g_assert_cmpuint (jg_vk_context_get_n_pipelines (ctx), ==, 3);
}

/* Converting uploads (all cores, straight into the staging memory) give
 * exactly the scalar conversions: bf16, f16 and f32 sources into f16 and
 * f32 tensors, a host-visible one too, large enough to be split between
 * threads, from an odd offset (safetensors data need not be aligned), and
 * into a row view. */
static void
test_converting_uploads (void)
{
  g_autoptr(JgVkContext) ctx = context_or_fail (NULL);
  g_autoptr(GError) error = NULL;
  enum { ROWS = 1031, COLS = 2048, N = ROWS * COLS };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  g_autofree guint8 *raw = g_malloc (N * 4 + 2);
  guint16 *bf = (guint16 *) (raw + 2);   /* 2-byte aligned only */
  g_autofree float *f32 = g_new (float, N), *back = g_new (float, N);
  g_autofree guint16 *f16 = g_new (guint16, N);
  const JgTensorFlags where[2] = { JG_TENSOR_DEVICE, JG_TENSOR_HOST };

  for (gsize i = 0; i < N; i++)
    {
      /* Wide exponents: subnormal, overflowing and ordinary f16 values. */
      f32[i] = (float) (g_rand_double_range (rand, -1, 1) * pow (2.0, g_rand_int_range (rand, -30, 20)));
      bf[i] = jg_f32_to_bf16 (f32[i]);
      f16[i] = jg_f32_to_f16 (f32[i]);
    }
  for (int w = 0; w < 2; w++)
    {
      g_autoptr(JgTensor) h = jg_tensor_new_2d (ctx, JG_DTYPE_F16, ROWS, COLS, where[w], &error);
      g_autoptr(JgTensor) f = jg_tensor_new_2d (ctx, JG_DTYPE_F32, ROWS, COLS, where[w], &error);
      g_assert_no_error (error);

      g_assert_true (jg_tensor_upload_bf16 (h, bf, &error));
      g_assert_true (jg_tensor_download_f32 (h, back, &error));
      for (gsize i = 0; i < N; i++)
        g_assert_cmpuint (jg_f32_to_f16 (back[i]), ==, jg_f32_to_f16 (jg_bf16_to_f32 (bf[i])));
      g_assert_true (jg_tensor_upload_f32 (h, f32, &error));
      g_assert_true (jg_tensor_download_f32 (h, back, &error));
      for (gsize i = 0; i < N; i++)
        g_assert_cmpuint (jg_f32_to_f16 (back[i]), ==, f16[i]);
      g_assert_true (jg_tensor_upload_f16 (f, f16, &error));
      g_assert_true (jg_tensor_download_f32 (f, back, &error));
      for (gsize i = 0; i < N; i++)
        g_assert_cmpfloat (back[i], ==, jg_f16_to_f32 (f16[i]));
      g_assert_true (jg_tensor_upload_bf16 (f, bf, &error));
      g_assert_true (jg_tensor_download_f32 (f, back, &error));
      for (gsize i = 0; i < N; i++)
        g_assert_cmpfloat (back[i], ==, jg_bf16_to_f32 (bf[i]));
      g_assert_no_error (error);
    }
  /* Rows 500.. of a device tensor, the rest untouched. */
  {
    g_autoptr(JgTensor) h = jg_tensor_new_2d (ctx, JG_DTYPE_F16, ROWS, COLS, JG_TENSOR_DEVICE, &error);
    g_autoptr(JgTensor) v = NULL;
    g_autofree guint16 *zeros = g_new0 (guint16, N);
    g_assert_true (jg_tensor_upload_f16 (h, zeros, &error));
    v = jg_tensor_view_rows (h, 500, ROWS - 500, &error);
    g_assert_true (jg_tensor_upload_bf16 (v, bf, &error));
    g_assert_true (jg_tensor_download_f32 (h, back, &error));
    g_assert_no_error (error);
    for (gsize i = 0; i < N; i++)
      g_assert_cmpfloat (back[i], ==, i < 500 * COLS ? 0.0f : jg_f16_to_f32 (jg_f32_to_f16 (jg_bf16_to_f32 (bf[i - 500 * COLS]))));
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vk/half", test_half);
  g_test_add_func ("/vk/features", test_features);
  g_test_add_func ("/vk/memory", test_memory);
  g_test_add_func ("/vk/views-and-host", test_views_and_host);
  g_test_add_func ("/vk/converting-uploads", test_converting_uploads);
  g_test_add_func ("/vk/pipeline-cache-and-barriers", test_pipeline_cache_and_barriers);
  return g_test_run ();
}
