/** mirt's default grid for one latent trait: 61 equally spaced points on [−6, 6]. */
export function grid(points = 61, limit = 6): Float64Array {
  return Float64Array.from({ length: points }, (_, q) => -limit + (2 * limit * q) / (points - 1));
}

/** log of N(mean, variance) on the grid, normalized to sum to one (as mirt does). */
export function logNormalWeights(nodes: Float64Array, mean: number, variance: number): Float64Array {
  const out = new Float64Array(nodes.length);
  let max = -Infinity;
  for (let q = 0; q < nodes.length; q++) {
    const z = nodes[q] - mean;
    out[q] = (-0.5 * z * z) / variance;
    if (out[q] > max) max = out[q];
  }
  let s = 0;
  for (let q = 0; q < nodes.length; q++) s += Math.exp(out[q] - max);
  const lz = max + Math.log(s);
  for (let q = 0; q < nodes.length; q++) out[q] -= lz;
  return out;
}
