/** Library face of `gradus agree`: a fit folder's difficulties against a label column of an items table. */
import { readItemTable } from '../responses/itemTable.js';
import { agree, type AgreeOptions, type AgreeResult } from './agree.js';
import { readFitDifficulty } from './fromFit.js';

export function agreeFromFiles(fitDir: string, itemsFile: string, label: string, o: AgreeOptions = {}): AgreeResult {
  return agree(readFitDifficulty(fitDir, 'b'), readItemTable(itemsFile), label, o);
}
