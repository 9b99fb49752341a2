/**
 * One dataset repository on the Hub, through @huggingface/hub: the listing of its files (the client follows the
 * `Link: <…>; rel="next"` pages) and a file's bytes (the client's resolve URL, redirected to the file store).
 * Access errors become a `HubAccess` the collector reports per model; anything else is left to retry.
 */
import { downloadFile, listFiles, HubApiError } from '@huggingface/hub';

export interface RepoFile {
  path: string;
  size: number;
  /** git blob sha1 of the file, or of its LFS pointer */
  oid: string;
  /** sha256 of the content, for files stored in LFS */
  lfsSha256?: string;
}

export interface HubContext {
  hubUrl: string;
  revision: string;
  fetch: typeof fetch;
  /** whether a token is sent (for the advice on a refused repo) */
  hasToken: boolean;
}

/** The Hub refused a repository: 401/403 (gated, private, bad token) or 404. The message says what to do. */
export class HubAccess extends Error {
  constructor(readonly repo: string, readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export function datasetUrl(ctx: HubContext, repo: string): string {
  return `${ctx.hubUrl.replace(/\/$/, '')}/datasets/${repo}`;
}

export function accessError(ctx: HubContext, repo: string, e: unknown): HubAccess | null {
  if (!(e instanceof HubApiError) || ![401, 403, 404].includes(e.statusCode)) return null;
  const page = datasetUrl(ctx, repo);
  // the client keeps the body ({"error": "..."}) but not the X-Error-Code header, so the status tells them apart
  const code = e.statusCode === 404 ? 'RepoNotFound' : e.statusCode === 401 ? 'Unauthorized' : 'GatedRepo';
  if (e.statusCode === 404) return new HubAccess(repo, 404, code, `${repo} was not found on the Hub (or is private): check the model name, or leave it out.`);
  const what = ctx.hasToken
    ? `your token has no access to ${repo}: accept the dataset's terms at ${page} (signed in as the token's owner), then run the same command again`
    : `${repo} is gated: accept the dataset's terms at ${page}, then give a token (set HF_TOKEN, or run \`huggingface-cli login\`) and run the same command again`;
  return new HubAccess(repo, e.statusCode, code, what);
}

export async function listRepoFiles(ctx: HubContext, repo: string): Promise<RepoFile[]> {
  const out: RepoFile[] = [];
  try {
    for await (const f of listFiles({ repo: { type: 'dataset', name: repo }, recursive: true, revision: ctx.revision, hubUrl: ctx.hubUrl, fetch: ctx.fetch })) {
      if (f.type !== 'file') continue;
      out.push({ path: f.path, size: f.lfs?.size ?? f.size, oid: f.oid ?? '', lfsSha256: f.lfs?.oid });
    }
  } catch (e) {
    throw accessError(ctx, repo, e) ?? e;
  }
  return out;
}

/** The file's bytes from `start` on, as a stream; the listing already gave its size, so no probe request is made. */
export async function fileStream(ctx: HubContext, repo: string, file: RepoFile, start: number): Promise<ReadableStream<Uint8Array>> {
  const url = `${datasetUrl(ctx, repo)}/resolve/${encodeURIComponent(ctx.revision)}/${file.path.split('/').map(encodeURIComponent).join('/')}`;
  const blob = await downloadFile({
    repo: { type: 'dataset', name: repo },
    path: file.path,
    revision: ctx.revision,
    hubUrl: ctx.hubUrl,
    fetch: ctx.fetch,
    xet: false,
    downloadInfo: { size: file.size, etag: file.lfsSha256 ?? file.oid, url },
  });
  if (!blob) throw new Error(`${repo}: ${file.path} is no longer on the Hub`);
  return (start > 0 ? blob.slice(start) : blob).stream() as ReadableStream<Uint8Array>;
}
