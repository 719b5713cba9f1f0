/* jg-ops-ref.h: plain-C references for the compute ops (double
 * accumulation, written for clarity, not speed). The tests compare the
 * Vulkan ops with these; the reference model forward uses them too. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* y[n][m] = x[n][k] w[m][k]^T (+ bias) (+ y if accumulate). */
void jg_ref_linear (float *y, const float *x, const float *w, const float *bias, gsize n, gsize m,
                    gsize k, gboolean accumulate);
void jg_ref_rmsnorm (float *y, const float *x, const float *weight, gsize rows, gsize n, float eps);
void jg_ref_layernorm (float *y, const float *x, const float *weight, const float *bias, gsize rows,
                       gsize n, float eps);
/* In place on x [n_tok][n_heads * head_dim]; pos [3][n_tok]. */
void jg_ref_rope (float *x, gsize n_tok, guint n_heads, guint head_dim, const guint32 *pos,
                  const float *inv_freq, const guint sections[3]);
void jg_ref_attention (float *o, const float *q, const float *k, const float *v, guint n_q, guint n_kv,
                       guint q_pos0, guint n_heads, guint n_kv_heads, guint head_dim, gboolean causal,
                       float scale);
void jg_ref_add (float *out, const float *a, const float *b, gsize n, gsize nb);
void jg_ref_mul (float *out, const float *a, const float *b, gsize n, gsize nb);
void jg_ref_swiglu (float *out, const float *gate, const float *up, gsize n);
void jg_ref_gelu (float *out, const float *a, gsize n);
void jg_ref_silu (float *out, const float *a, gsize n);
void jg_ref_embed (float *out, const float *table, gsize vocab, gsize dim, const guint32 *ids, gsize n_ids);
void jg_ref_softmax (float *y, const float *x, gsize rows, gsize n, float scale);
guint32 jg_ref_argmax (const float *x, gsize n);
/* Top-k, then the smallest prefix reaching top_p, then the token at u of
 * the renormalised distribution. *margin gets the distance of u from the
 * nearest boundary of the cumulative distribution (rounding can tip a
 * draw that close either way). */
guint32 jg_ref_sample (const float *logits, gsize n, guint k, float top_p, float temperature, float u,
                       double *margin);

/* ||a - b|| / ||b|| (1 when b is zero and a is not). */
double jg_ref_rel_error (const float *a, const float *b, gsize n);

G_END_DECLS
