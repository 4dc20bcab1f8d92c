// A detached tmux session as a person's terminal, for the interactive client's tests: typed into with
// send-keys, read back with capture-pane. One tmux server (-L socket) per test file: a tmux server exits
// with its last session. Every wait has a deadline and every poll a bounded count.
import { execFileSync, spawnSync } from 'node:child_process';

export const hasTmux = spawnSync('sh', ['-c', 'command -v tmux']).status === 0;

/** A poll's interval and the most polls of one wait (~20 s). */
const POLL_MS = 100;
const MAX_POLLS = 200;

export interface Terminal {
  tmux(...args: string[]): string;
  /** The visible screen, trailing blank rows dropped. */
  screen(): string;
  /** The screen's last row: the prompt and what is typed on it. */
  lastRow(): string;
  poll<T>(check: () => T | undefined | false, what: string, polls?: number): Promise<T>;
  sessionAlive(): boolean;
}

/** The terminal of tmux session `session` on the tmux server `socket`. */
export function terminal(socket: string, session: string): Terminal {
  const tmux = (...args: string[]): string =>
    execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8', timeout: 5_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const screen = (): string => {
    try {
      return tmux('capture-pane', '-p', '-t', session).replace(/\s+$/, '');
    } catch {
      return '(no tmux session)';
    }
  };
  const lastRow = (): string => screen().split('\n').at(-1) ?? '';
  const poll = async <T>(check: () => T | undefined | false, what: string, polls = MAX_POLLS): Promise<T> => {
    for (let i = 0; i < polls; i++) {
      const value = check();
      if (value !== undefined && value !== false) return value;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`no ${what} within ${(POLL_MS * polls) / 1000} s; screen:\n${screen()}`);
  };
  const sessionAlive = (): boolean => spawnSync('tmux', ['-L', socket, 'has-session', '-t', session], { stdio: 'ignore', timeout: 5_000 }).status === 0;
  return { tmux, screen, lastRow, poll, sessionAlive };
}
