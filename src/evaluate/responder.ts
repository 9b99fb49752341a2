/**
 * Who answers the items of an adaptive test. `replayResponder` answers from a response table (what the model did
 * answer: simulation and validation); a live evaluator is handed in from above (the CLI adapts the study's
 * evaluators), so that nothing here reaches up the flow.
 */
import { MISSING, type ResponseMatrix } from '../responses/matrix.js';
import type { ItemBank } from './bank.js';

export interface Responder {
  readonly models: readonly string[];
  /** 1 where the model can be asked the bank item; undefined: every item */
  available(model: string): Uint8Array | undefined;
  /** the model's answer to bank item `item`: 1 right, 0 wrong */
  ask(model: string, item: number): Promise<number>;
}

export function replayResponder(bank: ItemBank, matrix: ResponseMatrix): Responder & { unknownItems: number } {
  const J = matrix.items.length;
  const colOf = new Int32Array(bank.ids.length).fill(-1);
  let unknownItems = 0;
  matrix.items.forEach((id, j) => {
    const i = bank.index.get(id);
    if (i === undefined) unknownItems++;
    else colOf[i] = j;
  });
  const row = new Map(matrix.models.map((m, r) => [m, r]));
  const at = (model: string, i: number) => (colOf[i] < 0 ? MISSING : matrix.data[row.get(model)! * J + colOf[i]]);
  return {
    models: matrix.models,
    unknownItems,
    available(model) {
      const base = row.get(model)! * J;
      const out = new Uint8Array(colOf.length);
      for (let i = 0; i < colOf.length; i++) out[i] = colOf[i] >= 0 && matrix.data[base + colOf[i]] !== MISSING ? 1 : 0;
      return out;
    },
    async ask(model, item) {
      const v = at(model, item);
      if (v === MISSING) throw new Error(`replay: ${model} has no answer to ${bank.ids[item]}`);
      return v;
    },
  };
}
