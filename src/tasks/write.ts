/** Items of one or more task families to a JSONL file (the items format `gradus split` and studies read). */
import { writeFileAtomic } from '../util/atomic.js';
import { generateItems, type TaskItem } from './families.js';

export function writeTaskItems(file: string, families: string[], n: number, seed: number, maxLevel?: number): TaskItem[] {
  const items = families.flatMap((f) => generateItems(f, n, seed, maxLevel));
  writeFileAtomic(file, items.map((x) => JSON.stringify(x)).join('\n') + '\n');
  return items;
}
