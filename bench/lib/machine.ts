// The machine line printed with every result: figures from a shared 2-core box under someone else's
// test run are not comparable with a quiet workstation, so every table says where it was measured.
import { cpus, loadavg, platform, arch } from 'node:os';

export interface Machine {
  cores: number;
  cpu: string;
  node: string;
  platform: string;
  /** ISO 8601, UTC. */
  date: string;
  /** 1, 5 and 15-minute load averages when the measurement started. */
  loadAverage: [number, number, number];
}

export function describeMachine(date = new Date()): Machine {
  const list = cpus();
  const [l1, l5, l15] = loadavg();
  return {
    cores: list.length,
    cpu: (list[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim(),
    node: process.version,
    platform: `${platform()} ${arch()}`,
    date: date.toISOString(),
    loadAverage: [round2(l1 ?? 0), round2(l5 ?? 0), round2(l15 ?? 0)],
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}

/** "2 cores, AMD EPYC, Node v20.20.2, linux x64, 2026-11-21 17:40 UTC, load 1.93 / 3.59 / 3.22" */
export function machineLine(m: Machine): string {
  const when = `${m.date.slice(0, 10)} ${m.date.slice(11, 16)} UTC`;
  const load = m.loadAverage.map((l) => l.toFixed(2)).join(' / ');
  return `${m.cores} core${m.cores === 1 ? '' : 's'}, ${m.cpu}, Node ${m.node}, ${m.platform}, ${when}, load ${load} (1/5/15 min)`;
}

/** The 1-minute load average now (suites note it again when they finish). */
export function loadNow(): number {
  return round2(loadavg()[0] ?? 0);
}
