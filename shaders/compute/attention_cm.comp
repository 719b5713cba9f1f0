#version 450
// Prefill attention on tensor cores (VK_NV_cooperative_matrix, 16x16x16 f16
// fragments, f32 accumulators): one workgroup per (block of 64 queries,
// head), four subgroups of 16 query rows each; keys and values stream
// through shared memory KB rows at a time, rounded to f16 on the way in.
//
// One pass over the keys: each block's scores S = Q K^T go through shared
// memory to the lanes (two a row), which keep each row's running maximum m
// and sum l, and write P = exp(S - m) as f16 for O += P V on the tensor
// cores. Cooperative matrices cannot rescale accumulator rows, so m is
// lazy: a row's m moves only when a block's maximum passes it by more than
// TH (P stays below 2^TH, inside f16's range), and then the subgroup's O goes
// through shared memory once to be rescaled row by row (rare after the
// first blocks). The output is divided by l row by row on the way out.
// TWO_PASS builds the kernel before (benches compare): a first pass for
// each row's maximum and sum, then S again and P V with the final P.
// Each block's keys and values are loaded into registers while the block
// before is being multiplied, so the loads' latency hides behind the
// tensor cores.
// Causal: blocks past the workgroup's last query are never loaded, and a
// subgroup skips blocks wholly past its own rows. Grouped KV heads: query
// head h reads KV head h / (n_heads / n_kv_heads).
//   q: [n_q][q_stride], k, v: [n_kv][kv_stride], o: [n_q][o_stride] (f32,
//   or f16 with O_F16: the input of the cooperative-matrix o projection)
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_NV_cooperative_matrix : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_control_flow_attributes : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_KHR_shader_subgroup_vote : require

#ifndef HD
#define HD 128
#endif
const uint D = HD;                    // head_dim, a multiple of 16
const uint BQ = 64, KB = 32;          // queries per workgroup, keys per block
const uint FD = D / 16, FK = KB / 16;
const uint LD = D / 8 + 1;            // q/k/v rows in shared, uvec4 (8 halves), padded
const uint LS = KB / 4 + 1;           // score rows, uvec4 (4 floats), padded
const uint LP = KB / 8 + 1;           // probability rows, uvec4 (8 halves), padded
const float TH = 14.0;                // lazy maximum: rescale past 2^TH (base 2)

layout(local_size_x = 128) in;

layout(std430, binding = 0) readonly buffer Q { vec4 q[]; };
layout(std430, binding = 1) readonly buffer K { vec4 kc[]; };
layout(std430, binding = 2) readonly buffer V { vec4 vc[]; };
#ifdef O_F16
layout(std430, binding = 3) buffer O { float16_t o[]; };
#define O_T float16_t
#else
layout(std430, binding = 3) buffer O { float o[]; };
#define O_T float
#endif

layout(push_constant) uniform P {
  uint n_q, n_kv, q_pos0, n_heads, n_kv_heads, head_dim, q_stride, kv_stride, o_stride, causal;
  float scale;
} p;

// K and V of one block; the 64 query rows are staged through the same
// space (64 rows = 2 x KB) before the first block.
shared uvec4 kvs[2 * KB * LD];
shared uvec4 ss[4 * 16 * LS];         // per subgroup: 16 x KB scores (f32)
shared uvec4 ps[4 * 16 * LP];         // per subgroup: 16 x KB probabilities (f16)

uvec4 f16x8(vec4 a, vec4 b)
{
  return uvec4(packHalf2x16(a.xy), packHalf2x16(a.zw), packHalf2x16(b.xy), packHalf2x16(b.zw));
}

// Rows [r0, r0 + n) of q (src 0), k (1) or v (2) from column col0 into
// shared rows at dst, zero past `limit` rows.
void stage_rows(uint dst, uint src, uint r0, uint n, uint limit, uint stride, uint col0, uint t)
{
  for (uint e = t; e < n * (D / 8); e += 128) {
    uint r = e / (D / 8), c = (e % (D / 8)) * 8;
    vec4 a = vec4(0.0), b = vec4(0.0);
    if (r0 + r < limit) {
      uint o4 = ((r0 + r) * stride + col0 + c) / 4;
      if (src == 0) {
        a = q[o4];
        b = q[o4 + 1];
      } else if (src == 1) {
        a = kc[o4];
        b = kc[o4 + 1];
      } else {
        a = vc[o4];
        b = vc[o4 + 1];
      }
    }
    kvs[dst + r * LD + c / 8] = f16x8(a, b);
  }
}

