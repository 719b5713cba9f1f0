/* The fast point paths against the GL_POINTS path they replace, and the
 * CPU rasteriser against a reference projection.
 *
 * The fixture is a sensor's depth map of a wall at 4 m (blue) with a box
 * face at 2.5 m in front of it (red), and holes of zero, negative, NaN and
 * infinite depth. Seen from the side, the red face overlaps the wall: the
 * nearest point must win every pixel. On llvmpipe the renderer's default
 * is the CPU path (jg-splat.c); JAEGER_GL_DISABLE=cpu gives the compute
 * path, =cpu,compute the old GL_POINTS path. Each is
 * drawn in the same context and compared pixel by pixel. */
#include "render/jg-gl-offscreen.h"
#include "render/jg-renderer.h"
#include "render/jg-splat.h"

#include <epoxy/gl.h>
#include <math.h>
#include <string.h>

#define W 160
#define H 90

static const guint8 red[3] = { 230, 40, 30 }, blue[3] = { 30, 60, 230 };

static gboolean
is_hole (int u, int v)
{
  return (u % 23 == 7 && v % 11 == 3) || (u == 60 && v >= 20 && v < 30);
}

static JgScene *
make_scene (JgIntrinsics *k)
{
  JgScene *scene = jg_scene_new ();
  g_autofree float *depth = g_new0 (float, W * H);
  g_autofree guint8 *rgb = g_new0 (guint8, W * H * 3);
  g_autoptr(GError) error = NULL;
  const float bad[4] = { 0.0f, -1.0f, NAN, INFINITY };
  int n_bad = 0;

  jg_intrinsics_from_fov (k, W, H, JG_DEFAULT_HFOV_DEG, JG_DEFAULT_VFOV_DEG);
  for (int v = 10; v < 80; v++)
    for (int u = 20; u < 140; u++)
      {
        gboolean face = u >= 90 && u < 120 && v >= 30 && v < 60;
        depth[v * W + u] = is_hole (u, v) ? bad[n_bad++ % 4] : face ? 2.5f : 4.0f;
        memcpy (rgb + 3 * (v * W + u), face ? red : blue, 3);
      }
  g_assert_true (jg_scene_set_cloud (scene, rgb, W, H, depth, k, &error));
  g_assert_no_error (error);
  jg_scene_set_overlays (scene, 0);
  return scene;
}

static guint
n_holes (void)
{
  guint n = 0;
  for (int v = 10; v < 80; v++)
    for (int u = 20; u < 140; u++)
      n += is_hole (u, v);
  return n;
}

typedef enum { REF_GL_POINTS, CPU, COMPUTE, N_PATHS } Path;
static const char *const disable[N_PATHS] = { "cpu,compute", NULL, "cpu" };
static const char *const expect[N_PATHS] = { "GL_POINTS", "CPU", "compute" };

static JgRenderer *
renderer_for (Path p)
{
  g_autoptr(GError) error = NULL;
  const float black[4] = { 0, 0, 0, 1 };
  JgRenderer *r;

  if (disable[p])
    g_setenv ("JAEGER_GL_DISABLE", disable[p], TRUE);
  else
    g_unsetenv ("JAEGER_GL_DISABLE");
  r = jg_renderer_new (&error);
  g_unsetenv ("JAEGER_GL_DISABLE");
  g_assert_no_error (error);
  jg_renderer_set_background (r, black);
  g_test_message ("renderer %d: %s", p, jg_renderer_get_point_path (r));
  return r;
}

static void
draw (JgGlOffscreen *gl, JgRenderer *r, JgScene *scene, JgCamera *cam, guint8 *px)
{
  jg_gl_offscreen_bind (gl);
  jg_renderer_draw (r, scene, cam, jg_gl_offscreen_get_width (gl), jg_gl_offscreen_get_height (gl));
  g_assert_cmpuint (glGetError (), ==, GL_NO_ERROR);
  jg_gl_offscreen_read (gl, px);
}

static gboolean
near_color (const guint8 *p, const guint8 c[3], int tol)
{
  return abs (p[0] - c[0]) <= tol && abs (p[1] - c[1]) <= tol && abs (p[2] - c[2]) <= tol;
}

/* Red in the reference image at pixel @i and its eight neighbours
 * (320 x 200). */
