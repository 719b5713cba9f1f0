/* bench-qwen2: decode speed of a Qwen2 model folder (config.json +
 * safetensors, e.g. the random 7B-shaped one of bench/qwen2-7b-random.py)
 * on each decode path, weights loaded once:
 *   bench-qwen2 MODEL_DIR [PROMPT_TOKENS [NEW_TOKENS [TUNING...]]]
 * A prompt of random byte ids (700 by default), then greedy decoding of 64
 * tokens, with the replayed step, the per-call recording, the replayed step
 * with each TUNING (workgroup shapes, rows/threads, e.g.
 * "qkv=1/64,gu=2/128,head=4/128,o=2/128,down=2/128"), and the default
 * replayed step again; wall and GPU time per token, and whether the paths
 * chose the same tokens (replay runs use the model's own shapes, as
 * jaeger generate does). A TUNING of "q8" instead loads 8-bit copies too and
 * ends with their decode speed and their logits against f16's, step by
 * step on the f16 run's tokens (teacher forcing). A TUNING of "persist"
 * (or "persist=WORKGROUPS/THREADS") runs the persistent step (one dispatch
 * per layer, jg_qwen2_set_persistent; default: as many workgroups as stay
 * resident, 512 threads); "stack" (or "stack=WORKGROUPS/THREADS") the
 * same with all layers in one dispatch (jg_qwen2_set_persistent_stack);
 * either may end in ":Q/D[/C/M]", the k split of q|k|v and o, and of
 * down, the attention's keys per part and parts merged at once
 * (jg_qwen2_set_persistent_split; e.g. "stack:2/4", "stack:4/4/16/16").
 * The first run of each compares its logits with the first replay's, step
 * by step (both download them each token, which their wall times include;
 * later runs do not). Any TUNING may end in "@D": that run decodes with D
 * steps in flight (jg_qwen2_set_pipeline; 0: unpipelined); "replay@D" is
 * the replayed step (default shapes, no persistent kernel) so. Other runs
 * use the model's default (JAEGER_DECODE_PIPELINE, else 2). */
#include "inference/jg-qwen2.h"
#include "inference/jg-model-config.h"
#include "inference/jg-weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NEW 512
#define MAX_RUNS 12

/* "name=rows/threads,..." into t; FALSE on a bad string. */
static gboolean
parse_tuning (const char *arg, JgQwen2Tuning *t)
{
  g_auto(GStrv) parts = g_strsplit (arg, ",", -1);

  memset (t, 0, sizeof *t);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      char name[16];
      guint rows, wg;
      if (sscanf (parts[i], "%15[a-z_]=%u/%u", name, &rows, &wg) != 3)
        return FALSE;
      if (strcmp (name, "qkv") == 0)
        t->qkv = (JgDecodeTuning) { rows, wg };
      else if (strcmp (name, "gu") == 0)
        t->gate_up = (JgDecodeTuning) { rows, wg };
      else if (strcmp (name, "head") == 0)
        t->head = (JgDecodeTuning) { rows, wg };
      else if (strcmp (name, "o") == 0)
        t->o = (JgLinearOptions) { JG_LINEAR_MATVEC, rows, wg };
      else if (strcmp (name, "down") == 0)
        t->down = (JgLinearOptions) { JG_LINEAR_MATVEC, rows, wg };
      else
        return FALSE;
    }
  return TRUE;
}

typedef struct {
  guint n;
  guint32 tokens[MAX_NEW];
  JgQwen2 *model;
  float *logits;          /* rows of vocab floats, or NULL */
  gsize vocab;
} Collect;

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static gboolean
collect (guint32 token, gpointer data)
{
  Collect *c = data;
  if (c->n >= MAX_NEW)
    return TRUE;
  if (c->logits != NULL && !jg_qwen2_get_logits (c->model, c->logits + c->n * c->vocab, NULL))
    return FALSE;
  c->tokens[c->n++] = token;
  return TRUE;
}

