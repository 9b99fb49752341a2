import { MISSING, type ResponseMatrix } from './matrix.js';
import type { IngestReport } from './read.js';

export interface GroupSummary {
  models: number;
  items: number;
  responses: number;
  shareMissing: number;
  meanCorrect: number;
  /** items every model that answered got right / wrong, and items nobody answered */
  itemsAllCorrect: number;
  itemsAllWrong: number;
  itemsUnanswered: number;
  /** models with no right answer / no wrong answer among those they gave, and models that answered nothing */
  modelsNoCorrect: number;
  modelsNoWrong: number;
  modelsUnanswered: number;
}

export interface MatrixSummary extends GroupSummary {
  duplicatesDropped: number;
  scoresCut: number;
  conflicts: number;
  groups?: Array<{ group: string } & GroupSummary>;
}

/** What `gradus inspect` prints: size, sparsity, accuracy, and the items and models that carry no information. */
export function summarize(m: ResponseMatrix, report?: IngestReport, groupOf?: (item: string) => string | undefined): MatrixSummary {
  const all = Int32Array.from({ length: m.items.length }, (_, i) => i);
  const out: MatrixSummary = {
    ...summarizeItems(m, all),
    duplicatesDropped: report?.duplicatesDropped ?? 0,
    scoresCut: report?.scoresCut ?? 0,
    conflicts: report?.conflicts ?? 0,
  };
  if (groupOf) {
    const byGroup = new Map<string, number[]>();
    m.items.forEach((id, i) => {
      const g = groupOf(id) ?? '(no group)';
      if (!byGroup.has(g)) byGroup.set(g, []);
      byGroup.get(g)!.push(i);
    });
    out.groups = [...byGroup.keys()].sort().map((g) => ({ group: g, ...summarizeItems(m, Int32Array.from(byGroup.get(g)!)) }));
  }
  return out;
}

function summarizeItems(m: ResponseMatrix, items: Int32Array): GroupSummary {
  const nM = m.models.length;
  const nI = m.items.length;
  const itemRight = new Int32Array(items.length);
  const itemN = new Int32Array(items.length);
  let modelsNoCorrect = 0;
  let modelsNoWrong = 0;
  let modelsUnanswered = 0;
  let responses = 0;
  let correct = 0;
  for (let r = 0; r < nM; r++) {
    const base = r * nI;
    let n = 0;
    let right = 0;
    for (let k = 0; k < items.length; k++) {
      const v = m.data[base + items[k]];
      if (v === MISSING) continue;
      n++;
      right += v;
      itemN[k]++;
      itemRight[k] += v;
    }
    responses += n;
    correct += right;
    if (n === 0) modelsUnanswered++;
    else if (right === 0) modelsNoCorrect++;
    else if (right === n) modelsNoWrong++;
  }
  let itemsAllCorrect = 0;
  let itemsAllWrong = 0;
  let itemsUnanswered = 0;
  for (let k = 0; k < items.length; k++) {
    if (itemN[k] === 0) itemsUnanswered++;
    else if (itemRight[k] === 0) itemsAllWrong++;
    else if (itemRight[k] === itemN[k]) itemsAllCorrect++;
  }
  const cells = nM * items.length;
  return {
    models: nM,
    items: items.length,
    responses,
    shareMissing: cells ? 1 - responses / cells : 0,
    meanCorrect: responses ? correct / responses : 0,
    itemsAllCorrect,
    itemsAllWrong,
    itemsUnanswered,
    modelsNoCorrect,
    modelsNoWrong,
    modelsUnanswered,
  };
}
