#include "inference/jg-safetensors.h"
#include "core/jg-error.h"
#include "core/jg-file-util.h"

#include <json-glib/json-glib.h>
#include <string.h>

/* A header larger than this is corrupt, not a model (real ones are < 2 MiB). */
#define MAX_HEADER_BYTES (100u * 1024 * 1024)
/* How many problems one check error lists before "and N more". */
#define MAX_LISTED 12

struct _JgSafetensors {
  char *path;
  GPtrArray *maps;        /* GMappedFile*, one per shard */
  GPtrArray *shard_paths; /* char* */
  GArray *tensors;        /* JgStTensor, sorted by name */
  GStringChunk *names;
  GHashTable *by_name;    /* name -> index + 1 */
};

static const char *const dtype_names[JG_ST_N_DTYPES] = { "F32", "F16", "BF16", "I8", "U8" };
static const gsize dtype_sizes[JG_ST_N_DTYPES] = { 4, 2, 2, 1, 1 };

const char *
jg_st_dtype_name (JgStDtype dtype)
{
  return dtype < JG_ST_N_DTYPES ? dtype_names[dtype] : "?";
}

gsize
jg_st_dtype_size (JgStDtype dtype)
{
  return dtype < JG_ST_N_DTYPES ? dtype_sizes[dtype] : 0;
}

/* ---- half precision ---- */

float
jg_f16_to_f32 (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000) << 16;
  guint32 exp = (h >> 10) & 0x1f;
  guint32 mant = h & 0x3ff;
  guint32 x;
  float f;

  if (exp == 0)
    {
      /* Zero or subnormal: mant · 2^-24, exact in f32. */
      f = (float) mant * (1.0f / 16777216.0f);
      return sign ? -f : f;
    }
  if (exp == 31)
    x = sign | 0x7f800000u | (mant << 13);
  else
    x = sign | ((exp + 112) << 23) | (mant << 13);
  memcpy (&f, &x, 4);
  return f;
}

guint16
jg_f32_to_f16 (float f)
{
  guint32 x, sign, exp, mant, half, rem, mid;
  int e;

  memcpy (&x, &f, 4);
  sign = (x >> 16) & 0x8000;
  exp = (x >> 23) & 0xff;
  mant = x & 0x7fffff;
  if (exp == 0xff)
    return (guint16) (sign | 0x7c00 | (mant ? 0x200 | (mant >> 13) : 0));
  e = (int) exp - 127 + 15;
  if (e >= 31)
    return (guint16) (sign | 0x7c00);
  if (e <= 0)
    {
      int shift;
      if (e < -10)
        return (guint16) sign;
      mant |= 0x800000;
      shift = 14 - e;
      half = mant >> shift;
      rem = mant & ((1u << shift) - 1);
      mid = 1u << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1)))
        half++;
      return (guint16) (sign | half);
    }
  half = ((guint32) e << 10) | (mant >> 13);
  rem = mant & 0x1fff;
  /* A carry out of the mantissa correctly bumps the exponent (to inf at most). */
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
    half++;
  return (guint16) (sign | half);
}

float
jg_bf16_to_f32 (guint16 b)
{
  guint32 x = (guint32) b << 16;
  float f;
  memcpy (&f, &x, 4);
  return f;
}

