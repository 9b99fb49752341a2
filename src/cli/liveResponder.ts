/**
 * The one adapter between adaptive testing and the study's evaluators (`gradus cat --config EVAL.yaml`). The
 * evaluators score a list of items per call; adaptive testing needs one answer before it can choose the next item,
 * so each step is one call with one item: for the openai kind one HTTP request per item, for command and builtin one
 * process per item (slow: prefer an OpenAI-compatible server for live adaptive testing).
 *
 * EVAL.yaml: `model` (the name in the outputs, and {model_path} for the evaluator), `items` (JSONL with text and
 * reference answer, as a study's items), optional `fields`, and `evaluator`, the same block as in a study config.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { GradusError } from '../errors.js';
import type { ItemBank } from '../evaluate/bank.js';
import type { Responder } from '../evaluate/responder.js';
import { evaluators } from '../evaluators/index.js';
import type { CellContext, StudyItem } from '../plugins/contract.js';
import { studySchema } from '../study/config.js';
import { parseItems } from '../study/items.js';

const evalSchema = z
  .object({
    model: z.string().min(1),
    items: z.string().min(1),
    fields: studySchema.shape.data.shape.fields,
    evaluator: evaluators.schema,
  })
  .strict();

type EvalConfig = z.infer<typeof evalSchema>;

function readEvalConfig(file: string): EvalConfig {
  if (!fs.existsSync(file)) throw new GradusError('no such evaluation config', 'Give EVAL.yaml with model, items and evaluator (see README, gradus cat).', { file });
  const lc = new LineCounter();
  const doc = parseDocument(fs.readFileSync(file, 'utf8'), { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const pos = lc.linePos(doc.errors[0].pos[0]);
    throw new GradusError(`the config is not valid YAML (${doc.errors[0].message.split('\n')[0]})`, 'Fix the syntax at that place.', { file, line: pos.line, column: pos.col });
  }
  const r = evalSchema.safeParse(doc.toJS());
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue.path.map(String);
  const node = doc.getIn(at, true) as { range?: [number, number] } | undefined;
  const pos = node?.range ? lc.linePos(node.range[0]) : undefined;
  const what = issue.code === 'unrecognized_keys' ? `unknown field "${issue.keys[0]}"` : issue.message.replace(/^Invalid input: /, '');
  const hint = at[0] === 'items' ? 'Adaptive testing asks the model each item, so it needs the items with their text: give items: ITEMS.jsonl (id, prompt, answer).' : 'EVAL.yaml has model, items, optional fields, and evaluator (the block of a study config).';
  throw new GradusError(`field ${at.join('.') || '(top level)'}: ${what}`, hint, { file, line: pos?.line, column: pos?.col });
}

export function liveResponder(configFile: string, bank: ItemBank, outDir: string): Responder {
  const cfg = readEvalConfig(configFile);
  const configDir = path.dirname(path.resolve(configFile));
  const itemsFile = path.resolve(configDir, cfg.items);
  if (!fs.existsSync(itemsFile)) throw new GradusError('the items file the config names does not exist', 'Adaptive testing asks the model each item: give items: ITEMS.jsonl with id, prompt and answer.', { file: itemsFile });
  const items = parseItems(fs.readFileSync(itemsFile, 'utf8'), itemsFile, 0, 'test', cfg.fields);
  const byBank = new Map<number, StudyItem>();
  for (const it of items) {
    const i = bank.index.get(it.id);
    if (i !== undefined) byBank.set(i, it);
  }
  if (!byBank.size) throw new GradusError(`no item of the items file is in the fit's bank (e.g. ${JSON.stringify(items[0]?.id ?? '')})`, 'Give the texts of the benchmark the fit was made on, with the same ids.', { file: itemsFile });
  const evaluator = evaluators.create(cfg.evaluator);
  const dir = path.resolve(outDir, 'live');
  const ctx = (model: string): CellContext => ({
    cell: { id: 'cat', strategy: 'baseline', trainBins: [], seed: 0 },
    dir,
    modelPath: model,
    studyDir: path.resolve(outDir),
    configDir,
    baseModel: model,
    signal: new AbortController().signal,
    vars: { cell: 'cat', strategy: 'baseline', train_bins: '', seed: 0, base_model: model, cell_dir: dir, study_dir: path.resolve(outDir), output_dir: model, model_path: model },
    say: () => undefined,
  });
  return {
    models: [cfg.model],
    available: () => Uint8Array.from(bank.ids, (_, i) => (byBank.has(i) ? 1 : 0)),
    async ask(model, i) {
      fs.mkdirSync(dir, { recursive: true });
      try {
        const [res] = await evaluator.evaluate(ctx(model), [byBank.get(i)!]);
        return res.correct ? 1 : 0;
      } catch (e) {
        if (e instanceof GradusError) throw e;
        throw new GradusError(`asking ${model} item ${JSON.stringify(bank.ids[i])} failed (${(e as Error).message})`, `What was asked so far is kept in ${path.join(outDir, 'trajectory.csv')}; fix the server and rerun the same command: it resumes without asking any item twice.`);
      }
    },
  };
}
