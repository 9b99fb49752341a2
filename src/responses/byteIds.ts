/**
 * Ids read as byte ranges of a buffer, numbered 0, 1, … in order of first sight, without a JS string per row: an
 * open-addressing table over the bytes themselves (FNV-1a hash, linear probing), with the bytes of each id kept
 * once in an arena and its text made once, when it is first seen. A 75-million-row long table has 4,500 models
 * and 21,000 items: a string and a Map lookup per row cost more than reading the file.
 */
import { fieldText, type RecordView } from './delimitedRecords.js';

const EMPTY = 0;

export class ByteIds {
  /** the text of each id, by number */
  readonly texts: string[] = [];
  /** id + 1 per slot, 0 when free */
  private slots = new Int32Array(1 << 12);
  private mask = (1 << 12) - 1;
  private hashes = new Int32Array(1 << 10);
  private starts = new Int32Array(1 << 10);
  private lengths = new Int32Array(1 << 10);
  private arena = Buffer.allocUnsafe(1 << 16);
  private used = 0;

  get count(): number {
    return this.texts.length;
  }

  /** Is id `id` the bytes [s, e) of buf? */
  is(id: number, buf: Buffer, s: number, e: number): boolean {
    const len = e - s;
    if (this.lengths[id] !== len) return false;
    const arena = this.arena;
    const at = this.starts[id] - s;
    for (let k = s; k < e; k++) if (arena[k + at] !== buf[k]) return false;
    return true;
  }

  /** The id of field k of record r (its bytes, quotes excluded), numbered when new. */
  idOf(r: RecordView, k: number): number {
    const buf = r.buf;
    const s = r.starts[k];
    const e = r.ends[k];
    let h = 0x811c9dc5;
    for (let p = s; p < e; p++) h = Math.imul(h ^ buf[p], 0x01000193);
    let slot = h & this.mask;
    for (;;) {
      const v = this.slots[slot];
      if (v === EMPTY) return this.add(r, k, h, slot);
      if (this.hashes[v - 1] === h && this.is(v - 1, buf, s, e)) return v - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  private add(r: RecordView, k: number, h: number, slot: number): number {
    const id = this.texts.length;
    const s = r.starts[k];
    const len = r.ends[k] - s;
    if (id === this.hashes.length) this.growIds();
    if (this.used + len > this.arena.length) {
      const bigger = Buffer.allocUnsafe(2 * (this.used + len));
      this.arena.copy(bigger, 0, 0, this.used);
      this.arena = bigger;
    }
    r.buf.copy(this.arena, this.used, s, s + len);
    this.hashes[id] = h;
    this.starts[id] = this.used;
    this.lengths[id] = len;
    this.used += len;
    this.texts.push(fieldText(r, k));
    this.slots[slot] = id + 1;
    // at most half full, so that a probe meets a free slot soon
    if (2 * this.texts.length > this.slots.length) this.rehash();
    return id;
  }

  private growIds(): void {
    const n = this.hashes.length * 2;
    const grow = (a: Int32Array) => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.hashes = grow(this.hashes);
    this.starts = grow(this.starts);
    this.lengths = grow(this.lengths);
  }

  private rehash(): void {
    const size = this.slots.length * 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (let id = 0; id < this.texts.length; id++) {
      let slot = this.hashes[id] & this.mask;
      while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
      this.slots[slot] = id + 1;
    }
  }
}
