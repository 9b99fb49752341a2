/**
 * Training on (prompt, answer) pairs: teacher forcing on BOS prompt SEP answer EOS, loss on the answer and EOS
 * only, Adam with global-norm clipping. Batches are drawn with a seeded generator, or in file order for curricula,
 * so the same data, seed and step count give the same weights.
 */
import type * as tfType from '@tensorflow/tfjs';
import { GradusError } from '../errors.js';
import { rng } from '../util/rng.js';
import { EOS, PAD, promptIds } from './tokenizer.js';
import type { LiveModel } from './runtime.js';

export interface Example {
  prompt: string;
  answer: string;
}

export interface TrainOptions {
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  /** take batches in order (curricula) instead of at random */
  ordered?: boolean;
  clip?: number;
  /** called every `every` steps (and at the end) with the step and the mean loss since the last call */
  every?: number;
  onProgress?: (step: number, loss: number) => void | Promise<void>;
}

interface Encoded {
  ids: number[];
  /** first position whose target is part of the answer */
  start: number;
}

export function encodeExamples(m: LiveModel, xs: Example[]): Encoded[] {
  return xs.map((x, k) => {
    const p = promptIds(m.tok, x.prompt);
    const ids = [...p, ...m.tok.encode(x.answer), EOS];
    if (ids.length - 1 > m.config.maxLen) {
      throw new GradusError(`training example ${k + 1} is ${ids.length - 1} tokens long; the model reads at most ${m.config.maxLen}`, 'Shorten the items, or make the model with a larger --max-len.');
    }
    return { ids, start: p.length - 1 };
  });
}

function batchTensors(tf: LiveModel['tf'], rows: Encoded[]) {
  const T = Math.max(...rows.map((r) => r.ids.length - 1));
  const B = rows.length;
  const input = new Int32Array(B * T).fill(PAD);
  const target = new Int32Array(B * T).fill(PAD);
  const mask = new Float32Array(B * T);
  rows.forEach((r, b) => {
    for (let t = 0; t < r.ids.length - 1; t++) {
      input[b * T + t] = r.ids[t];
      target[b * T + t] = r.ids[t + 1];
      if (t >= r.start) mask[b * T + t] = 1;
    }
  });
  return { input: tf.tensor2d(input, [B, T], 'int32'), target: tf.tensor2d(target, [B, T], 'int32'), mask: tf.tensor2d(mask, [B, T]) };
}

export async function train(m: LiveModel, examples: Example[], o: TrainOptions): Promise<{ loss: number; seconds: number }> {
  const { tf } = m;
  if (!examples.length) throw new GradusError('no training examples', 'Give at least one item to train on.');
  const data = encodeExamples(m, examples);
  const opt = tf.train.adam(o.lr);
  const vars = [...m.params.values()];
  const r = rng(o.seed);
  const clip = o.clip ?? 1;
  const t0 = Date.now();
  let lossSum = 0, lossN = 0, last = NaN;
  let cursor = 0;
  for (let step = 1; step <= o.steps; step++) {
    const rows: Encoded[] = [];
    for (let b = 0; b < Math.min(o.batch, o.ordered ? data.length : o.batch); b++) {
      rows.push(o.ordered ? data[cursor++ % data.length] : data[r.int(data.length)]);
    }
    const lossValue = tf.tidy(() => {
      const { input, target, mask } = batchTensors(tf, rows);
      const { value, grads } = tf.variableGrads(() => {
        const logits = m.run(input);
        const logp = tf.logSoftmax(logits);
        const picked = tf.sum(tf.mul(logp, tf.oneHot(target, m.config.vocab)), -1);
        return tf.div(tf.neg(tf.sum(tf.mul(picked, mask))), tf.maximum(tf.sum(mask), 1)) as tfType.Scalar;
      }, vars);
      const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))));
      const scale = tf.minimum(1, tf.div(clip, tf.add(norm, 1e-6)));
      const clipped: Record<string, tfType.Tensor> = {};
      for (const [k, g] of Object.entries(grads)) clipped[k] = tf.mul(g, scale);
      opt.applyGradients(clipped as unknown as Parameters<typeof opt.applyGradients>[0]);
      return value;
    });
    const v = (await lossValue.data())[0];
    lossValue.dispose();
    lossSum += v;
    lossN++;
    if (o.onProgress && (step % (o.every ?? 50) === 0 || step === o.steps)) {
      last = lossSum / lossN;
      await o.onProgress(step, last);
      lossSum = 0;
      lossN = 0;
    }
  }
  opt.dispose();
  return { loss: lossN ? lossSum / lossN : last, seconds: (Date.now() - t0) / 1000 };
}
