#version 330 core
in vec4 v_color;
uniform bool u_round;   // markers: round dots instead of squares
out vec4 o_color;

void main ()
{
  if (u_round && length (gl_PointCoord - vec2 (0.5)) > 0.5)
    discard;
  o_color = v_color;
}
