/**
 * A small decoder-only transformer (pre-LayerNorm, causal multi-head attention, ReLU MLP, tied embeddings) written
 * on TensorFlow.js ops. Every matrix product goes through `mm`, whose custom gradient transposes explicitly: the
 * wasm backend's transposed matMul kernels are several times slower than a transpose plus a plain product.
 */
import type { Tf } from './tfBackend.js';
import type * as tfType from '@tensorflow/tfjs';
import { rng } from '../util/rng.js';

type Tensor = tfType.Tensor;
type Variable = tfType.Variable;

export interface ModelConfig {
  vocab: number;
  d: number;
  layers: number;
  heads: number;
  ff: number;
  maxLen: number;
}

export type Params = Map<string, Variable>;

/** Parameter names and shapes, in a fixed order (the checkpoint's layout). */
export function paramShapes(c: ModelConfig): Array<[string, number[]]> {
  const out: Array<[string, number[]]> = [['tok', [c.vocab, c.d]], ['pos', [c.maxLen, c.d]]];
  for (let l = 0; l < c.layers; l++) {
    out.push([`l${l}.ln1.g`, [c.d]], [`l${l}.ln1.b`, [c.d]], [`l${l}.qkv`, [c.d, 3 * c.d]], [`l${l}.o`, [c.d, c.d]]);
    out.push([`l${l}.ln2.g`, [c.d]], [`l${l}.ln2.b`, [c.d]], [`l${l}.w1`, [c.d, c.ff]], [`l${l}.b1`, [c.ff]], [`l${l}.w2`, [c.ff, c.d]], [`l${l}.b2`, [c.d]]);
  }
  out.push(['lnf.g', [c.d]], ['lnf.b', [c.d]]);
  return out;
}

export function countParams(c: ModelConfig): number {
  return paramShapes(c).reduce((s, [, shape]) => s + shape.reduce((a, b) => a * b, 1), 0);
}

/** Seeded initial values (GPT-2 style: N(0, 0.02), output projections scaled by depth; gains 1, biases 0). */
export function initValues(c: ModelConfig, seed: number): Map<string, Float32Array> {
  const r = rng(seed);
  const out = new Map<string, Float32Array>();
  for (const [name, shape] of paramShapes(c)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    if (name.endsWith('.g')) v.fill(1);
    else if (!/\.b\d?$/.test(name)) {
      const sd = /\.(o|w2)$/.test(name) ? 0.02 / Math.sqrt(2 * c.layers) : 0.02;
      for (let k = 0; k < n; k++) v[k] = r.normal() * sd;
    }
    out.set(name, v);
  }
  return out;
}

export function makeParams(tf: Tf, c: ModelConfig, values: Map<string, Float32Array>): Params {
  const p: Params = new Map();
  for (const [name, shape] of paramShapes(c)) p.set(name, tf.variable(tf.tensor(values.get(name)!, shape, 'float32'), true));
  return p;
}

/** a @ b over the last two axes, with an explicit-transpose gradient */
export function matmulFast(tf: Tf): (a: Tensor, b: Tensor) => Tensor {
  const swap = (x: Tensor) => {
    const r = x.rank;
    const perm = Array.from({ length: r }, (_, k) => k);
    perm[r - 1] = r - 2;
    perm[r - 2] = r - 1;
    return tf.transpose(x, perm);
  };
  return tf.customGrad((...args: Array<Tensor | tfType.GradSaveFunc>) => {
    const [a, b, save] = args as [Tensor, Tensor, tfType.GradSaveFunc];
    save([a, b]);
    return {
      value: tf.matMul(a, b),
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [sa, sb] = saved;
        return [tf.matMul(dy, swap(sb)), tf.matMul(swap(sa), dy)];
      },
    };
  }) as (a: Tensor, b: Tensor) => Tensor;
}

/** logits [B, T, vocab] for token ids [B, T] (int32); with lastOnly, [B, vocab] at the last position (decoding) */
export type Forward = (ids: Tensor, lastOnly?: boolean) => Tensor;

export function forward(tf: Tf, c: ModelConfig, p: Params, o: { stockMatmul?: boolean } = {}): Forward {
  // stockMatmul: tf.matMul's own gradient, kept for bench/learner's comparison
  const mm = o.stockMatmul ? (a: Tensor, b: Tensor) => tf.matMul(a, b) : matmulFast(tf);
  const dh = c.d / c.heads;
  const P = (n: string) => p.get(n)!;
  const ln = (x: Tensor, g: string, b: string) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), P(g)), P(b));
  };
  // x [B, T, d] times w [d, o] as one 2-D product
  const dense = (x: Tensor, w: Tensor) => {
    const [B, T, d] = x.shape;
    return tf.reshape(mm(tf.reshape(x, [B * T, d]), w), [B, T, w.shape[1]!]);
  };
  const masks = new Map<number, Tensor>();
  const causal = (T: number) => {
    let m = masks.get(T);
    if (!m) {
      const v = new Float32Array(T * T);
      for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) v[i * T + j] = -1e9;
      m = tf.keep(tf.tensor(v, [1, 1, T, T]));
      masks.set(T, m);
    }
    return m;
  };
  return (ids: Tensor, lastOnly = false) => {
    const [B, T] = ids.shape as [number, number];
    // embedding as a one-hot product: gather's gradient needs UnsortedSegmentSum, which the wasm backend lacks
    const emb = tf.reshape(mm(tf.oneHot(tf.reshape(ids, [B * T]), c.vocab), P('tok')), [B, T, c.d]);
    let x = tf.add(emb, tf.slice(P('pos'), [0, 0], [T, c.d]));
    for (let l = 0; l < c.layers; l++) {
      const h = ln(x, `l${l}.ln1.g`, `l${l}.ln1.b`);
      const qkv = dense(h, P(`l${l}.qkv`));
      const heads = (k: number) => tf.transpose(tf.reshape(tf.slice(qkv, [0, 0, k * c.d], [B, T, c.d]), [B, T, c.heads, dh]), [0, 2, 1, 3]);
      const q = heads(0), kk = heads(1), v = heads(2);
      const scores = tf.add(tf.mul(mm(q, tf.transpose(kk, [0, 1, 3, 2])), 1 / Math.sqrt(dh)), causal(T));
      const att = mm(tf.softmax(scores), v);
      const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [B, T, c.d]);
      x = tf.add(x, dense(merged, P(`l${l}.o`)));
      const h2 = ln(x, `l${l}.ln2.g`, `l${l}.ln2.b`);
      const f = tf.relu(tf.add(dense(h2, P(`l${l}.w1`)), P(`l${l}.b1`)));
      x = tf.add(x, tf.add(dense(f, P(`l${l}.w2`)), P(`l${l}.b2`)));
    }
    if (lastOnly) x = tf.slice(x, [0, T - 1, 0], [B, 1, c.d]);
    x = ln(x, 'lnf.g', 'lnf.b');
    const logits = dense(x, tf.transpose(P('tok')));
    return lastOnly ? tf.reshape(logits, [B, c.vocab]) : logits;
  };
}
