/** What the Node benchmarks share: collecting garbage between samples, the clock, the median. */

const gc = (globalThis as { gc?: () => void }).gc;

/** Whether Node was started with `--expose-gc`. */
export const hasGc = gc !== undefined;

/** Two full collections (with `--expose-gc`), so one sample does not pay for another's garbage. */
export function collect(): void {
  if (gc) {
    gc();
    gc();
  }
}

/**
 * CPU time of this process, in ms. The machine may be shared, and wall time would count other
 * processes' work against whichever contender was running; CPU time counts this process's own
 * (its GC and compiler threads included).
 */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
