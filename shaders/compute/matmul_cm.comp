#version 450
// Y[n][m] = X[n][k] W[m][k]^T (+ bias[m]) (+ Y) on tensor cores through
// VK_NV_cooperative_matrix: 16x16x16 f16 fragments, f32 accumulators.
//
// A workgroup computes BN tokens x BM features with SGN x SGM subgroups of
// 32, each owning (BN / SGN) x (BM / SGM) outputs as a grid of 16 x 16
// accumulators. k advances BK (32) at a time through shared memory: each
// thread loads its share of the next step into registers (16-byte loads;
// f32 activations are rounded to f16 on the way, f16 ones (X_F16) are
// copied) while the subgroups multiply the current step, then writes it to
// the other of two shared buffers (STAGES = 2: one barrier per step) or,
// with STAGES = 1 (room for wider tiles in 48 KiB), to the same buffer
// between two barriers. Shared rows are padded by 16 bytes, so the eight
// 16-byte rows a fragment load reads fall in different banks.
//
// Bias: the accumulators start from a 16-row replica of the tile's bias.
// Fragments wholly inside Y go straight to memory (after adding Y's old
// values when accumulating); edge fragments go through a per-subgroup
// scratch with bounds checks.
//
// Split over k (gl_WorkGroupID.z = slice, p.ks values of k each): slice z
// writes its partial product to y + z n m (no bias past slice 0, never
// accumulating); splitk_reduce.comp sums the slices into the output. For
// the shapes whose output tiles fill fewer SMs than there are.
//
// DIAG (benches only, wrong results by design): 1: the multiplies alone on
// fragments loaded once; 2: + the fragment loads from shared memory every
// step; 3: + the staging stores and barriers (no global loads); 4: the
// whole kernel with every step's global loads from the first two steps'
// addresses; 5: 3 without the barriers; 6: 3 without the stores; 7: 2 +
// the global loads (folded into a word, no stores or barriers).
//
// Fused epilogues (prefill):
//   SWIGLU: w is [gate; up] of [2I][k]; each subgroup's TM columns are TM/2
//     gate rows then the same TM/2 up rows, so a gate accumulator and its up
//     partner hold the same features; y is f16 [n][I] = silu(g) * u.
//   QKV: columns [0, m1) go to y (stride m1), [m1, m2) to yk, [m2, m) to yv
//     (the k and v cache rows); m1 and m2 are multiples of 16, so every
//     16-column fragment lies in one of them.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_control_flow_attributes : require

#ifndef BN
#define BN 128
#endif
#ifndef BM
#define BM 128
#endif
#ifndef SGN
#define SGN 2
#endif
#ifndef SGM
#define SGM 2
#endif
#ifndef STAGES
#define STAGES 2
#endif
#ifndef BK
#define BK 32
#endif
#ifndef DIAG
#define DIAG 0
#endif

const uint NT = 32 * SGN * SGM;
const uint CPR = BK / 8;                     // 16-byte chunks per row and step
const uint LDV = CPR + 1;                    // shared row stride in uvec4 (8 halves), padded
const uint TN = BN / SGN, TM = BM / SGM;     // one subgroup's outputs
const uint FN = TN / 16, FM = TM / 16;       // its accumulators
const uint WL = BM * CPR / NT;               // 16-byte weight loads per thread per step
const uint XL = BN * CPR / NT;               // 8-value activation chunks per thread per step

layout(local_size_x = NT) in;

layout(std430, binding = 0) readonly buffer W { uvec4 w[]; };
#ifdef X_F16
layout(std430, binding = 1) readonly buffer X { uvec4 x[]; };
#else
layout(std430, binding = 1) readonly buffer X { vec4 x[]; };
#endif
#ifdef SWIGLU
layout(std430, binding = 2) buffer Y { float16_t yh[]; };
#else
layout(std430, binding = 2) buffer Y { float y[]; };
#endif
layout(std430, binding = 3) readonly buffer B { float bias[]; };
#ifdef QKV
layout(std430, binding = 4) buffer YK { float yk[]; };
layout(std430, binding = 5) buffer YV { float yv[]; };
#endif