static gboolean
red_around (const guint8 *img, gsize i)
{
  int x = (int) (i % 320), y = (int) (i / 320);

  for (int dy = -1; dy <= 1; dy++)
    for (int dx = -1; dx <= 1; dx++)
      {
        int u = x + dx, v = y + dy;
        if (u < 0 || v < 0 || u >= 320 || v >= 200 || !near_color (img + 4 * (v * 320 + u), red, 2))
          return FALSE;
      }
  return TRUE;
}

static void
test_paths_agree (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgGlOffscreen) gl = jg_gl_offscreen_new (320, 200, &error);
  JgIntrinsics k;
  g_autoptr(JgScene) scene = make_scene (&k);
  g_autoptr(JgCamera) cam = jg_camera_new ();
  JgRenderer *r[N_PATHS];
  const gsize n_px = 320 * 200;
  g_autofree guint8 *img = g_malloc (N_PATHS * n_px * 4);
  /* a side view: the red face stands in front of part of the wall */
  const JgCameraPose side = { { 0.2, 0, -3.2 }, 6.0, 30, -10, 0, 55 };

  g_assert_no_error (error);
  g_test_message ("GL: %s", jg_gl_offscreen_describe (gl));
  g_assert_cmpuint (jg_scene_get_n_points (scene), ==, 8400 - n_holes ());
  for (int p = 0; p < N_PATHS; p++)
    {
      r[p] = renderer_for (p);
      /* llvmpipe has OpenGL 4.5: every path is here */
      g_assert_cmpstr (jg_renderer_get_point_path (r[p]), ==, expect[p]);
    }
  jg_camera_set_pose (cam, &side);

  for (int pass = 0; pass < 6; pass++)
    {
      /* point size 1 and 2, eye-dome lighting off and on, rgb and depth colours */
      float size = pass % 2 ? 2.0f : 1.0f;
      gboolean edl = pass >= 2;
      JgColorMode mode = pass >= 4 ? JG_COLOR_DEPTH : JG_COLOR_RGB;
      guint lit = 0, differ = 0, red_ref = 0, red_lost = 0, red_inside = 0, blue_over_red = 0;

      for (int p = 0; p < N_PATHS; p++)
        {
          jg_renderer_set_point_size (r[p], size);
          jg_renderer_set_edl (r[p], edl, 1.5f);
          jg_renderer_set_color_mode (r[p], mode);
          draw (gl, r[p], scene, cam, img + p * n_px * 4);
        }
      for (int p = CPU; p < N_PATHS; p++)
        {
          lit = differ = red_ref = red_lost = red_inside = blue_over_red = 0;
          for (gsize i = 0; i < n_px; i++)
            {
              const guint8 *a = img + 4 * i, *b = img + (p * n_px + i) * 4;
              int d = MAX (abs (a[0] - b[0]), MAX (abs (a[1] - b[1]), abs (a[2] - b[2])));
              lit += a[0] + a[1] + a[2] > 0;
              differ += d > 4;
              if (mode != JG_COLOR_RGB || edl || !near_color (a, red, 2))
                continue;
              red_ref++;
              red_lost += !near_color (b, red, 2);
              /* inside the face (red all around in the reference), the
               * wall behind must never win */
              if (red_around (img, i))
                {
                  red_inside++;
                  blue_over_red += !near_color (b, red, 2);
                }
            }
          g_test_message ("size %.0f edl %d mode %d, path %s: %u of %u lit px differ by > 4; "
                          "red %u (%u inside the face), lost %u (%u inside)", size, edl, mode,
                          expect[p], differ, lit, red_ref, red_inside, red_lost, blue_over_red);
          g_assert_cmpuint (lit, >, 4000);
          /* the same pixels: only ties at pixel edges may fall the other way */
          g_assert_cmpuint (differ, <=, lit / 100);
          if (mode == JG_COLOR_RGB && !edl)
            {
              /* at size 1 the side view leaves gaps: no pixel is red all around */
              if (size > 1)
                g_assert_cmpuint (red_inside, >, 500);
              g_assert_cmpuint (blue_over_red, ==, 0);
              g_assert_cmpuint (red_lost, <=, red_ref / 50);
            }
        }
    }

  /* the sensor's own view at the sensor's size, point size 1: every valid
   * depth pixel lit in its own colour, every hole and the outside black */
  JgCameraPose sensor;
  for (int p = 0; p < N_PATHS; p++)
    jg_renderer_free (r[p]);
  g_clear_pointer (&gl, jg_gl_offscreen_free);
  g_autoptr(JgGlOffscreen) gl2 = jg_gl_offscreen_new (W, H, &error);
  g_autofree guint8 *px = g_malloc (W * H * 4);
  g_assert_no_error (error);
  jg_camera_pose_sensor (&sensor, &k, 4.0);
  jg_camera_set_pose (cam, &sensor);
  for (int p = 0; p < N_PATHS; p++)
    {
      guint wrong = 0, holes_lit = 0, outside_lit = 0;
      r[p] = renderer_for (p);
      jg_renderer_set_point_size (r[p], 1);
      jg_renderer_set_edl (r[p], FALSE, 0);
      draw (gl2, r[p], scene, cam, px);
      for (int v = 0; v < H; v++)
        for (int u = 0; u < W; u++)
          {
            const guint8 *c = px + 4 * (v * W + u);
            gboolean lit = c[0] + c[1] + c[2] > 0;
            if (u < 20 || u >= 140 || v < 10 || v >= 80)
              outside_lit += lit;
            else if (is_hole (u, v))
              holes_lit += lit;
            else
              wrong += !near_color (c, (u >= 90 && u < 120 && v >= 30 && v < 60) ? red : blue, 2);
          }
      g_test_message ("sensor view, %s: %u wrong, %u of %u holes lit, %u outside lit",
                      expect[p], wrong, holes_lit, n_holes (), outside_lit);
      g_assert_cmpuint (wrong, ==, 0);
      g_assert_cmpuint (holes_lit, ==, 0);
      g_assert_cmpuint (outside_lit, ==, 0);

      /* overlays are depth-tested against the cloud: a box wireframe behind
       * the wall (6 m) is hidden, one in front (2 m) is drawn */
      const JgBox boxes[2] = { { 0, { -0.9, 0, -6.0 }, { 0.6, 0.6, 0.6 } },
                               { 1, { 0.6, 0, -2.0 }, { 0.2, 0.2, 0.2 } } };
      const float green[3] = { 0, 1, 0 };
      guint seen[2] = { 0, 0 };
      jg_scene_set_boxes (scene, JG_SET_GT, boxes, 2);
      jg_scene_set_set_color (scene, JG_SET_GT, green);
      jg_scene_set_overlays (scene, JG_OVERLAY_BOXES);
      draw (gl2, r[p], scene, cam, px);
      for (int b = 0; b < 2; b++)
        {
          double u, v;
          g_assert_true (jg_camera_project (cam, W, H, boxes[b].center, &u, &v));
          for (int y = MAX (0, (int) v - 12); y < MIN (H, (int) v + 12); y++)
            for (int x = MAX (0, (int) u - 12); x < MIN (W, (int) u + 12); x++)
              seen[b] += px[4 * (y * W + x) + 1] > 200 && px[4 * (y * W + x)] < 60;
        }
      g_test_message ("box behind the wall: %u green px, box in front: %u", seen[0], seen[1]);
      g_assert_cmpuint (seen[0], ==, 0);
      {
        /* without the cloud the far box is in sight */
        g_autoptr(JgScene) bare = jg_scene_new ();
        guint bare_seen = 0;
        double u, v;
        jg_scene_set_boxes (bare, JG_SET_GT, boxes, 1);
        jg_scene_set_set_color (bare, JG_SET_GT, green);
        jg_scene_set_overlays (bare, JG_OVERLAY_BOXES);
        draw (gl2, r[p], bare, cam, px);
        g_assert_true (jg_camera_project (cam, W, H, boxes[0].center, &u, &v));
        for (int y = MAX (0, (int) v - 12); y < MIN (H, (int) v + 12); y++)
          for (int x = MAX (0, (int) u - 12); x < MIN (W, (int) u + 12); x++)
            bare_seen += px[4 * (y * W + x) + 1] > 200 && px[4 * (y * W + x)] < 60;
        g_assert_cmpuint (bare_seen, >, 20);
      }
      g_assert_cmpuint (seen[1], >, 20);
      jg_scene_set_overlays (scene, 0);
      jg_renderer_free (r[p]);
    }
}

