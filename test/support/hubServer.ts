/**
 * A stand-in for the Hugging Face Hub, for the calls `gradus collect` makes, on two local ports (port 0): the Hub
 * itself and a separate file store (another origin, as the real LFS/Xet CDN is). Where each behaviour comes from:
 * - File listing `GET /api/datasets/{repo}/tree/{rev}[/{path}]?recursive=…&expand=…`: a JSON array of
 *   `{type: "file"|"directory", oid, size, path, lfs?: {oid, size, pointerSize}}` (the Hub API docs'
 *   "/api/{repo_type}s/{repo_id}/tree/{revision}/{path}", and @huggingface/hub `src/lib/list-files.ts`'s
 *   `ListFileEntry`); `oid` is the git blob sha1, `lfs.oid` the content's sha256.
 * - Pagination: a page ends with `Link: <next url>; rel="next"` (list-files.ts reads `parseLinkHeader(…).next`;
 *   the Hub pages with a `cursor` query parameter).
 * - Download `GET /datasets/{repo}/resolve/{rev}/{path}`: LFS files answer 302 to the file store with
 *   `X-Linked-Size` and `X-Linked-Etag` (@huggingface/hub `src/lib/file-download-info.ts` reads them); small
 *   files come from the Hub itself. Both honour `Range` with 206 and `Content-Range`.
 * - Errors: a JSON body `{"error": "…"}` and an `X-Error-Code` header (`GatedRepo`, `RepoNotFound`,
 *   `EntryNotFound`), as huggingface_hub's `hf_raise_for_status` reads them and @huggingface/hub's
 *   `createApiError` takes `error` from. A gated repo answers 401 without a token and 403 with one that has not
 *   accepted the terms.
 * - Rate limits: 429 with `Retry-After` in seconds (the Hub's documented rate limiting).
 * Faults on demand: 429 on the first listing page or file request of some repos, a connection dropped halfway
 * through a file, for the collector's retries.
 */
import http from 'node:http';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface HubRepo {
  files: Map<string, Buffer>;
  /** tokens that have accepted the terms; undefined: the repo is not gated */
  gatedFor?: Set<string>;
}

export interface Served {
  host: 'hub' | 'store';
  method: string;
  path: string;
  range?: string;
  authorization?: string;
  status: number;
}

export interface HubServerOptions {
  /** entries per listing page */
  pageSize?: number;
  /** answer 429 (Retry-After) to the first request for these repo listings or files (repo or repo/path) */
  rateLimitOnce?: Set<string>;
  /** drop the connection halfway through the first download of these files (repo/path) */
  cutOnce?: Set<string>;
  /** bytes per second each file-store connection sends at most (for the benchmark); unlimited when absent */
  storeRate?: number;
}

export interface HubServer {
  url: string;
  storeUrl: string;
  repos: Map<string, HubRepo>;
  log: Served[];
  close(): Promise<void>;
}

const LFS = /\.(jsonl|json|parquet)$/;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const gitOid = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const isLfs = (path: string) => LFS.test(path) && !/results_[^/]*\.json$/.test(path);

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

function sendError(res: http.ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-error-code': code, 'x-request-id': `req-${Date.now()}` });
  res.end(JSON.stringify({ error: message }));
}

/** Sends the bytes (or the asked range); `cut` drops the connection halfway, `rate` paces the body. */
async function sendBody(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer, etag: string, cut: boolean, rate?: number) {
  let start = 0, end = body.length - 1;
  const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (range) {
    start = Number(range[1]);
    end = range[2] ? Math.min(Number(range[2]), end) : end;
    res.writeHead(206, { 'content-length': end - start + 1, 'content-range': `bytes ${start}-${end}/${body.length}`, etag, 'accept-ranges': 'bytes' });
  } else res.writeHead(200, { 'content-length': body.length, etag, 'accept-ranges': 'bytes' });
  const part = body.subarray(start, end + 1);
  if (cut) {
    res.write(part.subarray(0, Math.floor(part.length / 2)));
    await new Promise((r) => setTimeout(r, 20));
    req.socket.destroy();
    return;
  }
  if (!rate) return void res.end(part);
  const chunk = 64 * 1024;
  for (let at = 0; at < part.length; at += chunk) {
    if (!res.write(part.subarray(at, at + chunk))) await new Promise((r) => res.once('drain', r));
    await new Promise((r) => setTimeout(r, (Math.min(chunk, part.length - at) / rate) * 1000));
  }
  res.end();
}

