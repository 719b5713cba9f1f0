#version 450
// One decoder layer of a decoded token in ONE dispatch (a persistent
// kernel): the workgroups stay resident and pass grid-wide barriers between
// the layer's five phases instead of ending at dispatch boundaries:
//   A  RMSNorm(x) . [q; k; v] + bias, RoPE, k and v into row step[3] of the
//      caches, q into q
//   B  attention of q over cache rows 0..step[3], the keys split into
//      chunks; the last subgroup to finish a head merges its parts into attn
//   C  x += o . attn
//   D  g = silu(gate . xn) * (up . xn), xn = RMSNorm(x)
//   E  x += down . g
// The same arithmetic as the separate decode kernels (matvec_norm.comp,
// attention_decode.comp): f16 weights, f32 activations and accumulation.
// Work is spread by subgroup: each subgroup takes whole rows (or row pairs,
// or blocks of keys), its lanes 16-byte words of the row, so no workgroup
// barrier is needed per row; the phase's input vector (x * norm weight,
// attn, or g in chunks) is staged in shared memory once per workgroup.
// Before waiting at a grid barrier, every subgroup already loads the first
// weights of its first row of the next phase into registers (the weights do
// not depend on the phase before), which hides the barrier and the ramp.
//
// All workgroups must be resident at once (the host launches at most as
// many as the device keeps resident, or one); a spin that lasts past
// spin_limit polls gives up, raises bar[2] (the others then give up too)
// and fail[0], so a wrong residency guess ends in an error, never a hang.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#include "sincos.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 1024;
layout(constant_id = 1) const uint XS = 8192;   // floats staged in shared memory, a multiple of 8
layout(constant_id = 2) const uint DV = 1;      // vec4s of a head per lane: ceil(head_dim / 4 / subgroup size)
const uint KG = 8;                              // keys scored at once in the attention
const uint PF = 4;                              // 16-byte words per lane loaded ahead of a row

layout(std430, binding = 0) readonly buffer WQKV { uvec4 w_qkv[]; };
layout(std430, binding = 1) readonly buffer WO { uvec4 w_o[]; };
layout(std430, binding = 2) readonly buffer WGU { uvec4 w_gu[]; };
layout(std430, binding = 3) readonly buffer WD { uvec4 w_down[]; };
layout(std430, binding = 4) coherent buffer X { float x[]; };
layout(std430, binding = 5) readonly buffer LN1 { float ln1[]; };
layout(std430, binding = 6) readonly buffer LN2 { float ln2[]; };
layout(std430, binding = 7) readonly buffer BQKV { float b_qkv[]; };
layout(std430, binding = 8) readonly buffer F { float inv_freq[]; };
layout(std430, binding = 9) readonly buffer S { uint step[]; };
layout(std430, binding = 10) coherent buffer Q { float q[]; };
layout(std430, binding = 11) coherent buffer KC { vec4 kc[]; };
layout(std430, binding = 12) coherent buffer VC { vec4 vc[]; };
layout(std430, binding = 13) coherent buffer Parts { float part[]; };
layout(std430, binding = 14) coherent buffer C { uint counts[]; };
layout(std430, binding = 15) coherent buffer A { float attn[]; };
layout(std430, binding = 16) coherent buffer G { float g[]; };
layout(std430, binding = 17) coherent volatile buffer Bar { uint bar[]; };   // count, generation, abort
layout(std430, binding = 18) writeonly buffer Fail { uint fail[]; };

layout(push_constant) uniform P {
  uint hidden, inter, n_heads, n_kv_heads, head_dim, s0, s1;
  float eps, scale;
  uint n_split, min_chunk, spin_limit;
  uint skip;               // bit i: leave phase i (A..E) out (benches time the rest)
} p;

shared vec4 xs[XS / 4];
shared float red[WG];

// Builtins only (no module-scope variables: llvmpipe does not keep those
// per invocation across barriers); the grid barrier's state is shared.
#define t gl_LocalInvocationIndex
#define lane gl_SubgroupInvocationID
#define SG gl_SubgroupSize
#define sg gl_SubgroupID
#define NSG gl_NumSubgroups
#define wg gl_WorkGroupID.x
#define NWG gl_NumWorkGroups.x
#define TW (NSG * NWG)
#define gw (sg * NWG + wg)           // neighbouring rows go to different workgroups
shared uint my_gen;
shared bool arrived_last;

