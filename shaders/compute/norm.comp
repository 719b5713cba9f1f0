#version 450
// Row normalisation, one workgroup per row: RMSNorm
//   y = x / sqrt(mean(x^2) + eps) * w
// or, with LAYERNORM, y = (x - mean) / sqrt(var + eps) * w + b.
// Y_F16: y is f16 (the input of a cooperative-matrix matmul, which rounds
// its activations to f16 anyway).
#include "common.glsl"
#ifdef Y_F16
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#define Y_T float16_t
#else
#define Y_T float
#endif

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Y { Y_T y[]; };
layout(std430, binding = 2) readonly buffer Wt { float weight[]; };
layout(std430, binding = 3) readonly buffer Bs { float bias[]; };

layout(push_constant) uniform P {
  uint rows, n;
  float eps;
  uint has_weight, has_bias;
} p;

void main()
{
  uint row = group_id();
  if (row >= p.rows)
    return;
  uint t = gl_LocalInvocationID.x;
  uint base = row * p.n;
  float mean = 0.0;
#ifdef LAYERNORM
  float s = 0.0;
  for (uint i = t; i < p.n; i += WG)
    s += x[base + i];
  mean = wg_sum(s) / float(p.n);
#endif
  float ss = 0.0;
  for (uint i = t; i < p.n; i += WG) {
    float v = x[base + i] - mean;
    ss += v * v;
  }
  float inv = inversesqrt(wg_sum(ss) / float(p.n) + p.eps);
  for (uint i = t; i < p.n; i += WG) {
    float v = (x[base + i] - mean) * inv;
    if (p.has_weight != 0)
      v *= weight[i];
    if (p.has_bias != 0)
      v += bias[i];
    y[base + i] = Y_T(v);
  }
}
