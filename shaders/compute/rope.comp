#version 450
// Rotary position embedding in place on x[token][head][d] (rotate-half
// pairs d and d + D/2). Each frequency i < D/2 takes its position from one
// of three axes: i < s0 the first (temporal), i < s0 + s1 the second
// (height), else the third (width); plain RoPE is s0 = D/2. pos holds
// the three axes one after another (axis * pos_stride + token).
layout(local_size_x = 256) in;

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Pos { uint pos[]; };
layout(std430, binding = 2) readonly buffer F { float inv_freq[]; };

layout(push_constant) uniform P {
  uint n_tok, n_heads, head_dim, row_stride, pos_stride, s0, s1;
} p;

// sin and cos to about 1e-7 whatever the driver's own precision: reduce by
// multiples of pi/2 (pi/2 in three parts, fused multiply-adds), then the
// single-precision minimax polynomials of Cephes on [-pi/4, pi/4].
void sincos_accurate(float a, out float s, out float c)
{
  float q = floor(a * 0.63661977236758134 + 0.5);
  float r = fma(-q, 1.5703125, a);
  r = fma(-q, 4.837512969970703125e-4, r);
  r = fma(-q, 7.549789954891862e-8, r);
  float r2 = r * r;
  float sr = r + r * r2 * (-1.6666654611e-1 + r2 * (8.3321608736e-3 + r2 * -1.9515295891e-4));
  float cr = 1.0 - 0.5 * r2 + r2 * r2 * (4.166664568298827e-2 + r2 * (-1.388731625493765e-3
                                                                     + r2 * 2.443315711809948e-5));
  int quadrant = int(q) & 3;
  if (quadrant == 0) { s = sr; c = cr; }
  else if (quadrant == 1) { s = cr; c = -sr; }
  else if (quadrant == 2) { s = -sr; c = -cr; }
  else { s = -cr; c = sr; }
}

void main()
{
  uint half_d = p.head_dim / 2;
  uint g = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * 256 + gl_LocalInvocationID.x;
  if (g >= p.n_tok * p.n_heads * half_d)
    return;
  uint i = g % half_d;
  uint h = (g / half_d) % p.n_heads;
  uint tok = g / (half_d * p.n_heads);
  uint axis = i < p.s0 ? 0 : (i < p.s0 + p.s1 ? 1 : 2);
  float angle = float(pos[axis * p.pos_stride + tok]) * inv_freq[i];
  float s, c;
  sincos_accurate(angle, s, c);
  uint base = tok * p.row_stride + h * p.head_dim;
  float x1 = x[base + i], x2 = x[base + i + half_d];
  x[base + i] = x1 * c - x2 * s;
  x[base + i + half_d] = x2 * c + x1 * s;
}