// ---- grid barrier: a count and a generation, reset by the last arrival ----

// Memory barriers are all in uniform control flow: llvmpipe (Mesa 22)
// synchronises the workgroup at each, so one that only some invocations
// reach breaks its barriers.

// Publishes this workgroup's writes and counts it in.
void grid_arrive()
{
  memoryBarrierBuffer();
  barrier();
  if (t == 0u)
    my_gen = atomicOr(bar[1], 0u);
  memoryBarrierBuffer();      // the generation is read before the count moves
  if (t == 0u) {
    arrived_last = atomicAdd(bar[0], 1u) == NWG - 1u;
    if (arrived_last)
      atomicExchange(bar[0], 0u);
  }
  memoryBarrierBuffer();      // the count is reset before the generation moves
  if (t == 0u && arrived_last)
    atomicAdd(bar[1], 1u);
}

// Waits for every workgroup to have arrived. (Loads issued between arrive
// and wait stay in flight meanwhile.)
void grid_wait()
{
  if (t == 0u && !arrived_last) {
    uint n = 0u;
    while (bar[1] == my_gen) {
      n++;
      if (n >= p.spin_limit || ((n & 255u) == 0u && bar[2] != 0u)) {
        bar[2] = 1u;
        fail[0] = 1u;
        break;
      }
    }
  }
  barrier();
}

// ---- rows of f16 weights against the staged vector ----

// Weights 8j..8j+7 of a row (one 16-byte word) times staged values 8j...
float dot8(uvec4 w, uint j)
{
  return dot(vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y)), xs[2u * j])
         + dot(vec4(unpackHalf2x16(w.z), unpackHalf2x16(w.w)), xs[2u * j + 1u]);
}

// NAME_pf loads a lane's first PF words (j, j + SG, ...) of the row at word
// base; NAME_dot sums the lane's words j, j + SG, ... < jend times the staged
// values (xj: the word the staging starts at), the first PF from pf.
#define DEF_ROW(NAME, ARR) \
void NAME##_pf(uint base, uint j, uint jend, out uvec4 pf[PF]) \
{ \
  for (uint i = 0u; i < PF; i++) \
    pf[i] = j + i * SG < jend ? ARR[base + j + i * SG] : uvec4(0u); \
} \
float NAME##_dot(uint base, uint j, uint jend, uint xj, bool use_pf, uvec4 pf[PF]) \
{ \
  float acc = 0.0; \
  if (use_pf) { \
    for (uint i = 0u; i < PF; i++) \
      if (j + i * SG < jend) \
        acc += dot8(pf[i], j + i * SG - xj); \
    j += PF * SG; \
  } \
  for (; j + 3u * SG < jend; j += 4u * SG) { \
    uvec4 a = ARR[base + j], b = ARR[base + j + SG], c = ARR[base + j + 2u * SG], d = ARR[base + j + 3u * SG]; \
    acc += dot8(a, j - xj) + dot8(b, j + SG - xj) + dot8(c, j + 2u * SG - xj) + dot8(d, j + 3u * SG - xj); \
  } \
  for (; j < jend; j += SG) \
    acc += dot8(ARR[base + j], j - xj); \
  return acc; \
} \
void NAME##_dot2(uint ba, uint bb, uint j, uint jend, uvec4 pa[PF], uvec4 pb[PF], out float ra, out float rb) \
{ \
  float a0 = 0.0, b0 = 0.0; \
  for (uint i = 0u; i < PF; i++) \
    if (j + i * SG < jend) { \
      a0 += dot8(pa[i], j + i * SG); \
      b0 += dot8(pb[i], j + i * SG); \
    } \
  j += PF * SG; \
  for (; j + SG < jend; j += 2u * SG) { \
    uvec4 a = ARR[ba + j], b = ARR[ba + j + SG], c = ARR[bb + j], d = ARR[bb + j + SG]; \
    a0 += dot8(a, j) + dot8(b, j + SG); \
    b0 += dot8(c, j) + dot8(d, j + SG); \
  } \
  for (; j < jend; j += SG) { \
    a0 += dot8(ARR[ba + j], j); \
    b0 += dot8(ARR[bb + j], j); \
  } \
  ra = a0; \
  rb = b0; \
}

