import type { Command } from 'commander';
import { collectProgress } from '../../hub/progress.js';
import { LEADERBOARD_TASKS } from '../../hub/tasks.js';
import { HUB_URL } from '../../hub/http.js';
import { example, int, num } from '../options.js';
import { addJsonOption, emit } from '../output.js';

export function register(program: Command): void {
  const cmd = program
    .command('collect')
    .description("fetch the Open LLM Leaderboard's per-sample answers from the Hugging Face Hub into responses.parquet and items JSONL")
    .requiredOption('--tasks <list>', `comma-separated: ${LEADERBOARD_TASKS.join(', ')} (or any harness task name)`)
    .requiredOption('--out <dir>', 'folder for raw/, responses.parquet, <task>.items.jsonl, collect.json')
    .option('--models <file>', 'models to collect, one org/model a line (instead of the leaderboard contents table)')
    .option('--top <n>', 'the N models of best average score')
    .option('--min-params <b>', 'at least this many parameters, in billions')
    .option('--max-params <b>', 'at most this many parameters, in billions')
    .option('--keep-flagged', 'keep models the table marks as merged, flagged or deleted')
    .option('--run <timestamp>', 'fetch this run (e.g. 2024-06-26T18-45-16.398419) instead of the latest of each task')
    .option('--update', 'ask the Hub again about models already collected and fetch their new runs')
    .option('--concurrency <n>', 'models fetched at once', '8')
    .option('--revision <rev>', 'branch, tag or commit of the details repos', 'main')
    .option('--hub-url <url>', 'the Hub, or a mirror', HUB_URL)
    .option('--timeout <s>', 'per request: seconds without an answer or a byte before it is retried', '60')
    .option('--retries <n>', 'retries of a request on 429, 5xx, time-outs and dropped connections', '6')
    .option('--quiet', 'say only what was skipped or failed');
  addJsonOption(cmd);
  example(cmd, 'gradus collect --tasks musr,math_hard,bbh,gpqa,mmlu_pro,ifeval --top 500 --out leaderboard/   # token from HF_TOKEN');
  cmd.action(async (o: Record<string, string | boolean | undefined>) => {
    const opt = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : undefined);
    // the Hub's client loads only when collect runs, so other commands start without it
    const { collectLeaderboard } = await import('../../hub/collect.js');
    const r = await collectLeaderboard({
      tasks: String(o.tasks).split(',').map((t) => t.trim()).filter(Boolean),
      out: String(o.out),
      models: opt('models'),
      top: opt('top') === undefined ? undefined : int(opt('top'), '--top', 1),
      minParams: opt('minParams') === undefined ? undefined : num(opt('minParams'), '--min-params'),
      maxParams: opt('maxParams') === undefined ? undefined : num(opt('maxParams'), '--max-params'),
      keepFlagged: Boolean(o.keepFlagged),
      run: opt('run'),
      update: Boolean(o.update),
      concurrency: int(opt('concurrency'), '--concurrency', 1),
      revision: opt('revision'),
      hubUrl: opt('hubUrl'),
      timeoutS: num(opt('timeout'), '--timeout'),
      retries: int(opt('retries'), '--retries'),
      progress: collectProgress(process.stderr, Boolean(o.quiet)),
    });
    const tasks = Object.entries(r.items).map(([t, n]) => `${t} ${n}`).join(', ');
    emit(o, r, () =>
      [
        `${r.done} of ${r.models} models collected, ${r.responses} responses (${(r.bytes / 1e6).toFixed(1)} MB fetched); items: ${tasks || 'none'}\n`,
        r.skipped.length ? `${r.skipped.length} model(s) skipped, each with its reason in ${r.file}\n` : '',
        r.failed.length ? `${r.failed.length} model(s) failed: run the same command again to resume\n` : '',
        `wrote ${r.file}\n`,
      ].join(''),
    );
    process.exitCode = r.exitCode;
  });
}
