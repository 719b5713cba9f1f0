#version 450
// y[c][r] = sum_k W[r][k] x[c][k] (+ bias[r]) (+ y[c][r] when accumulating)
// for NCOLS activation columns (decode: 1; small batches up to 8). The
// weights are read once, 16 bytes per thread per step; f32 accumulation.
// f16 weights are always read as words and unpacked: on an H100 this ran at
// 95% of the copy bandwidth, 8-byte f16vec4 loads at 60%.
#include "common.glsl"

#if defined(W_F16)
layout(std430, binding = 0) readonly buffer W { uvec4 w[]; };
#else
layout(std430, binding = 0) readonly buffer W { vec4 w[]; };
#endif
layout(std430, binding = 1) readonly buffer X { vec4 x[]; };
layout(std430, binding = 2) buffer Y { float y[]; };
layout(std430, binding = 3) readonly buffer B { float bias[]; };

layout(push_constant) uniform P {
  uint m, k, has_bias, accumulate;
} p;

layout(constant_id = 1) const uint ROWS = 1;
layout(constant_id = 2) const uint NCOLS = 1;

shared float part[ROWS * NCOLS][WG];

// 8 weights of row r from element 8*j.
void load8(uint r, uint j, out vec4 a, out vec4 b)
{
#if defined(W_F16)
  uvec4 q = w[(r * p.k) / 8 + j];
  a = vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y));
  b = vec4(unpackHalf2x16(q.z), unpackHalf2x16(q.w));
#else
  uint base = (r * p.k) / 4 + 2 * j;
  a = w[base];
  b = w[base + 1];
#endif
}

void main()
{
  uint t = gl_LocalInvocationID.x;
  uint row0 = group_id() * ROWS;
  uint k8 = p.k / 8;
  float acc[ROWS * NCOLS];

  for (uint i = 0; i < ROWS * NCOLS; i++)
    acc[i] = 0.0;
  for (uint j = t; j < k8; j += WG) {
    vec4 xa[NCOLS], xb[NCOLS];
    for (uint c = 0; c < NCOLS; c++) {
      xa[c] = x[(c * p.k) / 4 + 2 * j];
      xb[c] = x[(c * p.k) / 4 + 2 * j + 1];
    }
    for (uint r = 0; r < ROWS; r++) {
      if (row0 + r >= p.m)
        break;
      vec4 a, b;
      load8(row0 + r, j, a, b);
      for (uint c = 0; c < NCOLS; c++)
        acc[r * NCOLS + c] += dot(a, xa[c]) + dot(b, xb[c]);
    }
  }

#ifdef SUBGROUP
  for (uint i = 0; i < ROWS * NCOLS; i++) {
    float s = subgroupAdd(acc[i]);
    if (subgroupElect())
      part[i][gl_SubgroupID] = s;
  }
  barrier();
  uint n_parts = gl_NumSubgroups;
#else
  for (uint i = 0; i < ROWS * NCOLS; i++)
    part[i][t] = acc[i];
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s)
      for (uint i = 0; i < ROWS * NCOLS; i++)
        part[i][t] += part[i][t + s];
    barrier();
  }
  uint n_parts = 1;
#endif
  for (uint i = t; i < ROWS * NCOLS; i += WG) {
    uint r = row0 + i / NCOLS, c = i % NCOLS;
    if (r >= p.m)
      continue;
    float s = 0.0;
    for (uint q = 0; q < n_parts; q++)
      s += part[i][q];
    if (p.has_bias != 0)
      s += bias[r];
    if (p.accumulate != 0)
      s += y[c * p.m + r];
    y[c * p.m + r] = s;
  }
}
