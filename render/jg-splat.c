#include "render/jg-splat.h"

#include <math.h>
#include <string.h>

/* The per-pixel loops are written to vectorise; -O2 of GCC 12 does not
 * try hard enough. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("O3")
#endif

/* The two vectorised loops also in an AVX2 build, picked at load time
 * where the processor has it (8 floats a step instead of 4). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__ELF__)
#define VECTOR_CLONES __attribute__ ((target_clones ("avx2", "default")))
#else
#define VECTOR_CLONES
#endif

#define MAX_THREADS 4
#define LUT_SCALE 1024.0f
#define LUT_SIZE (4 * 1024 + 1)

/* A frame in three phases, the threads meeting between them: projection
 * (the points split between the threads), the z-buffer (the image split
 * into bands of rows; each thread writes only its own rows, so no atomics
 * and no races), and the resolve (the same bands; eye-dome lighting reads
 * the neighbouring bands' rows, hence the second meeting). */

/* A projected point's footprint starts at (px, py), py = CULLED for
 * points off screen or clipped; pd is its window depth. */
#define CULLED (G_MAXINT32 / 2)

typedef struct {
  struct _JgSplat *s;
  guint band;
} Worker;

struct _JgSplat {
  guint n_threads;
  Worker args[MAX_THREADS];
  GThread *workers[MAX_THREADS - 1];
  GMutex lock;
  GCond wake, done, barrier;
  guint generation, finished, arrived, barrier_generation;
  gboolean quit;

  JgSplatFrame frame;
  guint width, height;
  gsize capacity;
  float *depth;        /* window depth, 1 where empty */
  guint32 *color;      /* the nearest point's RGBA, where depth < 1; then
                        * the image, written over it in place (its cache
                        * lines are there already) */
  gint32 *px, *py;     /* per point, see CULLED */
  float *pd;
  guint proj_capacity;
  float *sum;          /* a row of eye-dome sums per thread */
  guint sum_width;
  guint32 lut[LUT_SIZE]; /* exp (-strength * i / LUT_SCALE), 16.16 */
  float lut_strength;
};

void
jg_splat_ramp (float t, float rgb[3])
{
  static const float c[5][3] = {
    { 0.10f, 0.10f, 0.55f }, { 0.00f, 0.70f, 0.90f }, { 0.20f, 0.85f, 0.30f },
    { 0.98f, 0.85f, 0.10f }, { 0.85f, 0.15f, 0.10f },
  };
  int k;

  t = (t > 0.0f ? (t < 1.0f ? t : 1.0f) : 0.0f) * 4.0f;
  k = t < 1.0f ? 0 : t < 2.0f ? 1 : t < 3.0f ? 2 : 3;
  t -= (float) k;
  for (int i = 0; i < 3; i++)
    rgb[i] = c[k][i] + (c[k + 1][i] - c[k][i]) * t;
}

static void
barrier_wait (JgSplat *s)
{
  g_mutex_lock (&s->lock);
  guint gen = s->barrier_generation;
  if (++s->arrived == s->n_threads)
    {
      s->arrived = 0;
      s->barrier_generation++;
      g_cond_broadcast (&s->barrier);
    }
  else
    while (gen == s->barrier_generation)
      g_cond_wait (&s->barrier, &s->lock);
  g_mutex_unlock (&s->lock);
}

static inline guint8
unorm8 (float v)
{
  v = v * 255.0f + 0.5f;
  return (guint8) (v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v);
}

static inline int
floor_int (float v)
{
  int i = (int) v;   /* truncates; floorf is a libm call without SSE4.1 */
  return i - (v < (float) i);
}

/* Phase 1, points split between the threads: projection only, into
 * arrays, with no scattered stores and no branches, so it vectorises. */