export async function startHubServer(repos: Map<string, HubRepo>, o: HubServerOptions = {}): Promise<HubServer> {
  const log: Served[] = [];
  const pageSize = o.pageSize ?? 50;
  const limited = new Set(o.rateLimitOnce ?? []);
  const cuts = new Set(o.cutOnce ?? []);
  const blobs = new Map<string, { body: Buffer; key: string }>();
  for (const [name, repo] of repos) for (const [p, body] of repo.files) if (isLfs(p)) blobs.set(sha256(body), { body, key: `${name}/${p}` });
  let storeUrl = '';

  const record = (host: Served['host'], req: http.IncomingMessage, res: http.ServerResponse) => {
    const entry: Served = { host, method: req.method ?? 'GET', path: decodeURIComponent((req.url ?? '').split('?')[0]), range: req.headers.range, authorization: req.headers.authorization, status: 0 };
    log.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));
    res.on('close', () => (entry.status ||= res.statusCode));
  };
  const tokenOf = (req: http.IncomingMessage) => /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  const refused = (res: http.ServerResponse, name: string, repo: HubRepo, req: http.IncomingMessage): boolean => {
    if (!repo.gatedFor) return false;
    const token = tokenOf(req);
    if (!token) sendError(res, 401, 'GatedRepo', `Access to dataset ${name} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
    else if (!repo.gatedFor.has(token)) sendError(res, 403, 'GatedRepo', `Access to dataset ${name} is restricted and you are not in the authorized list. Visit https://huggingface.co/datasets/${name} to ask for access.`);
    else return false;
    return true;
  };
  const rateLimited = (res: http.ServerResponse, key: string) => {
    if (!limited.delete(key)) return false;
    res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'You have exceeded our rate limit. Please retry later.' }));
    return true;
  };

  const hub = http.createServer((req, res) => {
    record('hub', req, res);
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    const tree = /^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.*))?$/.exec(path);
    const resolve = /^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const name = (tree ?? resolve)?.[1];
    const repo = name ? repos.get(name) : undefined;
    if (!name || !repo) return sendError(res, 404, 'RepoNotFound', 'Repository not found');
    if (refused(res, name, repo, req)) return;
    if (tree) {
      if (rateLimited(res, name)) return;
      const prefix = tree[3] ? `${tree[3].replace(/\/$/, '')}/` : '';
      const entries: Array<Record<string, unknown>> = [];
      const dirs = new Set<string>();
      for (const [p, body] of [...repo.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (!p.startsWith(prefix)) continue;
        const dir = p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '';
        if (dir && !dirs.has(dir)) {
          dirs.add(dir);
          entries.push({ type: 'directory', oid: gitOid(Buffer.from(dir)), size: 0, path: dir });
        }
        const lfs = isLfs(p) ? { oid: sha256(body), size: body.length, pointerSize: 134 } : undefined;
        entries.push({ type: 'file', oid: lfs ? gitOid(Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${lfs.oid}\nsize ${body.length}\n`)) : gitOid(body), size: body.length, path: p, ...(lfs ? { lfs } : {}) });
      }
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = entries.slice(cursor, cursor + pageSize);
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json; charset=utf-8' };
      if (cursor + pageSize < entries.length) {
        const next = new URL(url.pathname + url.search, `http://${req.headers.host}`);
        next.searchParams.set('cursor', String(cursor + pageSize));
        headers.link = `<${next.href}>; rel="next"`;
      }
      res.writeHead(200, headers);
      return void res.end(JSON.stringify(page));
    }
    const file = resolve![3];
    const body = repo.files.get(file);
    if (!body) return sendError(res, 404, 'EntryNotFound', `${file} does not exist on "${resolve![2]}"`);
    if (rateLimited(res, `${name}/${file}`)) return;
    if (isLfs(file)) {
      const oid = sha256(body);
      // files added while the server runs (a new run) are stored on first request
      if (!blobs.has(oid)) blobs.set(oid, { body, key: `${name}/${file}` });
      res.writeHead(302, { location: `${storeUrl}/lfs/${oid}`, 'x-linked-size': body.length, 'x-linked-etag': `"${oid}"`, 'x-repo-commit': 'f'.repeat(40) });
      return void res.end();
    }
    void sendBody(req, res, body, `"${gitOid(body)}"`, false);
  });

  const store = http.createServer((req, res) => {
    record('store', req, res);
    const m = /^\/lfs\/([0-9a-f]{64})$/.exec(req.url ?? '');
    const blob = m ? blobs.get(m[1]) : undefined;
    if (!blob) return sendError(res, 404, 'EntryNotFound', 'no such object');
    void sendBody(req, res, blob.body, `"${m![1]}"`, cuts.delete(blob.key), o.storeRate);
  });

  const url = await listen(hub);
  storeUrl = await listen(store);
  return {
    url,
    storeUrl,
    repos,
    log,
    close: () =>
      new Promise<void>((r) => {
        hub.closeAllConnections();
        store.closeAllConnections();
        hub.close(() => store.close(() => r()));
      }),
  };
}
