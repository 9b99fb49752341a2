import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { readResponses, byModel } from '../src/index.js';
import { fitIrt } from '../src/irt/fit.js';
import { abilities } from '../src/irt/abilities.js';
import { FIXTURES } from './support/fixtures.js';

// R mirt 1.47's fits, kept in the repository (see test/fixtures/lsat/README.md)
const lsat = (f: string) => path.join(FIXTURES, 'lsat', f);
const refFits = fs.readFileSync(lsat('mirt_reference_fits.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));

const MODELS = [
  ['rasch', 'Rasch'],
  ['1pl', '1PL_equal_slopes'],
  ['2pl', '2PL'],
] as const;

describe('MML agrees with R mirt 1.47 on LSAT6 and LSAT7', () => {
  for (const ds of ['LSAT6', 'LSAT7']) {
    for (const [model, refName] of MODELS) {
      test(`${ds} ${model}: |Δa|, |Δb| ≤ 0.005, SEs within 1%, |Δ loglik| ≤ 0.01${model === 'rasch' ? ', |Δ latent var| ≤ 0.005' : ''}`, async () => {
        const { matrix } = await readResponses(lsat(`${ds}.csv`));
        const fit = await fitIrt(matrix, { model, method: 'mml' });
        const ref: Record<string, string>[] = parse(fs.readFileSync(lsat(`mirt_${ds}_${refName}_IRTpars.csv`), 'utf8'), { columns: true });
        const meta = refFits.find((r) => r.dataset === ds && r.model === refName && r.logLik !== undefined);
        assert.ok(fit.info.converged);
        assert.equal(fit.items.item.length, ref.length);
        ref.forEach((row, i) => {
          assert.equal(fit.items.item[i], row.item);
          assert.ok(Math.abs(fit.items.b[i] - Number(row.b)) <= 0.005, `${row.item} b ${fit.items.b[i]} vs ${row.b}`);
          assert.ok(Math.abs(fit.items.a[i] - Number(row.a)) <= 0.005, `${row.item} a ${fit.items.a[i]} vs ${row.a}`);
          // SEs: ours are the observed information; mirt's are Oakes' estimate of the same matrix
          assert.ok(Math.abs(fit.items.se_b[i] - Number(row.se_b)) <= 0.01 * Number(row.se_b) + 0.002, `${row.item} se_b ${fit.items.se_b[i]} vs ${row.se_b}`);
          // mirt has no se_a for the Rasch model (slopes fixed at 1); the 1pl's common slope has one SE for all items
          if (model === 'rasch') assert.equal(row.se_a, '');
          else assert.ok(Math.abs(fit.items.se_a[i] - Number(row.se_a)) <= 0.01 * Number(row.se_a) + 0.002, `${row.item} se_a ${fit.items.se_a[i]} vs ${row.se_a}`);
        });
        assert.ok(Math.abs(fit.info.loglik - meta.logLik) <= 0.01, `loglik ${fit.info.loglik} vs ${meta.logLik}`);
        assert.ok(Math.abs(fit.info.aic - meta.AIC) <= 0.02, `AIC ${fit.info.aic} vs ${meta.AIC}`);
        if (model === 'rasch') assert.ok(Math.abs(fit.info.latent_var - meta.latent_var) <= 0.005, `var ${fit.info.latent_var} vs ${meta.latent_var}`);
      });
    }
  }

  test('LSAT7 2PL person scores by pattern: EAP, MAP, ML and WLE match mirt', async () => {
    const { matrix } = await readResponses(lsat('LSAT7.csv'));
    const fit = await fitIrt(matrix, { model: '2pl', method: 'mml' });
    const items = { a: fit.items.a, b: fit.items.b, c: fit.items.c };
    const sp = byModel(matrix);
    const rows: Record<string, string>[] = parse(fs.readFileSync(lsat('mirt_LSAT7_2PL_person_scores_by_pattern.csv'), 'utf8'), { columns: true });
    const est = Object.fromEntries((['eap', 'map', 'ml', 'wle'] as const).map((m) => [m, abilities(sp, items, { method: m })]));
    for (const row of rows) {
      const pattern = ['Item.1', 'Item.2', 'Item.3', 'Item.4', 'Item.5'].map((k) => row[k]).join('');
      const j = matrix.models.findIndex((_, jj) => Array.from(matrix.data.slice(jj * 5, jj * 5 + 5)).join('') === pattern);
      assert.ok(j >= 0, pattern);
      for (const [m, col] of [['eap', 'EAP'], ['map', 'MAP'], ['ml', 'ML'], ['wle', 'WLE']] as const) {
        const ref = Number(row[`theta_${col}`]);
        const got = est[m].theta[j];
        assert.ok(Number.isFinite(got), `${m} finite for ${pattern}`);
        if (Number.isFinite(ref)) assert.ok(Math.abs(got - ref) <= 0.005, `${m} ${pattern}: ${got} vs ${ref}`);
        if (row[`se_${col}`] !== '' && row[`se_${col}`] !== 'NA') {
          assert.ok(Math.abs(est[m].se[j] - Number(row[`se_${col}`])) <= 0.005, `${m} se ${pattern}: ${est[m].se[j]} vs ${row[`se_${col}`]}`);
        }
      }
      // ML is undefined for perfect and zero scores in mirt (±Inf); ours is finite and on the right side
      if (pattern === '11111') assert.ok(est.ml.theta[j] > est.ml.theta[matrix.models.findIndex((_, jj) => Array.from(matrix.data.slice(jj * 5, jj * 5 + 5)).join('') === '11110')]);
    }
  });

  test('LSAT7 Rasch infit and outfit near mirt', async () => {
    const { matrix } = await readResponses(lsat('LSAT7.csv'));
    const fit = await fitIrt(matrix, { model: 'rasch', method: 'mml' });
    const ref: Record<string, string>[] = parse(fs.readFileSync(lsat('mirt_LSAT7_Rasch_itemfit_SX2_infit_outfit.csv'), 'utf8'), { columns: true });
    ref.forEach((row, i) => {
      assert.ok(Math.abs(fit.items.outfit[i] - Number(row.outfit)) <= 0.02, `outfit ${fit.items.outfit[i]} vs ${row.outfit}`);
      assert.ok(Math.abs(fit.items.infit[i] - Number(row.infit)) <= 0.02, `infit ${fit.items.infit[i]} vs ${row.infit}`);
    });
  });
});
