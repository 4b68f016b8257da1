/** min / median / p90 / max of a set of samples (nearest-rank percentiles); all undefined when empty. */
export interface Distribution {
  count: number;
  min: number | undefined;
  median: number | undefined;
  p90: number | undefined;
  max: number | undefined;
}

export function distributionOf(samples: readonly number[]): Distribution {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number): number | undefined => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
  return { count: sorted.length, min: sorted[0], median: rank(50), p90: rank(90), max: sorted.at(-1) };
}
