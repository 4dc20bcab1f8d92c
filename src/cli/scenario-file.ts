// Scenario files as users name them: a path, or the name of one shipped in scenarios/. Shared by
// `dualchat simulate` and `dualchat proxy`.
import { readFileSync, readdirSync } from 'node:fs';
import { planSimulation, type SimulateFlags, type SimulatePlan } from '../sim/options.ts';

/** The scenarios shipped with dualchat, for `--scenario NAME` and `--list-scenarios`. */
const SHIPPED_SCENARIOS = new URL('../../scenarios/', import.meta.url);

export function shippedScenarioNames(): string[] {
  try {
    return readdirSync(SHIPPED_SCENARIOS)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

/** Reads a scenario by path, or by the name of a shipped one. */
export function readScenario(arg: string): { ok: true; value: unknown; label: string } | { ok: false; error: string } {
  const candidates = [arg];
  if (!arg.includes('/') && !arg.includes('\\')) {
    const name = arg.endsWith('.json') ? arg : `${arg}.json`;
    candidates.push(new URL(name, SHIPPED_SCENARIOS).pathname);
  }
  let text: string | undefined;
  let label = arg;
  let firstError = '';
  for (const path of candidates) {
    try {
      text = readFileSync(path, 'utf8');
      label = path;
      break;
    } catch (e) {
      if (firstError === '') firstError = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message);
    }
  }
  if (text === undefined) {
    const names = shippedScenarioNames();
    return { ok: false, error: `--scenario ${arg}: ${firstError}${names.length > 0 ? ` (shipped scenarios: ${names.join(', ')})` : ''}` };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown, label: arg };
  } catch (e) {
    return { ok: false, error: `--scenario ${label}: not valid JSON: ${(e as Error).message}` };
  }
}


/** Flags plus the scenario they name (if any) → the plan; errors as one message for the user. */
export function planFromFlags(flags: SimulateFlags & { scenario?: string }): { ok: true; plan: SimulatePlan } | { ok: false; error: string } {
  let scenario: { value: unknown; label: string } | undefined;
  if (flags.scenario !== undefined) {
    const read = readScenario(flags.scenario);
    if (!read.ok) return { ok: false, error: read.error };
    scenario = read;
  }
  const planned = planSimulation(flags, scenario);
  return planned.ok ? planned : { ok: false, error: planned.errors.join('\n  ') };
}
