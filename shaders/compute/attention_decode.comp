#version 450
// Attention of one new query (decode) over the first n_kv rows of the KV
// cache, where n_kv = step[3] + 1 is read from a buffer rather than fixed
// at recording, so that one recorded decode step serves every position.
// The keys are split over n_split workgroups per head (flash-decoding):
// workgroup (h, z) takes keys [z * chunk, (z + 1) * chunk) with an online
// softmax and writes its running max, sum and unnormalised output to
// parts[(h * n_split + z) * (head_dim + 2)] (chunks past n_kv are empty and
// write nothing). The last workgroup of a head to finish, known by an
// atomic count per head, merges the parts into o and sets the count back
// to zero for the next run: no second pass, no barrier between.
// Grouped KV heads: query head h reads KV head h / (n_heads / n_kv_heads).
//   q, o: [n_heads * head_dim], k, v: [rows][kv_stride], counts: u32 [n_heads]
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { vec4 kc[]; };
layout(std430, binding = 2) readonly buffer V { float vc[]; };
layout(std430, binding = 3) coherent buffer Parts { float part[]; };
layout(std430, binding = 4) readonly buffer S { uint step[]; };
layout(std430, binding = 5) coherent buffer C { uint counts[]; };
layout(std430, binding = 6) writeonly buffer O { float o[]; };

layout(push_constant) uniform P {
  uint n_heads, n_kv_heads, head_dim, kv_stride;
  float scale;
  uint n_split, min_chunk;
} p;

// Keys are taken BLOCK at a time: first WG / BLOCK threads per key share
// its dot product with q (adjacent threads read adjacent words of the key
// row, and every thread has several loads in flight), then one thread per
// output value sums the block's values, read across the threads in full
// rows. Short blocks keep the chain of dependent loads per workgroup short.
layout(constant_id = 1) const uint BLOCK = 32;   // divides WG
const uint TPK = WG / BLOCK;

const uint DMAX = 256;
const uint PER = 4;             // head_dim <= PER * WG
shared vec4 qs[DMAX / 4];
shared float sp[WG];
shared float pb[BLOCK];
shared float wsplit[WG];        // merge weights of the parts (n_split <= WG)
shared bool is_last;

void main()
{
  uint h = gl_WorkGroupID.x, z = gl_WorkGroupID.y;
  uint t = gl_LocalInvocationID.x;
  uint D = p.head_dim, D4 = D / 4;
  uint kvh = h / (p.n_heads / p.n_kv_heads);
  uint n_kv = step[3] + 1;
  uint chunk = max(p.min_chunk, ((n_kv + p.n_split - 1) / p.n_split + BLOCK - 1) / BLOCK * BLOCK);
  uint j_begin = z * chunk;
  uint limit = min(n_kv, j_begin + chunk);
  uint key = t / TPK, lane = t % TPK;

  for (uint d = t; d < D4; d += WG) {
    uint b = h * D + 4 * d;
    qs[d] = vec4(q[b], q[b + 1], q[b + 2], q[b + 3]) * p.scale;
  }
  barrier();

  float m = -1.0 / 0.0, l = 0.0;
  float acc[PER];
  for (uint e = 0; e < PER; e++)
    acc[e] = 0.0;

  for (uint j0 = j_begin; j0 < limit; j0 += BLOCK) {
    uint j = j0 + key;
    float s = 0.0;
    if (j < limit) {
      uint kb = (j * p.kv_stride + kvh * D) / 4;
      for (uint d = lane; d < D4; d += TPK)
        s += dot(qs[d], kc[kb + d]);
    }
    sp[t] = s;
    barrier();
    bool live = t < BLOCK && j0 + t < limit;
    float sc = -1.0 / 0.0;
    if (live) {
      sc = 0.0;
      for (uint i = 0; i < TPK; i++)
        sc += sp[t * TPK + i];
    }
    float m_new = max(m, wg_max(sc));
    float pj = live ? exp(sc - m_new) : 0.0;
    if (t < BLOCK)
      pb[t] = pj;
    float corr = exp(m - m_new);
    l = l * corr + wg_sum(pj);      // its barriers also publish pb[]
    uint nb = min(BLOCK, limit - j0);
    for (uint e = 0; e < PER; e++) {
      uint d = t + e * WG;
      if (d >= D)
        break;
      float a = acc[e] * corr;
      uint vb = j0 * p.kv_stride + kvh * D + d;
      for (uint jj = 0; jj < nb; jj++)
        a += pb[jj] * vc[vb + jj * p.kv_stride];
      acc[e] = a;
    }
    m = m_new;
    barrier();
  }
  uint n_active = (n_kv + chunk - 1) / chunk;
  uint stride = D + 2;
  uint base = (h * p.n_split + z) * stride;
  if (z < n_active) {
    if (t == 0) {
      part[base] = m;
      part[base + 1] = l;
    }
    for (uint e = 0; e < PER; e++) {
      uint d = t + e * WG;
      if (d >= D)
        break;
      part[base + 2 + d] = acc[e];
    }
  }
  // Publish the part, then count it; the workgroup that counts last merges.
  memoryBarrierBuffer();
  barrier();
  if (t == 0)
    is_last = atomicAdd(counts[h], 1u) == p.n_split - 1;
  barrier();
  if (!is_last)
    return;
  memoryBarrierBuffer();
  uint b0 = h * p.n_split * stride;
  float ms = t < n_active ? part[b0 + t * stride] : -1.0 / 0.0;
  float M = wg_max(ms);
  float w = t < n_active ? exp(ms - M) : 0.0;
  wsplit[t] = w;
  float L = wg_sum(t < n_active ? w * part[b0 + t * stride + 1] : 0.0);   // publishes wsplit[]
  for (uint d = t; d < D; d += WG) {
    float a = 0.0;
    for (uint s = 0; s < n_active; s++)
      a += wsplit[s] * part[b0 + s * stride + 2 + d];
    o[h * D + d] = a / L;
  }
  if (t == 0)
    counts[h] = 0u;
}
