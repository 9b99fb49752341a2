/**
 * A wide CSV/TSV table (one row per model, one column per item) read by delimitedRecords.ts instead of DuckDB:
 * at 21,000 item columns DuckDB spent minutes planning the per-column code expressions and its sniffer reran on
 * every query, where this reads the bytes twice, once for the ids and once for the answers, one byte per 0/1 cell.
 * Every other cell goes through answer.ts's rules (codeAnswer), so a cell means what it means in every reader.
 */
import type { Place } from '../errors.js';
import { applyCodes, memoCoder, newCounts, quickCode, CODE_BAD } from './cellCodes.js';
import { eachRecord, fieldText, widthError, type RecordView } from './delimitedRecords.js';
import { badItemError, checkWideColumns, emptyIdError, firstColumnIsId, wideModels } from './wideIds.js';
import type { IdColumn } from './tableSource.js';
import type { MatrixBuilder } from './builder.js';
import type { ResponseSource, SourceStats } from './source.js';

export class WideTextSource implements ResponseSource {
  readonly label: string;
  private idColumn = false;
  private modelIds: string[] | null = null;

  /** `header`: the column names (numbered when the file has none, `headerless`), as headerCheck.ts judged them */
  constructor(
    readonly file: string,
    private readonly delimiter: string,
    private readonly gzip: boolean,
    private readonly header: string[],
    private readonly headerless: boolean,
    private readonly idChoice: IdColumn | undefined,
  ) {
    this.label = file;
  }

  /** Every data record, each checked to have the header's width (`firstOnly`: field 0 of each, widths checked where counted). */
  private rows(visit: (r: RecordView) => boolean | void, firstOnly = false): Promise<void> {
    let skip = !this.headerless;
    const width = this.header.length;
    return eachRecord(this.file, this.gzip, this.delimiter, (r) => {
      if (skip) {
        skip = false;
        return false;
      }
      if (r.n !== width && r.n >= 0) throw widthError(this.file, this.delimiter, r.n, width, r.line);
      return visit(r);
    }, firstOnly);
  }

  async ids(): Promise<{ models: string[]; items: string[] }> {
    checkWideColumns(this.file, this.header, this.idChoice, 1);
    const first: string[] = [];
    const lines: number[] = [];
    await this.rows((r) => {
      first.push(fieldText(r, 0));
      lines.push(r.line);
    }, true);
    this.idColumn = firstColumnIsId(this.header[0], first, this.idChoice);
    if (this.idColumn) {
      const empty = first.findIndex((id) => id.trim() === '');
      if (empty >= 0) throw emptyIdError(this.file, lines[empty]);
    }
    this.modelIds = this.idColumn ? first : null;
    const models = wideModels(this.file, this.modelIds, first.length);
    return { models, items: this.idColumn ? this.header.slice(1) : this.header };
  }

  async fill(b: MatrixBuilder, threshold: number): Promise<SourceStats> {
    const from = this.idColumn ? 1 : 0;
    const nCells = this.header.length - from;
    const itemIx = Int32Array.from(this.header.slice(from), (name) => b.itemIndex.get(name)!);
    const nI = b.nItems;
    const codes = new Uint8Array(nCells);
    const code = memoCoder(threshold);
    const counts = newCounts();
    let row = 0;
    let base = 0;
    const cellOf = (k: number) => base + itemIx[k];
    await this.rows((r) => {
      const model = this.modelIds ? this.modelIds[row] : String(row + 1);
      row++;
      base = b.modelIndex.get(model)! * nI;
      const { buf, starts, ends, quoted } = r;
      for (let k = from; k < r.n; k++) {
        const s = starts[k];
        const len = ends[k] - s;
        let a = quickCode(buf, s, len, quoted[k]);
        if (a < 0) {
          const text = fieldText(r, k);
          a = code(text);
          if (a === CODE_BAD) throw badItemError(text, this.header[k], { file: this.file, line: r.line, column: `${k + 1} (${this.header[k]})` });
        }
        codes[k - from] = a;
      }
      applyCodes(b, codes, nCells, cellOf, counts);
    });
    return { rows: counts.rows, missing: counts.missing, fractional: counts.fractional };
  }

  /** Where (model, item) stands in this file, with the answer written there. */
  async locate(model: string, item: string): Promise<Array<Place & { answer: string }>> {
    const col = this.header.indexOf(item);
    const out: Array<Place & { answer: string }> = [];
    if (col < 0) return out;
    let row = 0;
    await this.rows((r) => {
      row++;
      const id = this.idColumn ? fieldText(r, 0) : String(row);
      if (id === model) out.push({ file: this.file, line: r.line, column: col + 1, answer: fieldText(r, col) });
    });
    return out;
  }

  close(): void {}
}