DEF_ROW(qkv, w_qkv)
DEF_ROW(o, w_o)
DEF_ROW(gu, w_gu)
DEF_ROW(down, w_down)

// ---- staging ----

// xs = x * norm weight (ln2 when second); returns 1 / rms(x).
float stage_norm(bool second)
{
  float ss = 0.0;
  for (uint j = t; j < p.hidden / 4u; j += WG) {
    vec4 v = vec4(x[4u * j], x[4u * j + 1u], x[4u * j + 2u], x[4u * j + 3u]);
    vec4 w = second ? vec4(ln2[4u * j], ln2[4u * j + 1u], ln2[4u * j + 2u], ln2[4u * j + 3u])
                    : vec4(ln1[4u * j], ln1[4u * j + 1u], ln1[4u * j + 2u], ln1[4u * j + 3u]);
    ss += dot(v, v);
    xs[j] = v * w;
  }
  float s = subgroupAdd(ss);
  if (subgroupElect())
    red[sg] = s;
  barrier();
  float total = 0.0;
  for (uint i = 0u; i < NSG; i++)
    total += red[i];
  barrier();
  return inversesqrt(total / float(p.hidden) + p.eps);
}

void main()
{

  uint D = p.head_dim, hd = D / 2u, D4 = D / 4u;
  uint kv_dim = p.n_kv_heads * D;
  uvec4 st = uvec4(step[0], step[1], step[2], step[3]);
  if (t == 0u && wg == 0u && DV * SG < D4)
    fail[0] = 2u;          // the host's subgroup size was wrong

  uvec4 pa[PF], pb[PF];
  float ra, rb;

  // ---- A: RMSNorm, q|k|v, RoPE, cache rows ----
  if ((p.skip & 1u) == 0u) {
    uint k8 = p.hidden / 8u;
    uint n_units = (p.n_heads + 2u * p.n_kv_heads) * hd;
    if (gw < n_units) {
      uint r1 = (gw / hd) * D + gw % hd;
      qkv_pf(r1 * k8, lane, k8, pa);
      qkv_pf((r1 + hd) * k8, lane, k8, pb);
    }
    float inv = stage_norm(false);
    for (uint u = gw; u < n_units; u += TW) {
      uint head = u / hd, i = u % hd;
      uint r1 = head * D + i, r2 = r1 + hd;
      if (u != gw) {
        qkv_pf(r1 * k8, lane, k8, pa);
        qkv_pf(r2 * k8, lane, k8, pb);
      }
      qkv_dot2(r1 * k8, r2 * k8, lane, k8, pa, pb, ra, rb);
      ra = subgroupAdd(ra);
      rb = subgroupAdd(rb);
      if (subgroupElect()) {
        float v0 = ra * inv + b_qkv[r1], v1 = rb * inv + b_qkv[r2];
        float o1 = v0, o2 = v1;
        if (head < p.n_heads + p.n_kv_heads) {
          uint axis = i < p.s0 ? 0u : (i < p.s0 + p.s1 ? 1u : 2u);
          float sn, cs;
          sincos_accurate(float(st[axis]) * inv_freq[i], sn, cs);
          o1 = v0 * cs - v1 * sn;
          o2 = v1 * cs + v0 * sn;
        }
        if (head < p.n_heads) {
          q[head * D + i] = o1;
          q[head * D + i + hd] = o2;
        } else {
          bool is_k = head < p.n_heads + p.n_kv_heads;
          uint b = st.w * kv_dim + (head - p.n_heads - (is_k ? 0u : p.n_kv_heads)) * D + i, b2 = b + hd;
          if (is_k) {
            kc[b >> 2][b & 3u] = o1;
            kc[b2 >> 2][b2 & 3u] = o2;
          } else {
            vc[b >> 2][b & 3u] = o1;
            vc[b2 >> 2][b2 & 3u] = o2;
          }
        }
      }
    }
  }
  grid_arrive();
  grid_wait();

  // ---- B: attention, keys split into chunks, merged by the last ----
  if ((p.skip & 2u) == 0u) {
    uint n_kv = st.w + 1u;
    uint chunk = max(p.min_chunk, ((n_kv + p.n_split - 1u) / p.n_split + KG - 1u) / KG * KG);
    uint n_active = (n_kv + chunk - 1u) / chunk;
    uint kv4 = kv_dim / 4u, stride = D + 2u, per_kv = p.n_heads / p.n_kv_heads;
    // Rounds of TW items, the same number in every subgroup (see the
    // memory barriers above).
    for (uint round0 = 0u; round0 < p.n_heads * n_active; round0 += TW) {
      uint it = round0 + gw;
      bool live = it < p.n_heads * n_active;
      uint h = live ? it / n_active : 0u, z = live ? it % n_active : 0u;
      uint head4 = (h / per_kv) * D4;
      vec4 qv[DV], acc[DV];
      for (uint i = 0u; i < DV; i++) {
        uint d4 = lane + i * SG, b = h * D + 4u * d4;
        qv[i] = d4 < D4 ? vec4(q[b], q[b + 1u], q[b + 2u], q[b + 3u]) * p.scale : vec4(0.0);
        acc[i] = vec4(0.0);
      }
      float m = -1.0 / 0.0, l = 0.0;
      uint jb = z * chunk, je = live ? min(n_kv, jb + chunk) : 0u;
      for (uint j0 = jb; j0 < je; j0 += KG) {
        float s[KG];
        for (uint kk = 0u; kk < KG; kk++) {
          uint j = j0 + kk;
          float d = 0.0;
          if (j < je)
            for (uint i = 0u; i < DV; i++) {
              uint d4 = lane + i * SG;
              if (d4 < D4)
                d += dot(qv[i], kc[j * kv4 + head4 + d4]);
            }
          s[kk] = subgroupAdd(d);
        }
        float mb = m;
        for (uint kk = 0u; kk < KG; kk++)
          if (j0 + kk < je)
            mb = max(mb, s[kk]);
        float corr = exp(m - mb);
        l *= corr;
        for (uint i = 0u; i < DV; i++)
          acc[i] *= corr;
        for (uint kk = 0u; kk < KG; kk++) {
          uint j = j0 + kk;
          if (j < je) {
            float pj = exp(s[kk] - mb);
            l += pj;
            for (uint i = 0u; i < DV; i++) {
              uint d4 = lane + i * SG;
              if (d4 < D4)
                acc[i] += pj * vc[j * kv4 + head4 + d4];
            }
          }
        }
        m = mb;
      }
      uint base = (h * p.n_split + z) * stride;
      if (live) {
        if (subgroupElect()) {
          part[base] = m;
          part[base + 1u] = l;
        }
        for (uint i = 0u; i < DV; i++) {
          uint d4 = lane + i * SG, b = base + 2u + 4u * d4;
          if (d4 < D4) {
            part[b] = acc[i].x;
            part[b + 1u] = acc[i].y;
            part[b + 2u] = acc[i].z;
            part[b + 3u] = acc[i].w;
          }
        }
      }
      // Publish the part, then count it; the subgroup that counts last
      // merges. The lanes meet at a subgroup operation after their
      // writes, so the count comes after all of them.
      memoryBarrierBuffer();
      float met = subgroupMax(l);
      uint last = 0u;
      if (live && subgroupElect() && met >= 0.0)
        last = atomicAdd(counts[h], 1u) == n_active - 1u ? 1u : 0u;
      last = subgroupMax(last);
      memoryBarrierBuffer();
      if (last != 0u) {
        uint b0 = h * p.n_split * stride;
        float M = -1.0 / 0.0;
        for (uint s2 = lane; s2 < n_active; s2 += SG)
          M = max(M, part[b0 + s2 * stride]);
        M = subgroupMax(M);
        float L = 0.0;
        for (uint s2 = lane; s2 < n_active; s2 += SG)
          L += exp(part[b0 + s2 * stride] - M) * part[b0 + s2 * stride + 1u];
        L = subgroupAdd(L);
        for (uint i = 0u; i < DV; i++)
          acc[i] = vec4(0.0);
        for (uint s2 = 0u; s2 < n_active; s2++) {
          uint bs = b0 + s2 * stride;
          float w = exp(part[bs] - M);
          for (uint i = 0u; i < DV; i++) {
            uint d4 = lane + i * SG, b = bs + 2u + 4u * d4;
            if (d4 < D4)
              acc[i] += w * vec4(part[b], part[b + 1u], part[b + 2u], part[b + 3u]);
          }
        }
        for (uint i = 0u; i < DV; i++) {
          uint d4 = lane + i * SG, b = h * D + 4u * d4;
          if (d4 < D4) {
            vec4 r = acc[i] / L;
            attn[b] = r.x;
            attn[b + 1u] = r.y;
            attn[b + 2u] = r.z;
            attn[b + 3u] = r.w;
          }
        }
        if (subgroupElect())
          counts[h] = 0u;
      }
    }
  }
  grid_arrive();
  if ((p.skip & 4u) == 0u) {
    uint k8 = p.n_heads * D / 8u;
    if (gw < p.hidden)
      o_pf(gw * k8, lane, k8, pa);
  }
  grid_wait();

  // ---- C: x += o . attn ----
  if ((p.skip & 4u) == 0u) {
    uint qd = p.n_heads * D, k8 = qd / 8u;
    for (uint j = t; j < qd / 4u; j += WG)
      xs[j] = vec4(attn[4u * j], attn[4u * j + 1u], attn[4u * j + 2u], attn[4u * j + 3u]);
    barrier();
    for (uint r = gw; r < p.hidden; r += TW) {
      if (r != gw)
        o_pf(r * k8, lane, k8, pa);
      float a = subgroupAdd(o_dot(r * k8, lane, k8, 0u, true, pa));
      if (subgroupElect())
        x[r] += a;
    }
  }
  grid_arrive();
  if ((p.skip & 8u) == 0u) {
    uint k8 = p.hidden / 8u;
    if (gw < p.inter) {
      gu_pf(gw * k8, lane, k8, pa);
      gu_pf((p.inter + gw) * k8, lane, k8, pb);
    }
  }
  grid_wait();

  // ---- D: g = silu(gate . xn) * (up . xn) ----
  if ((p.skip & 8u) == 0u) {
    uint k8 = p.hidden / 8u;
    float inv = stage_norm(true);
    for (uint i = gw; i < p.inter; i += TW) {
      if (i != gw) {
        gu_pf(i * k8, lane, k8, pa);
        gu_pf((p.inter + i) * k8, lane, k8, pb);
      }
      gu_dot2(i * k8, (p.inter + i) * k8, lane, k8, pa, pb, ra, rb);
      ra = subgroupAdd(ra) * inv;
      rb = subgroupAdd(rb) * inv;
      if (subgroupElect())
        g[i] = ra / (1.0 + exp(-ra)) * rb;
    }
  }
  grid_arrive();
  if ((p.skip & 16u) == 0u) {
    uint k8 = p.inter / 8u;
    if (gw < p.hidden)
      down_pf(gw * k8, lane, k8, pa);
  }
  grid_wait();

  // ---- E: x += down . g, g staged XS values at a time ----
  if ((p.skip & 16u) == 0u) {
    uint k8 = p.inter / 8u;
    uint n_rounds = (p.hidden + TW - 1u) / TW;
    for (uint rd = 0u; rd < n_rounds; rd++) {
      uint r = gw + rd * TW;
      bool live = r < p.hidden;
      float acc = 0.0;
      if (rd > 0u && live)
        down_pf(r * k8, lane, k8, pa);
      for (uint c0 = 0u; c0 < p.inter; c0 += XS) {
        uint cn = min(XS, p.inter - c0);
        barrier();
        for (uint j = t; j < cn / 4u; j += WG) {
          uint b = c0 + 4u * j;
          xs[j] = vec4(g[b], g[b + 1u], g[b + 2u], g[b + 3u]);
        }
        barrier();
        if (live) {
          uint jx = c0 / 8u;
          acc += down_dot(r * k8, jx + lane, jx + cn / 8u, jx, c0 == 0u, pa);
        }
      }
      acc = subgroupAdd(acc);
      if (live && subgroupElect())
        x[r] += acc;
    }
  }
}
