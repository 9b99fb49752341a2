import type { Command } from 'commander';
import { example, int, num } from '../options.js';

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train the built-in small transformer (TensorFlow.js, wasm, CPU) from scratch or from a checkpoint')
    .requiredOption('--data <file>', 'JSONL: {"prompt","answer"} items, {"prompt","completion"} pairs or {"messages"} chats')
    .requiredOption('--out <dir>', 'checkpoint folder (model.json + weights.bin)')
    .option('--from <dir>', 'continue from this checkpoint')
    .option('--steps <n>', 'optimizer steps', '500')
    .option('--batch <n>', 'examples per step', '64')
    .option('--lr <x>', 'Adam learning rate', '3e-4')
    .option('--seed <n>', 'seed for the initial weights and the batches', '1')
    .option('--ordered', 'take the examples in file order (curricula) instead of at random')
    .option('--save-every <n>', 'also save OUT/step-NNNNNN every N steps (a checkpoint suite)')
    .option('--d <n>', 'width of a new model', '64')
    .option('--layers <n>', 'layers of a new model', '2')
    .option('--heads <n>', 'attention heads of a new model', '4')
    .option('--max-len <n>', 'longest sequence (prompt + answer tokens) of a new model', '32')
    .option('--quiet', 'no progress lines');
  example(cmd, 'gradus train --data items.jsonl --steps 1500 --lr 2e-3 --out ckpt/base');
  cmd.action(async (o: Record<string, string | boolean | undefined>) => {
    // the transformer (TensorFlow.js) loads only when a command uses it, so the others start without it
    const { readExamples, trainCheckpoint } = await import('../../tinylm/api.js');
    const examples = readExamples(String(o.data));
    const t0 = Date.now();
    const r = await trainCheckpoint(examples, {
      from: o.from as string | undefined,
      out: String(o.out),
      steps: int(o.steps, '--steps', 1),
      batch: int(o.batch, '--batch', 1),
      lr: num(o.lr, '--lr'),
      seed: int(o.seed, '--seed'),
      ordered: Boolean(o.ordered),
      saveEvery: o.saveEvery === undefined ? undefined : int(o.saveEvery, '--save-every', 1),
      arch: { d: int(o.d, '--d', 1), layers: int(o.layers, '--layers', 1), heads: int(o.heads, '--heads', 1), maxLen: int(o.maxLen, '--max-len', 2) },
      onProgress: o.quiet ? undefined : (step, loss) => process.stderr.write(`step ${step}  loss ${loss.toFixed(4)}  ${((Date.now() - t0) / step).toFixed(0)} ms/step\n`),
    });
    process.stdout.write(`trained ${r.steps} steps on ${examples.length} examples in ${r.seconds.toFixed(1)} s (last loss ${r.loss.toFixed(4)}); wrote ${o.out}\n`);
  });
}
