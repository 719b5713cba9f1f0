#version 450
// Decode (one token) matrix-vector products with the RMSNorm of x folded in:
//   xn = x / sqrt(mean(x^2) + eps) * lnw,   r_i = W_i . xn (+ bias_i)
// computed as (W_i . (x * lnw)) / rms. Every workgroup sums x^2 from the
// same x values it multiplies, so there is no norm pass and no barrier
// before the product (has_norm = 0 skips the norm: a plain product). f16
// weights as 16-byte words (see matvec.comp); with Q8, int8 weights, 16 to
// a word, with one f16 scale per block of columns (inference/jg-q8.h).
// Variants:
//   (none)  ROWS rows per workgroup; y_i = r_i (+ y_i when accumulating).
//   SWIGLU  W is [gate; up] ([2I][k]); a workgroup takes ROWS pairs of rows
//           (i, I + i) and writes y_i = silu(r_i) * r_{I+i}.
//   QKV     W is [q; k; v] ([(n_heads + 2 n_kv_heads) head_dim][k]); a
//           workgroup takes ROWS rotation pairs (d, d + head_dim/2) of one
//           head, applies RoPE (3-axis sections, positions step[0..2]) to
//           q and k heads, and writes q to y and k, v to row step[3] of the
//           caches kc, vc ([rows][n_kv_heads head_dim]).
#include "common.glsl"

layout(std430, binding = 0) readonly buffer W { uvec4 w[]; };
layout(std430, binding = 1) readonly buffer X { vec4 x[]; };
layout(std430, binding = 2) readonly buffer N { vec4 lnw[]; };
layout(std430, binding = 3) readonly buffer B { float bias[]; };
layout(std430, binding = 4) buffer Y { float y[]; };
#ifdef Q8
layout(std430, binding = 9) readonly buffer WS { uint wscale[]; };   // f16 pairs
#endif
#ifdef QKV
#include "sincos.glsl"
layout(std430, binding = 5) writeonly buffer KC { float kc[]; };
layout(std430, binding = 6) writeonly buffer VC { float vcache[]; };
layout(std430, binding = 7) readonly buffer S { uint step[]; };
layout(std430, binding = 8) readonly buffer F { float inv_freq[]; };
#endif

layout(push_constant) uniform P {
  uint m, k;
  float eps;
  uint has_bias, accumulate;
  uint n_heads, n_kv_heads, head_dim, s0, s1;
  uint has_norm, block;
} p;

layout(constant_id = 1) const uint ROWS = 1;

#if defined(QKV) || defined(SWIGLU)
const uint NR = 2 * ROWS;
#else
const uint NR = ROWS;
#endif

// Partial sums of the NR rows and of x^2.
shared float part[NR + 1][WG];

// Weight row of the workgroup's r-th row; units are rows, or pairs.
uint row_of(uint unit, uint r)
{
#if defined(QKV)
  uint half_d = p.head_dim / 2;
  return (unit / half_d) * p.head_dim + unit % half_d + (r % 2) * half_d;
#elif defined(SWIGLU)
  return unit + (r % 2) * (p.m / 2);
#else
  return unit;
#endif
}

#ifdef Q8
// Four signed bytes of a word, lowest first.
vec4 i8x4(uint v)
{
  int s = int(v);
  return vec4(bitfieldExtract(s, 0, 8), bitfieldExtract(s, 8, 8), bitfieldExtract(s, 16, 8),
              bitfieldExtract(s, 24, 8));
}
#endif

