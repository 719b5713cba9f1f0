#version 450
// Attention for one query row and one head per workgroup, streaming over
// the keys in blocks of WG with an online softmax (running max and sum), so
// no score matrix is ever stored. Grouped KV heads: query head h reads KV
// head h / (n_heads / n_kv_heads). Causal: query i sits at position
// q_pos0 + i and sees keys 0..q_pos0 + i.
//   q: [n_q][q_stride], k, v: [n_kv][kv_stride], o: [n_q][o_stride]
// SPLIT (decode, flash-decoding): workgroup z takes keys [z * chunk, ...)
// only and writes its running max, sum and unnormalised output to
// o[((i * n_heads + h) * n_split + z) * (head_dim + 2)]; attention_combine
// merges the parts.
#include "common.glsl"

layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { vec4 kc[]; };
layout(std430, binding = 2) readonly buffer V { float vc[]; };
layout(std430, binding = 3) writeonly buffer O { float o[]; };

layout(push_constant) uniform P {
  uint n_q, n_kv, q_pos0, n_heads, n_kv_heads, head_dim, q_stride, kv_stride, o_stride, causal;
  float scale;
  uint chunk, n_split;
} p;

const uint DMAX = 256;
const uint PER = 4;             // head_dim <= PER * WG
shared vec4 qs[DMAX / 4];
shared float ps[WG];

void main()
{
  uint i = gl_WorkGroupID.x, h = gl_WorkGroupID.y;
  uint t = gl_LocalInvocationID.x;
  uint D = p.head_dim;
  uint kvh = h / (p.n_heads / p.n_kv_heads);
  uint limit = p.causal != 0 ? min(p.n_kv, p.q_pos0 + i + 1) : p.n_kv;
#ifdef SPLIT
  uint j_begin = gl_WorkGroupID.z * p.chunk;
  limit = min(limit, j_begin + p.chunk);
#else
  uint j_begin = 0;
#endif

  for (uint d = t; d < D / 4; d += WG) {
    uint b = i * p.q_stride + h * D + 4 * d;
    qs[d] = vec4(q[b], q[b + 1], q[b + 2], q[b + 3]) * p.scale;
  }
  barrier();

  float m = -1.0 / 0.0, l = 0.0;
  float acc[PER];
  for (uint e = 0; e < PER; e++)
    acc[e] = 0.0;

  for (uint j0 = j_begin; j0 < limit; j0 += WG) {
    uint j = j0 + t;
    float s = -1.0 / 0.0;
    if (j < limit) {
      uint kb = (j * p.kv_stride + kvh * D) / 4;
      float dotv = 0.0;
      for (uint d = 0; d < D / 4; d++)
        dotv += dot(qs[d], kc[kb + d]);
      s = dotv;
    }
    float m_new = max(m, wg_max(s));
    float pj = j < limit ? exp(s - m_new) : 0.0;
    ps[t] = pj;
    float corr = exp(m - m_new);
    l = l * corr + wg_sum(pj);      // its barriers also publish ps[]
    uint nb = min(WG, limit - j0);
    for (uint e = 0; e < PER; e++) {
      uint d = t + e * WG;
      if (d >= D)
        break;
      float a = acc[e] * corr;
      uint vb = j0 * p.kv_stride + kvh * D + d;
      for (uint jj = 0; jj < nb; jj++)
        a += ps[jj] * vc[vb + jj * p.kv_stride];
      acc[e] = a;
    }
    m = m_new;
    barrier();
  }
#ifdef SPLIT
  uint base = ((i * p.n_heads + h) * p.n_split + gl_WorkGroupID.z) * (D + 2);
  if (t == 0) {
    o[base] = m;
    o[base + 1] = l;
  }
  for (uint e = 0; e < PER; e++) {
    uint d = t + e * WG;
    if (d >= D)
      break;
    o[base + 2 + d] = acc[e];
  }
#else
  for (uint e = 0; e < PER; e++) {
    uint d = t + e * WG;
    if (d >= D)
      break;
    o[i * p.o_stride + h * D + d] = acc[e] / l;
  }
#endif
}
