// Shared by the compute shaders: the workgroup width as specialization
// constant 0, and workgroup-wide reductions through subgroup arithmetic
// (SUBGROUP variants) or a shared-memory tree (everywhere).
#ifdef SUBGROUP
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WG = 128;   // a power of two

shared float red_f[WG];
shared uint red_u[WG];

float wg_sum(float v)
{
#ifdef SUBGROUP
  float s = subgroupAdd(v);
  if (subgroupElect())
    red_f[gl_SubgroupID] = s;
  barrier();
  float total = 0.0;
  for (uint i = 0; i < gl_NumSubgroups; i++)
    total += red_f[i];
  barrier();
  return total;
#else
  uint t = gl_LocalInvocationID.x;
  red_f[t] = v;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s)
      red_f[t] += red_f[t + s];
    barrier();
  }
  float total = red_f[0];
  barrier();
  return total;
#endif
}

float wg_max(float v)
{
#ifdef SUBGROUP
  float s = subgroupMax(v);
  if (subgroupElect())
    red_f[gl_SubgroupID] = s;
  barrier();
  float m = red_f[0];
  for (uint i = 1; i < gl_NumSubgroups; i++)
    m = max(m, red_f[i]);
  barrier();
  return m;
#else
  uint t = gl_LocalInvocationID.x;
  red_f[t] = v;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s)
      red_f[t] = max(red_f[t], red_f[t + s]);
    barrier();
  }
  float m = red_f[0];
  barrier();
  return m;
#endif
}

// The largest value and, among equals, the smallest index. Indices of
// 0xffffffff mean "nothing".
void wg_argmax(inout float v, inout uint idx)
{
#ifdef SUBGROUP
  float m = subgroupMax(v);
  uint i = subgroupMin(v == m ? idx : 0xffffffffu);
  if (subgroupElect()) {
    red_f[gl_SubgroupID] = m;
    red_u[gl_SubgroupID] = i;
  }
  barrier();
  v = red_f[0];
  idx = red_u[0];
  for (uint k = 1; k < gl_NumSubgroups; k++) {
    float o = red_f[k];
    uint oi = red_u[k];
    if (o > v || (o == v && oi < idx)) {
      v = o;
      idx = oi;
    }
  }
  barrier();
#else
  uint t = gl_LocalInvocationID.x;
  red_f[t] = v;
  red_u[t] = idx;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s) {
      float o = red_f[t + s];
      uint oi = red_u[t + s];
      if (o > red_f[t] || (o == red_f[t] && oi < red_u[t])) {
        red_f[t] = o;
        red_u[t] = oi;
      }
    }
    barrier();
  }
  v = red_f[0];
  idx = red_u[0];
  barrier();
#endif
}

// Workgroups are laid out 2-D when one axis would pass the 65535 limit.
uint group_id()
{
  return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}