/* max |a - b| / max |b|, and ||a - b|| / ||b||. */
static void
logit_errors (const float *a, const float *b, gsize n, double *max_rel, double *l2)
{
  double dmax = 0, bmax = 0, d2 = 0, b2 = 0;
  for (gsize i = 0; i < n; i++)
    {
      double d = (double) a[i] - b[i];
      dmax = MAX (dmax, fabs (d));
      bmax = MAX (bmax, fabs (b[i]));
      d2 += d * d;
      b2 += (double) b[i] * b[i];
    }
  *max_rel = dmax / MAX (bmax, 1e-30);
  *l2 = sqrt (d2 / MAX (b2, 1e-30));
}

static guint
argmax (const float *x, gsize n)
{
  guint best = 0;
  for (gsize i = 1; i < n; i++)
    if (x[i] > x[best])
      best = (guint) i;
  return best;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JgVkContext) ctx = NULL;
  g_autoptr(JgWeights) w = NULL;
  g_autoptr(JgQwen2) model = NULL;
  JgQwen2Config cfg;
  guint n_prompt = argc > 2 ? (guint) atoi (argv[2]) : 700, n_new = argc > 3 ? (guint) atoi (argv[3]) : 64;
  g_autofree guint32 *prompt = NULL;
  g_autofree Collect *runs = g_new0 (Collect, MAX_RUNS);
  const char *names[MAX_RUNS];
  JgQwen2Tuning tunes[MAX_RUNS];
  gboolean tuned[MAX_RUNS] = { FALSE };
  guint persist_wg[MAX_RUNS] = { 0 }, persist_threads[MAX_RUNS] = { 0 };
  gboolean stack[MAX_RUNS] = { FALSE };
  guint ks[MAX_RUNS][4] = { { 0 } };
  gboolean any_persist = FALSE;
  guint depth[MAX_RUNS];
  char *args[MAX_RUNS + 4] = { NULL };
  guint n_runs = 0;
  gboolean q8 = FALSE;
  gint64 t0;

  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc < 2 || n_prompt == 0 || n_new < 2 || n_new > MAX_NEW || argc > MAX_RUNS)
    {
      fprintf (stderr, "usage: bench-qwen2 MODEL_DIR [PROMPT_TOKENS [NEW_TOKENS (2..%d) [TUNING...]]]\n",
               MAX_NEW);
      return 2;
    }
  /* replay (default shapes), percall, each tuning, replay again. */
  memset (tunes, 0, sizeof tunes);
  for (guint i = 0; i < MAX_RUNS; i++)
    depth[i] = G_MAXUINT;
  names[n_runs++] = "replay";
  names[n_runs++] = "percall";
  for (int a = 4; a < argc; a++)
    {
      /* "@D": this run's steps in flight, stripped before the rest is read. */
      char *at = strchr (argv[a], '@');
      if (at != NULL)
        {
          names[n_runs] = args[a] = g_strdup (argv[a]);
          depth[n_runs] = (guint) atoi (at + 1);
          *at = '\0';
          if (strcmp (argv[a], "replay") == 0)
            {
              n_runs++;
              continue;
            }
        }
      if (strcmp (argv[a], "q8") == 0)
        {
          q8 = TRUE;
          continue;
        }
      if (strncmp (argv[a], "persist", 7) == 0 || strncmp (argv[a], "stack", 5) == 0)
        {
          guint len = argv[a][0] == 's' ? 5 : 7;
          stack[n_runs] = argv[a][0] == 's';
          persist_wg[n_runs] = JG_QWEN2_PERSISTENT_AUTO;
          const char *split = strchr (argv[a], ':');
          if ((argv[a][len] == '='
               && sscanf (argv[a] + len + 1, "%u/%u", &persist_wg[n_runs], &persist_threads[n_runs]) != 2)
              || (split != NULL && (sscanf (split + 1, "%u/%u/%u/%u", &ks[n_runs][0], &ks[n_runs][1],
                                            &ks[n_runs][2], &ks[n_runs][3]) < 2
                                    || ks[n_runs][0] > 8 || ks[n_runs][1] > 8 || ks[n_runs][2] % 8 != 0
                                    || ks[n_runs][3] > 16)))
            {
              fprintf (stderr, "bench-qwen2: bad '%s' (persist[=WORKGROUPS/THREADS][:Q/D] or stack...)\n", argv[a]);
              return 2;
            }
          any_persist = TRUE;
          names[n_runs] = args[a] ? args[a] : argv[a];
          n_runs++;
          continue;
        }
      if (!parse_tuning (argv[a], &tunes[n_runs]))
        {
          fprintf (stderr, "bench-qwen2: bad tuning '%s'\n", argv[a]);
          return 2;
        }
      tuned[n_runs] = TRUE;
      names[n_runs] = args[a] ? args[a] : argv[a];
      n_runs++;
    }
  names[n_runs++] = "replay";
  t0 = g_get_monotonic_time ();
  if (!jg_qwen2_config_load (argv[1], &cfg, &error) || (w = jg_weights_open (argv[1], NULL, 0, &error)) == NULL
      || (ctx = jg_vk_context_new (NULL, &error)) == NULL
      || (model = jg_qwen2_new_with_options (ctx, &cfg, w, n_prompt + n_new, &(JgQwen2Options) { .q8 = q8 },
                                             &error)) == NULL)
    {
      fprintf (stderr, "bench-qwen2: %s\n", error->message);
      return 1;
    }
  g_clear_pointer (&w, jg_weights_free);
  printf ("bench-qwen2 %s on %s: loaded in %.1f s\n", argv[1], jg_vk_context_get_info (ctx)->name,
          (g_get_monotonic_time () - t0) * 1e-6);
  prompt = g_new (guint32, n_prompt);
  {
    g_autoptr(GRand) r = g_rand_new_with_seed (1);
    for (guint i = 0; i < n_prompt; i++)
      prompt[i] = (guint32) g_rand_int_range (r, 97, 123);
  }
  {
    /* The prompt's prefill with the fused kernels and without, alternating
     * (three rounds of each first: pipelines, clocks); the last-position
     * logits of the two compared. */
    gsize vocab = (gsize) cfg.vocab_size;
    g_autofree float *lf = g_new (float, vocab), *lu = g_new (float, vocab);
    double tf[5], tu[5];
    gboolean have_fused = jg_qwen2_set_fused_prefill (model, TRUE);
    for (guint r = 0; have_fused && r < 8; r++)
      for (guint f = 0; f < 2; f++)
        {
          jg_qwen2_set_fused_prefill (model, f == 1);
          jg_qwen2_reset (model);
          if (!jg_qwen2_forward (model, prompt, n_prompt, NULL, f ? lf : lu, &error))
            {
              fprintf (stderr, "bench-qwen2: %s\n", error->message);
              return 1;
            }
          if (r >= 3)
            (f ? tf : tu)[r - 3] = jg_qwen2_get_last_gpu_seconds (model);
        }
    if (have_fused)
      {
        double num = 0, den = 0;
        gsize af = 0, au = 0;
        for (gsize i = 0; i < vocab; i++)
          {
            num += ((double) lf[i] - lu[i]) * ((double) lf[i] - lu[i]);
            den += (double) lu[i] * lu[i];
            af = lf[i] > lf[af] ? i : af;
            au = lu[i] > lu[au] ? i : au;
          }
        qsort (tf, 5, sizeof tf[0], cmp_double);
        qsort (tu, 5, sizeof tu[0], cmp_double);
        printf ("prefill %u tokens, GPU median of 5: fused %.2f ms (%.2f-%.2f), unfused %.2f ms (%.2f-%.2f); "
                "last logits fused vs unfused: normalised error %.2e, argmax %zu / %zu\n",
                n_prompt, tf[2] * 1e3, tf[0] * 1e3, tf[4] * 1e3, tu[2] * 1e3, tu[0] * 1e3, tu[4] * 1e3,
                sqrt (num / den), af, au);
      }
    jg_qwen2_set_fused_prefill (model, TRUE);
  }
  jg_qwen2_set_q8 (model, FALSE);
  {
    guint def = jg_qwen2_get_pipeline (model);
    for (guint i = 0; i < MAX_RUNS; i++)
      depth[i] = depth[i] == G_MAXUINT ? def : depth[i];
  }
  runs[0].model = model;
  runs[0].vocab = (gsize) cfg.vocab_size;
  runs[0].logits = q8 || any_persist ? g_try_new (float, (gsize) n_new * cfg.vocab_size) : NULL;
  for (guint p = 0; p < n_runs; p++)
    {
      JgGenerateOptions o = { .max_tokens = n_new };
      JgGenerateStats s;
      jg_qwen2_set_replay (model, p != 1);
      jg_qwen2_set_pipeline (model, depth[p]);
      if (persist_wg[p] != 0)
        {
          /* The first persistent run keeps its logits (whose downloads
           * count in its wall time); later ones time the step alone. */
          gboolean first = TRUE;
          for (guint e = 2; e < p; e++)
            first = first && (persist_wg[e] == 0 || stack[e] != stack[p]);
          runs[p].model = model;
          runs[p].vocab = (gsize) cfg.vocab_size;
          runs[p].logits = first ? g_try_new (float, (gsize) n_new * cfg.vocab_size) : NULL;
          if (jg_qwen2_set_persistent (model, persist_wg[p], persist_threads[p]) == 0)
            printf ("%s: the persistent step is not available on this device (runs the replayed kernels)\n",
                    names[p]);
          jg_qwen2_set_persistent_split (model, ks[p][0], ks[p][1], ks[p][2], ks[p][3]);
          if (jg_qwen2_set_persistent_stack (model, stack[p]) != stack[p])
            printf ("%s: no buffer device addresses here (runs one dispatch per layer)\n", names[p]);
        }
      else
        jg_qwen2_set_persistent (model, 0, 0);
      /* Untuned runs: the model's own shapes, as jaeger generate. */
      jg_qwen2_set_tuning (model, tuned[p] ? &tunes[p] : NULL);
      /* Builds the pipelines and records the step outside the timing. */
      {
        JgGenerateOptions warm = { .max_tokens = 2 };
        Collect c = { 0 };
        jg_qwen2_reset (model);
        if (!jg_qwen2_generate (model, prompt, n_prompt, &warm, collect, &c, NULL, NULL, &error))
          {
            fprintf (stderr, "bench-qwen2: %s\n", error->message);
            return 1;
          }
        jg_qwen2_reset (model);
      }
      jg_qwen2_reset (model);
      if (!jg_qwen2_generate (model, prompt, n_prompt, &o, collect, &runs[p], NULL, &s, &error))
        {
          fprintf (stderr, "bench-qwen2: %s\n", error->message);
          return 1;
        }
      if (persist_wg[p] != 0)
        printf ("(persistent step: %u workgroups in use after the run%s)\n", jg_qwen2_get_persistent (model),
                jg_qwen2_get_persistent_stack (model) ? ", all layers in one dispatch" : "");
      printf ("%s (%u in flight)\n  prefill %u tokens %.1f ms (GPU %.1f ms); decode %u tokens: %.3f ms/token wall, "
              "%.3f ms/token GPU, %.1f tokens/s\n", names[p], jg_qwen2_get_pipeline (model), s.n_prompt, s.prefill_s * 1e3, s.prefill_gpu_s * 1e3,
              s.n_generated, s.decode_s * 1e3 / (s.n_generated - 1), s.decode_gpu_s * 1e3 / (s.n_generated - 1),
              (s.n_generated - 1) / s.decode_s);
    }
  if (q8)
    {
      JgGenerateOptions o = { .max_tokens = n_new };
      JgGenerateStats s;
      Collect *c = g_new0 (Collect, 1);
      g_autofree float *row = g_new (float, cfg.vocab_size);
      double worst_max = 0, worst_l2 = 0, sum_max = 0;
      guint agree = 0, same = 0;

      jg_qwen2_set_q8 (model, TRUE);
      jg_qwen2_set_tuning (model, NULL);
      for (int timed = 0; timed < 2; timed++)   /* the first builds the pipelines */
        {
          c->n = 0;
          jg_qwen2_reset (model);
          if (!jg_qwen2_generate (model, prompt, n_prompt, &o, collect, c, NULL, &s, &error))
            {
              fprintf (stderr, "bench-qwen2: %s\n", error->message);
              return 1;
            }
        }
      printf ("q8 (8-bit copies, blocks of 32)\n  prefill %u tokens %.1f ms (GPU %.1f ms); decode %u tokens: "
              "%.3f ms/token wall, %.3f ms/token GPU, %.1f tokens/s\n", s.n_prompt, s.prefill_s * 1e3,
              s.prefill_gpu_s * 1e3, s.n_generated, s.decode_s * 1e3 / (s.n_generated - 1),
              s.decode_gpu_s * 1e3 / (s.n_generated - 1), (s.n_generated - 1) / s.decode_s);
      while (same < c->n && same < runs[0].n && c->tokens[same] == runs[0].tokens[same])
        same++;
      /* Teacher forcing on the f16 run's tokens: each decoded step's logits. */
      jg_qwen2_reset (model);
      if (runs[0].logits == NULL || !jg_qwen2_forward (model, prompt, n_prompt, NULL, NULL, &error))
        {
          fprintf (stderr, "bench-qwen2: %s\n", error ? error->message : "no memory for the logits");
          return 1;
        }
      for (guint i = 1; i < runs[0].n; i++)
        {
          double mr, l2;
          const float *ref = runs[0].logits + (gsize) i * cfg.vocab_size;
          if (!jg_qwen2_forward (model, &runs[0].tokens[i - 1], 1, NULL, row, &error))
            {
              fprintf (stderr, "bench-qwen2: %s\n", error->message);
              return 1;
            }
          logit_errors (row, ref, (gsize) cfg.vocab_size, &mr, &l2);
          worst_max = MAX (worst_max, mr);
          worst_l2 = MAX (worst_l2, l2);
          sum_max += mr;
          agree += argmax (row, (gsize) cfg.vocab_size) == runs[0].tokens[i];
        }
      printf ("  q8 vs f16 logits over %u decoded steps (f16 tokens fed): max relative error %.3g (mean %.3g), "
              "normalised L2 %.3g at worst, top-1 agreement %u/%u; free-running: the first %u tokens agree\n",
              runs[0].n - 1, worst_max, sum_max / MAX (runs[0].n - 1, 1), worst_l2, agree, runs[0].n - 1, same);
      g_free (c);
    }
  for (guint p = 2; p < n_runs; p++)
    if (persist_wg[p] != 0 && runs[p].logits != NULL && runs[0].logits != NULL)
      {
        double worst_max = 0, worst_l2 = 0;
        guint n = MIN (runs[p].n, runs[0].n);
        for (guint i = 0; i < n; i++)
          {
            double mr, l2;
            logit_errors (runs[p].logits + (gsize) i * cfg.vocab_size, runs[0].logits + (gsize) i * cfg.vocab_size,
                          (gsize) cfg.vocab_size, &mr, &l2);
            worst_max = MAX (worst_max, mr);
            worst_l2 = MAX (worst_l2, l2);
          }
        printf ("%s vs replay logits over %u steps: max relative error %.3g, normalised L2 %.3g at worst\n",
                names[p], n, worst_max, worst_l2);
        g_free (runs[p].logits);
      }
  g_free (runs[0].logits);
  for (guint i = 0; i < G_N_ELEMENTS (args); i++)
    g_free (args[i]);
  {
    guint same = 0;
    while (same < runs[0].n && same < runs[1].n && runs[0].tokens[same] == runs[1].tokens[same])
      same++;
    printf ("replay and per-call agree on the first %u of %u tokens\n", same, runs[0].n);
    for (guint p = 2; p < n_runs; p++)
      if (memcmp (runs[0].tokens, runs[p].tokens, sizeof runs[0].tokens) != 0)
        printf ("run %u (%s) chose other tokens than the first replay\n", p, names[p]);
  }
  return 0;
}
