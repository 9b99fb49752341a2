/**
 * Which item to ask next: the usable item with the most Fisher information at θ̂ (MFI), the most posterior-weighted
 * KL information, the one whose answer most narrows the whole-bank accuracy (gains computed by the caller), or a
 * random one; with randomesque exposure control, a seeded draw among the K best; with content
 * balancing, only items of the group furthest below its share (Kingsbury & Zara).
 */
import type { Rng } from '../util/rng.js';
import type { ItemBank } from './bank.js';
import { fisherInfo, klInfo, supportNodes } from './information.js';

export type Selection = 'mfi' | 'kl' | 'accuracy' | 'random';
export const SELECTIONS: readonly Selection[] = ['mfi', 'kl', 'accuracy', 'random'];

export interface Balance {
  /** group of each bank item, −1 for none */
  groupOf: Int32Array;
  /** each group's target share of the items asked */
  share: Float64Array;
}

export interface SelectState {
  /** 1 where the item may still be asked */
  usable: Uint8Array;
  theta: number;
  /** posterior weights on NODES, for KL */
  weights?: Float64Array;
  /** each item's fall in the variance of the whole-bank accuracy, for `accuracy` (residualCorrelation.ts) */
  gains?: Float64Array;
  /** items asked so far in each group */
  asked?: Int32Array;
  n: number;
}

const SLOPE_ORDER = new WeakMap<ItemBank, Int32Array>();

/** Bank indices by falling |a| (ties by index), computed once per bank. */
function bySlope(bank: ItemBank): Int32Array {
  let o = SLOPE_ORDER.get(bank);
  if (!o) {
    o = Int32Array.from(bank.a.keys()).sort((x, y) => Math.abs(bank.a[y]) - Math.abs(bank.a[x]) || x - y);
    SLOPE_ORDER.set(bank, o);
  }
  return o;
}

/** The group to draw from next: the one with usable items furthest below its share of n + 1 items. */
export function neediestGroup(b: Balance, s: SelectState): number {
  const has = new Uint8Array(b.share.length);
  for (let i = 0; i < b.groupOf.length; i++) if (s.usable[i] && b.groupOf[i] >= 0) has[b.groupOf[i]] = 1;
  let best = -1, gap = -Infinity;
  for (let g = 0; g < b.share.length; g++) {
    const d = b.share[g] * (s.n + 1) - (s.asked?.[g] ?? 0);
    if (has[g] && d > gap) { gap = d; best = g; }
  }
  return best;
}

/** The next item's bank index, or −1 when nothing is left to ask. */
export function selectNext(bank: ItemBank, s: SelectState, how: Selection, r: Rng, randomesque = 1, balance?: Balance): number {
  const group = balance ? neediestGroup(balance, s) : -1;
  const ok = (i: number) => s.usable[i] === 1 && (group < 0 || balance!.groupOf[i] === group);
  const N = bank.ids.length;
  if (how === 'random') {
    let count = 0;
    for (let i = 0; i < N; i++) if (ok(i)) count++;
    if (!count) return -1;
    let k = r.int(count);
    for (let i = 0; i < N; i++) if (ok(i) && k-- === 0) return i;
  }
  const K = Math.max(1, randomesque);
  const top = new Int32Array(K).fill(-1), val = new Float64Array(K).fill(-Infinity);
  const support = how === 'kl' ? supportNodes(s.weights!) : undefined;
  // MFI visits items by falling slope and stops once a²/4, the most any item of that slope can give (2PL and 3PL),
  // cannot beat the K-th best: a large bank costs a fraction of a full scan
  const order = how === 'mfi' ? bySlope(bank) : undefined;
  for (let k = 0; k < N; k++) {
    const i = order ? order[k] : k;
    if (order && (bank.a[i] * bank.a[i]) / 4 <= val[K - 1]) break;
    if (!ok(i)) continue;
    const x = how === 'accuracy' ? s.gains![i] : how === 'kl' ? klInfo(s.theta, bank.a[i], bank.b[i], bank.c[i], s.weights!, support!) : fisherInfo(s.theta, bank.a[i], bank.b[i], bank.c[i]);
    if (!(x > val[K - 1])) continue;
    // insertion into the sorted top K; ties keep the first visited, so runs are reproducible
    let p = K - 1;
    while (p > 0 && x > val[p - 1]) { val[p] = val[p - 1]; top[p] = top[p - 1]; p--; }
    val[p] = x;
    top[p] = i;
  }
  let filled = 0;
  while (filled < K && top[filled] >= 0) filled++;
  if (!filled) return -1;
  return top[filled === 1 ? 0 : r.int(filled)];
}
