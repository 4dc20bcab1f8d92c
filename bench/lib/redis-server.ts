// A real redis-server for the cluster tests and the cluster benchmark: on a free loopback port, nothing saved to disk, waited for
// with a deadline (PING answered), stopped (and started again on the same port) on demand, killed after.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';

const REDIS_SERVER = '/usr/bin/redis-server';
/** How long a redis-server may take to answer its first PING. */
const READY_DEADLINE_MS = 5_000;

/** Why the cluster tests skip, or undefined when redis-server is here. */
export const NO_REDIS: string | undefined = spawnSync(REDIS_SERVER, ['--version']).status === 0 ? undefined : `${REDIS_SERVER} is not installed (apt-get install redis-server)`;

export interface TestRedis {
  port: number;
  url: string;
  /** Its process id (its CPU time is read from /proc), undefined while stopped. */
  pid(): number | undefined;
  /** Stop it (SIGKILL: as a crash would) and wait for the exit. */
  stop(): Promise<void>;
  /** Start it again on the same port (empty: nothing was saved). */
  start(): Promise<void>;
  /** Send one command (RESP inline) and read its one-line answer. */
  command(line: string): Promise<string>;
}

/** A TCP port free on 127.0.0.1 now (the kernel's pick). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** One inline command to the Redis on `port`; resolves with what it answers (the first chunk). */
function ask(port: number, line: string, timeoutMs = 1_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on ${port}: no answer to ${line} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('connect', () => socket.write(`${line}\r\n`));
    socket.setEncoding('utf8');
    socket.once('data', (data: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(data);
    });
  });
}

export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const started = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', ''], { stdio: 'ignore' });
    child = started;
    const deadline = Date.now() + READY_DEADLINE_MS;
    for (;;) {
      if (started.exitCode !== null) throw new Error(`redis-server on port ${port} exited with ${started.exitCode}`);
      const answer = await ask(port, 'PING', 200).catch(() => '');
      if (answer.startsWith('+PONG')) return;
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not answer PING within ${READY_DEADLINE_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    pid: () => (child !== undefined && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    stop: async () => {
      const c = child;
      if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGKILL');
      await gone;
    },
    start: launch,
    command: (line) => ask(port, line),
  };
}
