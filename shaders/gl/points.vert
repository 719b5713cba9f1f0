#version 330 core
// Point cloud: one vertex per valid depth pixel, coloured by RGB, depth,
// height or a solid colour. The size is glPointSize (cheaper on llvmpipe
// than writing gl_PointSize per vertex).
layout (location = 0) in vec3 a_pos;
layout (location = 1) in vec4 a_color;

uniform mat4 u_view_proj;
uniform int u_mode;        // 0 rgb, 1 depth, 2 height, 3 solid
uniform vec2 u_range;      // depth or height range mapped onto the ramp
uniform vec3 u_solid;

out vec3 v_color;

// Dark blue -> cyan -> green -> yellow -> red, even steps.
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

void main ()
{
  gl_Position = u_view_proj * vec4 (a_pos, 1.0);

  float span = max (u_range.y - u_range.x, 1e-6);
  if (u_mode == 1)
    v_color = ramp ((-a_pos.z - u_range.x) / span);
  else if (u_mode == 2)
    v_color = ramp ((a_pos.y - u_range.x) / span);
  else if (u_mode == 3)
    v_color = u_solid;
  else
    v_color = a_color.rgb;
}
