// History replay on join at scale: a database file of ROWS room messages (spread over ROOMS rooms),
// then the server time of replaying the last 50 lines of a room when a session enters it. Three figures,
// each a median and p99 over many joins of random rooms:
// - query: the store's read alone (the indexed range scan of `(room, id)` and the rows' objects);
// - join: the hub's `join` handled and its later output settled (the read, the 50 `history` replies),
//   in one process, no sockets — what the server spends, without the network;
// - and, once, the file's size and the time the server takes to open it (with its integrity check).
//
//   node --import tsx bench/micro/history-replay.ts [--rows 1000000] [--rooms 1000] [--joins 2000]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { Hub, type HubOutput } from '../../src/chat/hub.ts';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { countFlag } from '../lib/micro-flags.ts';

const ROWS = countFlag('rows', 1_000_000);
const ROOMS = countFlag('rooms', 1_000);
const JOINS = countFlag('joins', 2_000);
const REPLAY = 50;
/**
 * Rows per commit while filling: what the server's 5 ms batches hold at 8,000 lines/s (the fanout
 * benchmark's closed loop, 100 clients with 8 lines in flight each), so the CPU per message is the
 * server's under that load.
 */
const FILL_BATCH = 40;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function summary(label: string, ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  return `${label}: median ${quantile(s, 0.5).toFixed(3)} ms, p99 ${quantile(s, 0.99).toFixed(3)} ms, max ${(s.at(-1) ?? 0).toFixed(3)} ms (${s.length} samples)`;
}

async function settle(outputs: readonly HubOutput[]): Promise<number> {
  let replies = 0;
  for (const o of outputs) {
    if (o.type === 'await') replies += await settle(await o.outputs);
    else if (o.type === 'reply' && o.reply.kind === 'history') replies++;
  }
  return replies;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dualchat-history-'));
  const file = path.join(dir, 'history.db');
  const logger = pino({ level: 'warn' });
  try {
    const text = 'a chat line of an ordinary length, some sixty characters long.';
    /** Record ROWS messages into a store at `at`; the CPU each cost (recording and its batched commit). */
    const fill = async (at: string): Promise<number> => {
      const s = new SqliteStore({ path: at, logger, retention: { days: 0, maxRows: 0 } });
      const cpu = process.cpuUsage();
      for (let i = 0; i < ROWS; i++) {
        s.recordRoomMessage({ room: `room${i % ROOMS}`, from: `user${i % 97}`, ts: 1_700_000_000_000 + i, text });
        if (i % FILL_BATCH === FILL_BATCH - 1) s.flush();
      }
      s.flush();
      const used = process.cpuUsage(cpu);
      await s.close();
      return (used.user + used.system) / ROWS;
    };
    const perMessageMemory = await fill(':memory:');
    const perMessageFile = await fill(file);
    console.log(`recording a message (batched commits of ${FILL_BATCH}): ${perMessageFile.toFixed(2)} µs CPU on a file, ${perMessageMemory.toFixed(2)} µs in memory`);
    console.log(`filled ${ROWS} rows in ${ROOMS} rooms; file ${(statSync(file).size / 1024 / 1024).toFixed(0)} MiB`);
    let store: SqliteStore;

    const opening = performance.now();
    store = new SqliteStore({ path: file, logger, retention: { days: 0, maxRows: 0 } });
    console.log(`open (integrity check, accounts, counts): ${(performance.now() - opening).toFixed(0)} ms`);

    const query: number[] = [];
    const join: number[] = [];
    const hub = new Hub({ rateLimit: 0, roomCapacity: 100_000 }, { store, history: store, accounts: store, historyOnJoin: REPLAY });
    hub.open(1, 0);
    await settle(hub.handle(1, { kind: 'connect', name: 'reader' }, 0));
    let seed = 12345;
    const nextRoom = (): string => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return `room${seed % ROOMS}`;
    };
    let current = 'lobby';
    for (let i = 0; i < JOINS; i++) {
      const room = nextRoom();
      if (room === current) continue; // joining the room you are in is refused
      const t0 = performance.now();
      const lines = await store.roomHistory(room, REPLAY);
      query.push(performance.now() - t0);
      if (lines.length !== Math.min(REPLAY, Math.floor(ROWS / ROOMS))) throw new Error(`room ${room}: ${lines.length} lines`);
      const t1 = performance.now();
      const replayed = await settle(hub.handle(1, { kind: 'join', room }, i));
      join.push(performance.now() - t1);
      current = room;
      if (replayed !== lines.length) throw new Error(`join ${room}: ${replayed} history replies`);
    }
    // Both include one turn of the event loop (the read waits for the I/O phase to end): an upper bound.
    console.log(summary(`query, ${REPLAY} lines at ${ROWS} rows`, query));
    console.log(summary(`join with ${REPLAY} lines replayed`, join));
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
