#version 450
// The matmul of matmul.comp on tensor cores through VK_NV_cooperative_matrix:
// 16x16x16 f16 fragments with f32 accumulators. A 128 x 128 output tile per
// workgroup of 8 subgroups of 32 (each 64 tokens x 32 features = 4 x 2
// fragments); k in steps of 32 staged through shared memory as f16 (the
// activations are rounded to f16, the weights are f16 already), the next
// step's global loads in flight while this step multiplies.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_shader_subgroup_basic : require

layout(local_size_x = 256) in;

layout(std430, binding = 0) readonly buffer W { uvec4 w[]; };
layout(std430, binding = 1) readonly buffer X { vec4 x[]; };
layout(std430, binding = 2) buffer Y { float y[]; };
layout(std430, binding = 3) readonly buffer B { float bias[]; };

layout(push_constant) uniform P {
  uint m, n, k, has_bias, accumulate;
} p;

const uint BM = 128, BN = 128, BK = 32, LDS = BK + 8;
shared float16_t ws[BM * LDS];          // weights, row = output feature
shared float16_t xs[BN * LDS];          // activations, row = token
shared float cs[8 * 256];               // one 16 x 16 fragment per subgroup, for the output

uvec4 wq[2];
vec4 xv[4];

void load_tile(uint m0, uint n0, uint k0, uint t)
{
  for (uint i = 0; i < 2; i++) {
    uint e = t + i * 256, r = e / 4, c = (e % 4) * 8;
    wq[i] = (m0 + r < p.m && k0 + c < p.k) ? w[((m0 + r) * p.k + k0 + c) / 8] : uvec4(0);
  }
  for (uint i = 0; i < 4; i++) {
    uint e = t + i * 256, r = e / 8, c = (e % 8) * 4;
    xv[i] = (n0 + r < p.n && k0 + c < p.k) ? x[((n0 + r) * p.k + k0 + c) / 4] : vec4(0.0);
  }
}

void store_tile(uint t)
{
  for (uint i = 0; i < 2; i++) {
    uint e = t + i * 256, o = (e / 4) * LDS + (e % 4) * 8;
    uvec4 q = wq[i];
    vec2 h0 = unpackHalf2x16(q.x), h1 = unpackHalf2x16(q.y);
    vec2 h2 = unpackHalf2x16(q.z), h3 = unpackHalf2x16(q.w);
    ws[o + 0] = float16_t(h0.x); ws[o + 1] = float16_t(h0.y);
    ws[o + 2] = float16_t(h1.x); ws[o + 3] = float16_t(h1.y);
    ws[o + 4] = float16_t(h2.x); ws[o + 5] = float16_t(h2.y);
    ws[o + 6] = float16_t(h3.x); ws[o + 7] = float16_t(h3.y);
  }
  for (uint i = 0; i < 4; i++) {
    uint e = t + i * 256, o = (e / 8) * LDS + (e % 8) * 4;
    vec4 v = xv[i];
    xs[o + 0] = float16_t(v.x); xs[o + 1] = float16_t(v.y);
    xs[o + 2] = float16_t(v.z); xs[o + 3] = float16_t(v.w);
  }
}

void main()
{
  uint t = gl_LocalInvocationID.x;
  uint sg = gl_SubgroupID;
  uint m0 = gl_WorkGroupID.x * BM, n0 = gl_WorkGroupID.y * BN;
  uint tn = (sg / 4) * 64, tm = (sg % 4) * 32;   // this subgroup's tokens, features
  fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> acc[4][2];

  for (uint i = 0; i < 4; i++)
    for (uint j = 0; j < 2; j++)
      acc[i][j] = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);

  load_tile(m0, n0, 0, t);
  for (uint k0 = 0; k0 < p.k; k0 += BK) {
    store_tile(t);
    barrier();
    if (k0 + BK < p.k)
      load_tile(m0, n0, k0 + BK, t);
    for (uint kk = 0; kk < BK; kk += 16) {
      fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> a[4], b[2];
      for (uint i = 0; i < 4; i++)
        coopMatLoadNV(a[i], xs, (tn + 16 * i) * LDS + kk, LDS, false);
      for (uint j = 0; j < 2; j++)
        coopMatLoadNV(b[j], ws, (tm + 16 * j) * LDS + kk, LDS, true);
      for (uint i = 0; i < 4; i++)
        for (uint j = 0; j < 2; j++)
          acc[i][j] = coopMatMulAddNV(a[i], b[j], acc[i][j]);
    }
    barrier();
  }

  // Out through this subgroup's own 16 x 16 scratch: bias, accumulate, edges.
  uint lane = gl_SubgroupInvocationID;
  for (uint i = 0; i < 4; i++)
    for (uint j = 0; j < 2; j++) {
      coopMatStoreNV(acc[i][j], cs, sg * 256, 16, false);
      memoryBarrierShared();
      subgroupBarrier();
      for (uint e = lane; e < 256; e += gl_SubgroupSize) {
        uint n = n0 + tn + 16 * i + e / 16, m = m0 + tm + 16 * j + e % 16;
        if (n < p.n && m < p.m) {
          float s = cs[sg * 256 + e];
          if (p.has_bias != 0)
            s += bias[m];
          if (p.accumulate != 0)
            s += y[n * p.m + m];
          y[n * p.m + m] = s;
        }
      }
      subgroupBarrier();
    }
}