layout(push_constant) uniform P {
  uint m, n, k, has_bias, accumulate, ks, m1, m2, plain_order;
} p;

shared uvec4 xs[STAGES * BN * LDV];
shared uvec4 ws[STAGES * BM * LDV];

uvec4 wq[WL];
uvec4 xq[XL];

// The weight row of the tile's row r (columns from m0), or ~0 past m.
uint weight_row(uint m0, uint r)
{
#ifdef SWIGLU
  uint mh = p.m / 2, c = r % TM, f = m0 / 2 + (r / TM) * (TM / 2) + c % (TM / 2);
  return f < mh ? f + (c >= TM / 2 ? mh : 0) : ~0u;
#else
  return m0 + r < p.m ? m0 + r : ~0u;
#endif
}

void load_step(uint m0, uint n0, uint k0, uint kend, uint t)
{
  [[unroll]] for (uint i = 0; i < WL; i++) {
    uint e = t + i * NT, r = e / CPR, c = k0 + (e % CPR) * 8;
    uint wr = weight_row(m0, r);
    wq[i] = (wr != ~0u && c < kend) ? w[(wr * p.k + c) / 8] : uvec4(0);
  }
  [[unroll]] for (uint i = 0; i < XL; i++) {
    uint e = t + i * NT, r = e / CPR, c = k0 + (e % CPR) * 8;
    bool in_x = n0 + r < p.n && c < kend;
#ifdef X_F16
    xq[i] = in_x ? x[((n0 + r) * p.k + c) / 8] : uvec4(0);
#else
    vec4 a = vec4(0.0), b = vec4(0.0);
    if (in_x) {
      uint o = ((n0 + r) * p.k + c) / 4;
      a = x[o];
      b = x[o + 1];
    }
    xq[i] = uvec4(packHalf2x16(a.xy), packHalf2x16(a.zw), packHalf2x16(b.xy), packHalf2x16(b.zw));
#endif
  }
}

void store_step(uint stage, uint t)
{
  [[unroll]] for (uint i = 0; i < WL; i++) {
    uint e = t + i * NT;
    ws[stage * BM * LDV + (e / CPR) * LDV + e % CPR] = wq[i];
  }
  [[unroll]] for (uint i = 0; i < XL; i++) {
    uint e = t + i * NT;
    xs[stage * BN * LDV + (e / CPR) * LDV + e % CPR] = xq[i];
  }
}

void main()
{
  uint t = gl_LocalInvocationID.x;
  uint sg = gl_SubgroupID, lane = gl_SubgroupInvocationID;
  // Launch order: consecutive workgroups take the token blocks of one
  // block of features in turn, so its weights come from memory once and
  // then from the L2 (with the plain order, features fastest, each weight
  // tile of a wide matrix was read once per token block).
  uint wx = gl_WorkGroupID.x, wy = gl_WorkGroupID.y;
  if (p.plain_order == 0) {
    uint lin = wx + wy * gl_NumWorkGroups.x;
    wx = lin / gl_NumWorkGroups.y;
    wy = lin % gl_NumWorkGroups.y;
  }
  uint m0 = wx * BM, n0 = wy * BN;
  uint tn = (sg / SGM) * TN, tm = (sg % SGM) * TM;   // this subgroup's tokens, features
  uint z = gl_WorkGroupID.z;
  uint kb = z * p.ks, kend = min(p.k, kb + p.ks);
  uint nk = (kend - kb + BK - 1) / BK;
  fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> acc[FN][FM];

  // Bias: 16 identical rows of the tile's BM values (zero past m), as f32
  // in the weight buffer, before the first step overwrites it.
  if (p.has_bias != 0 && z == 0) {
    for (uint e = t; e < 16 * BM / 4; e += NT) {
      uint c = (e * 4) % BM;
      vec4 b;
      [[unroll]] for (uint q = 0; q < 4; q++)
        b[q] = m0 + c + q < p.m ? bias[m0 + c + q] : 0.0;
      ws[e] = floatBitsToUint(b);
    }
    barrier();
    [[unroll]] for (uint j = 0; j < FM; j++) {
      fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> bf;
      coopMatLoadNV(bf, ws, (tm + 16 * j) / 4, BM / 4, false);
      [[unroll]] for (uint i = 0; i < FN; i++)
        acc[i][j] = bf;
    }
    barrier();
  } else {
    [[unroll]] for (uint i = 0; i < FN; i++)
      [[unroll]] for (uint j = 0; j < FM; j++)
        acc[i][j] = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);
  }

