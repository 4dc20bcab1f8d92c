// The driver's wake-ups: its one timer is armed for the earliest deadline (never left armed for one that
// moved later, never for a fraction of a ms that Node would fire early), and engines dirtied while others
// are serviced are serviced in the same pass.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EngineDriver } from '../../src/udp/engine-driver.ts';
import { FakeConnection } from './fake-connection.ts';


const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('EngineDriver wake-ups', () => {
  let clock = 1_000;
  let driver: EngineDriver;
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    clock = 1_000;
    driver = new EngineDriver(() => clock);
  });
  afterEach(() => {
    driver.stop();
    vi.useRealTimers();
  });

  it('re-arms its timer when the earliest deadline moves later, so it never fires for nothing', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const fake = new FakeConnection();
    fake.deadline = clock + 5;
    const driven = driver.attach(fake, { transmit: () => {}, event: () => {} });
    await turn();
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    // An ACK cancelled what the deadline was for: the next one is 100 ms away.
    fake.deadline = clock + 100;
    driven.wake();
    await turn();
    expect(setTimeoutSpy).toHaveBeenCalledTimes(2);
    expect(vi.getTimerCount()).toBe(1);
    // Past the old deadline: no firing (a firing for nothing would re-arm: a third call).
    clock += 50;
    vi.advanceTimersByTime(50);
    await turn();
    expect(setTimeoutSpy).toHaveBeenCalledTimes(2);
    expect(fake.timeouts).toBe(0);
    // The due engines are handled in the turn after the timer fires (see EngineDriver.onTimer).
    clock += 50;
    vi.advanceTimersByTime(50);
    await turn();
    expect(fake.timeouts).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps the armed timer when the earliest deadline moves by less than a ms (no churn)', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout');
    const fake = new FakeConnection();
    fake.deadline = clock + 10;
    const driven = driver.attach(fake, { transmit: () => {}, event: () => {} });
    await turn();
    fake.deadline = clock + 10.5;
    driven.wake();
    await turn();
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    expect(clearTimeoutSpy).not.toHaveBeenCalled();
  });

  it('arms whole ms rounded up, so the timer never fires before the deadline', async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    const fake = new FakeConnection();
    fake.deadline = clock + 2.3;
    const driven = driver.attach(fake, { transmit: () => {}, event: () => {} });
    await turn();
    expect(setTimeoutSpy.mock.calls[0]?.[1]).toBe(3);
    // A deadline already past is armed for the 1 ms Node would give it anyway.
    fake.deadline = clock - 5;
    driven.wake();
    await turn();
    expect(setTimeoutSpy).toHaveBeenCalledTimes(2);
    expect(setTimeoutSpy.mock.calls[1]?.[1]).toBe(1);
  });

  it('services an engine dirtied by another engine’s event in the same pass (its packet leaves this turn)', async () => {
    const a = new FakeConnection();
    const b = new FakeConnection();
    const sentByB: Uint8Array[] = [];
    const drivenB = driver.attach(b, { transmit: (p) => sentByB.push(p), event: () => {} });
    // A's message is relayed to B (as a chat line from one session goes to another).
    const drivenA = driver.attach(a, { transmit: () => {}, event: () => void drivenB.send(0, new Uint8Array([3])) });
    await turn();
    drivenA.input(new Uint8Array([9]));
    await turn();
    expect(sentByB).toHaveLength(1);
  });
});
