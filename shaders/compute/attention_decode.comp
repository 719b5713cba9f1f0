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
layout(std430, binding = 2) readonly buffer V { vec4 vc[]; };
layout(std430, binding = 3) coherent buffer Parts { float part[]; };
layout(std430, binding = 4) readonly buffer S { uint step[]; };
layout(std430, binding = 5) coherent buffer C { uint counts[]; };
layout(std430, binding = 6) writeonly buffer O { float o[]; };

layout(push_constant) uniform P {
  uint n_heads, n_kv_heads, head_dim, kv_stride;
  float scale;
  uint n_split, min_chunk;
} p;

// Keys are taken BLOCK at a time. Scores: WG / BLOCK threads per key share
// its dot product with q (adjacent threads read adjacent words of the key
// row). Values, and the merge of the parts: thread t takes the 4 values
// t % (head_dim / 4) of every G-th key (or part), G = WG / (head_dim / 4),
// and the G partial sums meet in shared memory. Every thread has several
// 16-byte loads in flight and no chain of dependent loads is long.
layout(constant_id = 1) const uint BLOCK = 32;   // divides WG
const uint TPK = WG / BLOCK;

const uint DMAX = 256;          // head_dim <= 4 * WG
shared vec4 qs[DMAX / 4];
shared float sp[WG];
shared float pb[BLOCK];
shared vec4 red4[WG];
shared float wsplit[WG];        // merge weights of the parts (n_split <= WG)
shared bool is_last;

// Sum of the G partial vec4s of threads g * D4 + t, for t < D4.
vec4 sum_groups(vec4 v, uint t, uint D4, uint G)
{
  red4[t] = v;
  barrier();
  vec4 s = vec4(0.0);
  if (t < D4)
    for (uint g = 0; g < G; g++)
      s += red4[g * D4 + t];
  barrier();
  return s;
}

void main()
{
  uint h = gl_WorkGroupID.x, z = gl_WorkGroupID.y;
  uint t = gl_LocalInvocationID.x;
  uint D = p.head_dim, D4 = D / 4, G = WG / D4;
  uint d4 = t % D4, grp = t / D4;
  uint kvh = h / (p.n_heads / p.n_kv_heads);
  uint n_kv = step[3] + 1;
  uint chunk = max(p.min_chunk, ((n_kv + p.n_split - 1) / p.n_split + BLOCK - 1) / BLOCK * BLOCK);
  uint j_begin = z * chunk;
  uint limit = min(n_kv, j_begin + chunk);
  uint key = t / TPK, lane = t % TPK;
  uint kv4 = p.kv_stride / 4, head4 = kvh * D4;

  for (uint d = t; d < D4; d += WG) {
    uint b = h * D + 4 * d;
    qs[d] = vec4(q[b], q[b + 1], q[b + 2], q[b + 3]) * p.scale;
  }
  barrier();

  float m = -1.0 / 0.0, l = 0.0;
  vec4 acc = vec4(0.0);         // values 4t..4t+3, in threads t < D4

  for (uint j0 = j_begin; j0 < limit; j0 += BLOCK) {
    uint j = j0 + key;
    float s = 0.0;
    if (j < limit) {
      uint kb = j * kv4 + head4;
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
    vec4 a = vec4(0.0);
    if (grp < G)
      for (uint jj = grp; jj < nb; jj += G)
        a += pb[jj] * vc[(j0 + jj) * kv4 + head4 + d4];
    acc = acc * corr + sum_groups(a, t, D4, G);
    m = m_new;
  }
  uint n_active = (n_kv + chunk - 1) / chunk;
  uint stride = D + 2;
  uint base = (h * p.n_split + z) * stride;
  if (z < n_active) {
    if (t == 0) {
      part[base] = m;
      part[base + 1] = l;
    }
    if (t < D4) {
      part[base + 2 + 4 * t] = acc.x;
      part[base + 3 + 4 * t] = acc.y;
      part[base + 4 + 4 * t] = acc.z;
      part[base + 5 + 4 * t] = acc.w;
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
  vec4 a = vec4(0.0);
  if (grp < G)
    for (uint s = grp; s < n_active; s += G) {
      uint b = b0 + s * stride + 2 + 4 * d4;
      a += wsplit[s] * vec4(part[b], part[b + 1], part[b + 2], part[b + 3]);
    }
  vec4 r = sum_groups(a, t, D4, G) / L;
  if (t < D4) {
    o[h * D + 4 * t] = r.x;
    o[h * D + 4 * t + 1] = r.y;
    o[h * D + 4 * t + 2] = r.z;
    o[h * D + 4 * t + 3] = r.w;
  }
  if (t == 0)
    counts[h] = 0u;
}