static void VECTOR_CLONES
project_points (JgSplat *s, guint i0, guint i1)
{
  const JgSplatFrame *f = &s->frame;
  const float *m = f->view_proj, *xyz = f->xyz;
  const int w = (int) s->width, h = (int) s->height, sz = f->size;
  /* Which pixels a point of size S covers, as llvmpipe's GL_POINTS (the
   * path this replaces there): pixel centres c with -S/2 < c - x <= S/2
   * across, -S/2 <= c - y < S/2 up (its fill rule, y flipped for GL's
   * lower-left origin). The first column is floor (x - (S - 1) / 2), the
   * first row ceil (y - (S + 1) / 2). */
  const float half_x = 0.5f * (float) (sz - 1), half_y = 0.5f * (float) (sz + 1);
  const float fw = 0.5f * (float) w, fh = 0.5f * (float) h;
  const float lo = -64.0f - (float) sz, hi_x = (float) w + 64.0f, hi_y = (float) h + 64.0f;
  const float m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5], m6 = m[6],
              m7 = m[7], m8 = m[8], m9 = m[9], m10 = m[10], m11 = m[11], m12 = m[12],
              m13 = m[13], m14 = m[14], m15 = m[15];
  gint32 *restrict px = s->px, *restrict py = s->py;
  float *restrict pd = s->pd;

  for (guint i = i0; i < i1; i++)
    {
      float x = xyz[3 * (gsize) i], y = xyz[3 * (gsize) i + 1], z = xyz[3 * (gsize) i + 2];
      float cx = m0 * x + m4 * y + m8 * z + m12;
      float cy = m1 * x + m5 * y + m9 * z + m13;
      float cz = m2 * x + m6 * y + m10 * z + m14;
      float cw = m3 * x + m7 * y + m11 * z + m15;
      float inv = 1.0f / cw;
      /* window position, clamped so that the conversions cannot
       * overflow, then on llvmpipe's 1/256-pixel grid so that ties fall
       * its way, then the footprint's corner */
      float wx = (cx * inv + 1.0f) * fw, wy = (cy * inv + 1.0f) * fh;
      wx = wx > lo ? wx : lo;
      wx = wx < hi_x ? wx : hi_x;
      wy = wy > lo ? wy : lo;
      wy = wy < hi_y ? wy : hi_y;
      wx = (float) floor_int (wx * 256.0f + 0.5f) * (1.0f / 256.0f) - half_x;
      wy = (float) floor_int (wy * 256.0f + 0.5f) * (1.0f / 256.0f) - half_y;
      int lx = floor_int (wx), ly = -floor_int (-wy);
      /* clipped by the centre, as GL_POINTS: in front, between the planes */
      int in = (cw > 0.0f) & (cz <= cw) & (-cz <= cw) & (lx < w) & (lx + sz > 0)
               & (ly < h) & (ly + sz > 0);

      px[i] = lx;
      py[i] = in ? ly : CULLED;
      pd[i] = cz * inv * 0.5f + 0.5f;
    }
}

/* Phase 2, rows split between the threads: every footprint's pixels in
 * this band keep the nearest point's depth and colour (read here, in
 * point order, so that the resolve gathers nothing); of equal depths the
 * first, as the GPU's atomicMin of (depth, index) keys. */
static void
scatter_band (JgSplat *s, guint y0, guint y1)
{
  const gint32 *px = s->px, *py = s->py;
  const float *pd = s->pd;
  const int w = (int) s->width, sz = s->frame.size;
  const int top = (int) y0, bottom = (int) y1;
  float *depth = s->depth;
  guint32 *color = s->color, solid;
  const guint32 *colors = (const guint32 *) s->frame.rgba;
  const guint n = s->frame.n;

  for (int i = 0; i < 3; i++)
    ((guint8 *) &solid)[i] = unorm8 (s->frame.solid[i]);
  ((guint8 *) &solid)[3] = 255;
  /* empty: depth 1 (the far plane); the colour is read only where a point won */
  for (gsize i = (gsize) y0 * w; i < (gsize) y1 * w; i++)
    depth[i] = 1.0f;
  for (guint i = 0; i < n; i++)
    {
      int ly = py[i], ya, yb, xa, xb;
      float d = pd[i];

      if (ly >= bottom || ly + sz <= top)
        continue;
      if (sz == 2 && ly >= top && ly + 2 <= bottom && px[i] >= 0 && px[i] + 2 <= w)
        {
          /* the default size, whole: four pixels, no loops */
          gsize at = (gsize) ly * w + px[i];
          guint32 c = colors ? colors[i] : solid;
          float *d0 = depth + at, *d1 = d0 + w;
          guint32 *c0 = color + at, *c1 = c0 + w;
          gboolean n00 = d < d0[0], n01 = d < d0[1], n10 = d < d1[0], n11 = d < d1[1];
          d0[0] = n00 ? d : d0[0];
          c0[0] = n00 ? c : c0[0];
          d0[1] = n01 ? d : d0[1];
          c0[1] = n01 ? c : c0[1];
          d1[0] = n10 ? d : d1[0];
          c1[0] = n10 ? c : c1[0];
          d1[1] = n11 ? d : d1[1];
          c1[1] = n11 ? c : c1[1];
          continue;
        }
      ya = MAX (ly, top);
      yb = MIN (ly + sz, bottom);
      xa = MAX (px[i], 0);
      xb = MIN (px[i] + sz, w);
      for (int y = ya; y < yb; y++)
        {
          float *drow = depth + (gsize) y * w;
          guint32 *crow = color + (gsize) y * w;
          guint32 c = colors ? colors[i] : solid;
          /* branch-free: which of overlapping points wins is data, and
           * mispredicted branches cost more than the stores */
          for (int x = xa; x < xb; x++)
            {
              gboolean near = d < drow[x];
              drow[x] = near ? d : drow[x];
              crow[x] = near ? c : crow[x];
            }
        }
    }
}


