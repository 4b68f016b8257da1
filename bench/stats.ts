/** ms on a clock that threads share (performance.now() counts from each thread's own start). */
export function clockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Latency samples in ms and a throughput summary, printed as one line per workload. */
export class LatencyRecorder {
  private readonly samples: number[] = [];

  record(ms: number): void {
    this.samples.push(ms);
  }

  percentile(p: number): number {
    if (this.samples.length === 0) return Number.NaN;
    const sorted = Float64Array.from(this.samples).sort();
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }
}

export interface WorkloadResult {
  workload: string;
  messages: number;
  seconds: number;
  figures: Record<string, number | string>;
}

export function printResult(r: WorkloadResult): void {
  const parts = Object.entries(r.figures).map(([k, v]) => `${k}=${typeof v === 'number' ? round(v) : v}`);
  console.log(`${r.workload}: ${r.messages} messages in ${round(r.seconds)} s  ${parts.join('  ')}`);
}

function round(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}
