// An operator's session on the server under load: signs in as a normal client and asks `<stats>`,
// returning the key=value fields of its lines (users, bound, heap-used, …). `<rooms>` follows each
// `<stats>` so the end of the stats lines is known without waiting on a timer.
import net from 'node:net';
import { parseReply } from '../../src/commands/grammar.ts';
import { LineSplitter } from './lines.ts';

export type StatsFields = Record<string, string>;

export class StatsProbe {
  private readonly lines = new LineSplitter();
  private collected: string[] = [];
  private waiter: ((lines: string[]) => void) | undefined;
  private welcomed: (() => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      for (const line of this.lines.push(text)) this.onLine(line);
    });
    socket.on('error', () => {});
  }

  static async open(port: number, name: string, timeoutMs: number): Promise<StatsProbe> {
    const socket = net.connect({ host: '127.0.0.1', port });
    const probe = new StatsProbe(socket);
    await withDeadline(
      new Promise<void>((resolve) => {
        probe.welcomed = resolve;
        socket.on('connect', () => socket.write(`<connect>${name}\n`));
      }),
      timeoutMs,
      'stats probe welcome',
    );
    return probe;
  }

  /** One `<stats>` answer as fields; the lines themselves under `lines`. */
  async stats(timeoutMs: number): Promise<{ fields: StatsFields; lines: string[] }> {
    const lines = await withDeadline(
      new Promise<string[]>((resolve) => {
        this.collected = [];
        this.waiter = resolve;
        this.socket.write('<stats>\n<rooms>\n');
      }),
      timeoutMs,
      '<stats> answer',
    );
    const fields: StatsFields = {};
    for (const line of lines) {
      for (const m of line.matchAll(/([a-z-]+)=([^\s)]+)/g)) fields[m[1]!] ??= m[2]!;
    }
    return { fields, lines };
  }

  close(): void {
    this.socket.destroy();
  }

  private onLine(line: string): void {
    const parsed = parseReply(line);
    if (!parsed.ok) return;
    const reply = parsed.value;
    if (reply.kind === 'welcome') this.welcomed?.();
    if (this.waiter === undefined) return;
    if (reply.kind === 'system') this.collected.push(reply.text);
    if (reply.kind === 'rooms') {
      const w = this.waiter;
      this.waiter = undefined;
      w(this.collected);
    }
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
