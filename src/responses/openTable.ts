/**
 * Which reader a table file gets. A wide CSV/TSV table goes to wideText.ts, whose byte reader takes a 21,000-column
 * leaderboard in seconds where DuckDB's plan over that many columns took minutes; a long CSV/TSV table goes to
 * longText.ts, whose workers parse it in parallel byte ranges faster than DuckDB's two scans; a Parquet table whose
 * columns parquetColumns.ts decodes goes to wideParquet.ts or longParquet.ts; everything else (JSONL, Parquet in
 * encodings or codecs we do not decode, a headerless table named long) goes to tableSource.ts's DuckDB path. The
 * choice needs the header, so it is made on first use.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Place } from '../errors.js';
import { assertReadableFile, detectFormat } from './format.js';
import { checkHeader } from './headerCheck.js';
import { numberedColumns, readHeader } from './locate.js';
import { checkEncoding, checkGzipMagic } from './textCheck.js';
import { TableSource, type TableOptions } from './tableSource.js';
import { WideTextSource } from './wideText.js';
import { WideParquetSource } from './wideParquet.js';
import { openParquet } from './parquetColumns.js';
import { LongParquetSource, longColumns } from './longParquet.js';
import { LongTextSource } from './longText.js';
import { columnNamed } from './longHeader.js';
import type { MatrixBuilder } from './builder.js';
import type { ResponseSource, SourceStats } from './source.js';

/** `conn` opens DuckDB on first call: only the tables that go to DuckDB's reader pay for starting it. */
export function openTableSource(file: string, conn: () => Promise<DuckDBConnection>, options: TableOptions = {}): ResponseSource {
  return new TableFile(file, conn, options);
}

class TableFile implements ResponseSource {
  readonly label: string;
  private chosen: Promise<ResponseSource> | null = null;
  private made: ResponseSource | null = null;

  constructor(readonly file: string, private readonly conn: () => Promise<DuckDBConnection>, private readonly options: TableOptions) {
    this.label = file;
    detectFormat(file, options.format); // an unknown format is an error before anything is read
  }

  private source(): Promise<ResponseSource> {
    this.chosen ??= this.choose().then((s) => (this.made = s));
    return this.chosen;
  }

  private async choose(): Promise<ResponseSource> {
    const o = this.options;
    const { format, gzip } = detectFormat(this.file, o.format);
    if (format === 'csv' || format === 'tsv') {
      const delimiter = format === 'tsv' ? '\t' : ',';
      assertReadableFile(this.file);
      if (gzip) checkGzipMagic(this.file);
      await checkEncoding(this.file, gzip);
      const first = await readHeader(this.file, delimiter, gzip);
      checkHeader(this.file, first, delimiter, o.header);
      const headerless = o.header === 'none';
      // the same rule as TableSource's: a column named item makes a long table
      const long = o.layout === 'long' || (!headerless && o.layout !== 'wide' && columnNamed(first, 'item') !== undefined);
      if (!long) return new WideTextSource(this.file, delimiter, gzip, headerless ? numberedColumns(first.length) : first, headerless, o.idColumn);
      // a headerless long table is refused by TableSource, in its words
      if (!headerless) return new LongTextSource(this.file, delimiter, gzip, first);
    }
    if (format === 'parquet' && !gzip && o.header !== 'none') {
      assertReadableFile(this.file);
      const table = await openParquet(this.file);
      const long = o.layout === 'long' || (o.layout !== 'wide' && !!table?.names && columnNamed(table.names, 'item') !== undefined);
      if (table?.names && !long) return new WideParquetSource(this.file, table, o.idColumn);
      const columns = table?.names && longColumns(table.metadata, table.names);
      if (table && columns) return new LongParquetSource(this.file, table, columns, async () => new TableSource(this.file, await this.conn(), o));
    }
    return new TableSource(this.file, await this.conn(), o);
  }

  async ids(): Promise<{ models: string[]; items: string[] }> {
    return (await this.source()).ids();
  }

  async fill(b: MatrixBuilder, threshold: number): Promise<SourceStats> {
    return (await this.source()).fill(b, threshold);
  }

  async locate(model: string, item: string): Promise<Array<Place & { answer: string }>> {
    return (await this.source()).locate(model, item);
  }

  close(): void {
    this.made?.close();
  }
}
