export * from './errors.js';
export * from './responses/matrix.js';
export { readResponses, type ReadOptions, type ReadResult, type IngestReport } from './responses/read.js';
export { detectFormat, FORMATS, type FileFormat } from './responses/format.js';
export { parseAnswer } from './responses/answer.js';
export { CONFLICT_POLICIES, type ConflictPolicy } from './responses/builder.js';
export { findHarnessRuns, DEFAULT_METRICS } from './responses/harnessSource.js';
export { summarize, type MatrixSummary } from './responses/summary.js';
export { readItemTable, requireColumn, type ItemTable } from './responses/itemTable.js';
