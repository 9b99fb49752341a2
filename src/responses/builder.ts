import { CORRECT, MISSING, WRONG, type ResponseMatrix } from './matrix.js';
import { u8 } from '../parallel/shared.js';

export type ConflictPolicy = 'error' | 'first' | 'last' | 'mean';
export const CONFLICT_POLICIES: readonly ConflictPolicy[] = ['error', 'first', 'last', 'mean'];

/**
 * Fills a ResponseMatrix cell by cell, whatever the source, and keeps the books a user is owed:
 * how many repeats were dropped, how many conflicts were settled, and the first conflict to report.
 */
export class MatrixBuilder {
  readonly data: Uint8Array;
  readonly modelIndex: Map<string, number>;
  readonly itemIndex: Map<string, number>;
  duplicatesDropped = 0;
  conflicts = 0;
  firstConflict: { model: number; item: number } | null = null;
  private readonly sums = new Map<number, { sum: number; n: number }>();

  constructor(readonly models: string[], readonly items: string[], readonly policy: ConflictPolicy) {
    // on shared memory, so that the sparse views can be built on worker threads without a copy
    this.data = u8(models.length * items.length).fill(MISSING);
    this.modelIndex = new Map(models.map((m, k) => [m, k]));
    this.itemIndex = new Map(items.map((m, k) => [m, k]));
  }

  get nItems(): number {
    return this.items.length;
  }

  /** Record one answer (0 or 1) for the cell `model * nItems + item`. */
  set(cell: number, answer: number): void {
    const old = this.data[cell];
    if (old === MISSING) {
      this.data[cell] = answer;
      return;
    }
    if (this.policy === 'mean') {
      const s = this.sums.get(cell) ?? { sum: old, n: 1 };
      s.sum += answer;
      s.n++;
      this.sums.set(cell, s);
      if (old === answer) this.duplicatesDropped++;
      else this.conflicts++;
      return;
    }
    if (old === answer) {
      this.duplicatesDropped++;
      return;
    }
    this.conflicts++;
    if (!this.firstConflict) {
      this.firstConflict = { model: Math.floor(cell / this.nItems), item: cell % this.nItems };
    }
    if (this.policy === 'last') this.data[cell] = answer;
  }

  finish(): ResponseMatrix {
    for (const [cell, s] of this.sums) this.data[cell] = s.sum / s.n >= 0.5 ? CORRECT : WRONG;
    return { models: this.models, items: this.items, data: this.data };
  }
}
