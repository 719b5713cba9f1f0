// Shared by the rotary-embedding shaders (rope.comp, matvec_norm.comp).
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
