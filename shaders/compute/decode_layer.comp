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
// Work is spread by subgroup, its lanes taking 16-byte words of a row:
// gate|up gives each subgroup whole pairs of rows; q|k|v, o and down, with
// few rows per subgroup, give each workgroup its rows and each subgroup a
// quarter of a row's k, the quarters summed in shared memory, so that every
// subgroup has a like share. The input vector (x * norm weight, or attn) is
// staged in shared memory once per workgroup and phase; down reads g
// through the SM's cache. Before waiting at a grid barrier, every subgroup
// already loads the first weights of its first row of the next phase into
// registers (the weights do not depend on the phase before).
//
// All workgroups must be resident at once (the host launches at most as
// many as the device keeps resident, or one); a spin that lasts past
// spin_limit polls gives up, raises bar[1] (the others then give up too)
// and fail[0], so a wrong residency guess ends in an error, never a hang.
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#include "sincos.glsl"

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 1024;
layout(constant_id = 1) const uint XS = 8192;   // floats staged in shared memory, a multiple of 8
layout(constant_id = 2) const uint DV = 1;      // vec4s of a head per lane: ceil(head_dim / 4 / subgroup size)
const uint KG = 8;                              // keys scored at once in the attention
const uint PF = 8;                              // 16-byte words per lane loaded ahead of a row
layout(constant_id = 3) const uint KSQ = 4;     // q|k|v and o: parts of a row's k, one subgroup each (<= KSMAX)
layout(constant_id = 4) const uint KSD = 4;     // ... and down's
const uint KSMAX = 8;
layout(constant_id = 5) const uint MB = 8;      // attention parts merged at once (their loads issued together)
const uint UB = 32;                             // ... for up to UB rows (pairs) of a workgroup at a time

#ifdef STACK
// All layers in one dispatch (-DSTACK): each layer's weights, norms, bias
// and caches through the addresses in binding 0, nine per layer (q|k|v, o,
// gate|up, down, ln1, ln2, q|k|v bias, k cache, v cache); bindings 1-3,
// 5-7, 11 and 12 are then unused.
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_buffer_reference_uvec2 : require
layout(buffer_reference, std430, buffer_reference_align = 16) readonly buffer RU4 { uvec4 v[]; };
layout(buffer_reference, std430, buffer_reference_align = 4) readonly buffer RF { float v[]; };
layout(buffer_reference, std430, buffer_reference_align = 16) coherent buffer RV4 { vec4 v[]; };
layout(std430, binding = 0) readonly buffer Tab { uvec2 tab[]; };
#define TAB(i) tab[lay * 9u + (i)]
#define WPARAM(T) T W_,
#define WARG(r) r,
#define WAT(ARR, i) W_.v[i]
#define WQKV RU4(TAB(0u))
#define WOUT RU4(TAB(1u))
#define WGU RU4(TAB(2u))
#define WDOWN RU4(TAB(3u))
#define LNW(second) RF(TAB((second) ? 5u : 4u))
#define BQKV(i) RF(TAB(6u)).v[i]
#define KC(i) RV4(TAB(7u)).v[i]
#define VC(i) RV4(TAB(8u)).v[i]
#else
layout(std430, binding = 0) readonly buffer WQKV_ { uvec4 w_qkv[]; };
layout(std430, binding = 1) readonly buffer WO_ { uvec4 w_o[]; };
layout(std430, binding = 2) readonly buffer WGU_ { uvec4 w_gu[]; };
layout(std430, binding = 3) readonly buffer WD_ { uvec4 w_down[]; };
layout(std430, binding = 5) readonly buffer LN1 { float ln1[]; };
layout(std430, binding = 6) readonly buffer LN2 { float ln2[]; };
layout(std430, binding = 7) readonly buffer BQKV_ { float b_qkv[]; };
layout(std430, binding = 11) coherent buffer KC_ { vec4 kc[]; };
layout(std430, binding = 12) coherent buffer VC_ { vec4 vc[]; };
#define WPARAM(T)
#define WARG(r)
#define WAT(ARR, i) ARR[i]
#define BQKV(i) b_qkv[i]
#define KC(i) kc[i]
#define VC(i) vc[i]
#endif
layout(std430, binding = 4) coherent buffer X { float x[]; };
layout(std430, binding = 8) readonly buffer F { float inv_freq[]; };
layout(std430, binding = 9) readonly buffer S { uint step[]; };
layout(std430, binding = 10) coherent buffer Q { float q[]; };
layout(std430, binding = 13) coherent buffer Parts { float part[]; };
layout(std430, binding = 14) coherent buffer C { uint counts[]; };
layout(std430, binding = 15) coherent buffer A { float attn[]; };
layout(std430, binding = 16) coherent buffer G { float g[]; };
layout(std430, binding = 17) coherent volatile buffer Bar { uint bar[]; };   // arrivals, abort
layout(std430, binding = 18) writeonly buffer Fail { uint fail[]; };
// g again, read through the cache of each SM in phase E. No SM reads g
// before the grid barrier that follows phase D in this dispatch, so no SM
// holds an older copy of it there; phase D's writes are in the L2 by then.
// (With STACK each layer has its own g, at lay * inter, for the same
// reason: an SM's cache may still hold the layer before's.)
layout(std430, binding = 19) readonly buffer GR { vec4 g4[]; };