// One block of KB rows of k (src 1) or v (src 2), as f16, in registers.
const uint NL = KB * (D / 8) / 128;
uvec4 kr[NL], vr[NL];

void load_block(uint src, uint j0, uint col0, uint t)
{
  [[unroll]] for (uint i = 0; i < NL; i++) {
    uint e = t + i * 128, r = e / (D / 8), c = (e % (D / 8)) * 8;
    vec4 a = vec4(0.0), b = vec4(0.0);
    if (j0 + r < p.n_kv) {
      uint o4 = ((j0 + r) * p.kv_stride + col0 + c) / 4;
      if (src == 1) {
        a = kc[o4];
        b = kc[o4 + 1];
      } else {
        a = vc[o4];
        b = vc[o4 + 1];
      }
    }
    if (src == 1)
      kr[i] = f16x8(a, b);
    else
      vr[i] = f16x8(a, b);
  }
}

void store_block(uint src, uint dst, uint t)
{
  [[unroll]] for (uint i = 0; i < NL; i++) {
    uint e = t + i * 128, r = e / (D / 8), c = (e % (D / 8)) * 8;
    kvs[dst + r * LD + c / 8] = src == 1 ? kr[i] : vr[i];
  }
}

void main()
{
  uint t = gl_LocalInvocationID.x;
  uint sg = gl_SubgroupID, lane = gl_SubgroupInvocationID;
  uint q0 = gl_WorkGroupID.x * BQ, h = gl_WorkGroupID.y;
  uint kvh = h / (p.n_heads / p.n_kv_heads);
  uint qend = min(p.n_q, q0 + BQ);
  uint kv_end = p.causal != 0 ? min(p.n_kv, p.q_pos0 + qend) : p.n_kv;
  // This subgroup's rows, and the one row (and half of it) this lane scores.
  uint r0 = q0 + 16 * sg;
  uint sg_end = p.causal != 0 ? min(p.n_kv, p.q_pos0 + min(qend, r0 + 16)) : p.n_kv;
  uint row = lane / 2, half_ = lane % 2;
  uint qi = r0 + row;
  uint row_end = qi < p.n_q ? (p.causal != 0 ? min(p.n_kv, p.q_pos0 + qi + 1) : p.n_kv) : 0;
  float sl2 = p.scale * 1.4426950408889634;
  fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> qf[FD];

  stage_rows(0, 0, q0, BQ, p.n_q, p.q_stride, h * D, t);
  barrier();
  [[unroll]] for (uint d = 0; d < FD; d++)
    coopMatLoadNV(qf[d], kvs, (16 * sg) * LD + 2 * d, LD, false);
  barrier();

  float m = -1.0 / 0.0, l = 0.0;
  fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> oacc[FD];
  [[unroll]] for (uint d = 0; d < FD; d++)
    oacc[d] = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);

