/**
 * POST JSON with a time limit and retries: 429 and 5xx (and dropped connections, time-outs) are retried with
 * exponential backoff and jitter, honouring Retry-After; other 4xx fail at once, since repeating cannot help.
 */
import net from 'node:net';

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  retries: number;
  signal: AbortSignal;
  /** first backoff; doubles each try, at most 30 s */
  backoffMs?: number;
}

export class HttpFailure extends Error {
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

/**
 * The parent signal or a time limit, whichever comes first. A plain timer rather than AbortSignal.any with
 * AbortSignal.timeout: Node can garbage-collect that timeout signal before it fires, and the request then waits
 * for undici's own 300 s header time-out (nodejs/node#57736; seen here once: a 0.3 s time-out took 300 s).
 */
function limited(parent: AbortSignal, ms: number): { signal: AbortSignal; done(): void } {
  const ac = new AbortController();
  const onParent = () => ac.abort(parent.reason);
  if (parent.aborted) onParent();
  else parent.addEventListener('abort', onParent, { once: true });
  const t = setTimeout(() => ac.abort(new DOMException(`no answer within ${ms / 1000} s`, 'TimeoutError')), ms);
  return { signal: ac.signal, done: () => { clearTimeout(t); parent.removeEventListener('abort', onParent); } };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => { signal.removeEventListener('abort', on); resolve(); }, ms);
    const on = () => { clearTimeout(t); reject(signal.reason); };
    signal.addEventListener('abort', on, { once: true });
  });

function retryAfterMs(h: string | null): number | undefined {
  if (h === null) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.min(60_000, Math.max(0, s * 1000));
  const t = Date.parse(h);
  return Number.isFinite(t) ? Math.min(60_000, Math.max(0, t - Date.now())) : undefined;
}

async function once(url: string, body: unknown, o: PostOptions): Promise<{ json?: unknown; wait?: number }> {
  const limit = limited(o.signal, o.timeoutMs);
  try {
    return await attempt(url, body, o, limit.signal);
  } finally {
    limit.done();
  }
}

async function attempt(url: string, body: unknown, o: PostOptions, signal: AbortSignal): Promise<{ json?: unknown; wait?: number }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...o.headers }, body: JSON.stringify(body), signal });
  } catch (e) {
    if (o.signal.aborted) throw o.signal.reason;
    const err = e as Error;
    const what = err.name === 'TimeoutError' ? `no answer within ${o.timeoutMs / 1000} s` : `connection failed (${(err as { cause?: Error }).cause?.message ?? err.message})`;
    throw new HttpFailure(what, true);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (e) {
    if (o.signal.aborted) throw o.signal.reason;
    throw new HttpFailure(`the answer broke off (${(e as Error).message})`, true);
  }
  if (res.ok) {
    try {
      return { json: JSON.parse(text) };
    } catch {
      throw new HttpFailure(`HTTP ${res.status} but the body is not JSON: ${text.slice(0, 200)}`, false);
    }
  }
  const retryable = res.status === 429 || res.status >= 500;
  const err = new HttpFailure(`HTTP ${res.status}: ${text.slice(0, 200)}`, retryable);
  if (!retryable) throw err;
  return { wait: retryAfterMs(res.headers.get('retry-after')), json: err };
}

export async function postJson(url: string, body: unknown, o: PostOptions): Promise<unknown> {
  let last: HttpFailure | undefined;
  const base = o.backoffMs ?? 500;
  for (let attempt = 0; attempt <= o.retries; attempt++) {
    let wait: number | undefined;
    try {
      const r = await once(url, body, o);
      if (!(r.json instanceof HttpFailure)) return r.json;
      last = r.json;
      wait = r.wait;
    } catch (e) {
      if (!(e instanceof HttpFailure) || !e.retryable) throw e;
      last = e;
    }
    if (attempt < o.retries) await sleep(wait ?? Math.min(30_000, base * 2 ** attempt) * (0.5 + Math.random() / 2), o.signal);
  }
  throw new HttpFailure(`${last!.message} (after ${o.retries + 1} tries)`, false);
}

/** Polls a URL until it answers 200, the time runs out, or `alive()` says the server died. */
export async function waitReady(url: string, timeoutMs: number, signal: AbortSignal, alive: () => boolean, headers?: Record<string, string>): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (!alive()) return false;
    const limit = limited(signal, 5000);
    try {
      const res = await fetch(url, { headers, signal: limit.signal });
      await res.arrayBuffer();
      if (res.ok) return true;
    } catch {
      if (signal.aborted) throw signal.reason;
    } finally {
      limit.done();
    }
    await sleep(250, signal);
  }
  return false;
}

/** Runs `f` over `xs` with at most `limit` in flight; keeps input order in the result. */
export async function mapLimit<T, R>(xs: T[], limit: number, f: (x: T, k: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < xs.length) {
      const k = next++;
      try {
        out[k] = await f(xs[k], k);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, worker));
  if (failed !== undefined) throw failed;
  return out;
}

/** A port free on loopback now: the OS picks it (port 0), and it is handed to the server command to bind. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
