/* jg-vk-context.h: the compute runtime. One logical device with one compute
 * queue, the fast paths this device allows (minus those switched off with
 * JAEGER_VK_DISABLE), pipelines built on first use, and a recorder that puts
 * many dispatches into one submission with barriers only where a dispatch
 * touches memory an earlier one of the same submission wrote. */
#pragma once

#include <glib.h>
#include <volk.h>

#include "inference/jg-vk-instance.h"

G_BEGIN_DECLS

/* Fast paths. Each can be switched off with JAEGER_VK_DISABLE=name[,name...]
 * (coopmat, fp16, subgroup, attn1pass, address) so that tests cover every fallback. */
typedef enum {
  JG_VK_FEATURE_FP16     = 1 << 0,  /* 16-bit storage + float16 arithmetic */
  JG_VK_FEATURE_SUBGROUP = 1 << 1,  /* subgroup arithmetic in reductions */
  JG_VK_FEATURE_COOPMAT  = 1 << 2,  /* VK_NV_cooperative_matrix (needs fp16) */
  /* The prefill attention on tensor cores in one pass over the keys (a lazy
   * row maximum); off: two passes (slower at moderate scores, faster where
   * the scores spread so wide that rows rescale at most blocks). */
  JG_VK_FEATURE_ATTN_ONE_PASS = 1 << 3,
  /* Buffer device addresses (Vulkan 1.2 bufferDeviceAddress): the decode
   * step's layers in one dispatch reach each layer's tensors through a table
   * of addresses (jg_tensor_get_device_address). */
  JG_VK_FEATURE_DEVICE_ADDRESS = 1 << 4,
} JgVkFeature;

typedef struct {
  int device;                   /* index, or -1: $JAEGER_DEVICE / the best one */
  guint64 block_size;           /* memory block size; 0: 256 MiB (clamped to the device) */
  guint64 max_binding_range;    /* 0: the device's maxStorageBufferRange; tests use less */
} JgVkContextOptions;

typedef struct _JgVkContext JgVkContext;
typedef struct _JgTensor JgTensor;

JgVkContext *jg_vk_context_new (const JgVkContextOptions *options, GError **error);
void         jg_vk_context_free (JgVkContext *self);

const JgVkDeviceInfo *jg_vk_context_get_info (JgVkContext *self);
/* The JgVkFeature bits in use (detected, minus JAEGER_VK_DISABLE). */
guint        jg_vk_context_get_features (JgVkContext *self);
guint32      jg_vk_context_get_subgroup_size (JgVkContext *self);
/* Largest tensor the device can bind (bytes). */
guint64      jg_vk_context_get_max_binding (JgVkContext *self);
/* Bytes held in device-local (host = FALSE) or host-visible memory blocks,
 * and how many blocks. */
guint64      jg_vk_context_get_allocated (JgVkContext *self, gboolean host, guint *n_blocks);

/* Recording: ops called between begin and submit are recorded into one
 * command buffer; submit runs it and waits. Ops called outside begin/submit
 * run at once (begin + op + submit). */
void     jg_vk_begin (JgVkContext *self);
gboolean jg_vk_submit (JgVkContext *self, GError **error);
gboolean jg_vk_is_recording (JgVkContext *self);

/* GPU time between jg_vk_mark_start and jg_vk_mark_end of the last submission
 * (nanoseconds; 0 when the queue has no timestamps). */
void     jg_vk_mark_start (JgVkContext *self);
void     jg_vk_mark_end (JgVkContext *self);
double   jg_vk_marked_ns (JgVkContext *self);

/* Dispatch of a compute shader embedded in the binary (by variant name,
 * e.g. "matvec_f16_sg"). Specialization constants 0..n_spec-1 take
 * spec[]; the first is the workgroup width by convention. Tensors are
 * bound at 0..n-1; bit i of write_mask says tensor i is written. */
typedef struct {
  const char *shader;
  const guint32 *spec;
  guint n_spec;
  JgTensor *const *bind;
  guint n_bind;
  guint32 write_mask;
  const void *push;
  guint push_size;
  guint32 groups[3];
} JgVkDispatch;

gboolean jg_vk_dispatch (JgVkContext *self, const JgVkDispatch *d, GError **error);

/* Graphs: a recording kept and replayed. Ops called between
 * jg_vk_graph_begin and jg_vk_graph_end go into the graph's own command
 * buffer and descriptor sets instead of the one-shot recording; each
 * jg_vk_graph_run submits that same command buffer again and waits. Push
 * constants, descriptors and dispatch sizes are fixed at recording, so
 * whatever changes between runs (a token id, a position, the number of
 * cached keys) must be read by the shaders from buffers, host-visible ones
 * written before the run. A graph starts with a full memory barrier, so it
 * sees everything earlier submissions wrote. Timestamp marks recorded in
 * it report through jg_vk_marked_ns after each run. Begin re-records a
 * graph from scratch. */
typedef struct _JgVkGraph JgVkGraph;

JgVkGraph *jg_vk_graph_new (JgVkContext *self, GError **error);
void       jg_vk_graph_free (JgVkGraph *graph);
void       jg_vk_graph_begin (JgVkContext *self, JgVkGraph *graph);
gboolean   jg_vk_graph_end (JgVkContext *self, GError **error);
gboolean   jg_vk_graph_run (JgVkContext *self, JgVkGraph *graph, GError **error);
/* Run split in two: submit returns at once (graphs submitted one after
 * another run in that order, each seeing what the ones before wrote, since
 * each starts with the full barrier), wait blocks until that graph is done
 * and makes its marks the ones jg_vk_marked_ns reports. Each graph has its
 * own fence and timestamps; a graph must be waited for before it is
 * submitted or recorded again (begin and free wait by themselves). A
 * one-shot submission meanwhile (a download) is not ordered against the
 * graphs in flight: it may read only what waited-for graphs wrote. */
gboolean   jg_vk_graph_submit (JgVkContext *self, JgVkGraph *graph, GError **error);
gboolean   jg_vk_graph_wait (JgVkContext *self, JgVkGraph *graph, GError **error);
/* Whether the graph holds a finished recording. */
gboolean   jg_vk_graph_is_ready (JgVkGraph *graph);

/* Number of pipelines built so far (each is built once, on first use). */
guint    jg_vk_context_get_n_pipelines (JgVkContext *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgVkContext, jg_vk_context_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgVkGraph, jg_vk_graph_free)

G_END_DECLS
