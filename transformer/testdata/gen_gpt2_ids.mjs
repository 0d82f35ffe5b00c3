// Writes gpt2_ids.json: reference GPT-2 token ids for the Go tokenizer tests, computed
// with js-tiktoken's gpt2 encoding (a port of OpenAI's tiktoken).
//
// Run it from a scratch directory where js-tiktoken is installed, not in the repository:
//
//	cd "$(mktemp -d)" && npm install js-tiktoken@1.0.21 &&
//	  node /path/to/transformer/testdata/gen_gpt2_ids.mjs /path/to/transformer/testdata/gpt2_ids.json
//
// Strings avoid U+0085 and U+FEFF, where JavaScript's \s differs from Unicode White_Space
// (which tiktoken and this package use).
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";

const require = createRequire(process.cwd() + "/");
const { getEncoding } = require("js-tiktoken");
const enc = getEncoding("gpt2");

const texts = [
  "",
  "Hello, world!",
  "hello world",
  "The quick brown fox jumps over the lazy dog.",
  "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n",
  "I'm sure you'll see they've done what he'd said; it's theirs, we're told.",
  "DON'T SHOUT, I'M HERE. 'Tis the season. She said 'hello'.",
  "can't won't shouldn't y'all o'clock rock'n'roll",
  "'s't're've'm'll'd",
  " 's 't 're 've 'm 'll 'd",
  "?'s !'t",
  "1234567890",
  "3.14159 2,718 -42 +7 1e10 0x1F 1_000_000",
  "In 2024, 37% of 1,000 people paid $19.99.",
  "a  b   c    d",
  "trailing space ",
  "trailing spaces   ",
  "   leading spaces",
  " ",
  "  ",
  "     ",
  "\n",
  "\n\n\n",
  "line one\nline two\r\nline three\n",
  "tab\tseparated\tvalues\t\t",
  "\t\tindented\n\t\t\tdeeper",
  "mixed \t \n whitespace \n\n  end",
  "word\n\n\nword",
  "spaces before newline   \nnext",
  "café naïve résumé façade Ångström",
  "Größe Straße Übermaß",
  "Ελληνικά και русский язык",
  "日本語のテキストです。",
  "中文分词测试，你好世界！",
  "한국어 텍스트",
  "مرحبا بالعالم",
  "עברית",
  "हिन्दी पाठ",
  "emoji 😀😃😄 and 👍🏽 and 👨‍👩‍👧‍👦 family",
  "🎉🎉🎉",
  "flags 🇫🇷🇯🇵",
  "def add(a, b):\n    return a + b\n",
  "for (int i = 0; i < n; i++) {\n\tsum += x[i];\n}",
  "func main() { fmt.Println(\"hi\") }",
  "<html><body class=\"x\">&amp; &lt;tag&gt;</body></html>",
  "{\"key\": [1, 2, 3], \"nested\": {\"a\": null}}",
  "https://example.com/path?query=1&other=two#frag",
  "user@example.org",
  "!!!??? ...---*** ~~~",
  "(((nested))) [[brackets]] {{braces}}",
  "Hello!!! What?! Really...",
  "--- ___ === +++",
  "¡Hola! ¿Qué tal?",
  "½ ¾ ² ³ ⅓ Ⅻ",
  "١٢٣ ४५६ 〇",
  "x²+y²=z²",
  "The Eiffel Tower is 330 m tall.\u00a0Non-breaking space.",
  "em\u2003space and ideographic\u3000space",
  "zero\u200bwidth",
  "<|endoftext|>",
  "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ",
  "antidisestablishmentarianism supercalifragilisticexpialidocious",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

// Cases where the special token is recognised (EncodeSpecial in Go).
const specialTexts = [
  "<|endoftext|>",
  "Document one.<|endoftext|>Document two.",
  "end <|endoftext|> start\n<|endoftext|><|endoftext|>",
];

const cases = [];
for (const text of texts) {
  const ids = enc.encode(text, [], []);
  if (enc.decode(ids) !== text) throw new Error(`round trip failed for ${JSON.stringify(text)}`);
  cases.push({ text, special: false, ids });
}
for (const text of specialTexts) {
  cases.push({ text, special: true, ids: enc.encode(text, "all") });
}
const lines = cases.map((c) => "  " + JSON.stringify(c));
writeFileSync(process.argv[2] ?? "gpt2_ids.json", '{"cases": [\n' + lines.join(",\n") + "\n]}\n");
console.log(`wrote ${cases.length} cases`);