/* Eye-dome lighting of one row: the sum over four neighbours at @r of
 * the relative depth step towards them, clamped to [0, 1] each (see
 * edl.frag). Empty pixels (depth 1) need no test: d - 1 < 0 for any
 * point. Branch-free, so it vectorises. */
/* clamp to [0, 1] as minss/maxss (fminf and fmaxf are libm calls) */
static inline float
unit (float v)
{
  v = v > 0.0f ? v : 0.0f;
  return v < 1.0f ? v : 1.0f;
}

static inline float
edl_sum_clamped (const float *row, const float *up, const float *down, int w, int r, float a,
                 int x)
{
  float d = row[x], inv = a / (1.0f - a * d);
  float dn[4] = { row[MIN (x + r, w - 1)], row[MAX (x - r, 0)], up[x], down[x] };
  float t = 0.0f;

  for (int n = 0; n < 4; n++)
    t += unit ((d - dn[n]) * inv);
  return t;
}

static void VECTOR_CLONES
edl_row (const float *row, const float *up, const float *down, int w, int r, float a,
         float *sum)
{
  int lo = MIN (r, w), hi = MAX (w - r, lo), x;

  for (x = 0; x < lo; x++)
    sum[x] = edl_sum_clamped (row, up, down, w, r, a, x);
  for (; x < hi; x++)
    {
      float d = row[x], inv = a / (1.0f - a * d);
      sum[x] = unit ((d - row[x + r]) * inv) + unit ((d - row[x - r]) * inv)
             + unit ((d - up[x]) * inv) + unit ((d - down[x]) * inv);
    }
  for (; x < w; x++)
    sum[x] = edl_sum_clamped (row, up, down, w, r, a, x);
}

/* Bytes of a pixel within its 32-bit word, as stored (RGBA in memory). */
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define SHIFT_R 0
#define SHIFT_G 8
#define SHIFT_B 16
#define SHIFT_A 24
#else
#define SHIFT_R 24
#define SHIFT_G 16
#define SHIFT_B 8
#define SHIFT_A 0
#endif

/* Each pixel's colour darkened by exp (-strength * sum) (from the table,
 * in 16.16, sum in [0, 4]), or the background where empty; in place.
 * Branch-free integer work, so it vectorises (AVX2 gathers the table). */
static void VECTOR_CLONES
shade_row (const float *restrict row, const float *restrict sum, const guint32 *restrict lut,
           guint32 *restrict color, int w, guint32 bg)
{
  for (int x = 0; x < w; x++)
    {
      guint32 g = lut[(int) (sum[x] * LUT_SCALE + 0.5f)];
      guint32 c = color[x];
      guint32 cr = ((((c >> SHIFT_R) & 0xff) * g + 32768) >> 16) << SHIFT_R;
      guint32 cg = ((((c >> SHIFT_G) & 0xff) * g + 32768) >> 16) << SHIFT_G;
      guint32 cb = ((((c >> SHIFT_B) & 0xff) * g + 32768) >> 16) << SHIFT_B;
      guint32 v = cr | cg | cb | (0xffu << SHIFT_A);
      color[x] = row[x] < 1.0f ? v : bg;
    }
}

static void
resolve_band (JgSplat *s, guint band, guint y0, guint y1)
{
  const JgSplatFrame *f = &s->frame;
  const int w = (int) s->width, h = (int) s->height, r = MAX (f->edl_radius, 1);
  const float a = (f->far - f->near) / f->far;
  const gboolean edl = f->edl_strength > 0.0f;
  const guint32 *lut = s->lut;
  float *sum = s->sum + (gsize) band * s->sum_width;
  guint32 bg;

  for (int i = 0; i < 4; i++)
    ((guint8 *) &bg)[i] = unorm8 (f->background[i]);
  for (int y = (int) y0; y < (int) y1; y++)
    {
      const float *row = s->depth + (gsize) y * w;
      guint32 *color = s->color + (gsize) y * w, *out = color;

      if (!edl)
        {
          for (int x = 0; x < w; x++)
            out[x] = row[x] < 1.0f ? color[x] : bg;
          continue;
        }
      edl_row (row, s->depth + (gsize) MIN (y + r, h - 1) * w,
               s->depth + (gsize) MAX (y - r, 0) * w, w, r, a, sum);
      shade_row (row, sum, lut, out, w, bg);
    }
}

