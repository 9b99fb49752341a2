/**
 * examples/paper: the TRL script parses, the configs that call it pass only arguments it declares (and every one
 * it requires), its defaults are the study's released trainer settings, and the configs read what `gradus
 * collect` writes. No GPU stack is needed: the script imports TRL only when it trains.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseStudyConfig } from '../src/study/config.js';
import { itemOf } from '../src/hub/samples.js';
import { taskGroup } from '../src/hub/tasks.js';
import { ROOT, tmpDir } from './support/fixtures.js';

const SCRIPT = path.join(ROOT, 'examples/paper/train_sft.py');
const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version']).status === 0);

/** The script's options and which are required, read from its add_argument calls. */
function declared(): { all: Set<string>; required: string[] } {
  const src = fs.readFileSync(SCRIPT, 'utf8');
  const calls = [...src.matchAll(/add_argument\("(--[a-z0-9-]+)"([^\n]*)\)/g)];
  return { all: new Set(calls.map((m) => m[1])), required: calls.filter((m) => /required=True/.test(m[2])).map((m) => m[1]) };
}

function configsCallingIt(): Array<{ file: string; argv: string[] }> {
  const files = [...fs.readdirSync(path.join(ROOT, 'examples')).map((n) => `examples/${n}`), ...fs.readdirSync(path.join(ROOT, 'examples/paper')).map((n) => `examples/paper/${n}`)].filter((n) => /\.ya?ml$/.test(n));
  return files
    .map((file) => ({ file, cfg: parseStudyConfig(fs.readFileSync(path.join(ROOT, file), 'utf8'), file) }))
    .filter(({ cfg }) => cfg.learner.kind === 'command' && cfg.learner.command.some((a) => a.endsWith('train_sft.py')))
    .map(({ file, cfg }) => ({ file, argv: (cfg.learner as { command: string[] }).command }));
}

/** Without Python: brackets balance outside strings and comments, and blocks open after a colon. */
function parsesByHand(src: string): string | null {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const code = src.replace(/"""[\s\S]*?"""/g, '""').replace(/#[^\n]*/g, '').replace(/"(\\.|[^"\\\n])*"|'(\\.|[^'\\\n])*'/g, '""');
  for (const ch of code) {
    if ('([{'.includes(ch)) stack.push(ch);
    else if (ch in pairs && stack.pop() !== pairs[ch]) return `unbalanced ${ch}`;
  }
  if (stack.length) return `unclosed ${stack.join('')}`;
  const lines = code.split('\n');
  for (let k = 0; k < lines.length - 1; k++) {
    if (/^\s*(def|if|elif|else|for|while|with|try|except|class)\b.*:\s*$/.test(lines[k])) {
      const next = lines.slice(k + 1).find((l) => l.trim());
      if (next && next.search(/\S/) <= lines[k].search(/\S/)) return `no indented block after line ${k + 1}`;
    }
  }
  return null;
}

test('train_sft.py parses, and --dry-run shows the study settings as defaults', () => {
  if (!python) {
    assert.equal(parsesByHand(fs.readFileSync(SCRIPT, 'utf8')), null);
    return;
  }
  const c = spawnSync(python, ['-m', 'py_compile', SCRIPT], { encoding: 'utf8', env: { ...process.env, PYTHONPYCACHEPREFIX: tmpDir() } });
  assert.equal(c.status, 0, c.stderr);
  assert.equal(parsesByHand(fs.readFileSync(SCRIPT, 'utf8')), null, 'the hand check agrees with Python');
  const r = spawnSync(python, [SCRIPT, '--data', 'x.jsonl', '--output-dir', 'out', '--dry-run'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const { settings, lora } = JSON.parse(r.stdout);
  assert.deepEqual(
    [settings.learning_rate, settings.adam_beta1, settings.adam_beta2, settings.weight_decay, settings.warmup_ratio, settings.lr_scheduler_type, settings.max_grad_norm, settings.bf16, settings.completion_only_loss, lora],
    [5e-6, 0.9, 0.99, 0.1, 0.1, 'cosine', 0.1, true, true, false],
  );
  assert.notEqual(parsesByHand('def f(:\n  return 1\n'), null, 'the hand check catches a broken file');
});

test('every config that calls train_sft.py passes arguments it declares, all it requires, and runs it from where it lies', () => {
  const { all, required } = declared();
  assert.ok(all.has('--lora') && all.has('--data') && all.has('--output-dir'));
  const configs = configsCallingIt();
  assert.deepEqual(configs.map((c) => c.file).sort(), ['examples/paper/study.yaml', 'examples/study-command-openai.yaml', 'examples/study-slurm-gpu.yaml']);
  for (const { file, argv } of configs) {
    const script = argv.find((a) => a.endsWith('train_sft.py'))!;
    assert.equal(path.resolve(ROOT, path.dirname(file), script), SCRIPT, `${file}: the script path, from the config's folder`);
    const flags = argv.slice(argv.indexOf(script) + 1).filter((a) => a.startsWith('--'));
    for (const f of flags) assert.ok(all.has(f), `${file} passes ${f}, which train_sft.py does not declare`);
    for (const f of required) assert.ok(flags.includes(f), `${file} leaves out ${f}`);
    assert.equal(argv[argv.indexOf('--data') + 1], '{train_chat}', `${file}: the script reads the chat training file`);
    if (python) {
      const filled = argv.slice(argv.indexOf(script) + 1).map((a) => a.replace(/\{[a-z_]+\}/g, (p) => (p === '{seed}' ? '3' : `/tmp/${p.slice(1, -1)}`)));
      const r = spawnSync(python, [SCRIPT, ...filled, '--dry-run'], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${file}: ${r.stderr}`);
      assert.equal(JSON.parse(r.stdout).settings.seed, 3);
    }
  }
});

test("the paper's configs read collect's items file, with fields collect writes", () => {
  const item = itemOf({ doc_id: 4, doc: { question: 'Q?', options: ['x', 'y'] }, target: 1, arguments: { gen_args_0: { arg_0: 'ctx', arg_1: ' A' }, gen_args_1: { arg_0: 'ctx', arg_1: ' B' } }, acc: 1 }, taskGroup('mmlu_pro'), 'leaderboard_mmlu_pro');
  for (const file of ['examples/paper/study.yaml', 'examples/study-command-openai.yaml', 'examples/study-slurm-gpu.yaml']) {
    const cfg = parseStudyConfig(fs.readFileSync(path.join(ROOT, file), 'utf8'), file);
    assert.match(cfg.data.items ?? '', /(^|\/)leaderboard\/[a-z_]+\.items\.jsonl$/, file);
    assert.equal(path.resolve(ROOT, path.dirname(file), cfg.data.items!), path.join(ROOT, 'leaderboard/mmlu_pro.items.jsonl'), `${file}: from the repository root's leaderboard/`);
    for (const f of Object.values(cfg.data.fields)) assert.ok(f in item, `${file}: collect's items have no field ${f}`);
  }
  assert.deepEqual([item.prompt, item.choices, item.answer], ['Q?', ['x', 'y'], '1']);
});
