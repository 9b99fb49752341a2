/**
 * A model's accuracy on the whole bank (and per bin): its observed answers where it has them, the expected score
 * elsewhere, integrated over θ's uncertainty (θ ~ N(θ̂, SE²), 21 nodes on ±4 SD). The variance adds the unanswered
 * items' Bernoulli noise to the spread of the expected score over θ, so the 95% interval carries both.
 */
import { sigmoid } from '../irt/model.js';
import type { Answers, ThetaEstimate } from './ability.js';
import type { ItemBank } from './bank.js';
import { curveAt, type BankCurves } from './curves.js';

const Z = Float64Array.from({ length: 21 }, (_, k) => -4 + 0.4 * k);
const W = (() => {
  const w = Z.map((z) => Math.exp(-0.5 * z * z));
  const s = w.reduce((x, y) => x + y, 0);
  return w.map((x) => x / s);
})();

export interface RowAccuracy {
  /** answered items per row (0 = bank, 1 + k = bin k) */
  nAnswered: Int32Array;
  accuracy: Float64Array;
  /** standard deviation of the accuracy */
  sd: Float64Array;
  /** the part of it from θ's uncertainty alone (the spread of the expected score), which more items narrow */
  sdTheta: Float64Array;
}

export function predictAccuracy(bank: ItemBank, curves: BankCurves, ans: Answers, est: ThetaEstimate): RowAccuracy {
  const R = curves.rows;
  const nAnswered = new Int32Array(R);
  const right = new Float64Array(R);
  for (let k = 0; k < ans.n; k++) {
    const r = curves.binRow[ans.idx[k]];
    nAnswered[0]++;
    right[0] += ans.y[k];
    if (r) {
      nAnswered[r]++;
      right[r] += ans.y[k];
    }
  }
  const mean = new Float64Array(R), second = new Float64Array(R), noise = new Float64Array(R);
  const ansP = new Float64Array(R), ansPQ = new Float64Array(R);
  for (let z = 0; z < Z.length; z++) {
    const t = est.theta + est.se * Z[z];
    ansP.fill(0);
    ansPQ.fill(0);
    for (let k = 0; k < ans.n; k++) {
      const i = ans.idx[k];
      const c = bank.c[i];
      const P = c + (1 - c) * sigmoid(bank.a[i] * (t - bank.b[i]));
      const r = curves.binRow[i];
      ansP[0] += P;
      ansPQ[0] += P * (1 - P);
      if (r) {
        ansP[r] += P;
        ansPQ[r] += P * (1 - P);
      }
    }
    for (let r = 0; r < R; r++) {
      // a row answered in full has nothing left to predict (the tables are interpolated, the answered sums exact)
      if (nAnswered[r] === curves.count[r]) continue;
      const e = Math.max(0, curveAt(curves.sumP, r, t) - ansP[r]);
      mean[r] += W[z] * e;
      second[r] += W[z] * e * e;
      noise[r] += W[z] * Math.max(0, curveAt(curves.sumPQ, r, t) - ansPQ[r]);
    }
  }
  const accuracy = new Float64Array(R), sd = new Float64Array(R), sdTheta = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    const N = curves.count[r];
    if (!N) {
      accuracy[r] = NaN;
      sd[r] = NaN;
      sdTheta[r] = NaN;
      continue;
    }
    accuracy[r] = (right[r] + mean[r]) / N;
    sd[r] = Math.sqrt(Math.max(0, noise[r] + second[r] - mean[r] * mean[r])) / N;
    sdTheta[r] = Math.sqrt(Math.max(0, second[r] - mean[r] * mean[r])) / N;
  }
  return { nAnswered, accuracy, sd, sdTheta };
}

/** The 95% interval, kept inside [0, 1]. */
export function interval(acc: number, sd: number): [number, number] {
  return [Math.max(0, acc - 1.96 * sd), Math.min(1, acc + 1.96 * sd)];
}