guint16
jg_f32_to_bf16 (float f)
{
  guint32 x;
  memcpy (&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return (guint16) ((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return (guint16) (x >> 16);
}

/* Loading a model converts gigabytes: with AVX2 and F16C the hardware
 * does 8 values at a time, rounding to nearest even like jg_f32_to_f16
 * (and quieting NaNs as it does); elsewhere the scalar loops. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define JG_HAVE_F16C_PATH 1

__attribute__ ((target ("avx2,f16c"))) static void
bf16_to_f16_f16c (const guint16 *src, guint16 *dst, gsize n)
{
  gsize i = 0;
  for (; i + 8 <= n; i += 8)
    {
      __m128i b = _mm_loadu_si128 ((const __m128i *) (src + i));
      __m256 f = _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32 (b), 16));
      _mm_storeu_si128 ((__m128i *) (dst + i), _mm256_cvtps_ph (f, _MM_FROUND_TO_NEAREST_INT));
    }
  for (; i < n; i++)
    dst[i] = jg_f32_to_f16 (jg_bf16_to_f32 (src[i]));
}

__attribute__ ((target ("avx,f16c"))) static void
f32_to_f16_f16c (const float *src, guint16 *dst, gsize n)
{
  gsize i = 0;
  for (; i + 8 <= n; i += 8)
    _mm_storeu_si128 ((__m128i *) (dst + i),
                      _mm256_cvtps_ph (_mm256_loadu_ps (src + i), _MM_FROUND_TO_NEAREST_INT));
  for (; i < n; i++)
    dst[i] = jg_f32_to_f16 (src[i]);
}

static gboolean
have_f16c (void)
{
  static int have = -1;
  if (have < 0)
    have = g_getenv ("JAEGER_CPU_SCALAR") == NULL && __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("f16c");
  return have;
}
#endif

void
jg_bf16_to_f16_n (const guint16 *src, guint16 *dst, gsize n)
{
#ifdef JG_HAVE_F16C_PATH
  if (have_f16c ())
    {
      bf16_to_f16_f16c (src, dst, n);
      return;
    }
#endif
  for (gsize i = 0; i < n; i++)
    dst[i] = jg_f32_to_f16 (jg_bf16_to_f32 (src[i]));
}

void
jg_f32_to_f16_n (const float *src, guint16 *dst, gsize n)
{
#ifdef JG_HAVE_F16C_PATH
  if (have_f16c ())
    {
      f32_to_f16_f16c (src, dst, n);
      return;
    }
#endif
  for (gsize i = 0; i < n; i++)
    dst[i] = jg_f32_to_f16 (src[i]);
}

void
jg_bf16_to_f32_n (const guint16 *src, float *dst, gsize n)
{
  for (gsize i = 0; i < n; i++)
    dst[i] = jg_bf16_to_f32 (src[i]);
}

void
jg_f16_to_f32_n (const guint16 *src, float *dst, gsize n)
{
  for (gsize i = 0; i < n; i++)
    dst[i] = jg_f16_to_f32 (src[i]);
}

static guint16
load_u16 (const guint8 *p, gsize i)
{
  guint16 v;
  memcpy (&v, p + 2 * i, 2);
  return GUINT16_FROM_LE (v);
}

gboolean
jg_st_tensor_to_f32 (const JgStTensor *t, float *out, GError **error)
{
  gsize n = (gsize) t->n_elements;

  switch (t->dtype)
    {
    case JG_ST_F32:
      memcpy (out, t->data, n * 4);
#if G_BYTE_ORDER == G_BIG_ENDIAN
      for (gsize i = 0; i < n; i++)
        {
          guint32 v;
          memcpy (&v, &out[i], 4);
          v = GUINT32_SWAP_LE_BE (v);
          memcpy (&out[i], &v, 4);
        }
#endif
      return TRUE;
    case JG_ST_F16:
      for (gsize i = 0; i < n; i++)
        out[i] = jg_f16_to_f32 (load_u16 (t->data, i));
      return TRUE;
    case JG_ST_BF16:
      for (gsize i = 0; i < n; i++)
        out[i] = jg_bf16_to_f32 (load_u16 (t->data, i));
      return TRUE;
    default:
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "%s: tensor %s is %s, not a float type", t->file, t->name,
                   jg_st_dtype_name (t->dtype));
      return FALSE;
    }
}

gboolean
jg_st_tensor_to_f16 (const JgStTensor *t, guint16 *out, GError **error)
{
  gsize n = (gsize) t->n_elements;

  switch (t->dtype)
    {
    case JG_ST_F32:
      for (gsize i = 0; i < n; i++)
        {
          float f;
          memcpy (&f, t->data + 4 * i, 4);
          out[i] = jg_f32_to_f16 (f);
        }
      return TRUE;
    case JG_ST_F16:
      for (gsize i = 0; i < n; i++)
        out[i] = load_u16 (t->data, i);
      return TRUE;
    case JG_ST_BF16:
      for (gsize i = 0; i < n; i++)
        out[i] = jg_f32_to_f16 (jg_bf16_to_f32 (load_u16 (t->data, i)));
      return TRUE;
    default:
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "%s: tensor %s is %s, not a float type", t->file, t->name,
                   jg_st_dtype_name (t->dtype));
      return FALSE;
    }
}

/* ---- reading ---- */

static gboolean
parse_dtype (const char *s, JgStDtype *out)
{
  for (int d = 0; d < JG_ST_N_DTYPES; d++)
    if (strcmp (s, dtype_names[d]) == 0)
      {
        *out = (JgStDtype) d;
        return TRUE;
      }
  return FALSE;
}

static void
format_shape (GString *s, guint n_dims, const gint64 *shape)
{
  g_string_append_c (s, '[');
  for (guint i = 0; i < n_dims; i++)
    {
      if (shape[i] < 0)
        g_string_append_printf (s, "%s*", i ? ", " : "");
      else
        g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i ? ", " : "", shape[i]);
    }
  g_string_append_c (s, ']');
}

/* Reads a JSON integer member that must be a non-negative whole number. */
static gboolean
json_get_uint (JsonNode *node, gint64 *out)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *out = json_node_get_int (node);
  return *out >= 0;
}

static gboolean
parse_tensor_entry (JgSafetensors *self,
                    const char *file,
                    const char *name,
                    JsonNode *node,
                    const guint8 *data,
                    guint64 data_size,
                    GError **error)
{
  JsonObject *o;
  JsonArray *shape, *offs;
  const char *dtype_s;
  JgStTensor t = { 0 };
  gint64 begin, end, n = 1;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto bad;
  o = json_node_get_object (node);
  if (!json_object_has_member (o, "dtype") || !json_object_has_member (o, "shape")
      || !json_object_has_member (o, "data_offsets"))
    goto bad;
  if (!JSON_NODE_HOLDS_VALUE (json_object_get_member (o, "dtype"))
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "shape"))
      || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "data_offsets")))
    goto bad;
  dtype_s = json_object_get_string_member (o, "dtype");
  if (dtype_s == NULL)
    goto bad;
  if (!parse_dtype (dtype_s, &t.dtype))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_UNSUPPORTED,
                   "%s: tensor %s has dtype %s (supported: F32, F16, BF16, I8, U8)",
                   file, name, dtype_s);
      return FALSE;
    }
  shape = json_object_get_array_member (o, "shape");
  offs = json_object_get_array_member (o, "data_offsets");
  if (json_array_get_length (shape) > JG_ST_MAX_DIMS || json_array_get_length (offs) != 2)
    goto bad;
  t.n_dims = json_array_get_length (shape);
  for (guint i = 0; i < t.n_dims; i++)
    {
      if (!json_get_uint (json_array_get_element (shape, i), &t.shape[i]))
        goto bad;
      /* Overflow-safe product: no real tensor comes near 2^48 elements. */
      if (t.shape[i] > ((gint64) 1 << 48) || (t.shape[i] > 0 && n > ((gint64) 1 << 48) / t.shape[i]))
        goto bad;
      n *= t.shape[i];
    }
  if (!json_get_uint (json_array_get_element (offs, 0), &begin)
      || !json_get_uint (json_array_get_element (offs, 1), &end) || end < begin)
    goto bad;
  t.n_elements = n;
  t.n_bytes = (gsize) n * jg_st_dtype_size (t.dtype);
  if ((guint64) (end - begin) != t.n_bytes)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: tensor %s: data_offsets span %" G_GINT64_FORMAT " bytes but %s x %"
                   G_GINT64_FORMAT " elements need %" G_GSIZE_FORMAT,
                   file, name, end - begin, dtype_s, n, t.n_bytes);
      return FALSE;
    }
  if ((guint64) end > data_size)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: truncated: tensor %s ends at data byte %" G_GINT64_FORMAT
                   " but the file holds only %" G_GUINT64_FORMAT " data bytes",
                   file, name, end, data_size);
      return FALSE;
    }
  if (g_hash_table_contains (self->by_name, name))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: tensor %s appears twice (in %s too)", file, name,
                   g_array_index (self->tensors, JgStTensor,
                                  GPOINTER_TO_UINT (g_hash_table_lookup (self->by_name, name)) - 1).file);
      return FALSE;
    }
  t.name = g_string_chunk_insert_const (self->names, name);
  t.file = file;
  t.data = data + begin;
  g_array_append_val (self->tensors, t);
  g_hash_table_insert (self->by_name, (gpointer) t.name, GUINT_TO_POINTER (self->tensors->len));
  return TRUE;

