#include "sim/jg-sim-ir.h"

#include <math.h>
#include <string.h>

#define MAX_ORDER 6
#define EPS 1e-9

typedef struct {
  double n[3], d;           /* inward normal; points p with n.p = d lie on the plane */
} Plane;

typedef struct {
  const JgSimRoom *room;
  const JgSimPose *pose;
  Plane planes[JG_SIM_MAX_WALLS + 2];
  int n_planes;             /* walls, then floor, then ceiling */
  double src[3], rcv[3];
  double max_delay;
  int max_order;
  GArray *out;
  int seq[MAX_ORDER];
  double img[MAX_ORDER + 1][3];
} Ism;

static double
plane_dist (const Plane *p, const double x[3])
{
  return p->n[0] * x[0] + p->n[1] * x[1] + p->n[2] * x[2] - p->d;
}

static gboolean
on_surface (const Ism *s, int k, const double p[3])
{
  const JgSimRoom *room = s->room;

  if (k < room->n_walls)
    {
      const JgSimWall *w = &room->walls[k];
      double tx = w->b[0] - w->a[0], tz = w->b[1] - w->a[1];
      double t = ((p[0] - w->a[0]) * tx + (p[2] - w->a[1]) * tz) / (tx * tx + tz * tz);
      return t >= 0.0 && t <= 1.0 && p[1] >= 0.0 && p[1] <= room->height;
    }
  return jg_sim_room_contains (room, p[0], p[2]);
}

/* Does the segment p-q cross a wall other than @skip_a / @skip_b? Only an
 * L-shaped room can occlude: in a convex room no wall lies between two
 * points inside it. */
static gboolean
blocked (const Ism *s, const double p[3], const double q[3], int skip_a, int skip_b)
{
  if (s->room->kind != JG_SIM_ROOM_LSHAPE)
    return FALSE;
  for (int k = 0; k < s->room->n_walls; k++)
    {
      double dp, dq, t, h[3];
      if (k == skip_a || k == skip_b)
        continue;
      dp = plane_dist (&s->planes[k], p);
      dq = plane_dist (&s->planes[k], q);
      if ((dp > EPS && dq > EPS) || (dp < -EPS && dq < -EPS))
        continue;
      if (fabs (dp - dq) < EPS)
        continue;
      t = dp / (dp - dq);
      if (t <= 1e-6 || t >= 1.0 - 1e-6)
        continue;
      for (int a = 0; a < 3; a++)
        h[a] = p[a] + t * (q[a] - p[a]);
      if (on_surface (s, k, h))
        return TRUE;
    }
  return FALSE;
}

/* Walks the path back from the receiver through the reflection points of
 * image @k; valid when each lies on its (finite) surface and no leg is
 * blocked. */
static gboolean
path_valid (const Ism *s, int k, double first_dir[3])
{
  double point[3], hit[3];
  int prev = -1;

  memcpy (point, s->rcv, sizeof point);
  for (int j = k - 1; j >= 0; j--)
    {
      const Plane *pl = &s->planes[s->seq[j]];
      const double *target = s->img[j + 1];
      double dp = plane_dist (pl, point), dt = plane_dist (pl, target), t;

      if (dp <= EPS || dt >= -EPS)
        return FALSE;
      t = dp / (dp - dt);
      for (int a = 0; a < 3; a++)
        hit[a] = point[a] + t * (target[a] - point[a]);
      if (!on_surface (s, s->seq[j], hit) || blocked (s, point, hit, prev, s->seq[j]))
        return FALSE;
      if (j == k - 1)
        for (int a = 0; a < 3; a++)
          first_dir[a] = hit[a] - s->rcv[a];
      memcpy (point, hit, sizeof point);
      prev = s->seq[j];
    }
  if (blocked (s, point, s->src, prev, -1))
    return FALSE;
  if (k == 0)
    for (int a = 0; a < 3; a++)
      first_dir[a] = s->src[a] - s->rcv[a];
  return TRUE;
}

