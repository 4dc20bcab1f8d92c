// A log that an attacker can make loud (refused connections) is throttled: at most N lines a second.

/**
 * `log` at most `perSecond` times per wall-clock second (`clock`: ms since the epoch); calls in between are
 * counted and handed to the next one that goes through as `suppressed`.
 */
export function throttled<T>(perSecond: number, log: (value: T, suppressed: number) => void, clock: () => number = Date.now): (value: T) => void {
  let second = -1;
  let count = 0;
  let suppressed = 0;
  return (value) => {
    const now = Math.floor(clock() / 1000);
    if (now !== second) {
      second = now;
      count = 0;
    }
    if (count >= perSecond) {
      suppressed++;
      return;
    }
    count++;
    log(value, suppressed);
    suppressed = 0;
  };
}