bad:
  g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
               "%s: corrupt header entry for tensor %s (needs dtype, shape of non-negative "
               "integers and data_offsets [begin, end])", file, name);
  return FALSE;
}

static gboolean
load_shard (JgSafetensors *self, const char *path, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonParser) parser = NULL;
  GMappedFile *map;
  const guint8 *bytes;
  gsize size;
  guint64 header_len;
  JsonNode *root;
  JsonObject *obj;
  const char *file;
  g_autoptr(GList) members = NULL;

  map = g_mapped_file_new (path, FALSE, &local);
  if (map == NULL)
    {
      g_set_error (error, JG_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? JG_ERROR_NOT_FOUND : JG_ERROR_IO,
                   "%s", local->message);
      return FALSE;
    }
  g_ptr_array_add (self->maps, map);
  file = g_string_chunk_insert_const (self->names, path);
  g_ptr_array_add (self->shard_paths, (gpointer) file);
  bytes = (const guint8 *) g_mapped_file_get_contents (map);
  size = g_mapped_file_get_length (map);
  if (size < 8)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: truncated: %" G_GSIZE_FORMAT " bytes, not even the 8-byte header length",
                   path, size);
      return FALSE;
    }
  memcpy (&header_len, bytes, 8);
  header_len = GUINT64_FROM_LE (header_len);
  if (header_len > size - 8)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: truncated or not safetensors: the header claims %" G_GUINT64_FORMAT
                   " bytes but only %" G_GSIZE_FORMAT " follow", path, header_len, size - 8);
      return FALSE;
    }
  if (header_len > MAX_HEADER_BYTES || header_len < 2)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: not safetensors: implausible header length %" G_GUINT64_FORMAT, path, header_len);
      return FALSE;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) bytes + 8, (gssize) header_len, &local))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: corrupt header JSON: %s",
                   path, local->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: header is not a JSON object", path);
      return FALSE;
    }
  obj = json_node_get_object (root);
  members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      if (strcmp (name, "__metadata__") == 0)
        continue;
      if (!parse_tensor_entry (self, file, name, json_object_get_member (obj, name),
                               bytes + 8 + header_len, size - 8 - header_len, error))
        return FALSE;
    }
  return TRUE;
}

