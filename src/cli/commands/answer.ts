import type { Command } from 'commander';
import { example, int } from '../options.js';

export function register(program: Command): void {
  const cmd = program
    .command('answer')
    .description('answer items with a built-in checkpoint (greedy, batched) and score exact matches')
    .argument('<checkpoint>', 'checkpoint folder')
    .argument('<items>', 'items JSONL with prompt (and answer, to score)')
    .requiredOption('--out <file>', 'JSONL: id, output, correct per item')
    .option('--batch <n>', 'prompts decoded together', '256')
    .option('--model-name <name>', 'model id written in --responses (default: the checkpoint path)')
    .option('--responses <file>', 'also append model,item,correct rows to this long CSV');
  example(cmd, 'gradus answer ckpt/base items.jsonl --out answers.jsonl');
  cmd.action(async (ckpt: string, items: string, o: Record<string, string>) => {
    // the transformer (TensorFlow.js) loads only when a command uses it, so the others start without it
    const { answerItemsFile } = await import('../../tinylm/answerFile.js');
    const r = await answerItemsFile(ckpt, items, o.out, { batch: int(o.batch, '--batch', 1), responses: o.responses, modelName: o.modelName });
    process.stdout.write(`${r.n} items, ${r.correct} correct (${((100 * r.correct) / Math.max(1, r.scored)).toFixed(1)}% of ${r.scored} with an answer), ${r.itemsPerSecond.toFixed(0)} items/s; wrote ${o.out}\n`);
  });
}
