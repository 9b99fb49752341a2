/**
 * Characters as tokens, plus PAD, BOS, SEP (between prompt and answer), EOS and UNK. The vocabulary is fixed when a
 * model is made and saved with it, so a fine-tuned model reads text exactly as its base did.
 */
export const PAD = 0, BOS = 1, SEP = 2, EOS = 3, UNK = 4;
const SPECIAL = 5;

export interface Tokenizer {
  chars: string[];
  size: number;
  encode(text: string): number[];
  decode(ids: ArrayLike<number>): string;
}

export function makeTokenizer(chars: string[]): Tokenizer {
  const index = new Map(chars.map((c, k) => [c, k + SPECIAL]));
  return {
    chars,
    size: chars.length + SPECIAL,
    encode: (text) => Array.from(text, (c) => index.get(c) ?? UNK),
    decode: (ids) => {
      let s = '';
      for (let k = 0; k < ids.length; k++) {
        const t = ids[k];
        if (t === EOS) break;
        if (t >= SPECIAL) s += chars[t - SPECIAL];
      }
      return s;
    },
  };
}

/** BOS prompt SEP, the part the model is given. */
export function promptIds(tok: Tokenizer, prompt: string): number[] {
  return [BOS, ...tok.encode(prompt), SEP];
}

/** How special tokens are written in text sent to `gradus serve`, as chat models write theirs (<|im_start|>). */
export const SPECIAL_TEXT: Record<number, string> = { [BOS]: '<|bos|>', [SEP]: '<|sep|>', [EOS]: '<|eos|>' };
const SPECIAL_RE = /<\|(bos|sep|eos)\|>/g;

/** Text to tokens, each with the text it came from: characters, and special tokens written as SPECIAL_TEXT. */
export function textPieces(tok: Tokenizer, text: string): Array<{ id: number; text: string }> {
  const out: Array<{ id: number; text: string }> = [];
  const plain = (s: string) => {
    const ids = tok.encode(s);
    [...s].forEach((c, k) => out.push({ id: ids[k], text: c }));
  };
  let at = 0;
  for (const m of text.matchAll(SPECIAL_RE)) {
    plain(text.slice(at, m.index));
    out.push({ id: m[1] === 'bos' ? BOS : m[1] === 'sep' ? SEP : EOS, text: m[0] });
    at = m.index + m[0].length;
  }
  plain(text.slice(at));
  return out;
}