static int
tensor_cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (((const JgStTensor *) a)->name, ((const JgStTensor *) b)->name);
}

static void
finish_index (JgSafetensors *self)
{
  g_array_sort (self->tensors, tensor_cmp);
  g_hash_table_remove_all (self->by_name);
  for (guint i = 0; i < self->tensors->len; i++)
    g_hash_table_insert (self->by_name, (gpointer) g_array_index (self->tensors, JgStTensor, i).name,
                         GUINT_TO_POINTER (i + 1));
}

static gboolean
load_index (JgSafetensors *self, const char *index_path, GError **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *dir = g_path_get_dirname (index_path);
  g_autoptr(GHashTable) shards = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GList) members = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  JsonNode *root, *wm;
  JsonObject *map;
  guint n_problems = 0;

  if (!json_parser_load_from_mapped_file (parser, index_path, &local))
    {
      g_set_error (error, JG_ERROR,
                   g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? JG_ERROR_NOT_FOUND : JG_ERROR_INVALID_DATA,
                   "%s: %s", index_path, local->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)
      || (wm = json_object_get_member (json_node_get_object (root), "weight_map")) == NULL
      || !JSON_NODE_HOLDS_OBJECT (wm))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: not a safetensors index (no \"weight_map\" object)", index_path);
      return FALSE;
    }
  map = json_node_get_object (wm);
  members = json_object_get_members (map);
  /* Open each shard once, in the order the index first names it. */
  for (GList *l = members; l; l = l->next)
    {
      JsonNode *v = json_object_get_member (map, l->data);
      const char *shard = JSON_NODE_HOLDS_VALUE (v) ? json_node_get_string (v) : NULL;
      g_autofree char *shard_path = NULL;

      if (shard == NULL || *shard == '\0' || g_path_is_absolute (shard) || strstr (shard, "..") != NULL)
        {
          g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                       "%s: tensor %s maps to an invalid shard name", index_path, (const char *) l->data);
          return FALSE;
        }
      if (g_hash_table_contains (shards, shard))
        continue;
      g_hash_table_add (shards, (gpointer) shard);
      shard_path = g_build_filename (dir, shard, NULL);
      if (!load_shard (self, shard_path, error))
        {
          g_prefix_error (error, "%s: shard %s: ", index_path, shard);
          return FALSE;
        }
    }
  /* The index and the shards must agree both ways. */
  for (GList *l = members; l; l = l->next)
    {
      const char *name = l->data;
      const char *shard = json_object_get_string_member (map, name);
      gpointer idx = g_hash_table_lookup (self->by_name, name);
      g_autofree char *base = NULL;

      if (idx == NULL)
        {
          if (n_problems++ < MAX_LISTED)
            g_string_append_printf (problems, "; missing tensor %s (listed in shard %s)", name, shard);
          continue;
        }
      base = g_path_get_basename (g_array_index (self->tensors, JgStTensor, GPOINTER_TO_UINT (idx) - 1).file);
      if (strcmp (base, shard) != 0 && !g_str_has_suffix (g_array_index (self->tensors, JgStTensor, GPOINTER_TO_UINT (idx) - 1).file, shard))
        {
          if (n_problems++ < MAX_LISTED)
            g_string_append_printf (problems, "; tensor %s is in %s, the index says %s", name, base, shard);
        }
    }
  for (guint i = 0; i < self->tensors->len; i++)
    {
      const JgStTensor *t = &g_array_index (self->tensors, JgStTensor, i);
      if (!json_object_has_member (map, t->name) && n_problems++ < MAX_LISTED)
        g_string_append_printf (problems, "; unexpected tensor %s in %s (not in the index)", t->name, t->file);
    }
  if (n_problems > 0)
    {
      if (n_problems > MAX_LISTED)
        g_string_append_printf (problems, "; and %u more", n_problems - MAX_LISTED);
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: index and shards disagree: %s",
                   index_path, problems->str + 2);
      return FALSE;
    }
  return TRUE;
}

