export * from './errors.js';

export * from './responses/matrix.js';
export { readResponses, type ReadOptions, type ReadResult, type IngestReport } from './responses/read.js';
export { detectFormat, FORMATS, type FileFormat } from './responses/format.js';
export { parseAnswer } from './responses/answer.js';
export { CONFLICT_POLICIES, type ConflictPolicy } from './responses/builder.js';
export { findHarnessRuns, DEFAULT_METRICS } from './responses/harnessSource.js';
export { summarize, type MatrixSummary } from './responses/summary.js';
export { inspectResponses, type InspectOptions, type Inspection } from './responses/inspect.js';
export { readItemTable, requireColumn, type ItemTable } from './responses/itemTable.js';
export { writeResponses } from './responses/write.js';

export { fitIrt, type FitOptions, type FitResult, type FitInfo } from './irt/fit.js';
export { simulate, type SimulateOptions, type Simulated } from './irt/simulate.js';
export { abilities, ABILITY_METHODS, type AbilityMethod } from './irt/abilities.js';
export { ITEM_MODELS, METHODS, prob, type ItemModel, type Method, type ItemParams } from './irt/model.js';
export { writeFit, readFitFolder, calibratedItems, ITEM_COLUMNS, MODEL_COLUMNS, type FitFolder, type ReadFitOptions, type ItemColumn } from './irt/fitFolder.js';
export { fitFiles } from './irt/fitFiles.js';
export { scoreMatrix, scoreFiles, abilitiesCsv, type ScoreResult } from './irt/score.js';
export { simulateToFiles, type SimulateFilesOptions, type SimulatedFiles } from './irt/simulateFiles.js';

export { makeBins, summarizeBins, type BinOptions, type BinRow, type BinSummary } from './difficulty/bins.js';
export { readFitDifficulty, type DifficultyOn, type FitDifficulty } from './difficulty/fromFit.js';
export { writeBins, readBins, readBinsMade, BIN_COLUMNS } from './difficulty/binsFile.js';
export { binsFromFit, type BinsFileOptions } from './difficulty/binsFromFit.js';
export { splitItems, type SplitReport } from './difficulty/split.js';
export { agree, labelOrder, type AgreeOptions, type AgreeResult } from './difficulty/agree.js';
export { agreeFromFiles } from './difficulty/agreeFromFit.js';
export { stability, type StabilityOptions, type StabilityResult } from './difficulty/stability.js';
export { stabilityFromFiles, type StabilityFiles } from './difficulty/stabilityFromFiles.js';
export { writeStability, readStability, STABILITY_COLUMNS, type StabilityRow } from './difficulty/stabilityFile.js';
export { spearman, kendallTauB } from './difficulty/rank.js';
