#version 450
// Y[n][m] = sum_k X[n][k] W[m][k] (+ bias[m]) (+ Y when accumulating):
// activations X (tokens x k, f32) times weights W (m x k); a 64 x 64 output
// tile per workgroup of 256 threads, 4 x 4 outputs each, k in steps of 16
// through shared memory; f32 accumulation everywhere.
#if defined(W_F16) && defined(F16_STORAGE)
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#endif

layout(local_size_x = 256) in;

#if defined(W_F16) && defined(F16_STORAGE)
layout(std430, binding = 0) readonly buffer W { f16vec4 w[]; };
#elif defined(W_F16)
layout(std430, binding = 0) readonly buffer W { uvec2 w[]; };
#else
layout(std430, binding = 0) readonly buffer W { vec4 w[]; };
#endif
layout(std430, binding = 1) readonly buffer X { vec4 x[]; };
layout(std430, binding = 2) buffer Y { float y[]; };
layout(std430, binding = 3) readonly buffer B { float bias[]; };

layout(push_constant) uniform P {
  uint m, n, k, has_bias, accumulate;
} p;

const uint BM = 64, BN = 64, BK = 16;
shared float ws[BK][BM + 4];
shared float xs[BK][BN + 4];

vec4 load_w(uint r, uint kk)
{
#if defined(W_F16) && defined(F16_STORAGE)
  return vec4(w[(r * p.k + kk) / 4]);
#elif defined(W_F16)
  uvec2 q = w[(r * p.k + kk) / 4];
  return vec4(unpackHalf2x16(q.x), unpackHalf2x16(q.y));
#else
  return w[(r * p.k + kk) / 4];
#endif
}

void main()
{
  uint t = gl_LocalInvocationID.x;
  uint tx = t % 16, ty = t / 16;
  uint m0 = gl_WorkGroupID.x * BM, n0 = gl_WorkGroupID.y * BN;
  uint lr = t / 4, lk = (t % 4) * 4;     // this thread's load: row lr, k lk..lk+3
  float acc[4][4];

  for (uint i = 0; i < 4; i++)
    for (uint j = 0; j < 4; j++)
      acc[i][j] = 0.0;

  for (uint k0 = 0; k0 < p.k; k0 += BK) {
    vec4 wv = vec4(0.0), xv = vec4(0.0);
    if (m0 + lr < p.m && k0 + lk < p.k)
      wv = load_w(m0 + lr, k0 + lk);
    if (n0 + lr < p.n && k0 + lk < p.k)
      xv = x[((n0 + lr) * p.k + k0 + lk) / 4];
    for (uint q = 0; q < 4; q++) {
      ws[lk + q][lr] = wv[q];
      xs[lk + q][lr] = xv[q];
    }
    barrier();
    for (uint kk = 0; kk < BK; kk++) {
      float a[4], b[4];
      for (uint i = 0; i < 4; i++) {
        a[i] = ws[kk][tx + 16 * i];
        b[i] = xs[kk][ty + 16 * i];
      }
      for (uint j = 0; j < 4; j++)
        for (uint i = 0; i < 4; i++)
          acc[j][i] += a[i] * b[j];
    }
    barrier();
  }

  for (uint j = 0; j < 4; j++) {
    uint n = n0 + ty + 16 * j;
    if (n >= p.n)
      continue;
    for (uint i = 0; i < 4; i++) {
      uint m = m0 + tx + 16 * i;
      if (m >= p.m)
        continue;
      float s = acc[j][i];
      if (p.has_bias != 0)
        s += bias[m];
      if (p.accumulate != 0)
        s += y[n * p.m + m];
      y[n * p.m + m] = s;
    }
  }
}