JgSafetensors *
jg_safetensors_open (const char *path, GError **error)
{
  g_autoptr(JgSafetensors) self = g_new0 (JgSafetensors, 1);
  g_autofree char *file = NULL;
  gboolean ok;

  self->maps = g_ptr_array_new_with_free_func ((GDestroyNotify) g_mapped_file_unref);
  self->shard_paths = g_ptr_array_new ();
  self->tensors = g_array_new (FALSE, TRUE, sizeof (JgStTensor));
  self->names = g_string_chunk_new (4096);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *index = g_build_filename (path, "model.safetensors.index.json", NULL);
      g_autofree char *single = g_build_filename (path, "model.safetensors", NULL);
      if (g_file_test (index, G_FILE_TEST_EXISTS))
        file = g_steal_pointer (&index);
      else if (g_file_test (single, G_FILE_TEST_EXISTS))
        file = g_steal_pointer (&single);
      else
        {
          g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND,
                       "%s: no model.safetensors.index.json or model.safetensors in this folder", path);
          return NULL;
        }
    }
  else
    file = g_strdup (path);
  self->path = g_strdup (file);

  if (g_str_has_suffix (file, ".json"))
    ok = load_index (self, file, error);
  else
    ok = load_shard (self, file, error);
  if (!ok)
    return NULL;
  finish_index (self);
  return g_steal_pointer (&self);
}

