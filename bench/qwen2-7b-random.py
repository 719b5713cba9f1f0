#!/usr/bin/env python3
"""Random weights in the exact shape of the Qwen2.5-Omni-7B thinker's language
model (bf16 safetensors + config.json + a byte-level vocab.json/merges.txt, so
that `jaeger generate --raw` runs on it), and optionally the same model in
PyTorch transformers (bf16, sdpa) timed on the same prompt on the same card.

  python3 bench/qwen2-7b-random.py OUT_DIR [--torch PROMPT_TOKENS NEW_TOKENS]
        [--prompt-text TEXT --logits-f32 FILE]

--prompt-text times PyTorch on that text's byte ids (what `jaeger generate
--raw` makes of it with this byte-level vocabulary) instead of random ids;
--logits-f32 then also writes the prompt's last-position logits computed in
float32 (weights upcast, no TF32) as little-endian float32, a reference for
`jaeger generate --logits` (its first row).

Needs torch and safetensors (the accelerator machine has both); the C engine
itself needs neither."""
import json, os, sys, time

import torch
from safetensors.torch import save_file

H, LAYERS, HEADS, KV, D, INTER, VOCAB = 3584, 28, 28, 4, 128, 18944, 152064


def weights(gen):
    def r(*shape, std=0.02):
        return (torch.randn(*shape, device="cuda", generator=gen) * std).to(torch.bfloat16).cpu()

    t = {"model.embed_tokens.weight": r(VOCAB, H), "model.norm.weight": torch.ones(H, dtype=torch.bfloat16),
         "lm_head.weight": r(VOCAB, H)}
    for l in range(LAYERS):
        p = f"model.layers.{l}."
        t[p + "input_layernorm.weight"] = torch.ones(H, dtype=torch.bfloat16)
        t[p + "post_attention_layernorm.weight"] = torch.ones(H, dtype=torch.bfloat16)
        t[p + "self_attn.q_proj.weight"] = r(HEADS * D, H)
        t[p + "self_attn.q_proj.bias"] = r(HEADS * D)
        t[p + "self_attn.k_proj.weight"] = r(KV * D, H)
        t[p + "self_attn.k_proj.bias"] = r(KV * D)
        t[p + "self_attn.v_proj.weight"] = r(KV * D, H)
        t[p + "self_attn.v_proj.bias"] = r(KV * D)
        t[p + "self_attn.o_proj.weight"] = r(H, HEADS * D)
        t[p + "mlp.gate_proj.weight"] = r(INTER, H)
        t[p + "mlp.up_proj.weight"] = r(INTER, H)
        t[p + "mlp.down_proj.weight"] = r(H, INTER)
    return t


def bytelevel_vocab():
    vocab, extra = {}, 0
    for b in range(256):
        printable = 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255
        vocab[chr(b if printable else 256 + extra)] = b
        extra += not printable
    return vocab


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    gen = torch.Generator(device="cuda").manual_seed(0)
    t0 = time.time()
    w = weights(gen)
    save_file(w, os.path.join(out, "model.safetensors"))
    config = {"hidden_size": H, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
              "num_key_value_heads": KV, "intermediate_size": INTER, "vocab_size": VOCAB,
              "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": False,
              "max_position_embeddings": 32768,
              "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f)
    with open(os.path.join(out, "vocab.json"), "w") as f:
        json.dump(bytelevel_vocab(), f)
    with open(os.path.join(out, "merges.txt"), "w") as f:
        f.write("#version: 0.2\n")
    print(f"wrote {out} in {time.time() - t0:.1f} s", flush=True)

    if "--torch" in sys.argv:
        i = sys.argv.index("--torch")
        n_prompt, n_new = int(sys.argv[i + 1]), int(sys.argv[i + 2])
        from transformers import Qwen2Config, Qwen2ForCausalLM
        # Text only: the three M-RoPE axes are equal, so plain RoPE is the same function.
        cfg = Qwen2Config(hidden_size=H, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                          num_key_value_heads=KV, intermediate_size=INTER, vocab_size=VOCAB,
                          rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=False,
                          max_position_embeddings=32768, attn_implementation="sdpa", torch_dtype=torch.bfloat16)
        torch.set_default_dtype(torch.bfloat16)
        with torch.device("cuda"):
            model = Qwen2ForCausalLM(cfg)
        model.load_state_dict(w, strict=True)
        model = model.eval()
        if "--prompt-text" in sys.argv:
            text = sys.argv[sys.argv.index("--prompt-text") + 1]
            ids = torch.tensor([list(text.encode())], device="cuda")
            n_prompt = ids.shape[1]
        else:
            ids = torch.randint(0, 256, (1, n_prompt), device="cuda")
        with torch.no_grad():
            for _ in range(3):
                model(ids)
            torch.cuda.synchronize()
            ts = []
            for _ in range(5):
                t = time.time(); model(ids); torch.cuda.synchronize(); ts.append(time.time() - t)
            ts.sort()
            print(f"torch prefill {n_prompt} tokens: {ts[2] * 1e3:.1f} ms", flush=True)
            for n in (1, n_new):
                t = time.time()
                model.generate(ids, max_new_tokens=n, min_new_tokens=n, do_sample=False)
                torch.cuda.synchronize()
                if n == 1:
                    t1 = time.time() - t
                else:
                    tn = time.time() - t
            print(f"torch decode: {(tn - t1) / (n_new - 1) * 1e3:.2f} ms/token "
                  f"({(n_new - 1) / (tn - t1):.1f} tokens/s)", flush=True)
            if "--logits-f32" in sys.argv:
                torch.backends.cuda.matmul.allow_tf32 = False
                torch.backends.cudnn.allow_tf32 = False
                model = model.float()
                logits = model(ids).logits[0, -1].float().cpu()
                with open(sys.argv[sys.argv.index("--logits-f32") + 1], "wb") as f:
                    f.write(logits.numpy().astype("<f4").tobytes())
                print(f"float32 logits of the last position written, argmax {int(logits.argmax())}", flush=True)


if __name__ == "__main__":
    main()
