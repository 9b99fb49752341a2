/**
 * The leaderboard's list of evaluated models: the dataset `open-llm-leaderboard/contents`, Parquet files under
 * `data/`, one row per evaluation. Its columns, as the leaderboard writes them: `fullname` (org/model),
 * `Average ⬆️`, `#Params (B)`, `Flagged`, `Merged`, `Available on the hub` (false once the model was deleted),
 * among others. Columns are found by name with spaces, case and symbols ignored, so a renamed emoji does not
 * break the reading; a missing one is an error that lists the columns there are.
 */
import path from 'node:path';
import { GradusError, option } from '../errors.js';
import { openDuck, sqlIdent, sqlString } from '../util/duck.js';

export const CONTENTS_REPO = 'open-llm-leaderboard/contents';

export interface ModelFilter {
  top?: number;
  minParams?: number;
  maxParams?: number;
  keepFlagged?: boolean;
}

export interface ListedModel {
  model: string;
  average: number | null;
  params: number | null;
}

export interface ModelList {
  models: ListedModel[];
  rows: number;
  /** models left out, by reason */
  dropped: Record<string, number>;
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function findColumn(columns: string[], wanted: (n: string) => boolean): string | undefined {
  return columns.find((c) => wanted(norm(c)));
}

export async function readContents(files: string[], f: ModelFilter): Promise<ModelList> {
  const duck = await openDuck();
  try {
    const from = `read_parquet([${files.map(sqlString).join(', ')}], union_by_name=true)`;
    const columns = (await duck.conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRows().map((r) => String(r[0]));
    const col = {
      model: findColumn(columns, (n) => n === 'fullname') ?? findColumn(columns, (n) => n === 'modelname' || n === 'model'),
      average: findColumn(columns, (n) => n.startsWith('average')),
      params: findColumn(columns, (n) => n === 'paramsb' || n === 'params'),
      flagged: findColumn(columns, (n) => n === 'flagged'),
      merged: findColumn(columns, (n) => n === 'merged'),
      available: findColumn(columns, (n) => n === 'availableonthehub'),
    };
    if (!col.model) {
      throw new GradusError(`the contents table has no fullname column (it has: ${columns.join(', ')})`, `Give the list of models yourself with ${option('models')} FILE (one org/model per line).`, { file: path.dirname(files[0]) });
    }
    const pick = (c: string | undefined, as: string) => (c ? `${sqlIdent(c)} AS ${as}` : `NULL AS ${as}`);
    const sql = `SELECT CAST(${sqlIdent(col.model)} AS VARCHAR) AS model, TRY_CAST(${col.average ? sqlIdent(col.average) : 'NULL'} AS DOUBLE) AS average, TRY_CAST(${col.params ? sqlIdent(col.params) : 'NULL'} AS DOUBLE) AS params, ${pick(col.flagged, 'flagged')}, ${pick(col.merged, 'merged')}, ${pick(col.available, 'available')} FROM ${from}`;
    const rows = (await duck.conn.runAndReadAll(sql)).getRows();
    const dropped: Record<string, number> = {};
    const drop = (why: string) => {
      dropped[why] = (dropped[why] ?? 0) + 1;
    };
    const best = new Map<string, ListedModel>();
    for (const [model, average, params, flagged, merged, available] of rows) {
      if (typeof model !== 'string' || !model.includes('/')) {
        drop('no org/model name');
        continue;
      }
      const a = average === null ? null : Number(average);
      const p = params === null ? null : Number(params);
      if (!f.keepFlagged && flagged === true) drop('flagged');
      else if (!f.keepFlagged && merged === true) drop('merged');
      else if (!f.keepFlagged && available === false) drop('deleted from the Hub');
      else if (f.minParams !== undefined && (p === null || p < f.minParams)) drop('fewer parameters than asked');
      else if (f.maxParams !== undefined && (p === null || p > f.maxParams)) drop('more parameters than asked');
      else {
        // one model evaluated at several precisions is one model: its best evaluation stands for it
        const prev = best.get(model);
        if (prev) drop('listed twice (kept the best average)');
        if (!prev || (a ?? -Infinity) > (prev.average ?? -Infinity)) best.set(model, { model, average: a, params: p });
      }
    }
    let models = [...best.values()].sort((x, y) => (y.average ?? -Infinity) - (x.average ?? -Infinity) || (x.model < y.model ? -1 : 1));
    if (f.top !== undefined && models.length > f.top) {
      dropped[`below the top ${f.top}`] = models.length - f.top;
      models = models.slice(0, f.top);
    }
    return { models, rows: rows.length, dropped };
  } finally {
    duck.close();
  }
}

/** `org/model`, from a line of a models file: `org/model`, `org__model`, or a details repo id. */
export function modelFromLine(line: string): string {
  let s = line.trim().replace(/^datasets\//, '');
  const details = /^open-llm-leaderboard\/(.+?)-details$/.exec(s);
  if (details) s = details[1];
  if (!s.includes('/') && s.includes('__')) s = s.replace('__', '/');
  return s;
}

export function detailsRepo(model: string): string {
  return `open-llm-leaderboard/${model.replace('/', '__')}-details`;
}

export function folderOf(model: string): string {
  return model.replace('/', '__');
}
