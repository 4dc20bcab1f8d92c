// What `dualchat db …` does once its flags are valid: one clear line and exit status 1 when the file
// cannot be used (StoreOpenError), never a stack trace.
import { dbStats, exportRoom, pruneNow } from '../store/admin.ts';
import { messageOf } from '../store/open.ts';
import type { Retention } from '../store/retention.ts';

export function runDbStats(path: string, json: boolean): void {
  guarded(() => {
    const s = dbStats(path);
    if (json) {
      process.stdout.write(`${JSON.stringify(s)}\n`);
      return;
    }
    const when = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
    const lines = [
      `database ${s.path} (schema ${s.schema}): ${mib(s.fileBytes)} + ${mib(s.walBytes)} write-ahead log`,
      `accounts ${s.accounts}, messages ${s.messages} in ${s.rooms} rooms, private messages waiting ${s.mailbox}`,
      `oldest ${when(s.oldest)}, newest ${when(s.newest)}`,
      ...s.topRooms.map((r) => `  #${r.room}: ${r.messages}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

export function runDbExport(path: string, room: string): void {
  guarded(() => {
    const n = exportRoom(path, room.replace(/^#/, '').toLowerCase(), (line) => process.stdout.write(line));
    process.stderr.write(`dualchat db: exported ${n} messages of #${room.replace(/^#/, '').toLowerCase()}\n`);
  });
}

export function runDbPrune(path: string, retention: Retention): void {
  guarded(() => {
    const deleted = pruneNow(path, retention, Date.now());
    process.stdout.write(`deleted ${deleted} messages\n`);
  });
}

function guarded(work: () => void): void {
  try {
    work();
  } catch (error) {
    process.stderr.write(`dualchat db: ${messageOf(error)}\n`);
    process.exitCode = 1;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
