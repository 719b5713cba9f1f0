/* Benchmark: one simulated sample, as `jaeger sim` writes it.
 *
 * The target: one sample with 13 s of audio and RT60 0.6 s in
 * under 0.3 s on one core. Measured here in the same run: the whole sample
 * (layout + render + IR + espeak-ng speech + FFT convolution + writing),
 * the same without audio, the direct-path-only case, and the per-sample
 * cost within a longer run (espeak-ng utterances cached). Median of
 * several seeds; the simulator is single-threaded. Reports wall time and
 * CPU time (this process plus the espeak-ng children), since a shared
 * machine inflates wall time. */
#include "core/jg-file-util.h"
#include "sim/jg-sim.h"

#include <glib/gstdio.h>
#include <sys/resource.h>
#include <stdio.h>
#include <stdlib.h>

#define RUNS 7

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
cpu_seconds (void)
{
  struct rusage self, kids;

  getrusage (RUSAGE_SELF, &self);
  getrusage (RUSAGE_CHILDREN, &kids);
  return self.ru_utime.tv_sec + self.ru_stime.tv_sec + kids.ru_utime.tv_sec + kids.ru_stime.tv_sec
         + (self.ru_utime.tv_usec + self.ru_stime.tv_usec + kids.ru_utime.tv_usec
            + kids.ru_stime.tv_usec) / 1e6;
}

static double
time_sample (double rt60, gboolean audio, double speech_seconds, guint per_scene, double *cpu_median)
{
  double t[RUNS], cpu[RUNS];

  for (int r = 0; r < RUNS; r++)
    {
      g_autofree char *dir = g_dir_make_tmp ("jaeger-bench-sim-XXXXXX", NULL);
      g_autoptr(GError) error = NULL;
      JgSimOptions o;
      gint64 t0;
      double c0;

      jg_sim_options_init (&o);
      o.out_dir = dir;
      o.seed = 100 + r;
      o.rt60 = rt60;
      o.no_audio = !audio;
      o.speech_seconds = speech_seconds;
      o.task1_per_scene = per_scene;
      o.task2_per_scene = 0;
      o.shoebox = TRUE;
      o.lshape = FALSE;
      c0 = cpu_seconds ();
      t0 = g_get_monotonic_time ();
      if (!jg_sim_run (&o, NULL, NULL, &error))
        {
          fprintf (stderr, "bench-sim: %s\n", error->message);
          exit (1);
        }
      t[r] = (g_get_monotonic_time () - t0) / 1e6 / per_scene;
      cpu[r] = (cpu_seconds () - c0) / per_scene;
      jg_file_remove_tree (dir, NULL);
    }
  qsort (t, RUNS, sizeof t[0], cmp_double);
  qsort (cpu, RUNS, sizeof cpu[0], cmp_double);
  *cpu_median = cpu[RUNS / 2];
  return t[RUNS / 2];
}

int
main (void)
{
  double c_full, c_silent, c_direct, c_run;
  double full = time_sample (0.6, TRUE, 13.0, 1, &c_full);
  double silent = time_sample (0.6, FALSE, 13.0, 1, &c_silent);
  double direct = time_sample (0.0, TRUE, 13.0, 1, &c_direct);
  double run = time_sample (0.6, TRUE, 13.0, 8, &c_run);

  printf ("sim: one task1 sample, 13 s speech, RT60 0.6 s: %.3f s wall, %.3f s CPU (median of %d)\n",
          full, c_full, RUNS);
  printf ("sim: the same with --no-audio (layout, render, IR, PNG/NPY): %.3f s wall, %.3f s CPU\n",
          silent, c_silent);
  printf ("sim: 13 s speech, direct path only (--rt60 0): %.3f s wall, %.3f s CPU\n", direct, c_direct);
  printf ("sim: per sample in a run of 8 (speech cache warm), RT60 0.6 s: %.3f s wall, %.3f s CPU\n",
          run, c_run);
  printf ("sim: target < 0.300 s CPU per sample on one core: %s\n", c_full < 0.3 ? "met" : "NOT met");
  return 0;
}
