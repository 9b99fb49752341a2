/**
 * A checkpoint is a folder: model.json (architecture, vocabulary, how it was trained) and weights.bin (float32,
 * little-endian, parameters in paramShapes order). model.json is written last, so a folder with it is complete.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { safeJson } from '../util/csv.js';
import { paramShapes, type ModelConfig } from './transformer.js';

export const CHECKPOINT_FORMAT = 'gradus-tiny-transformer/1';

export interface TrainingRecord {
  steps: number;
  examples: number;
  seed: number;
  lr: number;
  batch: number;
  from: string | null;
  seconds: number;
}

export interface Checkpoint {
  config: ModelConfig;
  chars: string[];
  values: Map<string, Float32Array>;
  history: TrainingRecord[];
}

export function saveCheckpoint(dir: string, ck: Checkpoint): void {
  fs.mkdirSync(dir, { recursive: true });
  const shapes = paramShapes(ck.config);
  const total = shapes.reduce((s, [, sh]) => s + sh.reduce((a, b) => a * b, 1), 0);
  const all = new Float32Array(total);
  let off = 0;
  for (const [name] of shapes) {
    const v = ck.values.get(name)!;
    all.set(v, off);
    off += v.length;
  }
  const bytes = new Uint8Array(all.buffer);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('big-endian machines are not supported');
  writeFileAtomic(path.join(dir, 'weights.bin'), bytes);
  writeFileAtomic(path.join(dir, 'model.json'), safeJson({ format: CHECKPOINT_FORMAT, config: ck.config, chars: ck.chars, parameters: total, history: ck.history }));
}

export function isCheckpoint(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'model.json')) && fs.existsSync(path.join(dir, 'weights.bin'));
}

export function loadCheckpoint(dir: string): Checkpoint {
  const meta = path.join(dir, 'model.json');
  if (!fs.existsSync(meta)) throw new GradusError('not a gradus checkpoint (no model.json)', 'Give a folder written by `gradus train` or `gradus zoo`.', { file: dir });
  let m: { format: string; config: ModelConfig; chars: string[]; history: TrainingRecord[] };
  try {
    m = JSON.parse(fs.readFileSync(meta, 'utf8'));
  } catch (e) {
    throw new GradusError(`model.json is not valid JSON (${(e as Error).message})`, 'The checkpoint is damaged; train it again.', { file: meta });
  }
  if (m.format !== CHECKPOINT_FORMAT) throw new GradusError(`unknown checkpoint format ${JSON.stringify(m.format)}`, `This gradus reads ${CHECKPOINT_FORMAT}.`, { file: meta });
  const buf = fs.readFileSync(path.join(dir, 'weights.bin'));
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const values = new Map<string, Float32Array>();
  let off = 0;
  for (const [name, shape] of paramShapes(m.config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    values.set(name, all.slice(off, off + n));
    off += n;
  }
  if (off !== all.length) throw new GradusError(`weights.bin holds ${all.length} numbers, the architecture needs ${off}`, 'The checkpoint is damaged; train it again.', { file: path.join(dir, 'weights.bin') });
  return { config: m.config, chars: m.chars, values, history: m.history ?? [] };
}