static void
emit (Ism *s, int k)
{
  double dir[3], len, delay, wdir[3];
  JgSimArrival a;

  if (!path_valid (s, k, wdir))
    return;
  for (int i = 0; i < 3; i++)
    dir[i] = s->img[k][i] - s->rcv[i];
  len = sqrt (dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
  delay = len / JG_SIM_SPEED_OF_SOUND;
  if (delay >= s->max_delay || len < 1e-6)
    return;
  a.delay = delay;
  a.gain = pow (s->room->beta, k) / len;
  a.order = k;
  {
    double wl = sqrt (wdir[0] * wdir[0] + wdir[1] * wdir[1] + wdir[2] * wdir[2]);
    for (int i = 0; i < 3; i++)
      wdir[i] /= wl;
  }
  jg_sim_pose_to_camera (s->pose, wdir, a.dir, FALSE);
  g_array_append_val (s->out, a);
}

static void
recurse (Ism *s, int k)
{
  emit (s, k);
  if (k >= s->max_order)
    return;
  for (int p = 0; p < s->n_planes; p++)
    {
      double dist;
      if (k > 0 && s->seq[k - 1] == p)
        continue;
      /* Only an image in front of a surface can be mirrored in it. */
      dist = plane_dist (&s->planes[p], s->img[k]);
      if (dist <= EPS)
        continue;
      s->seq[k] = p;
      for (int a = 0; a < 3; a++)
        s->img[k + 1][a] = s->img[k][a] - 2.0 * dist * s->planes[p].n[a];
      recurse (s, k + 1);
    }
}

void
jg_sim_ism_arrivals (const JgSimRoom *room, const JgSimPose *pose, const double src_world[3],
                     int max_order, double max_delay, GArray *out)
{
  Ism s;

  memset (&s, 0, sizeof s);
  s.room = room;
  s.pose = pose;
  s.out = out;
  s.max_delay = max_delay;
  s.max_order = room->beta > 0.0 ? CLAMP (max_order, 0, MAX_ORDER) : 0;
  for (int k = 0; k < room->n_walls; k++)
    {
      Plane *p = &s.planes[k];
      p->n[0] = room->walls[k].n[0];
      p->n[1] = 0.0;
      p->n[2] = room->walls[k].n[1];
      p->d = p->n[0] * room->walls[k].a[0] + p->n[2] * room->walls[k].a[1];
    }
  s.planes[room->n_walls] = (Plane) { { 0.0, 1.0, 0.0 }, 0.0 };
  s.planes[room->n_walls + 1] = (Plane) { { 0.0, -1.0, 0.0 }, -room->height };
  s.n_planes = room->n_walls + 2;
  memcpy (s.src, src_world, sizeof s.src);
  memcpy (s.rcv, pose->pos, sizeof s.rcv);
  memcpy (s.img[0], src_world, sizeof s.img[0]);
  recurse (&s, 0);
}

/* Adds a plane wave of @gains at fractional sample time @tau. */
static void
add_arrival (float *ir, gsize n, double tau, const float gains[4])
{
  long first = (long) ceil (tau - JG_SIM_FRAC_HALF), last = (long) floor (tau + JG_SIM_FRAC_HALF);

  for (long i = MAX (first, 0); i <= last && i < (long) n; i++)
    {
      double x = i - tau;
      double w = 0.5 + 0.5 * cos (G_PI * x / JG_SIM_FRAC_HALF);
      double h = (fabs (x) < 1e-12 ? 1.0 : sin (G_PI * x) / (G_PI * x)) * w;
      for (int c = 0; c < 4; c++)
        ir[4 * i + c] += (float) (gains[c] * h);
    }
}

float *
jg_sim_ir_render (const JgSimRoom *room, const JgSimPose *pose, const double src_cam[3],
                  int max_order, JgFoaConvention convention, JgSimRng *rng, gsize *n_frames)
{
  const double fs = JG_SIM_SAMPLE_RATE;
  g_autoptr(GArray) arrivals = g_array_new (FALSE, FALSE, sizeof (JgSimArrival));
  double src_world[3], t_direct, max_delay;
  float *ir, *out;
  gsize n;

  jg_sim_pose_to_world (pose, src_cam, src_world, TRUE);
  t_direct = sqrt (src_cam[0] * src_cam[0] + src_cam[1] * src_cam[1] + src_cam[2] * src_cam[2])
             / JG_SIM_SPEED_OF_SOUND;
  /* Long enough for the tail to fall well past -60 dB at the end. */
  max_delay = room->rt60 > 0.0 ? t_direct + 1.2 * room->rt60 : t_direct + 1.0;
  jg_sim_ism_arrivals (room, pose, src_world, max_order, max_delay, arrivals);
  if (room->rt60 > 0.0)
    n = (gsize) ceil (max_delay * fs);
  else
    {
      double last = 0.0;
      for (guint i = 0; i < arrivals->len; i++)
        last = MAX (last, g_array_index (arrivals, JgSimArrival, i).delay);
      n = ((gsize) ceil (last * fs) + JG_SIM_FRAC_HALF + 1 + 63) / 64 * 64;
    }

  ir = g_new0 (float, 4 * n);
  for (guint i = 0; i < arrivals->len; i++)
    {
      const JgSimArrival *a = &g_array_index (arrivals, JgSimArrival, i);
      double az, el;
      float g[4];

      jg_camera_to_doa (a->dir, &az, &el);
      jg_foa_encode_ambix (az * G_PI / 180.0, el * G_PI / 180.0, g);
      for (int c = 0; c < 4; c++)
        g[c] = (float) (g[c] * a->gain);
      add_arrival (ir, n, a->delay * fs, g);
    }

  if (room->rt60 > 0.0)
    {
      /* Statistical room acoustics: reflections arrive at 4 pi c^3 t^2 / V
       * per second, each with energy 1/(ct)^2 times the decay, so the
       * late energy per second is 4 pi c / V exp(-13.8 t / T) whatever t.
       * The tail fades in between one and max_order mean free paths after
       * the direct sound, where the image sources we computed run out. */
      double mfp = 4.0 * room->volume / room->surface / JG_SIM_SPEED_OF_SOUND;
      double t_a = t_direct + mfp, t_b = t_direct + MAX (2, max_order) * mfp;
      double sigma0 = sqrt (4.0 * G_PI * JG_SIM_SPEED_OF_SOUND / (room->volume * fs));
      double decay = 3.0 * G_LN10 / room->rt60;   /* amplitude: 60 dB over T */
      /* Diffuse field in SN3D: each first-order channel carries 1/3 of W's energy. */
      const double dir_scale = 1.0 / sqrt (3.0);

      for (gsize i = (gsize) floor (t_a * fs); i < n; i++)
        {
          double t = i / fs, w, amp;
          if (t < t_a)
            continue;
          w = t >= t_b ? 1.0 : 0.5 - 0.5 * cos (G_PI * (t - t_a) / (t_b - t_a));
          amp = sigma0 * sqrt (w) * exp (-decay * t);
          ir[4 * i + 0] += (float) (amp * jg_sim_rng_normal (rng));
          for (int c = 1; c < 4; c++)
            ir[4 * i + c] += (float) (amp * dir_scale * jg_sim_rng_normal (rng));
        }
    }

  jg_foa_convert (JG_FOA_AMBIX, convention, ir, n);
  out = g_new (float, 4 * n);
  for (gsize i = 0; i < n; i++)
    for (int c = 0; c < 4; c++)
      out[c * n + i] = ir[4 * i + c];
  g_free (ir);
  *n_frames = n;
  return out;
}