void main()
{
  uint t = gl_LocalInvocationID.x;
#if defined(QKV) || defined(SWIGLU)
  uint n_units = p.m / 2;
  const uint PER = 2;
#else
  uint n_units = p.m;
  const uint PER = 1;
#endif
  uint unit0 = group_id() * ROWS;
  uint k8 = p.k / 8;
  uint rows[NR];
  float acc[NR];
  float ss = 0.0;

  for (uint r = 0; r < NR; r++) {
    uint u = unit0 + r / PER;
    rows[r] = u < n_units ? row_of(u, r) : 0xffffffffu;
    acc[r] = 0.0;
  }
#ifdef Q8
  uint k16 = p.k / 16, n_blocks = p.k / p.block;
  for (uint j = t; j < k16; j += WG) {
    vec4 x0 = x[4 * j], x1 = x[4 * j + 1], x2 = x[4 * j + 2], x3 = x[4 * j + 3];
    if (p.has_norm != 0) {
      ss += dot(x0, x0) + dot(x1, x1) + dot(x2, x2) + dot(x3, x3);
      x0 *= lnw[4 * j];
      x1 *= lnw[4 * j + 1];
      x2 *= lnw[4 * j + 2];
      x3 *= lnw[4 * j + 3];
    }
    uint blk = (16 * j) / p.block;
    for (uint r = 0; r < NR; r++) {
      if (rows[r] == 0xffffffffu)
        break;
      uvec4 q = w[(rows[r] * p.k) / 16 + j];
      uint si = rows[r] * n_blocks + blk;
      vec2 sc = unpackHalf2x16(wscale[si / 2]);
      acc[r] += ((si & 1u) == 0u ? sc.x : sc.y)
                * (dot(i8x4(q.x), x0) + dot(i8x4(q.y), x1) + dot(i8x4(q.z), x2) + dot(i8x4(q.w), x3));
    }
  }
#else
  for (uint j = t; j < k8; j += WG) {
    vec4 xa = x[2 * j], xb = x[2 * j + 1];
    if (p.has_norm != 0) {
      ss += dot(xa, xa) + dot(xb, xb);
      xa *= lnw[2 * j];
      xb *= lnw[2 * j + 1];
    }
    for (uint r = 0; r < NR; r++) {
      if (rows[r] == 0xffffffffu)
        break;
      uvec4 q = w[(rows[r] * p.k) / 8 + j];
      acc[r] += dot(vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y)), xa)
                + dot(vec4(unpackHalf2x16(q.z), unpackHalf2x16(q.w)), xb);
    }
  }
#endif

#ifdef SUBGROUP
  for (uint i = 0; i < NR; i++) {
    float s = subgroupAdd(acc[i]);
    if (subgroupElect())
      part[i][gl_SubgroupID] = s;
  }
  {
    float s = subgroupAdd(ss);
    if (subgroupElect())
      part[NR][gl_SubgroupID] = s;
  }
  barrier();
  uint n_parts = gl_NumSubgroups;
#else
  for (uint i = 0; i < NR; i++)
    part[i][t] = acc[i];
  part[NR][t] = ss;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s)
      for (uint i = 0; i <= NR; i++)
        part[i][t] += part[i][t + s];
    barrier();
  }
  uint n_parts = 1;
#endif
  if (t >= ROWS || unit0 + t >= n_units)
    return;
  float total_ss = 0.0;
  for (uint q = 0; q < n_parts; q++)
    total_ss += part[NR][q];
  float inv = p.has_norm != 0 ? inversesqrt(total_ss / float(p.k) + p.eps) : 1.0;
  float v[PER];
  for (uint e = 0; e < PER; e++) {
    uint i = t * PER + e;
    float s = 0.0;
    for (uint q = 0; q < n_parts; q++)
      s += part[i][q];
    v[e] = s * inv;
    if (p.has_bias != 0)
      v[e] += bias[rows[i]];
  }
  uint unit = unit0 + t;
#if defined(SWIGLU)
  y[unit] = v[0] / (1.0 + exp(-v[0])) * v[1];
#elif defined(QKV)
  uint D = p.head_dim, half_d = D / 2;
  uint head = unit / half_d, i = unit % half_d;
  float r1 = v[0], r2 = v[1];
  if (head < p.n_heads + p.n_kv_heads) {
    uint axis = i < p.s0 ? 0 : (i < p.s0 + p.s1 ? 1 : 2);
    float sn, cs;
    sincos_accurate(float(step[axis]) * inv_freq[i], sn, cs);
    r1 = v[0] * cs - v[1] * sn;
    r2 = v[1] * cs + v[0] * sn;
  }
  uint kv_dim = p.n_kv_heads * D;
  if (head < p.n_heads) {
    y[head * D + i] = r1;
    y[head * D + i + half_d] = r2;
  } else if (head < p.n_heads + p.n_kv_heads) {
    uint b = step[3] * kv_dim + (head - p.n_heads) * D + i;
    kc[b] = r1;
    kc[b + half_d] = r2;
  } else {
    uint b = step[3] * kv_dim + (head - p.n_heads - p.n_kv_heads) * D + i;
    vcache[b] = r1;
    vcache[b + half_d] = r2;
  }
#else
  if (p.accumulate != 0)
    v[0] += y[unit];
  y[unit] = v[0];
#endif
}
