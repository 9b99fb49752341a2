/**
 * The Hub token, found where the Hub's own tools look (huggingface_hub's `get_token`): the environment
 * (`HF_TOKEN`, then the older `HUGGING_FACE_HUB_TOKEN`), else the file `huggingface-cli login` writes:
 * `$HF_TOKEN_PATH`, else `$HF_HOME/token`, else `$XDG_CACHE_HOME/huggingface/token`, else `~/.cache/huggingface/token`.
 * The token is only ever held in memory and handed to the Hub's fetch (src/hub/http.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface FoundToken {
  token: string | undefined;
  /** where it came from, for messages (never the token itself) */
  source: string;
}

export function tokenFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_TOKEN_PATH) return env.HF_TOKEN_PATH;
  const cache = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  const home = env.HF_HOME || path.join(cache, 'huggingface');
  return path.join(home, 'token');
}

export function findToken(env: NodeJS.ProcessEnv = process.env): FoundToken {
  for (const name of ['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']) {
    const v = env[name]?.trim();
    if (v) return { token: v, source: `$${name}` };
  }
  const file = tokenFilePath(env);
  try {
    const v = fs.readFileSync(file, 'utf8').trim();
    if (v) return { token: v, source: file };
  } catch {
    // no token file: anonymous access, which public repos allow
  }
  return { token: undefined, source: 'none' };
}

/** Replaces every occurrence of the token in a text, so no message, log or file can carry it. */
export function redact(text: string, token: string | undefined): string {
  return token ? text.split(token).join('hf_***') : text;
}