void
jg_safetensors_free (JgSafetensors *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->tensors, g_array_unref);
  g_clear_pointer (&self->shard_paths, g_ptr_array_unref);
  g_clear_pointer (&self->maps, g_ptr_array_unref);
  g_clear_pointer (&self->names, g_string_chunk_free);
  g_free (self->path);
  g_free (self);
}

guint
jg_safetensors_get_n_tensors (const JgSafetensors *self)
{
  return self->tensors->len;
}

const JgStTensor *
jg_safetensors_get_tensor (const JgSafetensors *self, guint index)
{
  g_return_val_if_fail (index < self->tensors->len, NULL);
  return &g_array_index (self->tensors, JgStTensor, index);
}

const JgStTensor *
jg_safetensors_lookup (const JgSafetensors *self, const char *name)
{
  guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (self->by_name, name));
  return idx ? &g_array_index (self->tensors, JgStTensor, idx - 1) : NULL;
}

const char *
jg_safetensors_get_path (const JgSafetensors *self)
{
  return self->path;
}

static void
format_mask (GString *s, guint mask)
{
  gboolean first = TRUE;
  for (int d = 0; d < JG_ST_N_DTYPES; d++)
    if (mask & JG_ST_MASK (d))
      {
        g_string_append_printf (s, "%s%s", first ? "" : "/", dtype_names[d]);
        first = FALSE;
      }
}

/* Appends "X is BF16 [3, 4], expected F16 [3, 5]" when @t does not fit. */
static gboolean
describe_mismatch (GString *s, const JgStTensor *t, guint dtype_mask, guint n_dims, const gint64 *shape)
{
  gboolean ok = (dtype_mask & JG_ST_MASK (t->dtype)) != 0 && t->n_dims == n_dims;

  for (guint i = 0; ok && i < n_dims; i++)
    if (shape[i] >= 0 && shape[i] != t->shape[i])
      ok = FALSE;
  if (ok)
    return FALSE;
  g_string_append_printf (s, "%s is %s ", t->name, jg_st_dtype_name (t->dtype));
  format_shape (s, t->n_dims, t->shape);
  g_string_append (s, ", expected ");
  format_mask (s, dtype_mask);
  g_string_append_c (s, ' ');
  format_shape (s, n_dims, shape);
  return TRUE;
}

const JgStTensor *
jg_safetensors_require (const JgSafetensors *self,
                        const char *name,
                        guint dtype_mask,
                        guint n_dims,
                        const gint64 *shape,
                        GError **error)
{
  const JgStTensor *t = jg_safetensors_lookup (self, name);
  g_autoptr(GString) s = g_string_new (NULL);

  if (t == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: missing tensor %s", self->path, name);
      return NULL;
    }
  if (describe_mismatch (s, t, dtype_mask, n_dims, shape))
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA, "%s: %s", t->file, s->str);
      return NULL;
    }
  return t;
}

