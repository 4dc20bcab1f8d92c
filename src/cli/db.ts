// `dualchat db`: the operator's look at a server's database — `stats`, `export ROOM` (ndjson), `prune`.
// The work is src/cli/db-run.ts, loaded by the actions only.
import { Command } from 'commander';
import { DEFAULT_DB_PATH, HISTORY_DAYS_MAX, HISTORY_MAX_ROWS_MAX } from '../server/store-options.ts';
import { parseWholeFlag } from './server.ts';

export function dbCommand(): Command {
  const db = new Command('db').description("Look after a server's database: counts and sizes, a room's history as ndjson, retention.");
  db.command('stats')
    .description('counts of accounts, messages, rooms and waiting private messages; file sizes; the busiest rooms')
    .option('--db <path>', 'the database', DEFAULT_DB_PATH)
    .option('--json', 'one JSON object instead of lines')
    .action(async (flags: { db: string; json?: boolean }) => {
      const { runDbStats } = await import('./db-run.ts');
      runDbStats(flags.db, flags.json === true);
    });
  db.command('export')
    .description("a room's kept messages, oldest first, one JSON object per line on stdout")
    .argument('<room>', 'the room (as listed: lower-case, without #)')
    .option('--db <path>', 'the database', DEFAULT_DB_PATH)
    .action(async (room: string, flags: { db: string }) => {
      const { runDbExport } = await import('./db-run.ts');
      runDbExport(flags.db, room);
    });
  db.command('prune')
    .description('delete room messages older than --days and beyond --max-rows now (the server also does it every minute)')
    .option('--db <path>', 'the database', DEFAULT_DB_PATH)
    .option('--days <n>', 'keep this many days (0 = no age limit)', (v: string) => parseWholeFlag('--days', v, 0, HISTORY_DAYS_MAX), 0)
    .option('--max-rows <n>', 'keep at most this many messages (0 = no bound)', (v: string) => parseWholeFlag('--max-rows', v, 0, HISTORY_MAX_ROWS_MAX), 0)
    .action(async (flags: { db: string; days: number; maxRows: number }) => {
      const { runDbPrune } = await import('./db-run.ts');
      runDbPrune(flags.db, { days: flags.days, maxRows: flags.maxRows });
    });
  return db;
}