#ifdef TWO_PASS
  load_block(1, 0, kvh * D, t);
  for (uint pass = 0; pass < 2; pass++) {
    for (uint j0 = 0; j0 < kv_end; j0 += KB) {
      store_block(1, 0, t);
      if (pass == 1)
        store_block(2, KB * LD, t);
      barrier();
      {
        // The next block: the following keys, or the first of pass 1.
        uint nj = j0 + KB, np = pass;
        if (nj >= kv_end) {
          nj = 0;
          np = pass + 1;
        }
        if (np < 2) {
          load_block(1, nj, kvh * D, t);
          if (np == 1)
            load_block(2, nj, kvh * D, t);
        }
      }
      if (j0 < sg_end) {
        // S = Q K^T for this subgroup's 16 rows and the block's KB keys.
        [[unroll]] for (uint c = 0; c < FK; c++) {
          fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> s = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);
          [[unroll]] for (uint d = 0; d < FD; d++) {
            fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> kf;
            coopMatLoadNV(kf, kvs, (16 * c) * LD + 2 * d, LD, true);
            s = coopMatMulAddNV(qf[d], kf, s);
          }
          coopMatStoreNV(s, ss, sg * 16 * LS + 4 * c, LS, false);
        }
        memoryBarrierShared();
        subgroupBarrier();
        // Each lane: half a row of scores, masked, scaled to base 2.
        float sv[KB / 2];
        float bm = -1.0 / 0.0;
        [[unroll]] for (uint e = 0; e < KB / 8; e++) {
          vec4 v4 = uintBitsToFloat(ss[sg * 16 * LS + row * LS + half_ * (KB / 8) + e]);
          [[unroll]] for (uint c = 0; c < 4; c++) {
            uint j = j0 + half_ * (KB / 2) + 4 * e + c;
            float s2 = j < row_end ? v4[c] * sl2 : -1.0 / 0.0;
            sv[4 * e + c] = s2;
            bm = max(bm, s2);
          }
        }
        if (pass == 0) {
          bm = max(bm, subgroupShuffleXor(bm, 1));
          float m_new = max(m, bm);
          float sum = 0.0;
          if (m_new > -1.0 / 0.0)
            [[unroll]] for (uint c = 0; c < KB / 2; c++)
              sum += exp2(sv[c] - m_new);
          sum += subgroupShuffleXor(sum, 1);
          l = (m == m_new ? l : l * exp2(m - m_new)) + sum;
          m = m_new;
        } else {
          // (Rows past n_q have no keys: m = -inf, l = 0; they give 0.)
          float inv = l > 0.0 ? 1.0 / l : 0.0;
          [[unroll]] for (uint e = 0; e < KB / 16; e++) {
            vec4 a, b;
            [[unroll]] for (uint c = 0; c < 4; c++) {
              a[c] = l > 0.0 ? exp2(sv[8 * e + c] - m) * inv : 0.0;
              b[c] = l > 0.0 ? exp2(sv[8 * e + 4 + c] - m) * inv : 0.0;
            }
            ps[sg * 16 * LP + row * LP + half_ * (KB / 16) + e] = f16x8(a, b);
          }
          memoryBarrierShared();
          subgroupBarrier();
          // O += P V.
          [[unroll]] for (uint c = 0; c < FK; c++) {
            fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> pf;
            coopMatLoadNV(pf, ps, sg * 16 * LP + 2 * c, LP, false);
            [[unroll]] for (uint d = 0; d < FD; d++) {
              fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> vf;
              coopMatLoadNV(vf, kvs, KB * LD + (16 * c) * LD + 2 * d, LD, false);
              oacc[d] = coopMatMulAddNV(pf, vf, oacc[d]);
            }
          }
        }
        subgroupBarrier();
      }
      barrier();
    }
  }

  // Out (normalised already): straight to o for whole 16-row groups, else
  // through the scores scratch with a row check.
  if (r0 >= p.n_q)
    return;
  [[unroll]] for (uint d = 0; d < FD; d++) {
    if (r0 + 16 <= p.n_q) {
#ifdef O_F16
      fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> o16 = fcoopmatNV<16, gl_ScopeSubgroup, 16, 16>(oacc[d]);
      coopMatStoreNV(o16, o, r0 * p.o_stride + h * D + 16 * d, p.o_stride, false);
#else
      coopMatStoreNV(oacc[d], o, r0 * p.o_stride + h * D + 16 * d, p.o_stride, false);
#endif
    } else {
      coopMatStoreNV(oacc[d], ss, sg * 16 * LS, LS, false);
      memoryBarrierShared();
      subgroupBarrier();
      for (uint e = lane; e < 256; e += 32) {
        uint rr = e / 16, cc = e % 16;
        if (r0 + rr < p.n_q)
          o[(r0 + rr) * p.o_stride + h * D + 16 * d + cc] = O_T(uintBitsToFloat(ss[sg * 16 * LS + rr * LS + cc / 4][cc % 4]));
      }
      memoryBarrierShared();
      subgroupBarrier();
    }
  }
