// Overlay lines and faces; with ROUND the markers (round dots). Variants
// are separate programs rather than uniform branches, which llvmpipe
// would evaluate for every fragment.
in vec4 v_color;
#ifdef CLOUD_TEST
// The CPU point path leaves the cloud's depth in a texture rather than in
// the depth buffer (a full-screen pass writing gl_FragDepth costs more on
// llvmpipe than the whole cloud): fragments behind the cloud drop here.
uniform sampler2D u_cloud_depth;
#endif
out vec4 o_color;

void main ()
{
#ifdef ROUND
  if (length (gl_PointCoord - vec2 (0.5)) > 0.5)
    discard;
#endif
#ifdef CLOUD_TEST
  if (gl_FragCoord.z > texelFetch (u_cloud_depth, ivec2 (gl_FragCoord.xy), 0).r)
    discard;
#endif
  o_color = v_color;
}
