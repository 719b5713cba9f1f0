/* bench-render: frame time of the scene renderer offscreen (EGL).
 *
 *   bench-render [--cloud WxH] [--size WxH] [--frames N] [--point-size PX]
 *                [--also-disable SPEC]... [--save PREFIX]
 *
 * --also-disable adds a run with JAEGER_GL_DISABLE=SPEC; --save writes
 * each path's frame at the fixed pose to PREFIX-N.png; --paths N runs
 * only the first N paths (1: the default one, for profiling).
 *
 * A synthetic room (walls, floor, a table) is back-projected from a depth
 * map of --cloud pixels (default 672x378, 254k points) and drawn at --size
 * (default 1280x720) with every overlay on (3 ground-truth and 3 predicted
 * boxes with faces, 6 DoA rays with error cones, sky sphere, frustum, axes)
 * and eye-dome lighting, the camera orbiting a little every frame. Each
 * frame ends in glFinish(), so the time is the whole frame. Measured in the
 * same run for comparison: plain points (no overlays, no EDL), a sample
 * switch (back-projection + upload + first frame), and all of it again
 * with the GL_POINTS path that the default path replaced
 * (JAEGER_GL_DISABLE=cpu,compute). */
#include "render/jg-gl-offscreen.h"
#include "render/jg-renderer.h"

#include <epoxy/gl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static gboolean
parse_size (const char *s, guint *w, guint *h)
{
  return sscanf (s, "%ux%u", w, h) == 2 && *w > 0 && *h > 0;
}

/* Depth of a box-shaped room seen from inside: the nearest of the walls,
 * the floor and ceiling along each pixel's ray, plus a table. */
