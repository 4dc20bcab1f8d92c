// The one timer behind the hub's name holds: the hub is pure and says when its next hold ends
// (`nextWake`); this wakes it then (`wake(now)`), carries out what it says (the rooms hear `left … lost`)
// and sets itself for the next. A hold begun (HubOutputs' `held`) brings the timer forward if sooner.
import type { HubOutput } from '../chat/hub.ts';

export interface HoldTimerConfig {
  hub: { nextWake(): number | undefined; wake(now: number): HubOutput[] };
  dispatch: (outputs: HubOutput[]) => unknown;
  now: () => number;
}

export class HoldTimer {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private due: number | undefined;
  private stopped = false;

  constructor(private readonly config: HoldTimerConfig) {}

  /** Wake the hub at `until` at the latest. */
  at(until: number): void {
    if (this.stopped || (this.due !== undefined && this.due <= until)) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.due = until;
    this.timer = setTimeout(() => this.fire(), Math.max(0, until - this.config.now()));
    this.timer.unref();
  }

  /** No more wakes (the server is stopping). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.due = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.due = undefined;
    this.config.dispatch(this.config.hub.wake(this.config.now()));
    const next = this.config.hub.nextWake();
    if (next !== undefined) this.at(next);
  }
}
