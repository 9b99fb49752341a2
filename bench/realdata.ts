/**
 * bench/realdata: every model × method on the Open LLM Leaderboard v2 matrices in ../shared/data/openllm-v2
 * (MATH Level 5 and MuSR), with 10% of the responses held out (seed 1): log-likelihood, held-out log-loss,
 * accuracy and AUC, seconds, whether it converged (plat.: on the likelihood plateau), and the share of items held
 * finite or dropped.
 * Usage: node dist/bench/realdata.js [--data ../shared/data/openllm-v2]
 */
import fs from 'node:fs';
import path from 'node:path';
import { readResponses } from '../src/responses/read.js';
import { fitIrt } from '../src/irt/fit.js';
import type { ItemModel, Method } from '../src/irt/model.js';

const args = process.argv.slice(2);
const k = args.indexOf('--data');
const dir = k >= 0 ? args[k + 1] : path.resolve('../shared/data/openllm-v2');

async function main() {
  if (!fs.existsSync(dir)) {
    console.log(`no data at ${dir}`);
    return;
  }
  for (const name of ['math_hard', 'musr']) {
    const { matrix } = await readResponses(path.join(dir, `${name}.responses.csv`));
    console.log(`\n${name}: ${matrix.models.length} models × ${matrix.items.length} items (10% held out, seed 1)`);
    console.log('model  method    loglik(kind)            held-out logloss  acc     AUC     seconds  iters  conv   held finite  dropped');
    for (const model of ['rasch', '1pl', '2pl', '3pl'] as ItemModel[]) {
      for (const method of ['mml', 'jml', 'map'] as Method[]) {
        const f = await fitIrt(matrix, { model, method, holdout: 0.1, seed: 1 });
        const i = f.info;
        const h = i.holdout!;
        const share = (n: number) => `${((100 * n) / i.n_items).toFixed(1)}%`;
        console.log(
          `${model.padEnd(6)} ${method.padEnd(6)} ${i.loglik.toFixed(1).padStart(11)} (${i.loglik_kind.slice(0, 8).padEnd(8)})  ${h.logloss.toFixed(4).padStart(16)}  ${h.accuracy.toFixed(4)}  ${h.auc.toFixed(4)}  ${i.seconds.toFixed(1).padStart(7)}  ${String(i.iterations).padStart(5)}  ${(i.convergence?.criterion === 'objective plateau' ? 'plat.' : String(i.converged)).padEnd(5)}  ${share(i.held_finite.items.length).padStart(11)}  ${share(i.dropped_items.length).padStart(7)}`,
        );
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
