/**
 * Greedy decoding in batches. Prompts of the same token length decode together (absolute positions forbid left
 * padding), each step appending the most likely token, until every row has ended or the length runs out.
 */
import type * as tfType from '@tensorflow/tfjs';
import { EOS, promptIds } from './tokenizer.js';
import type { LiveModel } from './runtime.js';

export async function generate(m: LiveModel, prompts: string[], o: { batch?: number; maxNew?: number } = {}): Promise<string[]> {
  const ids = await generateIds(m, prompts.map((p) => promptIds(m.tok, p)), o);
  return ids.map((x) => m.tok.decode(x));
}

/** The same on token ids: each row's new tokens, up to and without EOS. */
export async function generateIds(m: LiveModel, encoded: number[][], o: { batch?: number; maxNew?: number } = {}): Promise<number[][]> {
  const { tf } = m;
  const out = encoded.map((): number[] => []);
  const byLen = new Map<number, number[]>();
  encoded.forEach((ids, k) => {
    if (!byLen.has(ids.length)) byLen.set(ids.length, []);
    byLen.get(ids.length)!.push(k);
  });
  const batch = o.batch ?? 256;
  for (const [len, rowsAll] of [...byLen].sort((a, b) => a[0] - b[0])) {
    const maxNew = Math.max(0, Math.min(o.maxNew ?? 32, m.config.maxLen - len));
    for (let s = 0; s < rowsAll.length; s += batch) {
      const rows = rowsAll.slice(s, s + batch);
      if (len > m.config.maxLen) continue; // too long to read: no answer
      const seqs = rows.map((k) => [...encoded[k]]);
      const done = new Uint8Array(rows.length);
      for (let step = 0; step < maxNew && done.some((d) => !d); step++) {
        const next = tf.tidy(() => tf.argMax(m.run(tf.tensor2d(seqs.flat(), [rows.length, len + step], 'int32'), true) as tfType.Tensor2D, -1));
        const ids = (await next.data()) as Int32Array;
        next.dispose();
        rows.forEach((_, b) => {
          seqs[b].push(done[b] ? EOS : ids[b]);
          if (ids[b] === EOS) done[b] = 1;
        });
      }
      rows.forEach((k, b) => {
        const fresh = seqs[b].slice(len);
        const end = fresh.indexOf(EOS);
        out[k] = end >= 0 ? fresh.slice(0, end) : fresh;
      });
    }
  }
  return out;
}
