/* jg-safetensors.h: memory-mapped safetensors weights (one file or a
 * sharded set with model.safetensors.index.json), expectation checks,
 * half-precision conversions, LoRA merging at load, and a small writer. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define JG_ST_MAX_DIMS 8

typedef enum {
  JG_ST_F32,
  JG_ST_F16,
  JG_ST_BF16,
  JG_ST_I8,
  JG_ST_U8,
  JG_ST_N_DTYPES
} JgStDtype;

/* A dtype mask for expectations: JG_ST_MASK (JG_ST_F16) | ... */
#define JG_ST_MASK(d) (1u << (d))
#define JG_ST_MASK_FLOAT (JG_ST_MASK (JG_ST_F32) | JG_ST_MASK (JG_ST_F16) | JG_ST_MASK (JG_ST_BF16))

typedef struct {
  const char *name;
  JgStDtype dtype;
  guint n_dims;
  gint64 shape[JG_ST_MAX_DIMS];
  gint64 n_elements;
  const guint8 *data;      /* inside the mapping; not necessarily aligned */
  gsize n_bytes;
  const char *file;        /* the shard holding it */
} JgStTensor;

typedef struct _JgSafetensors JgSafetensors;

/* @path is a .safetensors file, a model.safetensors.index.json, or a
 * directory holding one of them (the index wins). Every header is
 * parsed and bounds-checked; the data are mapped, never copied. */
JgSafetensors *jg_safetensors_open (const char *path, GError **error);
void           jg_safetensors_free (JgSafetensors *self);

/* Tensors sorted by name. */
guint             jg_safetensors_get_n_tensors (const JgSafetensors *self);
const JgStTensor *jg_safetensors_get_tensor (const JgSafetensors *self, guint index);
const JgStTensor *jg_safetensors_lookup (const JgSafetensors *self, const char *name);
const char       *jg_safetensors_get_path (const JgSafetensors *self);

/* Looks @name up and checks its dtype against @dtype_mask and its shape
 * against @shape (@n_dims entries; -1 matches any size). */
const JgStTensor *jg_safetensors_require (const JgSafetensors *self,
                                          const char *name,
                                          guint dtype_mask,
                                          guint n_dims,
                                          const gint64 *shape,
                                          GError **error);

typedef struct {
  const char *name;
  guint dtype_mask;
  guint n_dims;
  gint64 shape[JG_ST_MAX_DIMS];
} JgStExpect;

/* Checks a whole model at once: one error naming every missing,
 * mis-typed and mis-shaped tensor and, unless @allow_unexpected, every
 * tensor the model does not expect. */
gboolean jg_safetensors_check (const JgSafetensors *self,
                               const JgStExpect *expect,
                               gsize n_expect,
                               gboolean allow_unexpected,
                               GError **error);

const char *jg_st_dtype_name (JgStDtype dtype);
gsize       jg_st_dtype_size (JgStDtype dtype);

/* Half-precision conversions (round to nearest even; NaN and infinities
 * kept; f16 overflow becomes infinity). */
float   jg_f16_to_f32 (guint16 h);
guint16 jg_f32_to_f16 (float f);
float   jg_bf16_to_f32 (guint16 b);
guint16 jg_f32_to_bf16 (float f);
/* The _n conversions use the CPU's F16C unit where it has one (unless
 * JAEGER_CPU_SCALAR is set), with results identical to the scalar ones. */
void    jg_bf16_to_f16_n (const guint16 *src, guint16 *dst, gsize n);
void    jg_f32_to_f16_n (const float *src, guint16 *dst, gsize n);
void    jg_bf16_to_f32_n (const guint16 *src, float *dst, gsize n);
void    jg_f16_to_f32_n (const guint16 *src, float *dst, gsize n);

/* Copies a float tensor (F32/F16/BF16) to f32 / f16 (@out holds
 * n_elements values). */
gboolean jg_st_tensor_to_f32 (const JgStTensor *t, float *out, GError **error);
gboolean jg_st_tensor_to_f16 (const JgStTensor *t, guint16 *out, GError **error);

/* LoRA (PEFT). A LoRA key is `[model.base_model.model.|base_model.model.]
 * MODULE.lora_{A,B}[.ADAPTER].weight`; the module name is returned
 * without the prefix, e.g. `model.layers.0.self_attn.q_proj`. */
char *jg_lora_module_from_key (const char *key, gboolean *is_a);

/* Strips a PEFT prefix (`model.base_model.model.` or `base_model.model.`)
 * from a checkpoint key, or returns it unchanged. */
const char *jg_peft_strip_prefix (const char *key);

/* W[out, in] += (alpha / r) · B[out, r] · A[r, in], with A and B of
 * @module read from @adapter (r from A's shape). Returns FALSE with an
 * error naming the tensor when A/B are missing or their shapes do not
 * fit W. */
gboolean jg_lora_merge (const JgSafetensors *adapter,
                        const char *module,
                        float alpha,
                        float *w,
                        gint64 out_features,
                        gint64 in_features,
                        GError **error);

/* The modules of @adapter that carry LoRA (sorted, unique). */
GPtrArray *jg_lora_list_modules (const JgSafetensors *adapter);

/* Writer, for tools and tests: tensors with their own data pointers,
 * written atomically in the order given. */
typedef struct {
  const char *name;
  JgStDtype dtype;
  guint n_dims;
  gint64 shape[JG_ST_MAX_DIMS];
  const void *data;
} JgStWriteTensor;

gboolean jg_safetensors_write (const char *path,
                               const JgStWriteTensor *tensors,
                               gsize n_tensors,
                               GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgSafetensors, jg_safetensors_free)

G_END_DECLS