layout(push_constant) uniform P {
  uint hidden, inter, n_heads, n_kv_heads, head_dim, s0, s1;
  float eps, scale;
  uint n_split, min_chunk, spin_limit;
  uint skip;               // bit i: leave phase i (A..E) out (benches time the rest)
  uint n_layers;           // STACK: layers in the table
} p;

shared vec4 xs[XS / 4];
shared float red[WG];
shared float psum[UB * KSMAX * 2];

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
shared uint target;

// ---- grid barrier: a count and a generation, reset by the last arrival ----

// Memory barriers are all in uniform control flow: llvmpipe (Mesa 22)
// synchronises the workgroup at each, so one that only some invocations
// reach breaks its barriers.

// Publishes this workgroup's writes and takes a ticket: bar[0] counts
// arrivals from zero (reset before each step), so this barrier is passed
// once it reaches the next multiple of the workgroup count.
void grid_arrive()
{
  memoryBarrierBuffer();
  barrier();
  if (t == 0u) {
    uint ticket = atomicAdd(bar[0], 1u);
    target = ticket - ticket % NWG + NWG;
  }
}

// Waits for every workgroup to have arrived. (Loads issued between arrive
// and wait stay in flight meanwhile.)
void grid_wait()
{
  if (t == 0u) {
    uint n = 0u;
    while (int(bar[0] - target) < 0) {
      n++;
      if (n >= p.spin_limit || ((n & 255u) == 0u && bar[1] != 0u)) {
        bar[1] = 1u;
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
void NAME##_pf(WPARAM(RU4) uint base, uint j, uint jend, out uvec4 pf[PF]) \
{ \
  for (uint i = 0u; i < PF; i++) \
    pf[i] = j + i * SG < jend ? WAT(ARR, base + j + i * SG) : uvec4(0u); \
} \
float NAME##_dot(WPARAM(RU4) uint base, uint j, uint jend, uint xj, bool use_pf, uvec4 pf[PF]) \
{ \
  float acc = 0.0; \
  if (use_pf) { \
    for (uint i = 0u; i < PF; i++) \
      if (j + i * SG < jend) \
        acc += dot8(pf[i], j + i * SG - xj); \
    j += PF * SG; \
  } \
  for (; j + 7u * SG < jend; j += 8u * SG) { \
    uvec4 w8[8]; \
    for (uint i = 0u; i < 8u; i++) \
      w8[i] = WAT(ARR, base + j + i * SG); \
    for (uint i = 0u; i < 8u; i++) \
      acc += dot8(w8[i], j + i * SG - xj); \
  } \
  for (; j + 3u * SG < jend; j += 4u * SG) { \
    uvec4 a = WAT(ARR, base + j), b = WAT(ARR, base + j + SG), c = WAT(ARR, base + j + 2u * SG), d = WAT(ARR, base + j + 3u * SG); \
    acc += dot8(a, j - xj) + dot8(b, j + SG - xj) + dot8(c, j + 2u * SG - xj) + dot8(d, j + 3u * SG - xj); \
  } \
  for (; j < jend; j += SG) \
    acc += dot8(WAT(ARR, base + j), j - xj); \
  return acc; \
} \
void NAME##_dot2(WPARAM(RU4) uint ba, uint bb, uint j, uint jend, uvec4 pa[PF], uvec4 pb[PF], out float ra, out float rb) \
{ \
  float a0 = 0.0, b0 = 0.0; \
  for (uint i = 0u; i < PF; i++) \
    if (j + i * SG < jend) { \
      a0 += dot8(pa[i], j + i * SG); \
      b0 += dot8(pb[i], j + i * SG); \
    } \
  j += PF * SG; \
  for (; j + 3u * SG < jend; j += 4u * SG) { \
    uvec4 a = WAT(ARR, ba + j), b = WAT(ARR, ba + j + SG), c = WAT(ARR, ba + j + 2u * SG), d = WAT(ARR, ba + j + 3u * SG); \
    uvec4 e = WAT(ARR, bb + j), f = WAT(ARR, bb + j + SG), g_ = WAT(ARR, bb + j + 2u * SG), h = WAT(ARR, bb + j + 3u * SG); \
    a0 += dot8(a, j) + dot8(b, j + SG) + dot8(c, j + 2u * SG) + dot8(d, j + 3u * SG); \
    b0 += dot8(e, j) + dot8(f, j + SG) + dot8(g_, j + 2u * SG) + dot8(h, j + 3u * SG); \
  } \
  for (; j < jend; j += SG) { \
    a0 += dot8(WAT(ARR, ba + j), j); \
    b0 += dot8(WAT(ARR, bb + j), j); \
  } \
  ra = a0; \
  rb = b0; \
}

DEF_ROW(qkv, w_qkv)
DEF_ROW(o, w_o)
DEF_ROW(gu, w_gu)
DEF_ROW(down, w_down)

// Weights 8j..8j+7 of a row times g 8j..8j+7.
#define dot8g(w, j) dot8g_(w, (j) + g0)
float dot8g_(uvec4 w, uint j)
{
  return dot(vec4(unpackHalf2x16(w.x), unpackHalf2x16(w.y)), g4[2u * j])
         + dot(vec4(unpackHalf2x16(w.z), unpackHalf2x16(w.w)), g4[2u * j + 1u]);
}

float down_dotg(WPARAM(RU4) uint base, uint g0, uint j, uint jend, uvec4 pf[PF])
{
  float acc = 0.0;
  for (uint i = 0u; i < PF; i++)
    if (j + i * SG < jend)
      acc += dot8g(pf[i], j + i * SG);
  j += PF * SG;
  for (; j + 7u * SG < jend; j += 8u * SG) {
    uvec4 w8[8];
    for (uint i = 0u; i < 8u; i++)
      w8[i] = WAT(w_down, base + j + i * SG);
    for (uint i = 0u; i < 8u; i++)
      acc += dot8g(w8[i], j + i * SG);
  }
  for (; j + 3u * SG < jend; j += 4u * SG) {
    uvec4 a = WAT(w_down, base + j), b = WAT(w_down, base + j + SG), c = WAT(w_down, base + j + 2u * SG),
          d = WAT(w_down, base + j + 3u * SG);
    acc += dot8g(a, j) + dot8g(b, j + SG) + dot8g(c, j + 2u * SG) + dot8g(d, j + 3u * SG);
  }
  for (; j < jend; j += SG)
    acc += dot8g(WAT(w_down, base + j), j);
  return acc;
}

// ---- staging ----

// xs = x * norm weight (ln2 when second); returns 1 / rms(x).
float stage_norm(WPARAM(RF) bool second)
{
  float ss = 0.0;
  for (uint j = t; j < p.hidden / 4u; j += WG) {
    vec4 v = vec4(x[4u * j], x[4u * j + 1u], x[4u * j + 2u], x[4u * j + 3u]);
#ifdef STACK
    vec4 w = vec4(W_.v[4u * j], W_.v[4u * j + 1u], W_.v[4u * j + 2u], W_.v[4u * j + 3u]);
#else
    vec4 w = second ? vec4(ln2[4u * j], ln2[4u * j + 1u], ln2[4u * j + 2u], ln2[4u * j + 3u])
                    : vec4(ln1[4u * j], ln1[4u * j + 1u], ln1[4u * j + 2u], ln1[4u * j + 3u]);
#endif
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
#ifdef STACK
  uint n_lay = p.n_layers;
#else
  const uint n_lay = 1u;
#endif
  for (uint lay = 0u; lay < n_lay; lay++) {
#ifdef STACK
  uint gofs = lay * p.inter;
#else
  const uint gofs = 0u;
#endif

  // ---- A: RMSNorm, q|k|v, RoPE, cache rows ----
  // Workgroup wg owns rotation pairs wg, wg + NWG, ...; its subgroups take
  // (pair, part of k) items, so that the ~17 pairs of each workgroup spread
  // evenly over its subgroups; the parts meet in shared memory.
  if ((p.skip & 1u) == 0u) {
    uint k8 = p.hidden / 8u, kp = (k8 + KSQ - 1u) / KSQ;
    uint n_units = (p.n_heads + 2u * p.n_kv_heads) * hd;
    uint mine = wg < n_units ? (n_units - 1u - wg) / NWG + 1u : 0u;
    if (sg < min(mine, UB) * KSQ) {
      uint u = wg + (sg / KSQ) * NWG, r1 = (u / hd) * D + u % hd, j0 = (sg % KSQ) * kp;
      qkv_pf(WARG(WQKV) r1 * k8, j0 + lane, min(k8, j0 + kp), pa);
      qkv_pf(WARG(WQKV) (r1 + hd) * k8, j0 + lane, min(k8, j0 + kp), pb);
    }
  }
  // The barrier after the layer before's down (its arrival there).
  if (lay > 0u)
    grid_wait();
  if ((p.skip & 1u) == 0u) {
    uint k8 = p.hidden / 8u, kp = (k8 + KSQ - 1u) / KSQ;
    uint n_units = (p.n_heads + 2u * p.n_kv_heads) * hd;
    uint mine = wg < n_units ? (n_units - 1u - wg) / NWG + 1u : 0u;
    float inv = stage_norm(WARG(LNW(false)) false);
    for (uint ub = 0u; ub < mine; ub += UB) {
      uint nb = min(UB, mine - ub);
      for (uint it = sg; it < nb * KSQ; it += NSG) {
        uint u = wg + (ub + it / KSQ) * NWG, r1 = (u / hd) * D + u % hd, r2 = r1 + hd;
        uint j0 = (it % KSQ) * kp, je = min(k8, j0 + kp);
        if (ub != 0u || it != sg) {
          qkv_pf(WARG(WQKV) r1 * k8, j0 + lane, je, pa);
          qkv_pf(WARG(WQKV) r2 * k8, j0 + lane, je, pb);
        }
        qkv_dot2(WARG(WQKV) r1 * k8, r2 * k8, j0 + lane, je, pa, pb, ra, rb);
        ra = subgroupAdd(ra);
        rb = subgroupAdd(rb);
        if (subgroupElect()) {
          psum[2u * it] = ra;
          psum[2u * it + 1u] = rb;
        }
      }
      barrier();
      for (uint ul = t; ul < nb; ul += WG) {
        uint u = wg + (ub + ul) * NWG, head = u / hd, i = u % hd;
        uint r1 = head * D + i, r2 = r1 + hd;
        float sa = 0.0, sb = 0.0;
        for (uint ks = 0u; ks < KSQ; ks++) {
          sa += psum[2u * (ul * KSQ + ks)];
          sb += psum[2u * (ul * KSQ + ks) + 1u];
        }
        float v0 = sa * inv + BQKV(r1), v1 = sb * inv + BQKV(r2);
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
            KC(b >> 2)[b & 3u] = o1;
            KC(b2 >> 2)[b2 & 3u] = o2;
          } else {
            VC(b >> 2)[b & 3u] = o1;
            VC(b2 >> 2)[b2 & 3u] = o2;
          }
        }
      }
      barrier();
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
        // The group's keys and values loaded together (values do not wait
        // for the scores); past the chunk's end, its last key again.
        vec4 kv[KG][DV], vv[KG][DV];
        for (uint kk = 0u; kk < KG; kk++) {
          uint j = min(j0 + kk, je - 1u);
          for (uint i = 0u; i < DV; i++) {
            uint d4 = min(lane + i * SG, D4 - 1u), b = j * kv4 + head4 + d4;
            kv[kk][i] = KC(b);
            vv[kk][i] = VC(b);
          }
        }
        float s[KG];
        for (uint kk = 0u; kk < KG; kk++) {
          float d = 0.0;
          for (uint i = 0u; i < DV; i++)
            if (lane + i * SG < D4)
              d += dot(qv[i], kv[kk][i]);
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
          float pj = j0 + kk < je ? exp(s[kk] - mb) : 0.0;
          l += pj;
          for (uint i = 0u; i < DV; i++)
            acc[i] += pj * vv[kk][i];
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
        // One pass over the parts, MB at a time (their loads issued
        // together), rescaled as the running maximum grows.
        float M = -1.0 / 0.0, L = 0.0;
        for (uint i = 0u; i < DV; i++)
          acc[i] = vec4(0.0);
        for (uint s0 = 0u; s0 < n_active; s0 += MB) {
          float pm[MB], pl[MB];
          vec4 v[MB][DV];
          for (uint u = 0u; u < MB; u++) {
            uint bs = b0 + min(s0 + u, n_active - 1u) * stride;
            pm[u] = part[bs];
            pl[u] = part[bs + 1u];
            for (uint i = 0u; i < DV; i++) {
              uint d4 = min(lane + i * SG, D4 - 1u), b = bs + 2u + 4u * d4;
              v[u][i] = vec4(part[b], part[b + 1u], part[b + 2u], part[b + 3u]);
            }
          }
          float mb = M;
          for (uint u = 0u; u < MB; u++)
            if (s0 + u < n_active)
              mb = max(mb, pm[u]);
          float c = exp(M - mb);
          L *= c;
          for (uint i = 0u; i < DV; i++)
            acc[i] *= c;
          for (uint u = 0u; u < MB; u++) {
            float w = s0 + u < n_active ? exp(pm[u] - mb) : 0.0;
            L += w * pl[u];
            for (uint i = 0u; i < DV; i++)
              acc[i] += w * v[u][i];
          }
          M = mb;
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
    uint k8 = p.n_heads * D / 8u, kp = (k8 + KSQ - 1u) / KSQ;
    uint mine = wg < p.hidden ? (p.hidden - 1u - wg) / NWG + 1u : 0u;
    if (sg < min(mine, UB) * KSQ) {
      uint j0 = (sg % KSQ) * kp;
      o_pf(WARG(WOUT) (wg + (sg / KSQ) * NWG) * k8, j0 + lane, min(k8, j0 + kp), pa);
    }
  }
  grid_wait();

  // ---- C: x += o . attn (rows owned by workgroups, k split as in A) ----
  if ((p.skip & 4u) == 0u) {
    uint qd = p.n_heads * D, k8 = qd / 8u, kp = (k8 + KSQ - 1u) / KSQ;
    uint mine = wg < p.hidden ? (p.hidden - 1u - wg) / NWG + 1u : 0u;
    for (uint j = t; j < qd / 4u; j += WG)
      xs[j] = vec4(attn[4u * j], attn[4u * j + 1u], attn[4u * j + 2u], attn[4u * j + 3u]);
    barrier();
    for (uint ub = 0u; ub < mine; ub += UB) {
      uint nb = min(UB, mine - ub);
      for (uint it = sg; it < nb * KSQ; it += NSG) {
        uint r = wg + (ub + it / KSQ) * NWG, j0 = (it % KSQ) * kp, je = min(k8, j0 + kp);
        if (ub != 0u || it != sg)
          o_pf(WARG(WOUT) r * k8, j0 + lane, je, pa);
        float a = subgroupAdd(o_dot(WARG(WOUT) r * k8, j0 + lane, je, 0u, true, pa));
        if (subgroupElect())
          psum[it] = a;
      }
      barrier();
      for (uint ul = t; ul < nb; ul += WG) {
        float a = 0.0;
        for (uint ks = 0u; ks < KSQ; ks++)
          a += psum[ul * KSQ + ks];
        x[wg + (ub + ul) * NWG] += a;
      }
      barrier();
    }
  }
  grid_arrive();
  if ((p.skip & 8u) == 0u) {
    uint k8 = p.hidden / 8u;
    if (gw < p.inter) {
      gu_pf(WARG(WGU) gw * k8, lane, k8, pa);
      gu_pf(WARG(WGU) (p.inter + gw) * k8, lane, k8, pb);
    }
  }
  grid_wait();

  // ---- D: g = silu(gate . xn) * (up . xn) ----
  if ((p.skip & 8u) == 0u) {
    uint k8 = p.hidden / 8u;
    float inv = stage_norm(WARG(LNW(true)) true);
    for (uint i = gw; i < p.inter; i += TW) {
      if (i != gw) {
        gu_pf(WARG(WGU) i * k8, lane, k8, pa);
        gu_pf(WARG(WGU) (p.inter + i) * k8, lane, k8, pb);
      }
      gu_dot2(WARG(WGU) i * k8, (p.inter + i) * k8, lane, k8, pa, pb, ra, rb);
      ra = subgroupAdd(ra) * inv;
      rb = subgroupAdd(rb) * inv;
      if (subgroupElect())
        g[gofs + i] = ra / (1.0 + exp(-ra)) * rb;
    }
  }
  grid_arrive();
  if ((p.skip & 16u) == 0u) {
    uint k8 = p.inter / 8u, kp = (k8 + KSD - 1u) / KSD;
    uint mine = wg < p.hidden ? (p.hidden - 1u - wg) / NWG + 1u : 0u;
    if (sg < min(mine, UB) * KSD) {
      uint j0 = (sg % KSD) * kp;
      down_pf(WARG(WDOWN) (wg + (sg / KSD) * NWG) * k8, j0 + lane, min(k8, j0 + kp), pa);
    }
  }
  grid_wait();

  // ---- E: x += down . g (g through the SM's cache, as matvec.comp; rows
  // owned by workgroups, k split as in A: whole rows per subgroup left
  // half of them with two rows and half with one) ----
  if ((p.skip & 16u) == 0u) {
    uint k8 = p.inter / 8u, kp = (k8 + KSD - 1u) / KSD, g0 = gofs / 8u;
    uint mine = wg < p.hidden ? (p.hidden - 1u - wg) / NWG + 1u : 0u;
    for (uint ub = 0u; ub < mine; ub += UB) {
      uint nb = min(UB, mine - ub);
      for (uint it = sg; it < nb * KSD; it += NSG) {
        uint r = wg + (ub + it / KSD) * NWG, j0 = (it % KSD) * kp, je = min(k8, j0 + kp);
        if (ub != 0u || it != sg)
          down_pf(WARG(WDOWN) r * k8, j0 + lane, je, pa);
        float a = subgroupAdd(down_dotg(WARG(WDOWN) r * k8, g0, j0 + lane, je, pa));
        if (subgroupElect())
          psum[it] = a;
      }
      barrier();
      for (uint ul = t; ul < nb; ul += WG) {
        float a = 0.0;
        for (uint ks = 0u; ks < KSD; ks++)
          a += psum[ul * KSD + ks];
        x[wg + (ub + ul) * NWG] += a;
      }
      barrier();
    }
  }
  if (lay + 1u < n_lay)
    grid_arrive();
  }
}
