/** The largest parameter change of each cycle, kept to tell a fit that still contracts from one that cycles. */
import { CONTRACTION_WINDOW } from './priors.js';

export class ChangeTrail {
  private readonly changes: number[] = [];

  push(change: number): void {
    this.changes.push(change);
  }

  /** the last change over the one CONTRACTION_WINDOW cycles before; NaN with fewer cycles or no finite pair */
  contraction(): number {
    const n = this.changes.length;
    if (n <= CONTRACTION_WINDOW) return NaN;
    const r = this.changes[n - 1] / this.changes[n - 1 - CONTRACTION_WINDOW];
    return Number.isFinite(r) ? r : NaN;
  }
}
