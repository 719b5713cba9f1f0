// The colour ramp of the depth and height modes: dark blue -> cyan ->
// green -> yellow -> red, even steps. Shared by the GL_POINTS vertex
// shader and the compute path's resolve pass.
vec3 ramp (float t)
{
  const vec3 c0 = vec3 (0.10, 0.10, 0.55);
  const vec3 c1 = vec3 (0.00, 0.70, 0.90);
  const vec3 c2 = vec3 (0.20, 0.85, 0.30);
  const vec3 c3 = vec3 (0.98, 0.85, 0.10);
  const vec3 c4 = vec3 (0.85, 0.15, 0.10);
  t = clamp (t, 0.0, 1.0) * 4.0;
  if (t < 1.0) return mix (c0, c1, t);
  if (t < 2.0) return mix (c1, c2, t - 1.0);
  if (t < 3.0) return mix (c2, c3, t - 2.0);
  return mix (c3, c4, t - 3.0);
}

// Colour of a point by the mode: 0 rgb, 1 depth, 2 height, 3 solid.
vec3 point_color (int mode, vec3 pos, vec3 rgb, vec2 range, vec3 solid)
{
  float span = max (range.y - range.x, 1e-6);
  if (mode == 1)
    return ramp ((-pos.z - range.x) / span);
  if (mode == 2)
    return ramp ((pos.y - range.x) / span);
  if (mode == 3)
    return solid;
  return rgb;
}
