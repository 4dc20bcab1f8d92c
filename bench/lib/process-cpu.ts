// A process's CPU time read from outside it (Linux /proc), so every server a suite measures — a Node
// worker, `dualchat server`, or a C daemon such as ngircd — is measured the same way and needs
// nothing from itself.
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on every Linux we run on). */
export const USER_HZ = 100;

/** User + system CPU time the process has used so far (all its threads), ms, to 1/USER_HZ s. */
export function processCpuMs(pid: number): number {
  if (!Number.isSafeInteger(pid) || pid <= 0) throw new RangeError(`not a process id: ${pid}`);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which is in parentheses and may hold spaces): utime is the
  // 14th field of the line, stime the 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`/proc/${pid}/stat has no CPU times: ${stat.slice(0, 200)}`);
  return (ticks * 1000) / USER_HZ;
}
