#!/usr/bin/env python3
"""PyTorch's side of bench-linear's prefill section, for the same card in the
same run: the 7B decoder's matmuls at n = 700 tokens (F.linear, bf16 and
f16, as transformers runs them) and its causal prefill attention (sdpa,
bf16). CUDA-event timing, median of 20 after a warm-up, inputs random
(never zeros).

  python3 bench/torch-prefill-kernels.py [N]"""
import sys

import torch
import torch.nn.functional as F

N = int(sys.argv[1]) if len(sys.argv) > 1 else 700
SHAPES = [("qkv", 3584, 4608), ("q", 3584, 3584), ("k/v", 3584, 512), ("o", 3584, 3584),
          ("gate/up", 3584, 18944), ("down", 18944, 3584)]


def median_ms(fn, reps=20):
    for _ in range(5):
        fn()
    ts = []
    for _ in range(reps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        torch.cuda.synchronize()
        ts.append(a.elapsed_time(b))
    ts.sort()
    return ts[len(ts) // 2]


def main():
    torch.backends.cuda.matmul.allow_tf32 = False
    print(f"torch {torch.__version__} on {torch.cuda.get_device_name()}, n = {N}", flush=True)
    print(f"{'role':8} {'k -> m':13} {'dtype':6} {'us':>10} {'TFLOPS':>9}")
    for role, k, m in SHAPES:
        for dt in (torch.bfloat16, torch.float16):
            x = torch.randn(N, k, device="cuda", dtype=dt)
            w = torch.randn(m, k, device="cuda", dtype=dt) * 0.02
            ms = median_ms(lambda: F.linear(x, w))
            name = "bf16" if dt == torch.bfloat16 else "f16"
            print(f"{role:8} {f'{k}->{m}':13} {name:6} {ms * 1e3:10.1f} {2 * N * m * k / ms * 1e-9:9.2f}", flush=True)
    q = torch.randn(1, 28, N, 128, device="cuda", dtype=torch.bfloat16)
    kv = torch.randn(1, 4, N, 128, device="cuda", dtype=torch.bfloat16)
    k = kv.repeat_interleave(7, dim=1)
    v = torch.randn_like(k)
    ms = median_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
    pairs = N * (N + 1) / 2
    print(f"sdpa causal {N} queries 28/4 heads d 128 bf16: {ms * 1e3:.1f} us, "
          f"{4 * 128 * 28 * pairs / ms * 1e-9:.2f} TFLOPS", flush=True)


if __name__ == "__main__":
    main()
