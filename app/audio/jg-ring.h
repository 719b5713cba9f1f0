/* jg-ring.h: a lock-free single-producer single-consumer ring of
 * interleaved float frames. One thread writes, one thread reads; neither
 * ever blocks, locks or allocates. Indices are 64-bit frame counters that
 * only grow, so a position in the stream can name a frame for a flush. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _JgRing JgRing;

JgRing *jg_ring_new (gsize capacity_frames, guint n_channels);
void    jg_ring_free (JgRing *ring);

gsize   jg_ring_get_capacity (const JgRing *ring);

/* Producer side. */
gsize   jg_ring_write_space (const JgRing *ring);
/* Writes up to @n frames; returns how many fit. */
gsize   jg_ring_write (JgRing *ring, const float *frames, gsize n);
/* Total frames written so far (the index the next write starts at). */
guint64 jg_ring_write_index (const JgRing *ring);

/* Consumer side. */
gsize   jg_ring_read_available (const JgRing *ring);
/* Reads up to @n frames; returns how many were there. */
gsize   jg_ring_read (JgRing *ring, float *frames, gsize n);
/* Drops everything before stream index @index (no-op if already past or
 * not yet written that far: then it drops what there is). */
void    jg_ring_skip_to (JgRing *ring, guint64 index);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (JgRing, jg_ring_free)

G_END_DECLS
