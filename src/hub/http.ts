/**
 * The fetch every Hub call goes through (handed to @huggingface/hub as its `fetch`). It adds what the client
 * leaves to its caller:
 * - the token is added here, and only to requests for the Hub's own origin: redirects are followed by hand so a
 *   hop to the file store (another host) never carries it;
 * - 429 and 5xx answers, and connections that fail before an answer, are retried with jittered exponential
 *   backoff, or after the server's `Retry-After` (seconds or an HTTP date);
 * - a time-out per request: no answer within `timeoutMs`, or a body that stalls that long, aborts the request.
 * A body cut mid-download surfaces as an error from the body stream; src/hub/download.ts retries the file.
 */
export interface HubFetchOptions {
  hubUrl: string;
  token?: string;
  timeoutMs?: number;
  retries?: number;
  /** told of every wait, e.g. for the progress line */
  onRetry?: (what: string, waitMs: number) => void;
}

export const HUB_URL = 'https://huggingface.co';
const MAX_REDIRECTS = 10;
const MAX_WAIT_MS = 60_000;

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Seconds, or an HTTP date, as RFC 9110 §10.2.3 allows; null when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000);
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - now) : null;
}

export function backoffMs(attempt: number): number {
  const base = Math.min(MAX_WAIT_MS, 500 * 2 ** attempt);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

function urlOf(input: string | URL | Request): URL {
  return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
}

export function hubFetch(o: HubFetchOptions): typeof fetch {
  const hubOrigin = new URL(o.hubUrl).origin;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const retries = o.retries ?? 6;

  const once = async (start: URL, init: RequestInit): Promise<Response> => {
    let url = start;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers = new Headers(init.headers);
      headers.delete('authorization');
      if (o.token && url.origin === hubOrigin) headers.set('authorization', `Bearer ${o.token}`);
      const ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(new Error(`no answer from ${url.host} within ${timeoutMs / 1000} s`)), timeoutMs);
      let res: Response;
      try {
        res = await fetch(url, { ...init, headers, redirect: 'manual', signal: ctrl.signal });
      } finally {
        clearTimeout(timer);
      }
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        url = new URL(location, url);
        continue;
      }
      return withIdleTimeout(res, url, ctrl, timeoutMs);
    }
    throw new Error(`more than ${MAX_REDIRECTS} redirects from ${start.href}`);
  };

  return async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = urlOf(input);
    for (let attempt = 0; ; attempt++) {
      let res: Response | undefined;
      let failure: Error | undefined;
      try {
        res = await once(url, init);
      } catch (e) {
        failure = e as Error;
      }
      const retryable = failure !== undefined || res!.status === 429 || res!.status >= 500;
      if (!retryable || attempt >= retries) {
        if (failure) throw failure;
        return res!;
      }
      const wait = Math.min(MAX_WAIT_MS, (res && retryAfterMs(res.headers.get('retry-after'))) ?? backoffMs(attempt));
      await res?.body?.cancel();
      o.onRetry?.(failure ? `${url.pathname}: ${failure.message}` : `${url.pathname}: HTTP ${res!.status}`, wait);
      await sleep(wait);
    }
  };
}

/** The same response, whose body aborts the request when no bytes come for `ms`. */
function withIdleTimeout(res: Response, url: URL, ctrl: AbortController, ms: number): Response {
  if (!res.body) return res;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => ctrl.abort(new Error(`${url.host} sent nothing for ${ms / 1000} s`)), ms);
    // a body the reader dropped must not keep the process alive
    timer.unref();
  };
  arm();
  const body = res.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        arm();
        c.enqueue(chunk);
      },
      flush() {
        clearTimeout(timer);
      },
    }),
  );
  const out = new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  Object.defineProperty(out, 'url', { value: url.href });
  return out;
}