gboolean
jg_safetensors_check (const JgSafetensors *self,
                      const JgStExpect *expect,
                      gsize n_expect,
                      gboolean allow_unexpected,
                      GError **error)
{
  g_autoptr(GString) missing = g_string_new (NULL);
  g_autoptr(GString) wrong = g_string_new (NULL);
  g_autoptr(GString) unexpected = g_string_new (NULL);
  g_autoptr(GString) msg = g_string_new (NULL);
  g_autoptr(GHashTable) wanted = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_missing = 0, n_wrong = 0, n_unexpected = 0;

  for (gsize i = 0; i < n_expect; i++)
    {
      const JgStTensor *t = jg_safetensors_lookup (self, expect[i].name);
      g_hash_table_add (wanted, (gpointer) expect[i].name);
      if (t == NULL)
        {
          if (n_missing++ < MAX_LISTED)
            g_string_append_printf (missing, "%s%s", missing->len ? ", " : "", expect[i].name);
          continue;
        }
      if (n_wrong < MAX_LISTED)
        {
          gsize before = wrong->len;
          if (before)
            g_string_append (wrong, "; ");
          if (describe_mismatch (wrong, t, expect[i].dtype_mask, expect[i].n_dims, expect[i].shape))
            n_wrong++;
          else
            g_string_truncate (wrong, before);
        }
      else
        {
          g_autoptr(GString) scratch = g_string_new (NULL);
          if (describe_mismatch (scratch, t, expect[i].dtype_mask, expect[i].n_dims, expect[i].shape))
            n_wrong++;
        }
    }
  if (!allow_unexpected)
    for (guint i = 0; i < self->tensors->len; i++)
      {
        const char *name = g_array_index (self->tensors, JgStTensor, i).name;
        if (!g_hash_table_contains (wanted, name) && n_unexpected++ < MAX_LISTED)
          g_string_append_printf (unexpected, "%s%s", unexpected->len ? ", " : "", name);
      }
  if (n_missing + n_wrong + n_unexpected == 0)
    return TRUE;

  g_string_append_printf (msg, "%s: ", self->path);
  if (n_missing)
    g_string_append_printf (msg, "%u missing tensor%s: %s%s. ", n_missing, n_missing > 1 ? "s" : "",
                            missing->str, n_missing > MAX_LISTED ? ", ..." : "");
  if (n_wrong)
    g_string_append_printf (msg, "%u mis-shaped or mis-typed: %s%s. ", n_wrong, wrong->str,
                            n_wrong > MAX_LISTED ? "; ..." : "");
  if (n_unexpected)
    g_string_append_printf (msg, "%u unexpected tensor%s: %s%s. ", n_unexpected, n_unexpected > 1 ? "s" : "",
                            unexpected->str, n_unexpected > MAX_LISTED ? ", ..." : "");
  g_string_truncate (msg, msg->len - 1);
  g_set_error_literal (error, JG_ERROR, JG_ERROR_INVALID_DATA, msg->str);
  return FALSE;
}

/* ---- LoRA ---- */

static const char *const peft_prefixes[] = { "model.base_model.model.", "base_model.model." };

const char *
jg_peft_strip_prefix (const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (peft_prefixes); i++)
    if (g_str_has_prefix (key, peft_prefixes[i]))
      return key + strlen (peft_prefixes[i]);
  return key;
}

char *
jg_lora_module_from_key (const char *key, gboolean *is_a)
{
  const char *k = jg_peft_strip_prefix (key);
  const char *a = strstr (k, ".lora_A.");
  const char *b = strstr (k, ".lora_B.");
  const char *hit = a ? a : b;
  const char *rest;

  if (hit == NULL || !g_str_has_suffix (k, ".weight"))
    return NULL;
  /* What follows is "weight" or "ADAPTER.weight" (PEFT's "default"). */
  rest = hit + strlen (".lora_A.");
  if (strcmp (rest, "weight") != 0)
    {
      const char *dot = strchr (rest, '.');
      if (dot == NULL || strcmp (dot, ".weight") != 0 || dot == rest)
        return NULL;
    }
  if (is_a)
    *is_a = a != NULL;
  return g_strndup (k, (gsize) (hit - k));
}

static const JgStTensor *
find_lora (const JgSafetensors *adapter, const char *module, gboolean want_a)
{
  for (guint i = 0; i < adapter->tensors->len; i++)
    {
      const JgStTensor *t = &g_array_index (adapter->tensors, JgStTensor, i);
      gboolean is_a;
      g_autofree char *m = jg_lora_module_from_key (t->name, &is_a);
      if (m != NULL && is_a == want_a && strcmp (m, module) == 0)
        return t;
    }
  return NULL;
}

GPtrArray *
jg_lora_list_modules (const JgSafetensors *adapter)
{
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  /* Tensors are sorted, so A and B of one module sit together. */
  for (guint i = 0; i < adapter->tensors->len; i++)
    {
      char *m = jg_lora_module_from_key (g_array_index (adapter->tensors, JgStTensor, i).name, NULL);
      if (m == NULL)
        continue;
      if (out->len > 0 && strcmp (g_ptr_array_index (out, out->len - 1), m) == 0)
        g_free (m);
      else
        g_ptr_array_add (out, m);
    }
  return out;
}