#define LOAD_FRAGS(A, B, st, kk) \
  [[unroll]] for (uint i = 0; i < FN; i++) \
    coopMatLoadNV(A[i], xs, (st) * BN * LDV + (tn + 16 * i) * LDV + 2 * (kk), LDV, false); \
  [[unroll]] for (uint j = 0; j < FM; j++) \
    coopMatLoadNV(B[j], ws, (st) * BM * LDV + (tm + 16 * j) * LDV + 2 * (kk), LDV, true);
#define MMA_FRAGS(A, B) \
  [[unroll]] for (uint i = 0; i < FN; i++) \
    [[unroll]] for (uint j = 0; j < FM; j++) \
      acc[i][j] = coopMatMulAddNV(A[i], B[j], acc[i][j]);

#if DIAG == 7
  uvec4 sink = uvec4(0);
#endif
  load_step(m0, n0, kb, kend, t);
  store_step(0, t);
#if DIAG == 2 && STAGES == 2
  store_step(1, t);
#endif
  barrier();
#if DIAG == 1
  {
    fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> a[FN], b[FM];
    LOAD_FRAGS(a, b, 0, 0)
    for (uint kt = 0; kt < nk; kt++)
      [[unroll]] for (uint kk = 0; kk < BK / 16; kk++) {
        MMA_FRAGS(a, b)
      }
  }
#else
  for (uint kt = 0; kt < nk; kt++) {
    uint s = STAGES == 2 ? (kt & 1) : 0;
#if DIAG == 0 || DIAG == 7
    if (kt + 1 < nk)
      load_step(m0, n0, kb + (kt + 1) * BK, kend, t);
#elif DIAG == 4
    if (kt + 1 < nk)
      load_step(m0, n0, kb + ((kt + 1) & 1) * BK, kend, t);
#endif
    [[unroll]] for (uint kk = 0; kk < BK / 16; kk++) {
      fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> a[FN], b[FM];
      LOAD_FRAGS(a, b, s, kk)
      MMA_FRAGS(a, b)
    }
#if DIAG == 7
    [[unroll]] for (uint i = 0; i < WL; i++)
      sink ^= wq[i];
    [[unroll]] for (uint i = 0; i < XL; i++)
      sink ^= xq[i];
#elif DIAG != 2
#if DIAG == 3 || DIAG == 5
    // The same registers every step, changed so that no store is redundant.
    [[unroll]] for (uint i = 0; i < WL; i++)
      wq[i] ^= uvec4(kt);
    [[unroll]] for (uint i = 0; i < XL; i++)
      xq[i] ^= uvec4(kt);
#endif
    if (kt + 1 < nk) {
      if (STAGES == 1 && DIAG != 5)
        barrier();
      if (DIAG != 6)
        store_step(STAGES == 2 ? s ^ 1 : 0, t);
    }
    if (DIAG != 5)
      barrier();
#endif
  }
#if DIAG == 7
  if (all(equal(sink, uvec4(0x9e3779b9u))))
    acc[0][0] = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(1.0);
#endif
#endif

  // Out. Shared memory is free now: each subgroup has 16 x 16 floats of
  // scratch at xs[sg * 64] for its edge fragments.
