/**
 * Scores a model served by any OpenAI-compatible server (vLLM, llama.cpp, Ollama, TGI, LM Studio, `gradus serve`)
 * through /v1/chat/completions or /v1/completions, greedy by default. The API key is read from the environment
 * variable the config names and goes only into the Authorization header. A config may name a command that
 * starts a server for each cell's checkpoint; it is stopped when the cell's evaluation ends.
 */
import path from 'node:path';
import { z } from 'zod';
import { fill, fillArgv, fillKnown } from '../util/template.js';
import { startLogged, stopGroup } from '../util/runCommand.js';
import { GradusError } from '../errors.js';
import { CellFailure, type CellContext, type Evaluator, type ItemResult, type StudyItem } from '../plugins/contract.js';
import { argv, env, int } from '../plugins/schema.js';
import { definePlugin } from '../plugins/registry.js';
import { answerSchema, checkAnswerConfig, LETTERS, score } from './extract.js';
import { freePort, HttpFailure, mapLimit, postJson, waitReady } from './http.js';
import { choiceRequest, goldIndex, pickChoice } from './loglikelihood.js';

const PORT = '{port}';

const schema = z
  .object({
    kind: z.literal('openai'),
    // {port}: a free port gradus picks for evaluator.server, so no fixed port is needed
    base_url: z.string().refine((s) => URL.canParse(s.replaceAll(PORT, '1')), 'expected a URL such as http://127.0.0.1:8000/v1'),
    model: z.string().default('{model_path}'),
    endpoint: z.enum(['chat', 'completions']).default('chat'),
    api_key_env: z.string().optional(),
    prompt_template: z.string().default('{prompt}'),
    max_tokens: int(1).default(256),
    temperature: z.number().min(0).default(0),
    stop: z.array(z.string()).optional(),
    answer: answerSchema.default({ kind: 'exact', ignore_case: false }),
    concurrency: int(1).default(8),
    timeout_s: z.number().positive().default(120),
    retries: int(0).default(5),
    server: z
      .object({ command: argv, ready_timeout_s: z.number().positive().default(600), env: env.default({}), cwd: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();
type OpenAIConfig = z.infer<typeof schema>;

/** The prompt sent for an item: the template with the item's fields, {choices} as lettered lines. */
export function renderPrompt(template: string, item: StudyItem): string {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(item.fields)) if (typeof v === 'string' || typeof v === 'number') vars[k] = String(v);
  vars.prompt = item.prompt;
  vars.choices = (item.choices ?? []).map((c, k) => `${LETTERS[k]}. ${c}`).join('\n');
  // item text may itself hold braces: only the template's own placeholders are filled, once
  return fillKnown(template, vars);
}

export const openaiEvaluator = definePlugin(schema, openaiEvaluatorFor);

function openaiEvaluatorFor(cfg: OpenAIConfig): Evaluator {
  checkAnswerConfig(cfg.answer);
  if (cfg.base_url.includes(PORT) && !cfg.server) throw new GradusError('evaluator.base_url names {port}, which only a server that gradus starts (evaluator.server) has', 'Give the port of your server in base_url, or add evaluator.server with {port} in its command.');
  if (cfg.answer.kind === 'loglikelihood' && cfg.endpoint !== 'completions') throw new GradusError('field evaluator.endpoint: answer.kind "loglikelihood" reads prompt log-probabilities, which only the completions endpoint echoes', 'Set evaluator.endpoint: completions.');
  const headers = (): Record<string, string> => {
    if (!cfg.api_key_env) return {};
    const key = process.env[cfg.api_key_env];
    if (key === undefined || key === '') throw new GradusError(`the environment variable ${cfg.api_key_env} (evaluator.api_key_env) is not set`, `Export it before running: export ${cfg.api_key_env}=...; gradus never stores the key.`);
    return { authorization: `Bearer ${key}` };
  };
  const ask = async (base: string, model: string, prompt: string, h: Record<string, string>, signal: AbortSignal): Promise<string> => {
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
  const scoreByLoglikelihood = async (base: string, model: string, item: StudyItem, h: Record<string, string>, signal: AbortSignal): Promise<ItemResult> => {
    if (!item.choices?.length) throw new CellFailure(`item ${item.id} has no choices; answer.kind "loglikelihood" scores multiple-choice items (data.fields.choices)`);
    const { body, read } = choiceRequest(model, renderPrompt(cfg.prompt_template, item), item.choices, cfg.answer.delimiter ?? ' ');
    const lls = read(await postJson(`${base}/completions`, body, { headers: h, timeoutMs: cfg.timeout_s * 1000, retries: cfg.retries, signal }));
    const pick = pickChoice(lls, item.choices, cfg.answer.normalize ?? 'none');
    return { id: item.id, bin: item.bin, correct: pick === goldIndex(item.answer, item.choices), output: null, extracted: LETTERS[pick], loglikelihoods: lls };
  };
  return {
    concurrent: cfg.server === undefined,
    async evaluate(ctx: CellContext, items: StudyItem[]): Promise<ItemResult[]> {
      const h = headers();
      const vars = cfg.base_url.includes(PORT) ? { ...ctx.vars, port: await freePort() } : ctx.vars;
      const base = cfg.base_url.replaceAll(PORT, String(vars.port)).replace(/\/+$/, '');
      const model = fill(cfg.model, vars, 'evaluator.model');
      let server: ReturnType<typeof startLogged> | undefined;
      const serverLog = path.join(ctx.dir, 'server.log');
      try {
        if (cfg.server) {
          const argv = fillArgv(cfg.server.command, vars, 'evaluator.server.command');
          server = startLogged(argv, { log: serverLog, cwd: cfg.server.cwd ? path.resolve(ctx.configDir, cfg.server.cwd) : ctx.configDir, env: cfg.server.env });
          let exited = false;
          server.once('exit', () => { exited = true; });
          server.once('error', () => { exited = true; });
          ctx.say(`${ctx.cell.id}: starting the server for ${model}`);
          const ok = await waitReady(`${base}/models`, cfg.server.ready_timeout_s * 1000, ctx.signal, () => !exited, h);
          if (!ok) throw new CellFailure(exited ? 'the server command exited before it answered' : `the server did not answer ${base}/models within ${cfg.server.ready_timeout_s} s`, serverLog);
        }
        if (cfg.answer.kind === 'loglikelihood') {
          return await mapLimit(items, cfg.concurrency, (item) => scoreByLoglikelihood(base, model, item, h, ctx.signal).catch((e) => {
            if (e instanceof HttpFailure || !(e instanceof GradusError || e instanceof CellFailure)) throw new CellFailure(`item ${item.id}: ${(e as Error).message}`, server ? serverLog : undefined);
            throw e;
          }));
        }
        return await mapLimit(items, cfg.concurrency, async (item) => {
          let output: string;
          try {
            output = await ask(base, model, renderPrompt(cfg.prompt_template, item), h, ctx.signal);
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