/* The CPU rasteriser alone, against the camera model in double precision
 * (jg_camera_project): at point size 1 each point lands in the pixel
 * holding its projection, and that pixel holds the nearest point there. */
static void
test_splat_reference (void)
{
  JgIntrinsics k;
  g_autoptr(JgScene) scene = make_scene (&k);
  g_autoptr(JgCamera) cam = jg_camera_new ();
  const JgCameraPose side = { { 0.2, 0, -3.2 }, 6.0, 30, -10, 0, 55 };
  const guint w = 300, h = 200;
  const float bg[4] = { 0, 0, 0, 1 };
  g_autoptr(JgSplat) splat = jg_splat_new (3);
  g_autofree double *nearest = g_new (double, w * h);
  const float *xyz = jg_scene_get_points (scene);
  guint n = jg_scene_get_n_points (scene), placed = 0, checked = 0, ok = 0;
  JgSplatFrame f = { 0 };
  mat4 vp;

  jg_camera_set_pose (cam, &side);
  jg_camera_view_proj (cam, (double) w / h, vp);
  f.xyz = xyz;
  f.rgba = jg_scene_get_colors (scene);
  f.n = n;
  memcpy (f.view_proj, vp, sizeof f.view_proj);
  f.size = 1;
  memcpy (f.background, bg, sizeof bg);
  f.near = JG_CAMERA_NEAR;
  f.far = JG_CAMERA_FAR;
  g_assert_cmpuint (jg_splat_get_threads (splat), ==, 3);
  jg_splat_draw (splat, &f, w, h);

  /* reference: the nearest point per pixel by the camera model, with
   * distances in double precision */
  g_autofree guint *winner = g_new (guint, w * h);
  const guint8 *colors = jg_scene_get_colors (scene);
  double eye[3];
  jg_camera_get_eye (cam, eye);
  for (guint i = 0; i < w * h; i++)
    nearest[i] = INFINITY;
  for (guint i = 0; i < n; i++)
    {
      double p[3] = { xyz[3 * i], xyz[3 * i + 1], xyz[3 * i + 2] }, u, v, dist;
      if (!jg_camera_project (cam, w, h, p, &u, &v) || u < 0 || v < 0 || u >= w || v >= h)
        continue;
      /* jg_camera_project's v runs down from the top row; the splat's rows up */
      gsize at = (gsize) (h - 1 - (guint) v) * w + (guint) u;
      dist = sqrt ((p[0] - eye[0]) * (p[0] - eye[0]) + (p[1] - eye[1]) * (p[1] - eye[1])
                   + (p[2] - eye[2]) * (p[2] - eye[2]));
      if (dist < nearest[at])
        {
          nearest[at] = dist;
          winner[at] = i;
        }
      placed++;
    }
  const float *depth = jg_splat_get_depth (splat);
  const guint8 *rgba = jg_splat_get_rgba (splat);
  guint same_color = 0, red_ref = 0;
  for (guint i = 0; i < w * h; i++)
    {
      gboolean ref_lit = isfinite (nearest[i]), lit = depth[i] < 1.0f;
      checked += ref_lit;
      ok += ref_lit && lit;
      if (ref_lit && lit)
        {
          const guint8 *c = colors + 4 * (gsize) winner[i];
          same_color += memcmp (c, rgba + 4 * i, 3) == 0;
          red_ref += c[0] == red[0];
        }
      /* invalid depth and empty pixels: background, depth 1 */
      if (!lit)
        {
          g_assert_cmpuint (rgba[4 * i] + rgba[4 * i + 1] + rgba[4 * i + 2], ==, 0);
          g_assert_cmpfloat (depth[i], ==, 1.0f);
        }
    }
  g_test_message ("%u points placed, %u reference pixels, %u lit by the splat, %u of them "
                  "the reference's colour (%u red)", placed, checked, ok, same_color, red_ref);
  g_assert_cmpuint (checked, >, 5000);
  g_assert_cmpuint (red_ref, >, 500);
  /* float against double: only pixel-edge ties may differ */
  g_assert_cmpuint (ok, >=, checked - checked / 100);
  g_assert_cmpuint (same_color, >=, ok - ok / 100);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/render/points/paths-agree", test_paths_agree);
  g_test_add_func ("/render/points/splat-reference", test_splat_reference);
  return g_test_run ();
}