gboolean
jg_lora_merge (const JgSafetensors *adapter,
               const char *module,
               float alpha,
               float *w,
               gint64 out_features,
               gint64 in_features,
               GError **error)
{
  const JgStTensor *ta = find_lora (adapter, module, TRUE);
  const JgStTensor *tb = find_lora (adapter, module, FALSE);
  g_autofree float *a = NULL;
  g_autofree float *b = NULL;
  gint64 r;
  float scale;

  if (ta == NULL || tb == NULL)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_NOT_FOUND, "%s: LoRA %s of %s is missing",
                   adapter->path, ta == NULL ? "lora_A" : "lora_B", module);
      return FALSE;
    }
  r = ta->n_dims == 2 ? ta->shape[0] : 0;
  if (ta->n_dims != 2 || tb->n_dims != 2 || r <= 0 || ta->shape[1] != in_features
      || tb->shape[0] != out_features || tb->shape[1] != r)
    {
      g_set_error (error, JG_ERROR, JG_ERROR_INVALID_DATA,
                   "%s: LoRA of %s does not fit the weight [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT
                   "]: %s is [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT "], %s is [%" G_GINT64_FORMAT
                   ", %" G_GINT64_FORMAT "]", adapter->path, module, out_features, in_features,
                   ta->name, ta->shape[0], ta->n_dims > 1 ? ta->shape[1] : 0,
                   tb->name, tb->shape[0], tb->n_dims > 1 ? tb->shape[1] : 0);
      return FALSE;
    }
  a = g_new (float, ta->n_elements);
  b = g_new (float, tb->n_elements);
  if (!jg_st_tensor_to_f32 (ta, a, error) || !jg_st_tensor_to_f32 (tb, b, error))
    return FALSE;
  scale = alpha / (float) r;
  /* Row of W += Σ_k (scale·B[o,k]) · A[k,:]: the inner loop streams rows. */
  for (gint64 o = 0; o < out_features; o++)
    {
      float *wr = w + o * in_features;
      for (gint64 k = 0; k < r; k++)
        {
          const float *ar = a + k * in_features;
          float s = scale * b[o * r + k];
          for (gint64 i = 0; i < in_features; i++)
            wr[i] += s * ar[i];
        }
    }
  return TRUE;
}

/* ---- writing ---- */

gboolean
jg_safetensors_write (const char *path,
                      const JgStWriteTensor *tensors,
                      gsize n_tensors,
                      GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autofree char *header = NULL;
  gsize header_len, padded;
  guint64 offset = 0, le;

  json_builder_begin_object (b);
  for (gsize i = 0; i < n_tensors; i++)
    {
      const JgStWriteTensor *t = &tensors[i];
      guint64 n = 1;
      for (guint d = 0; d < t->n_dims; d++)
        n *= (guint64) t->shape[d];
      json_builder_set_member_name (b, t->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "dtype");
      json_builder_add_string_value (b, jg_st_dtype_name (t->dtype));
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      for (guint d = 0; d < t->n_dims; d++)
        json_builder_add_int_value (b, t->shape[d]);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "data_offsets");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, (gint64) offset);
      offset += n * jg_st_dtype_size (t->dtype);
      json_builder_add_int_value (b, (gint64) offset);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  header = json_generator_to_data (gen, &header_len);
  /* Pad with spaces so the data start 8-byte aligned, as the format recommends. */
  padded = (header_len + 7) & ~(gsize) 7;
  le = GUINT64_TO_LE ((guint64) padded);
  g_byte_array_append (out, (const guint8 *) &le, 8);
  g_byte_array_append (out, (const guint8 *) header, (guint) header_len);
  for (gsize i = header_len; i < padded; i++)
    g_byte_array_append (out, (const guint8 *) " ", 1);
  for (gsize i = 0; i < n_tensors; i++)
    {
      guint64 n = 1;
      for (guint d = 0; d < tensors[i].n_dims; d++)
        n *= (guint64) tensors[i].shape[d];
      g_byte_array_append (out, tensors[i].data, (guint) (n * jg_st_dtype_size (tensors[i].dtype)));
    }
  return jg_file_write_atomic (path, out->data, out->len, error);
}