#else
  load_block(1, 0, kvh * D, t);
  load_block(2, 0, kvh * D, t);
  for (uint j0 = 0; j0 < kv_end; j0 += KB) {
    store_block(1, 0, t);
    store_block(2, KB * LD, t);
    barrier();
    if (j0 + KB < kv_end) {
      load_block(1, j0 + KB, kvh * D, t);
      load_block(2, j0 + KB, kvh * D, t);
    }
    if (j0 < sg_end) {
      // S = Q K^T for this subgroup's 16 rows and the block's KB keys.
      [[unroll]] for (uint c = 0; c < FK; c++) {
        fcoopmatNV<32, gl_ScopeSubgroup, 16, 16> s = fcoopmatNV<32, gl_ScopeSubgroup, 16, 16>(0.0);
        [[unroll]] for (uint d = 0; d < FD; d++) {
          fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> kf;
          coopMatLoadNV(kf, kvs, (16 * c) * LD + 2 * d, LD, true);
          s = coopMatMulAddNV(qf[d], kf, s);
        }
        coopMatStoreNV(s, ss, sg * 16 * LS + 4 * c, LS, false);
      }
      memoryBarrierShared();
      subgroupBarrier();
      // Each lane: half a row of scores, masked, scaled to base 2.
      float sv[KB / 2];
      float bm = -1.0 / 0.0;
      [[unroll]] for (uint e = 0; e < KB / 8; e++) {
        vec4 v4 = uintBitsToFloat(ss[sg * 16 * LS + row * LS + half_ * (KB / 8) + e]);
        [[unroll]] for (uint c = 0; c < 4; c++) {
          uint j = j0 + half_ * (KB / 2) + 4 * e + c;
          float s2 = j < row_end ? v4[c] * sl2 : -1.0 / 0.0;
          sv[4 * e + c] = s2;
          bm = max(bm, s2);
        }
      }
      bm = max(bm, subgroupShuffleXor(bm, 1));
      memoryBarrierShared();
      subgroupBarrier();
      // A row with no keys yet takes the block's maximum (its O is zero);
      // one that would pass 2^TH has the subgroup's O rescaled.
      if (subgroupAny(m > -1.0 / 0.0 && bm > m + TH)) {
        float m_new = max(m, bm);
        float alpha = m > -1.0 / 0.0 ? exp2(m - m_new) : 0.0;
        [[unroll]] for (uint d = 0; d < FD; d++) {
          coopMatStoreNV(oacc[d], ss, sg * 16 * LS, LS, false);
          memoryBarrierShared();
          subgroupBarrier();
          [[unroll]] for (uint e = 0; e < 2; e++) {
            uint a = sg * 16 * LS + row * LS + half_ * 2 + e;
            ss[a] = floatBitsToUint(uintBitsToFloat(ss[a]) * alpha);
          }
          memoryBarrierShared();
          subgroupBarrier();
          coopMatLoadNV(oacc[d], ss, sg * 16 * LS, LS, false);
          subgroupBarrier();
        }
        l *= alpha;
        m = m_new;
      } else if (m == -1.0 / 0.0) {
        m = bm;
      }
      // P = exp(S - m), at most 2^TH; keys past the row's end give 0.
      float sum = 0.0;
      [[unroll]] for (uint e = 0; e < KB / 16; e++) {
        vec4 a, b;
        [[unroll]] for (uint c = 0; c < 4; c++) {
          a[c] = sv[8 * e + c] > -1.0 / 0.0 ? exp2(sv[8 * e + c] - m) : 0.0;
          b[c] = sv[8 * e + 4 + c] > -1.0 / 0.0 ? exp2(sv[8 * e + 4 + c] - m) : 0.0;
          sum += a[c] + b[c];
        }
        ps[sg * 16 * LP + row * LP + half_ * (KB / 16) + e] = f16x8(a, b);
      }
      l += sum + subgroupShuffleXor(sum, 1);
      memoryBarrierShared();
      subgroupBarrier();
      // O += P V.
      [[unroll]] for (uint c = 0; c < FK; c++) {
        fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> pf;
        coopMatLoadNV(pf, ps, sg * 16 * LP + 2 * c, LP, false);
        [[unroll]] for (uint d = 0; d < FD; d++) {
          fcoopmatNV<16, gl_ScopeSubgroup, 16, 16> vf;
          coopMatLoadNV(vf, kvs, KB * LD + (16 * c) * LD + 2 * d, LD, false);
          oacc[d] = coopMatMulAddNV(pf, vf, oacc[d]);
        }
      }
      subgroupBarrier();
    }
    barrier();
  }

  // Out, O / l row by row: each 16 x 16 piece through this subgroup's
  // scores scratch, each lane its row's half (8 values).
  if (r0 >= p.n_q)
    return;
  float inv = l > 0.0 ? 1.0 / l : 0.0;
  [[unroll]] for (uint d = 0; d < FD; d++) {
    coopMatStoreNV(oacc[d], ss, sg * 16 * LS, LS, false);
    memoryBarrierShared();
    subgroupBarrier();
    if (qi < p.n_q) {
      uint ob = qi * p.o_stride + h * D + 16 * d + 8 * half_;
      [[unroll]] for (uint e = 0; e < 2; e++) {
        vec4 v4 = uintBitsToFloat(ss[sg * 16 * LS + row * LS + half_ * 2 + e]) * inv;
        [[unroll]] for (uint c = 0; c < 4; c++)
          o[ob + 4 * e + c] = O_T(v4[c]);
      }
    }
    memoryBarrierShared();
    subgroupBarrier();
  }

#endif
}
