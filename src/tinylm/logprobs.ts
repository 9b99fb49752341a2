/**
 * Log-probabilities of given token sequences in one teacher-forced pass: for every position after the first, the
 * log-probability of the token that is there, whether it is the most likely one, and the k most likely tokens.
 * One forward pass per batch instead of one per generated token, so scoring (echo, log-likelihood of a
 * continuation, exact-match checks) costs far less than decoding. Rows are right-padded: under the causal mask a
 * position never sees the padding after it.
 */
import type * as tfType from '@tensorflow/tfjs';
import { BOS, PAD, SEP, EOS } from './tokenizer.js';
import type { LiveModel } from './runtime.js';

export interface TokenScores {
  /** log p(ids[t] | ids[<t]); NaN at t = 0, which nothing precedes */
  logprob: Float64Array;
  /** ids[t] was the most likely token at t (false at t = 0) */
  greedy: Uint8Array;
  /** the k most likely tokens at t, best first (empty at t = 0 or when k = 0) */
  top: Array<Array<{ id: number; logprob: number }>>;
}

export async function scoreSequences(m: LiveModel, seqs: number[][], o: { top?: number; batch?: number } = {}): Promise<TokenScores[]> {
  const { tf } = m;
  const V = m.config.vocab;
  const k = Math.min(o.top ?? 0, V);
  const out = new Array<TokenScores>(seqs.length);
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[a].length - seqs[b].length);
  const batch = o.batch ?? 128;
  for (let s = 0; s < order.length; s += batch) {
    const rows = order.slice(s, s + batch);
    // the last token is only predicted, never read
    const T = Math.max(1, ...rows.map((i) => seqs[i].length - 1));
    const ids = new Int32Array(rows.length * T).fill(PAD);
    rows.forEach((i, b) => ids.set(seqs[i].slice(0, -1), b * T));
    const lp = tf.tidy(() => tf.logSoftmax(m.run(tf.tensor2d(ids, [rows.length, T], 'int32')) as tfType.Tensor3D));
    const data = (await lp.data()) as Float32Array;
    lp.dispose();
    rows.forEach((i, b) => {
      const seq = seqs[i];
      const r: TokenScores = { logprob: new Float64Array(seq.length).fill(NaN), greedy: new Uint8Array(seq.length), top: [[]] };
      for (let t = 1; t < seq.length; t++) {
        const base = (b * T + t - 1) * V;
        let best = 0;
        for (let v = 1; v < V; v++) if (data[base + v] > data[base + best]) best = v;
        r.logprob[t] = data[base + seq[t]];
        r.greedy[t] = data[base + seq[t]] >= data[base + best] ? 1 : 0;
        r.top.push(k ? topK(data, base, V, k) : []);
      }
      out[i] = r;
    });
  }
  return out;
}

function topK(data: Float32Array, base: number, V: number, k: number): Array<{ id: number; logprob: number }> {
  const ids = Array.from({ length: V }, (_, v) => v).sort((a, b) => data[base + b] - data[base + a]).slice(0, k);
  return ids.map((id) => ({ id, logprob: data[base + id] }));
}

/**
 * Σ log p(continuation | context) as the model reads a training pair (BOS context SEP continuation), and whether
 * greedy decoding would have produced it. The context and the continuation are tokenized apart, as
 * lm-evaluation-harness does, so no token straddles the two.
 */
export async function continuationLogLikelihoods(m: LiveModel, pairs: Array<{ context: string; continuation: string }>, o: { eos?: boolean } = {}): Promise<Array<{ logLikelihood: number; greedy: boolean }>> {
  const seqs = pairs.map((p) => [BOS, ...m.tok.encode(p.context), SEP, ...m.tok.encode(p.continuation), ...(o.eos ? [EOS] : [])]);
  const scores = await scoreSequences(m, seqs);
  return pairs.map((p, i) => {
    const from = m.tok.encode(p.context).length + 2;
    let ll = 0;
    let greedy = true;
    for (let t = from; t < seqs[i].length; t++) {
      ll += scores[i].logprob[t];
      greedy &&= scores[i].greedy[t] === 1;
    }
    return { logLikelihood: ll, greedy };
  });
}

/**
 * Would greedy decoding answer exactly `answer`? True when the answer and then EOS are each the most likely token
 * in turn: the same verdict as decoding and comparing, from one pass. Prompts too long to read answer nothing.
 */
export async function greedyAnswers(m: LiveModel, items: Array<{ prompt: string; answer: string }>): Promise<boolean[]> {
  const fits = items.map((x) => m.tok.encode(x.prompt).length + m.tok.encode(x.answer).length + 3 <= m.config.maxLen + 1);
  const r = await continuationLogLikelihoods(m, items.filter((_, k) => fits[k]).map((x) => ({ context: x.prompt, continuation: x.answer })), { eos: true });
  let next = 0;
  return fits.map((ok) => (ok ? r[next++].greedy : false));
}
