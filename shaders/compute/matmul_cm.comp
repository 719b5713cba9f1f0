#version 450
// The matmul of matmul.comp on tensor cores through VK_NV_cooperative_matrix:
// 16x16x16 f16 fragments with f32 accumulators. A 64 x 64 output tile per
// workgroup of 4 subgroups (each 32 x 32 = 2 x 2 fragments), k in steps of
// 32 staged through shared memory as f16 (activations are rounded to f16,
// weights are f16 already).
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_shader_subgroup_basic : require

layout(local_size_x_id = 0) in;        // 4 subgroups
layout(constant_id = 0) const uint WG = 128;

layout(std430, binding = 0) readonly buffer W { uvec4 w[]; };
layout(std430, binding = 1) readonly buffer X { vec4 x[]; };
layout(std430, binding = 2) buffer Y { float y[]; };
layout(std430, binding = 3) readonly buffer B { float bias[]; };

layout(push_constant) uniform P {
  uint m, n, k, has_bias, accumulate;
} p;

const uint BM = 64, BN = 64, BK = 32, LDS = BK + 8, LDC = BM + 4;
shared float16_t ws[BM * LDS];          // weights, row = output feature
shared float16_t xs[BN * LDS];          // activations, row = token
shared float cs[BN * LDC];              // the output tile, row = token

void main()
{
  uint t = gl_LocalInvocationID.x;
  uint sg = gl_SubgroupID;
  uint m0 = gl_WorkGroupID.x * BM, n0 = gl_WorkGroupID.y * BN;
  uint tn = (sg / 2) * 32, tm = (sg % 2) * 32;   // this subgroup's 32 x 32 (token, feature)
  fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> acc[2][2];

  for (uint i = 0; i < 2; i++)
    for (uint j = 0; j < 2; j++)
      acc[i][j] = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);

  for (uint k0 = 0; k0 < p.k; k0 += BK) {
    // 64 rows x 32 k of each: W as 4 uvec4 (8 halves) per row, X as 8 vec4.
    for (uint e = t; e < BM * (BK / 8); e += WG) {
      uint r = e / (BK / 8), c = (e % (BK / 8)) * 8;
      uvec4 q = uvec4(0);
      if (m0 + r < p.m && k0 + c < p.k)
        q = w[((m0 + r) * p.k + k0 + c) / 8];
      vec2 h0 = unpackHalf2x16(q.x), h1 = unpackHalf2x16(q.y);
      vec2 h2 = unpackHalf2x16(q.z), h3 = unpackHalf2x16(q.w);
      uint o = r * LDS + c;
      ws[o + 0] = float16_t(h0.x); ws[o + 1] = float16_t(h0.y);
      ws[o + 2] = float16_t(h1.x); ws[o + 3] = float16_t(h1.y);
      ws[o + 4] = float16_t(h2.x); ws[o + 5] = float16_t(h2.y);
      ws[o + 6] = float16_t(h3.x); ws[o + 7] = float16_t(h3.y);
    }
    for (uint e = t; e < BN * (BK / 4); e += WG) {
      uint r = e / (BK / 4), c = (e % (BK / 4)) * 4;
      vec4 v = vec4(0.0);
      if (n0 + r < p.n && k0 + c < p.k)
        v = x[((n0 + r) * p.k + k0 + c) / 4];
      uint o = r * LDS + c;
      xs[o + 0] = float16_t(v.x); xs[o + 1] = float16_t(v.y);
      xs[o + 2] = float16_t(v.z); xs[o + 3] = float16_t(v.w);
    }
    barrier();
    for (uint kk = 0; kk < BK; kk += 16) {
      fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> a[2], b[2];
      for (uint i = 0; i < 2; i++)
        coopMatLoadNV(a[i], xs, (tn + 16 * i) * LDS + kk, LDS, false);
      for (uint j = 0; j < 2; j++)
        coopMatLoadNV(b[j], ws, (tm + 16 * j) * LDS + kk, LDS, true);
      for (uint i = 0; i < 2; i++)
        for (uint j = 0; j < 2; j++)
          acc[i][j] = coopMatMulAddNV(a[i], b[j], acc[i][j]);
    }
    barrier();
  }

  for (uint i = 0; i < 2; i++)
    for (uint j = 0; j < 2; j++)
      coopMatStoreNV(acc[i][j], cs, (tn + 16 * i) * LDC + tm + 16 * j, LDC, false);
  barrier();
  for (uint e = t; e < BM * BN; e += WG) {
    uint r = e / BM, c = e % BM;
    uint n = n0 + r, m = m0 + c;
    if (n >= p.n || m >= p.m)
      continue;
    float s = cs[r * LDC + c];
    if (p.has_bias != 0)
      s += bias[m];
    if (p.accumulate != 0)
      s += y[n * p.m + m];
    y[n * p.m + m] = s;
  }
}
