/* jg-pick.h: ray intersection primitives for picking, pure maths (no GL).
 *
 * A ray is origin + t * dir with dir a unit vector and t >= 0. Tolerances
 * are angular (tan of the angle, see jg_camera_pixel_angle()) so a pick
 * radius of a few pixels means the same on near and far objects. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Axis-aligned box of @center and full @size: entry distance in @t (0 when
 * the origin is inside). */
gboolean jg_pick_ray_box (const double origin[3], const double dir[3],
                          const double center[3], const double size[3], double *t);

/* Closest approach of the ray and the segment [a, b]: returns the distance
 * between them and the ray parameter at the closest point in @t_ray. */
double jg_pick_ray_segment (const double origin[3], const double dir[3],
                            const double a[3], const double b[3], double *t_ray);

/* The front-most of @n points (xyz floats) within @tan_tol of the ray:
 * perpendicular distance <= tan_tol * t. */
gboolean jg_pick_ray_points (const double origin[3], const double dir[3],
                             const float *xyz, gsize n, double tan_tol,
                             gsize *index, double *t);

G_END_DECLS
