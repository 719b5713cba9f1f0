#version 450
// Index of each row's largest value (the first, among equals).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer O { uint o[]; };
layout(push_constant) uniform P { uint rows, n; } p;

void main()
{
  uint row = group_id();
  if (row >= p.rows)
    return;
  uint t = gl_LocalInvocationID.x, base = row * p.n;
  float best = -1.0 / 0.0;
  uint bi = 0xffffffffu;
  for (uint i = t; i < p.n; i += WG) {
    float v = x[base + i];
    if (v > best || (v == best && i < bi)) {
      best = v;
      bi = i;
    }
  }
  wg_argmax(best, bi);
  if (t == 0)
    o[row] = bi;
}
