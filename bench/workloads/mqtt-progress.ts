/**
 * Resolves when `count()` reaches `target`, or when it has not moved for `stallMs` (a message
 * lost at QoS 0 must not hang a bench run; the shortfall is reported).
 */
export function untilDone(count: () => number, target: number, stallMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    let last = -1;
    let lastMoved = Date.now();
    const check = setInterval(() => {
      const now = count();
      if (now !== last) {
        last = now;
        lastMoved = Date.now();
      }
      if (now >= target || Date.now() - lastMoved > stallMs) {
        clearInterval(check);
        resolve();
      }
    }, 5);
  });
}
