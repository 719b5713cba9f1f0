#include "audio/jg-ring.h"

#include <stdatomic.h>
#include <string.h>

struct _JgRing {
  gsize capacity;
  guint n_channels;
  float *data;
  /* Each index is written by one side only; release/acquire pairs make
   * the frames visible before the index that publishes them. */
  _Atomic guint64 write_idx;
  _Atomic guint64 read_idx;
};

JgRing *
jg_ring_new (gsize capacity_frames, guint n_channels)
{
  JgRing *r = g_new0 (JgRing, 1);

  g_return_val_if_fail (capacity_frames > 0 && n_channels > 0, NULL);
  r->capacity = capacity_frames;
  r->n_channels = n_channels;
  r->data = g_new0 (float, capacity_frames * n_channels);
  atomic_init (&r->write_idx, 0);
  atomic_init (&r->read_idx, 0);
  return r;
}

void
jg_ring_free (JgRing *r)
{
  if (r == NULL)
    return;
  g_free (r->data);
  g_free (r);
}

gsize
jg_ring_get_capacity (const JgRing *r)
{
  return r->capacity;
}

gsize
jg_ring_write_space (const JgRing *r)
{
  guint64 w = atomic_load_explicit (&((JgRing *) r)->write_idx, memory_order_relaxed);
  guint64 rd = atomic_load_explicit (&((JgRing *) r)->read_idx, memory_order_acquire);

  return r->capacity - (gsize) (w - rd);
}

guint64
jg_ring_write_index (const JgRing *r)
{
  return atomic_load_explicit (&((JgRing *) r)->write_idx, memory_order_relaxed);
}

/* Copies @n frames between the ring at stream index @idx and @buf,
 * splitting at the wrap. */
static void
copy_frames (JgRing *r, guint64 idx, float *buf, gsize n, gboolean to_ring)
{
  gsize start = (gsize) (idx % r->capacity), first = MIN (n, r->capacity - start);
  gsize ch = r->n_channels;

  if (to_ring)
    {
      memcpy (r->data + start * ch, buf, first * ch * sizeof (float));
      memcpy (r->data, buf + first * ch, (n - first) * ch * sizeof (float));
    }
  else
    {
      memcpy (buf, r->data + start * ch, first * ch * sizeof (float));
      memcpy (buf + first * ch, r->data, (n - first) * ch * sizeof (float));
    }
}

gsize
jg_ring_write (JgRing *r, const float *frames, gsize n)
{
  guint64 w = atomic_load_explicit (&r->write_idx, memory_order_relaxed);
  gsize space = jg_ring_write_space (r);

  n = MIN (n, space);
  if (n == 0)
    return 0;
  copy_frames (r, w, (float *) frames, n, TRUE);
  atomic_store_explicit (&r->write_idx, w + n, memory_order_release);
  return n;
}

gsize
jg_ring_read_available (const JgRing *r)
{
  guint64 w = atomic_load_explicit (&((JgRing *) r)->write_idx, memory_order_acquire);
  guint64 rd = atomic_load_explicit (&((JgRing *) r)->read_idx, memory_order_relaxed);

  return (gsize) (w - rd);
}

gsize
jg_ring_read (JgRing *r, float *frames, gsize n)
{
  guint64 rd = atomic_load_explicit (&r->read_idx, memory_order_relaxed);
  /* Read the producer's index once: it may grow while we copy. */
  gsize avail = jg_ring_read_available (r);

  n = MIN (n, avail);
  if (n == 0)
    return 0;
  copy_frames (r, rd, frames, n, FALSE);
  atomic_store_explicit (&r->read_idx, rd + n, memory_order_release);
  return n;
}

void
jg_ring_skip_to (JgRing *r, guint64 index)
{
  guint64 rd = atomic_load_explicit (&r->read_idx, memory_order_relaxed);
  guint64 w = atomic_load_explicit (&r->write_idx, memory_order_acquire);

  if (index <= rd)
    return;
  atomic_store_explicit (&r->read_idx, MIN (index, w), memory_order_release);
}