static void
run_band (JgSplat *s, guint band)
{
  guint y0 = (guint) ((guint64) s->height * band / s->n_threads);
  guint y1 = (guint) ((guint64) s->height * (band + 1) / s->n_threads);

  project_points (s, (guint) ((guint64) s->frame.n * band / s->n_threads),
                  (guint) ((guint64) s->frame.n * (band + 1) / s->n_threads));
  barrier_wait (s);
  scatter_band (s, y0, y1);
  barrier_wait (s);
  resolve_band (s, band, y0, y1);
}

static gpointer
worker_main (gpointer data)
{
  Worker *wk = data;
  JgSplat *s = wk->s;
  guint seen = 0;

  for (;;)
    {
      g_mutex_lock (&s->lock);
      while (s->generation == seen && !s->quit)
        g_cond_wait (&s->wake, &s->lock);
      if (s->quit)
        {
          g_mutex_unlock (&s->lock);
          return NULL;
        }
      seen = s->generation;
      g_mutex_unlock (&s->lock);

      run_band (s, wk->band);

      g_mutex_lock (&s->lock);
      s->finished++;
      g_cond_signal (&s->done);
      g_mutex_unlock (&s->lock);
    }
}

JgSplat *
jg_splat_new (guint n_threads)
{
  JgSplat *s = g_new0 (JgSplat, 1);

  if (n_threads == 0)
    n_threads = g_get_num_processors ();
  s->n_threads = CLAMP (n_threads, 1, MAX_THREADS);
  g_mutex_init (&s->lock);
  g_cond_init (&s->wake);
  g_cond_init (&s->done);
  g_cond_init (&s->barrier);
  for (guint i = 1; i < s->n_threads; i++)
    {
      s->args[i].s = s;
      s->args[i].band = i;
      s->workers[i - 1] = g_thread_new ("jg-splat", worker_main, &s->args[i]);
    }
  return s;
}

void
jg_splat_free (JgSplat *s)
{
  if (s == NULL)
    return;
  g_mutex_lock (&s->lock);
  s->quit = TRUE;
  g_cond_broadcast (&s->wake);
  g_mutex_unlock (&s->lock);
  for (guint i = 0; i + 1 < s->n_threads; i++)
    g_thread_join (s->workers[i]);
  g_mutex_clear (&s->lock);
  g_cond_clear (&s->wake);
  g_cond_clear (&s->done);
  g_cond_clear (&s->barrier);
  g_free (s->color);
  g_free (s->depth);
  g_free (s->sum);
  g_free (s->px);
  g_free (s->py);
  g_free (s->pd);
  g_free (s);
}

void
jg_splat_draw (JgSplat *s, const JgSplatFrame *frame, guint width, guint height)
{
  gsize pixels = (gsize) width * height;

  if (pixels > s->capacity)
    {
      g_free (s->color);
      g_free (s->depth);
      s->color = g_new (guint32, pixels);
      s->depth = g_new (float, pixels);
      s->capacity = pixels;
    }
  if (frame->n > s->proj_capacity)
    {
      g_free (s->px);
      g_free (s->py);
      g_free (s->pd);
      s->px = g_new (gint32, frame->n);
      s->py = g_new (gint32, frame->n);
      s->pd = g_new (float, frame->n);
      s->proj_capacity = frame->n;
    }
  if (width > s->sum_width)
    {
      g_free (s->sum);
      s->sum = g_new (float, (gsize) width * s->n_threads);
      s->sum_width = width;
    }
  if (frame->edl_strength != s->lut_strength)
    {
      for (int i = 0; i < LUT_SIZE; i++)
        s->lut[i] = (guint32) lrintf (65536.0f * expf (-frame->edl_strength * (float) i / LUT_SCALE));
      s->lut_strength = frame->edl_strength;
    }
  s->frame = *frame;
  s->frame.size = CLAMP (frame->size, 1, 64);
  s->width = width;
  s->height = height;
  if (pixels == 0)
    return;

  g_mutex_lock (&s->lock);
  s->finished = 0;
  s->generation++;
  g_cond_broadcast (&s->wake);
  g_mutex_unlock (&s->lock);

  run_band (s, 0);

  g_mutex_lock (&s->lock);
  while (s->finished + 1 < s->n_threads)
    g_cond_wait (&s->done, &s->lock);
  g_mutex_unlock (&s->lock);
}

const guint8 *
jg_splat_get_rgba (const JgSplat *s)
{
  return (const guint8 *) s->color;
}

const float *
jg_splat_get_depth (const JgSplat *s)
{
  return s->depth;
}

guint
jg_splat_get_threads (const JgSplat *s)
{
  return s->n_threads;
}
