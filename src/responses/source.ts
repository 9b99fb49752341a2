import type { Place } from '../errors.js';
import type { MatrixBuilder } from './builder.js';

export interface SourceStats {
  /** rows (long) or cells (wide) read, missing included */
  rows: number;
  /** answers written as missing */
  missing: number;
  /** scores strictly between 0 and 1, cut at the threshold */
  fractional: number;
}

/** One input the reader merges: it first names its ids, then fills the shared builder and counts what it read. */
export interface ResponseSource {
  readonly label: string;
  ids(): Promise<{ models: string[]; items: string[] }>;
  fill(builder: MatrixBuilder, threshold: number): Promise<SourceStats>;
  locate(model: string, item: string): Promise<Array<Place & { answer: string }>>;
  close(): void;
}
