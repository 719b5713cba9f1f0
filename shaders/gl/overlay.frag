// Overlay lines and faces; with ROUND the markers (round dots). The two
// are separate programs rather than a uniform branch, which llvmpipe
// would evaluate for every fragment, and only the markers discard (a
// discard costs llvmpipe its early depth test).
in vec4 v_color;
out vec4 o_color;

void main ()
{
#ifdef ROUND
  if (length (gl_PointCoord - vec2 (0.5)) > 0.5)
    discard;
#endif
  o_color = v_color;
}
