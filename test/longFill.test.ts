/**
 * The long-table fill's fast forms: 0/1 columns coded by a short CASE, answers packed with their matrix cell into
 * one number, and both id lists from one GROUPING SETS scan. Each must read a cell exactly as the general rules do.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readResponses, MISSING, GradusError } from '../src/index.js';
import { openDuck, sqlString, typedItems } from '../src/util/duck.js';
import { MatrixBuilder } from '../src/responses/builder.js';
import { answerCodeSql, applyPacked, codeSql, newCounts, packedSql, valueSql } from '../src/responses/cellCodes.js';
import { tmpDir, write } from './support/fixtures.js';
import { cellsOf } from './support/cells.js';

describe('long tables: fast fill', () => {
  const dir = tmpDir();

  test('a whole-number column: 1, 0 and empty, with the missing counted', async () => {
    const r = await readResponses(write(dir, 'int.csv', 'model,item,correct\na,x,1\na,y,0\nb,x,\nb,y,1\n'), { cache: false });
    assert.deepEqual(cellsOf(r), { 'a|x': 1, 'a|y': 0, 'b|x': null, 'b|y': 1 });
    assert.equal(r.report.rows, 4);
    assert.equal(r.report.missingRows, 1);
  });

  test('a whole number other than 0 or 1 is named with its line and column', async () => {
    await assert.rejects(readResponses(write(dir, 'int2.csv', 'model,item,correct\na,x,1\na,y,2\n'), { cache: false }), (e: unknown) => {
      assert.ok(e instanceof GradusError);
      assert.match(e.message, /int2\.csv, line 3, column 3 \(correct\): the score "2" lies outside \[0, 1\]/);
      return true;
    });
  });

  test('a BOOLEAN Parquet column with a NULL', async () => {
    const pq = path.join(dir, 'bool.parquet');
    const duck = await openDuck();
    await duck.conn.run(`COPY (SELECT * FROM (VALUES ('a', 'x', true), ('a', 'y', false), ('b', 'x', NULL)) t(model, item, correct)) TO ${sqlString(pq)} (FORMAT parquet)`);
    duck.close();
    const r = await readResponses(pq, { cache: false });
    assert.deepEqual(cellsOf(r), { 'a|x': 1, 'a|y': 0, 'b|x': null, 'b|y': null });
    assert.equal(r.report.missingRows, 1);
  });

  test('an empty item id is found by the one-scan id lists', async () => {
    await assert.rejects(readResponses(write(dir, 'noitem.csv', 'model,item,correct\na,x,1\nb,,0\n'), { cache: false }), /noitem\.csv, line 3, column 2 \(item\): the item id is empty/);
  });

  test('the short CASE and the general rules give the same code for every whole number and NULL', async () => {
    const duck = await openDuck();
    try {
      for (const threshold of [0.5, 1, 0.01]) {
        const fast = answerCodeSql('x', 'BIGINT', threshold);
        const general = codeSql(valueSql('x', 'BIGINT'), threshold);
        const r = await duck.conn.runAndReadAll(`SELECT x, ${fast} AS f, ${general} AS g FROM (VALUES (0::BIGINT), (1), (2), (-1), (NULL)) t(x)`);
        for (const [x, f, g] of r.getRows()) assert.equal(f, g, `x = ${x}, threshold ${threshold}`);
      }
    } finally {
      duck.close();
    }
  });
});

describe('packed answers', () => {
  test('INTEGER while cell*8 fits, else DOUBLE, exact past 2^31', async () => {
    assert.match(packedSql('c', 'a', 1000), /INTEGER/);
    assert.match(packedSql('c', 'a', 2 ** 28), /DOUBLE/);
    const duck = await openDuck();
    try {
      const r = await duck.conn.runAndReadAll(`SELECT ${packedSql('300000001::BIGINT', '3', 4e8)} AS x`);
      assert.equal(Number(r.getRows()[0][0]), 300000001 * 8 + 3);
      const s = await duck.conn.stream(`SELECT ${packedSql('c', 'a', 4e8)} AS x FROM (VALUES (5, 1), (6, 2), (7, 4)) t(c, a)`);
      const chunk = (await s.fetchChunk())!;
      const packed = typedItems<Float64Array>(chunk.getColumnVector(0));
      assert.ok(packed instanceof Float64Array);
      const b = new MatrixBuilder(['m'], Array.from({ length: 8 }, (_, k) => `i${k}`), 'error');
      const counts = newCounts();
      applyPacked(b, packed, chunk.rowCount, counts);
      assert.deepEqual(Array.from(b.data), [MISSING, MISSING, MISSING, MISSING, MISSING, 1, MISSING, 0]);
      assert.deepEqual(counts, { rows: 3, missing: 1, fractional: 1, bad: 0 });
    } finally {
      duck.close();
    }
  });
});
