/** Items of one or more task families to a JSONL file (the items format `gradus split` and studies read). */
import { writeFileAtomic } from '../util/atomic.js';
import { generateItems, type TaskItem } from './families.js';

export function writeTaskItems(file: string, families: string[], n: number, seed: number, maxLevel?: number): TaskItem[] {
  const items = families.flatMap((f) => generateItems(f, n, seed, maxLevel));
  writeFileAtomic(file, items.map((x) => JSON.stringify(x)).join('\n') + '\n');
  return items;
}

/** How many items each family has at each level ("sort level 3" → 200), in the items' order. */
export function countByLevel(items: TaskItem[]): Map<string, number> {
  const levels = new Map<string, number>();
  for (const x of items) levels.set(`${x.family} level ${x.level}`, (levels.get(`${x.family} level ${x.level}`) ?? 0) + 1);
  return levels;
}