#if defined(SWIGLU)
  const uint FH = FM / 2;
  uint mh = p.m / 2;
  bool direct_ok = (mh % 8) == 0;
  [[unroll]] for (uint i = 0; i < FN; i++)
    [[unroll]] for (uint j = 0; j < FH; j++) {
      uint rn = n0 + tn + 16 * i, cm = wx * (BM / 2) + (sg % SGM) * (TM / 2) + 16 * j;
      if (rn >= p.n || cm >= mh)
        continue;
      fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> hv = acc[i][j];
      [[unroll]] for (int e = 0; e < hv.length(); e++) {
        float g = hv[e];
        hv[e] = g / (1.0 + exp(-g)) * acc[i][j + FH][e];
      }
      if (direct_ok && rn + 16 <= p.n && cm + 16 <= mh) {
        fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> h16 = fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>(hv);
        coopMatStoreNV(h16, yh, rn * mh + cm, mh, false);
      } else {
        coopMatStoreNV(hv, xs, sg * 64, 4, false);
        memoryBarrierShared();
        subgroupBarrier();
        for (uint e = lane; e < 256; e += 32) {
          uint nn = rn + e / 16, mm = cm + e % 16;
          if (nn < p.n && mm < mh)
            yh[nn * mh + mm] = float16_t(uintBitsToFloat(xs[sg * 64 + e / 4][e % 4]));
        }
        memoryBarrierShared();
        subgroupBarrier();
      }
    }
#elif defined(QKV)
  [[unroll]] for (uint i = 0; i < FN; i++)
    [[unroll]] for (uint j = 0; j < FM; j++) {
      uint rn = n0 + tn + 16 * i, cm = m0 + tm + 16 * j;
      if (rn >= p.n || cm >= p.m)
        continue;
      uint reg = cm < p.m1 ? 0 : cm < p.m2 ? 1 : 2;
      uint c0 = reg == 0 ? 0 : reg == 1 ? p.m1 : p.m2;
      uint ld = reg == 0 ? p.m1 : reg == 1 ? p.m2 - p.m1 : p.m - p.m2;
      uint cend = c0 + ld;
      if ((ld % 4) == 0 && rn + 16 <= p.n && cm + 16 <= cend) {
        uint off = rn * ld + cm - c0;
        if (reg == 0)
          coopMatStoreNV(acc[i][j], y, off, ld, false);
        else if (reg == 1)
          coopMatStoreNV(acc[i][j], yk, off, ld, false);
        else
          coopMatStoreNV(acc[i][j], yv, off, ld, false);
      } else {
        coopMatStoreNV(acc[i][j], xs, sg * 64, 4, false);
        memoryBarrierShared();
        subgroupBarrier();
        for (uint e = lane; e < 256; e += 32) {
          uint nn = rn + e / 16, mm = cm + e % 16;
          if (nn < p.n && mm < cend) {
            float v = uintBitsToFloat(xs[sg * 64 + e / 4][e % 4]);
            uint off = nn * ld + mm - c0;
            if (reg == 0)
              y[off] = v;
            else if (reg == 1)
              yk[off] = v;
            else
              yv[off] = v;
          }
        }
        memoryBarrierShared();
        subgroupBarrier();
      }
    }
#else
  bool direct_ok = (p.m % 4) == 0;
  uint ybase = z * p.n * p.m;
  [[unroll]] for (uint i = 0; i < FN; i++)
    [[unroll]] for (uint j = 0; j < FM; j++) {
      uint rn = n0 + tn + 16 * i, cm = m0 + tm + 16 * j;
      if (rn >= p.n || cm >= p.m)
        continue;
      if (direct_ok && rn + 16 <= p.n && cm + 16 <= p.m) {
        if (p.accumulate != 0) {
          fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> old;
          coopMatLoadNV(old, y, ybase + rn * p.m + cm, p.m, false);
          // (Component-wise: glslc 2023.2 -O crashes on '+' of two matrices.)
          [[unroll]] for (int e = 0; e < old.length(); e++)
            acc[i][j][e] += old[e];
        }
        coopMatStoreNV(acc[i][j], y, ybase + rn * p.m + cm, p.m, false);
      } else {
        coopMatStoreNV(acc[i][j], xs, sg * 64, 4, false);
        memoryBarrierShared();
        subgroupBarrier();
        for (uint e = lane; e < 256; e += 32) {
          uint nn = rn + e / 16, mm = cm + e % 16;
          if (nn < p.n && mm < p.m) {
            float v = uintBitsToFloat(xs[sg * 64 + e / 4][e % 4]);
            if (p.accumulate != 0)
              v += y[ybase + nn * p.m + mm];
            y[ybase + nn * p.m + mm] = v;
          }
        }
        memoryBarrierShared();
        subgroupBarrier();
      }
    }
#endif
}
