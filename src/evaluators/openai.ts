/**
 * Scores a model served by any OpenAI-compatible server (vLLM, llama.cpp, Ollama, TGI, LM Studio, `gradus serve`)
 * through /v1/chat/completions or /v1/completions, greedy by default. The API key is read from the environment
 * variable the config names and goes only into the Authorization header. A config may name a command that
 * starts a server for each cell's checkpoint; it is stopped when the cell's evaluation ends.
 */
import path from 'node:path';
import { fill, fillArgv, fillKnown } from '../util/template.js';
import { startLogged, stopGroup } from '../util/runCommand.js';
import { GradusError } from '../errors.js';
import { CellFailure, type CellContext, type Evaluator, type ItemResult } from '../study/cell.js';
import type { StudyConfig } from '../study/config.js';
import type { StudyItem } from '../study/items.js';
import { checkAnswerConfig, LETTERS, score } from './extract.js';
import { HttpFailure, mapLimit, postJson, waitReady } from './http.js';
import { choiceRequest, goldIndex, pickChoice } from './loglikelihood.js';

type OpenAIConfig = Extract<StudyConfig['evaluator'], { kind: 'openai' }>;

/** The prompt sent for an item: the template with the item's fields, {choices} as lettered lines. */
export function renderPrompt(template: string, item: StudyItem): string {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(item.fields)) if (typeof v === 'string' || typeof v === 'number') vars[k] = String(v);
  vars.prompt = item.prompt;
  vars.choices = (item.choices ?? []).map((c, k) => `${LETTERS[k]}. ${c}`).join('\n');
  // item text may itself hold braces: only the template's own placeholders are filled, once
  return fillKnown(template, vars);
}

export function openaiEvaluator(cfg: OpenAIConfig): Evaluator {
  checkAnswerConfig(cfg.answer);
  if (cfg.answer.kind === 'loglikelihood' && cfg.endpoint !== 'completions') throw new GradusError('field evaluator.endpoint: answer.kind "loglikelihood" reads prompt log-probabilities, which only the completions endpoint echoes', 'Set evaluator.endpoint: completions.');
  const base = cfg.base_url.replace(/\/+$/, '');
  const headers = (): Record<string, string> => {
    if (!cfg.api_key_env) return {};
    const key = process.env[cfg.api_key_env];
    if (key === undefined || key === '') throw new GradusError(`the environment variable ${cfg.api_key_env} (evaluator.api_key_env) is not set`, `Export it before running: export ${cfg.api_key_env}=...; gradus never stores the key.`);
    return { authorization: `Bearer ${key}` };
  };
  const ask = async (model: string, prompt: string, h: Record<string, string>, signal: AbortSignal): Promise<string> => {
    const common = { model, max_tokens: cfg.max_tokens, temperature: cfg.temperature, ...(cfg.stop ? { stop: cfg.stop } : {}) };
    const body = cfg.endpoint === 'chat' ? { ...common, messages: [{ role: 'user', content: prompt }] } : { ...common, prompt };
    const json = (await postJson(`${base}/${cfg.endpoint === 'chat' ? 'chat/completions' : 'completions'}`, body, { headers: h, timeoutMs: cfg.timeout_s * 1000, retries: cfg.retries, signal })) as {
      choices?: Array<{ text?: string; message?: { content?: string | null } }>;
    };
    const c = json?.choices?.[0];
    const text = cfg.endpoint === 'chat' ? c?.message?.content : c?.text;
    if (typeof text !== 'string') throw new HttpFailure(`the server's answer has no ${cfg.endpoint === 'chat' ? 'choices[0].message.content' : 'choices[0].text'}`, false);
    return text;
  };
  const scoreByLoglikelihood = async (model: string, item: StudyItem, h: Record<string, string>, signal: AbortSignal): Promise<ItemResult> => {
    if (!item.choices?.length) throw new CellFailure(`item ${item.id} has no choices; answer.kind "loglikelihood" scores multiple-choice items (data.fields.choices)`);
    const { body, read } = choiceRequest(model, renderPrompt(cfg.prompt_template, item), item.choices, cfg.answer.delimiter ?? ' ');
    const lls = read(await postJson(`${base}/completions`, body, { headers: h, timeoutMs: cfg.timeout_s * 1000, retries: cfg.retries, signal }));
    const pick = pickChoice(lls, item.choices, cfg.answer.normalize ?? 'none');
    const result = { id: item.id, bin: item.bin, correct: pick === goldIndex(item.answer, item.choices), output: null, extracted: LETTERS[pick], loglikelihoods: lls };
    return result;
  };
  return {
    concurrent: cfg.server === undefined,
    async evaluate(ctx: CellContext, items: StudyItem[]): Promise<ItemResult[]> {
      const h = headers();
      const model = fill(cfg.model, ctx.vars, 'evaluator.model');
      let server: ReturnType<typeof startLogged> | undefined;
      const serverLog = path.join(ctx.dir, 'server.log');
      try {
        if (cfg.server) {
          const argv = fillArgv(cfg.server.command, ctx.vars, 'evaluator.server.command');
          server = startLogged(argv, { log: serverLog, cwd: cfg.server.cwd ? path.resolve(ctx.configDir, cfg.server.cwd) : ctx.configDir, env: cfg.server.env });
          let exited = false;
          server.once('exit', () => { exited = true; });
          server.once('error', () => { exited = true; });
          ctx.say(`${ctx.cell.id}: starting the server for ${model}`);
          const ok = await waitReady(`${base}/models`, cfg.server.ready_timeout_s * 1000, ctx.signal, () => !exited, h);
          if (!ok) throw new CellFailure(exited ? 'the server command exited before it answered' : `the server did not answer ${base}/models within ${cfg.server.ready_timeout_s} s`, serverLog);
        }
        if (cfg.answer.kind === 'loglikelihood') {
          return await mapLimit(items, cfg.concurrency, (item) => scoreByLoglikelihood(model, item, h, ctx.signal).catch((e) => {
            if (e instanceof HttpFailure || !(e instanceof GradusError || e instanceof CellFailure)) throw new CellFailure(`item ${item.id}: ${(e as Error).message}`, server ? serverLog : undefined);
            throw e;
          }));
        }
        return await mapLimit(items, cfg.concurrency, async (item) => {
          let output: string;
          try {
            output = await ask(model, renderPrompt(cfg.prompt_template, item), h, ctx.signal);
          } catch (e) {
            if (e instanceof HttpFailure) throw new CellFailure(`item ${item.id}: ${e.message}`, server ? serverLog : undefined);
            throw e;
          }
          const s = score(output, item.answer, cfg.answer, item.choices);
          return { id: item.id, bin: item.bin, correct: s.correct, output, extracted: s.extracted };
        });
      } finally {
        if (server) await stopGroup(server);
      }
    },
  };
}
