/** A checkpoint brought to life: its tokenizer, its parameters as tf variables, and its forward pass. */
import type * as tfType from '@tensorflow/tfjs';
import { loadTf, type Tf } from './tfBackend.js';
import { makeTokenizer, type Tokenizer } from './tokenizer.js';
import { forward, makeParams, type Forward, type ModelConfig, type Params } from './transformer.js';
import type { Checkpoint } from './checkpoint.js';

export interface LiveModel {
  tf: Tf;
  config: ModelConfig;
  tok: Tokenizer;
  params: Params;
  run: Forward;
  /** current parameter values, for saving */
  values(): Map<string, Float32Array>;
  dispose(): void;
}

export async function liveModel(ck: Checkpoint, o: { stockMatmul?: boolean } = {}): Promise<LiveModel> {
  const tf = await loadTf();
  const params = makeParams(tf, ck.config, ck.values);
  return {
    tf,
    config: ck.config,
    tok: makeTokenizer(ck.chars),
    params,
    run: forward(tf, ck.config, params, o),
    values: () => new Map([...params].map(([k, v]) => [k, (v as tfType.Tensor).dataSync() as Float32Array])),
    dispose: () => {
      for (const v of params.values()) v.dispose();
    },
  };
}
