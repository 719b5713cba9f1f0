#version 450
// Rotary position embedding in place on x[token][head][d] (rotate-half
// pairs d and d + D/2). Each frequency i < D/2 takes its position from one
// of three axes: i < s0 the first (temporal), i < s0 + s1 the second
// (height), else the third (width); plain RoPE is s0 = D/2. pos holds
// the three axes one after another (axis * pos_stride + token).
layout(local_size_x = 256) in;

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Pos { uint pos[]; };
layout(std430, binding = 2) readonly buffer F { float inv_freq[]; };

layout(push_constant) uniform P {
  uint n_tok, n_heads, head_dim, row_stride, pos_stride, s0, s1;
} p;

#include "sincos.glsl"

void main()
{
  uint half_d = p.head_dim / 2;
  uint g = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 256 + gl_LocalInvocationID.x;
  if (g >= p.n_tok * p.n_heads * half_d)
    return;
  uint i = g % half_d;
  uint h = (g / half_d) % p.n_heads;
  uint tok = g / (half_d * p.n_heads);
  uint axis = i < p.s0 ? 0 : (i < p.s0 + p.s1 ? 1 : 2);
  float angle = float(pos[axis * p.pos_stride + tok]) * inv_freq[i];
  float s, c;
  sincos_accurate(angle, s, c);
  uint base = tok * p.row_stride + h * p.head_dim;
  float x1 = x[base + i], x2 = x[base + i + half_d];
  x[base + i] = x1 * c - x2 * s;
  x[base + i + half_d] = x2 * c + x1 * s;
}