static void
make_room (float *depth, guint8 *rgb, const JgIntrinsics *k, double shift)
{
  for (guint v = 0; v < k->height; v++)
    for (guint u = 0; u < k->width; u++)
      {
        double x = (u + 0.5 - k->cx) / k->fx, y = -(v + 0.5 - k->cy) / k->fy;   /* at d = 1 */
        double d = 5.0 + shift;                                     /* back wall */
        if (x < 0)
          d = MIN (d, 2.5 / -x);                                    /* left wall */
        if (x > 0)
          d = MIN (d, 3.0 / x);                                     /* right wall */
        if (y < 0)
          d = MIN (d, 1.4 / -y);                                    /* floor */
        if (y > 0)
          d = MIN (d, 1.6 / y);                                     /* ceiling */
        if (y < -0.25 && y > -0.45 && fabs (x - 0.1) < 0.25)
          d = MIN (d, 2.2);                                         /* table */
        gsize i = (gsize) v * k->width + u;
        depth[i] = (u % 97 == 3 && v % 89 == 5) ? 0.0f : (float) d;   /* some holes */
        rgb[3 * i] = (guint8) (80 + 100 * u / k->width);
        rgb[3 * i + 1] = (guint8) (90 + 80 * v / k->height);
        rgb[3 * i + 2] = (guint8) (60 + 40 * d);
      }
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static void
report (const char *what, double *ms, guint n, double cpu, double gpu)
{
  double sum = 0;

  qsort (ms, n, sizeof *ms, cmp_double);
  for (guint i = 0; i < n; i++)
    sum += ms[i];
  printf ("%-34s wall: mean %8.3f ms  median %8.3f ms  p95 %8.3f ms  (%u frames);"
          "  CPU %8.3f ms, GL %8.3f ms a frame\n",
          what, sum / n, ms[n / 2], ms[MIN (n - 1, n * 95 / 100)], n, cpu, gpu);
}

static double
cpu_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Returns the process CPU time per frame (all llvmpipe threads summed):
 * on a shared machine wall time also counts other people's work. The
 * mean GL time of a frame (timer query: what the GL device spent on it)
 * goes to @gpu_ms. */
static GLuint query;

static double
run_frames (JgRenderer *r, JgScene *scene, JgCamera *cam, JgGlOffscreen *gl, guint w, guint h,
            double *ms, guint n, double *gpu_ms)
{
  double c0;

  for (guint i = 0; i < 5; i++)   /* warm-up: shader variants, first touches */
    {
      jg_gl_offscreen_bind (gl);
      jg_renderer_draw (r, scene, cam, w, h);
      glFinish ();
    }
  c0 = cpu_ms ();
  *gpu_ms = 0;
  for (guint i = 0; i < n; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      GLuint64 ns = 0;
      jg_camera_orbit (cam, 0.5, (i % 20 < 10) ? 0.2 : -0.2);
      jg_gl_offscreen_bind (gl);
      glBeginQuery (GL_TIME_ELAPSED, query);
      jg_renderer_draw (r, scene, cam, w, h);
      glEndQuery (GL_TIME_ELAPSED);
      glFinish ();
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
      glGetQueryObjectui64v (query, GL_QUERY_RESULT, &ns);
      *gpu_ms += ns / 1e6 / n;
    }
  return (cpu_ms () - c0) / n;
}

static double
median (double *v, guint n)
{
  qsort (v, n, sizeof *v, cmp_double);
  return v[n / 2];
}

/* All rows for one renderer (one point path). */
static gboolean
bench_path (JgRenderer *r, JgScene *scene, JgCamera *cam, JgGlOffscreen *gl,
            const JgIntrinsics *k, guint8 **rgb, float **depth, guint cw, guint ch,
            guint w, guint h, guint frames, guint8 *image, GError **error)
{
  /* Sample switch: back-projection, upload, first frame, each timed on
   * its own too. The renderer lives across samples (as in the view), so
   * its programs are built once, before. */
  double switch_ms[10], back_ms[10], upload_ms[10], first_ms[10], switch_cpu, cpu, gpu;
  const JgCameraPose pose = { { 0, -0.3, -2.5 }, 3.0, 25, -15, 0, 55 };
  g_autofree double *ms = g_new (double, frames);

  printf ("\n%s:\n", jg_renderer_get_point_path (r));
  jg_scene_set_overlays (scene, JG_OVERLAY_ALL);
  jg_renderer_set_edl (r, TRUE, 1.5f);
  jg_renderer_set_point_budget (r, 0);
  jg_camera_set_pose (cam, &pose);
  jg_gl_offscreen_bind (gl);
  jg_renderer_draw (r, scene, cam, w, h);
  glFinish ();
  switch_cpu = cpu_ms ();
  for (guint i = 0; i < G_N_ELEMENTS (switch_ms); i++)
    {
      gint64 t0 = g_get_monotonic_time (), t1, t2;
      if (!jg_scene_set_cloud (scene, rgb[i % 2], cw, ch, depth[i % 2], k, error))
        return FALSE;
      t1 = g_get_monotonic_time ();
      jg_gl_offscreen_bind (gl);
      jg_renderer_sync (r, scene);
      glFinish ();
      t2 = g_get_monotonic_time ();
      jg_renderer_draw (r, scene, cam, w, h);
      glFinish ();
      switch_ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
      back_ms[i] = (t1 - t0) / 1000.0;
      upload_ms[i] = (t2 - t1) / 1000.0;
      first_ms[i] = (g_get_monotonic_time () - t2) / 1000.0;
    }
  switch_cpu = (cpu_ms () - switch_cpu) / G_N_ELEMENTS (switch_ms);
  printf ("cloud: %u points\n", jg_scene_get_n_points (scene));

  cpu = run_frames (r, scene, cam, gl, w, h, ms, frames, &gpu);
  report ("all overlays + eye-dome lighting", ms, frames, cpu, gpu);

  jg_scene_set_overlays (scene, 0);
  jg_camera_set_pose (cam, &pose);
  cpu = run_frames (r, scene, cam, gl, w, h, ms, frames, &gpu);
  report ("eye-dome lighting, no overlays", ms, frames, cpu, gpu);

  jg_scene_set_overlays (scene, JG_OVERLAY_ALL);
  jg_renderer_set_edl (r, FALSE, 0);
  jg_camera_set_pose (cam, &pose);
  cpu = run_frames (r, scene, cam, gl, w, h, ms, frames, &gpu);
  report ("all overlays, no EDL", ms, frames, cpu, gpu);

  jg_scene_set_overlays (scene, 0);
  jg_camera_set_pose (cam, &pose);
  cpu = run_frames (r, scene, cam, gl, w, h, ms, frames, &gpu);
  report ("points only (no overlays, no EDL)", ms, frames, cpu, gpu);

  /* what the view draws on software GL while the camera moves */
  jg_renderer_set_point_budget (r, jg_scene_get_lod_count (scene, 1));
  jg_scene_set_overlays (scene, JG_OVERLAY_ALL);
  jg_renderer_set_edl (r, TRUE, 1.5f);
  jg_camera_set_pose (cam, &pose);
  cpu = run_frames (r, scene, cam, gl, w, h, ms, frames, &gpu);
  report ("budget 1/4 + overlays + EDL", ms, frames, cpu, gpu);
  jg_renderer_set_point_budget (r, 0);

  report ("sample switch to first frame", switch_ms, G_N_ELEMENTS (switch_ms), switch_cpu, NAN);
  printf ("  of which (medians): back-projection %.2f ms, upload %.2f ms, first frame %.2f ms\n",
          median (back_ms, G_N_ELEMENTS (back_ms)), median (upload_ms, G_N_ELEMENTS (upload_ms)),
          median (first_ms, G_N_ELEMENTS (first_ms)));

  /* one frame at the fixed pose, all overlays, for comparing the paths */
  jg_scene_set_overlays (scene, JG_OVERLAY_ALL);
  jg_camera_set_pose (cam, &pose);
  jg_gl_offscreen_bind (gl);
  jg_renderer_draw (r, scene, cam, w, h);
  jg_gl_offscreen_read (gl, image);
  return glGetError () == GL_NO_ERROR;
}

int
main (int argc, char **argv)
{
  guint cw = 672, ch = 378, w = 1280, h = 720, frames = 30, n_paths = 2;
  const char *paths[6] = { "", "cpu,compute" }, *save = NULL;
  double point_size = 2.0;
  g_autoptr(GError) error = NULL;
  JgIntrinsics k;

  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (g_str_equal (argv[i], "--cloud") && parse_size (argv[i + 1], &cw, &ch))
        continue;
      if (g_str_equal (argv[i], "--size") && parse_size (argv[i + 1], &w, &h))
        continue;
      if (g_str_equal (argv[i], "--point-size") && (point_size = g_ascii_strtod (argv[i + 1], NULL)) >= 1)
        continue;
      if (g_str_equal (argv[i], "--frames") && (frames = (guint) atoi (argv[i + 1])) > 0)
        continue;
      if (g_str_equal (argv[i], "--paths") && atoi (argv[i + 1]) >= 1)
        {
          /* 1: the default path only (for profiling) */
          n_paths = MIN ((guint) atoi (argv[i + 1]), n_paths);
          continue;
        }
      if (g_str_equal (argv[i], "--save"))
        {
          save = argv[i + 1];
          continue;
        }
      if (g_str_equal (argv[i], "--also-disable") && n_paths < G_N_ELEMENTS (paths))
        {
          paths[n_paths++] = argv[i + 1];
          continue;
        }
      fprintf (stderr, "usage: bench-render [--cloud WxH] [--size WxH] [--frames N] [--point-size PX]"
               " [--also-disable JAEGER_GL_DISABLE-value]... [--save PREFIX] [--paths N]\n");
      return 2;
    }

  g_autoptr(JgGlOffscreen) gl = jg_gl_offscreen_new (w, h, &error);
  if (gl == NULL)
    {
      fprintf (stderr, "bench-render: %s\n", error->message);
      return 1;
    }
  jg_intrinsics_from_fov (&k, cw, ch, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
  g_autofree float *depth0 = g_new (float, (gsize) cw * ch);
  g_autofree float *depth1 = g_new (float, (gsize) cw * ch);
  g_autofree guint8 *rgb0 = g_new (guint8, (gsize) cw * ch * 3);
  g_autofree guint8 *rgb1 = g_new (guint8, (gsize) cw * ch * 3);
  float *depth[2] = { depth0, depth1 };
  guint8 *rgb[2] = { rgb0, rgb1 };
  make_room (depth[0], rgb[0], &k, 0.0);
  make_room (depth[1], rgb[1], &k, 0.5);

  g_autoptr(JgScene) scene = jg_scene_new ();
  g_autoptr(JgCamera) cam = jg_camera_new ();
  const JgBox gt[3] = { { 0, { -1.2, -0.6, -3.0 }, { 0.3, 0.8, 0.3 } },
                        { 1, { 0.1, -0.2, -2.2 }, { 0.25, 0.4, 0.25 } },
                        { 2, { 1.4, -0.5, -3.5 }, { 0.35, 0.9, 0.3 } } };
  const JgBox pred[3] = { { 0, { -1.1, -0.55, -2.9 }, { 0.33, 0.7, 0.3 } },
                          { 1, { 0.15, -0.25, -2.3 }, { 0.2, 0.45, 0.3 } },
                          { 2, { 1.3, -0.45, -3.6 }, { 0.3, 0.8, 0.35 } } };
  const JgDoa gt_doa[3] = { { 21, -8, 0, 3.1 }, { -3, -5, 0, 2.3 }, { -22, -7, 0, 3.8 } };
  const JgDoa pred_doa[3] = { { 17, -4, 5.6, 3.1 }, { 2, -9, 6.2, 2.3 }, { -30, -2, 9.0, 3.8 } };
  jg_scene_set_boxes (scene, JG_SET_GT, gt, 3);
  jg_scene_set_boxes (scene, JG_SET_PRED, pred, 3);
  jg_scene_set_doas (scene, JG_SET_GT, gt_doa, 3);
  jg_scene_set_doas (scene, JG_SET_PRED, pred_doa, 3);
  glGenQueries (1, &query);

  printf ("bench-render: %s, %s\n", jg_gl_offscreen_describe (gl),
          (const char *) glGetString (GL_VERSION));
  printf ("cloud %ux%u, viewport %ux%u, point size %.0f\n", cw, ch, w, h, point_size);
  /* the renderer's default path, then the GL_POINTS path it replaces
   * and any --also-disable paths, in the same process and context */
  gsize n_px = (gsize) w * h;
  g_autofree guint8 *images = g_malloc (n_px * 4 * n_paths);
  for (guint path = 0; path < n_paths; path++)
    {
      if (paths[path][0] != '\0')
        g_setenv ("JAEGER_GL_DISABLE", paths[path], TRUE);
      g_autoptr(JgRenderer) r = jg_renderer_new (&error);
      g_unsetenv ("JAEGER_GL_DISABLE");
      if (r == NULL)
        {
          fprintf (stderr, "bench-render: %s\n", error->message);
          return 1;
        }
      jg_renderer_set_point_size (r, (float) point_size);
      if (!bench_path (r, scene, cam, gl, &k, rgb, depth, cw, ch, w, h, frames,
                       images + path * n_px * 4, &error))
        {
          fprintf (stderr, "bench-render: %s\n", error ? error->message : "GL error");
          return 1;
        }
      if (save != NULL)
        {
          g_autofree char *name = g_strdup_printf ("%s-%u.png", save, path);
          if (!jg_png_write_rgba (name, images + path * n_px * 4, w, h, &error))
            {
              fprintf (stderr, "bench-render: %s\n", error->message);
              return 1;
            }
        }
      if (path > 0)
        {
          guint lit = 0, differ = 0;
          for (gsize i = 0; i < n_px; i++)
            {
              const guint8 *a = images + 4 * i, *b = images + (path * n_px + i) * 4;
              int d = MAX (abs (a[0] - b[0]), MAX (abs (a[1] - b[1]), abs (a[2] - b[2])));
              lit += d > 0 || a[0] != 20 || a[1] != 23 || a[2] != 28;
              differ += d > 4;
            }
          printf ("image against the first path's: %u of %u px differ by more than 4 of 255 "
                  "(%.2f %%)\n", differ, lit, 100.0 * differ / MAX (lit, 1));
        }
    }

  /* a click: the ray through a pixel against every point, rays and boxes */
  double pick_ms[21], pick_cpu = cpu_ms ();
  jg_scene_set_overlays (scene, JG_OVERLAY_ALL);
  for (guint i = 0; i < G_N_ELEMENTS (pick_ms); i++)
    {
      double o[3], d[3];
      JgPickHit hit;
      gint64 t0 = g_get_monotonic_time ();
      jg_camera_ray (cam, w, h, w * (0.2 + 0.03 * i), h * 0.5, o, d);
      jg_scene_pick (scene, o, d, 3 * jg_camera_pixel_angle (cam, h), &hit);
      pick_ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  pick_cpu = (cpu_ms () - pick_cpu) / G_N_ELEMENTS (pick_ms);
  report ("pick (one click, CPU only)", pick_ms, G_N_ELEMENTS (pick_ms), pick_cpu, NAN);
  return glGetError () == GL_NO_ERROR ? 0 : 1;
}
