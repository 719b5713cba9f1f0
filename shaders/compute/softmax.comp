#version 450
// Row softmax of x * scale, one workgroup per row.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { float y[]; };
layout(push_constant) uniform P { uint rows, n; float scale; } p;

void main()
{
  uint row = group_id();
  if (row >= p.rows)
    return;
  uint t = gl_LocalInvocationID.x, base = row * p.n;
  float m = -1.0 / 0.0;
  for (uint i = t; i < p.n; i += WG)
    m = max(m, x[base + i] * p.scale);
  m = wg_max(m);
  float s = 0.0;
  for (uint i = t; i < p.n; i += WG)
    s += exp(x[base + i] * p.scale - m);
  float inv = 1.0 / wg_sum(s);
  for (uint i = t; i < p.n; i += WG)
    y[base + i] = exp(x[base + i] * p.scale - m) * inv;
}
