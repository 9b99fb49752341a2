/** stability.csv (written by `gradus stability --out`): item,difficulty,bin,same_bin — one writer, one reader. */
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable, numberCell, readCsvFile } from '../util/csv.js';
import type { StabilityResult } from './stability.js';

export const STABILITY_COLUMNS = ['item', 'difficulty', 'bin', 'same_bin'] as const;

export interface StabilityRow {
  item: string;
  difficulty: number;
  bin: number;
  /** share of resamples that left the item in its bin */
  same_bin: number;
}

export function writeStability(file: string, r: StabilityResult): void {
  writeFileAtomic(file, csvTable([...STABILITY_COLUMNS], r.item.length, (i, c) => [r.item[i], r.difficulty[i], r.bin[i], r.sameBin[i]][c]));
}

const HOW = 'Give the stability.csv written by `gradus stability --out FILE` (item,difficulty,bin,same_bin).';

export function readStability(file: string): StabilityRow[] {
  const t = readCsvFile(file, 'a stability file', HOW, STABILITY_COLUMNS);
  return t.rows.map((r, k) => {
    const bin = numberCell(t, k, 'bin', HOW);
    if (!Number.isInteger(bin) || bin < 0) throw new GradusError(`bin ${JSON.stringify(r.bin)} is not a bin number`, HOW, { file, line: k + 2, column: 'bin' });
    const same = numberCell(t, k, 'same_bin', HOW);
    if (!(same >= 0 && same <= 1)) throw new GradusError(`same_bin ${JSON.stringify(r.same_bin)} is not a share in [0, 1]`, HOW, { file, line: k + 2, column: 'same_bin' });
    return { item: r.item, difficulty: numberCell(t, k, 'difficulty', HOW), bin, same_bin: same };
  });
}
