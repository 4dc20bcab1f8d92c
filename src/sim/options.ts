// The `simulate` command's flags, turned into a simulation spec (and sweep grid). Pure: the shell reads
// the scenario file and hands its parsed JSON here. Flags override the scenario: link flags set both
// directions' base settings, workload flags the workload.
import { checkLinkSettings, mergeLinkSettings, type LinkSettings } from './link.ts';
import { LINK_PROPERTIES, parseLinkProperty, type LinkProperty } from './link-properties.ts';
import { resolveEngineConfig } from '../reliability/config.ts';
import { defaultSpec, parseScenario, type SimulationSpec } from './scenario.ts';
import { parseSweep, type SweepDimension } from './sweep.ts';
import { COMMAND_LINE_DELAY_MS } from './constants.ts';
import { parseByteSize, parseDuration, parseNumber } from './units.ts';
import { checkWorkload } from './workload.ts';

/** Flags as commander hands them over: strings, as typed. */
export interface SimulateFlags {
  seed?: string;
  loss?: string;
  burst?: string;
  delay?: string;
  jitter?: string;
  dup?: string;
  reorder?: string;
  corrupt?: string;
  rate?: string;
  queue?: string;
  messages?: string;
  size?: string;
  msgRate?: string;
  file?: string;
  chunk?: string;
  sweep?: string[];
  /** Engine options as KEY=VALUE. */
  engine?: string[];
  duration?: string;
  maxEvents?: string;
}

export interface SimulatePlan {
  base: SimulationSpec;
  sweeps: SweepDimension[];
}

export type PlanResult = { ok: true; plan: SimulatePlan } | { ok: false; errors: string[] };

/** Flag name of each link property (the same words). */
const LINK_FLAGS = LINK_PROPERTIES.filter((p): p is Exclude<LinkProperty, 'partition'> => p !== 'partition');

/**
 * Builds the plan from flags and an optional parsed scenario (`scenario` is the file's JSON value;
 * `scenarioLabel` names it in errors).
 */
export function planSimulation(flags: SimulateFlags, scenario?: { value: unknown; label: string }): PlanResult {
  const errors: string[] = [];
  let spec = defaultSpec();
  if (scenario !== undefined) {
    const parsed = parseScenario(scenario.value);
    if (!parsed.ok) return { ok: false, errors: parsed.errors.map((e) => `${scenario.label}: ${e}`) };
    spec = parsed.spec;
  }

  if (flags.seed !== undefined) {
    const t = flags.seed.trim();
    if (t === '') errors.push('--seed: must not be empty');
    else spec.seed = /^\d+$/.test(t) && Number.isSafeInteger(Number(t)) ? Number(t) : t;
  }

  // A run from flags alone gets a real path's delay (see COMMAND_LINE_DELAY_MS); --delay overrides it.
  let link: Partial<LinkSettings> = scenario === undefined ? { delayMs: COMMAND_LINE_DELAY_MS } : {};
  for (const property of LINK_FLAGS) {
    const raw = flags[property];
    if (raw === undefined) continue;
    const parsed = parseLinkProperty(property, raw);
    if (parsed.ok) link = { ...link, ...parsed.value };
    else errors.push(`--${property}: ${parsed.error}`);
  }
  for (const e of checkLinkSettings(link)) errors.push(`link: ${e}`);
  spec.forward = mergeLinkSettings(spec.forward, link);
  spec.reverse = mergeLinkSettings(spec.reverse, link);

  const w = { ...spec.workload };
  const take = (flag: string, r: { ok: true; value: number } | { ok: false; error: string }): number | undefined => {
    if (r.ok) return r.value;
    errors.push(`--${flag}: ${r.error}`);
    return undefined;
  };
  // Without a scenario, naming only a file sends only the file (with one, flags change single fields).
  if (scenario === undefined && flags.file !== undefined && flags.messages === undefined) w.messages = 0;
  if (flags.messages !== undefined) w.messages = take('messages', parseNumber(flags.messages, 'messages', { min: 0, integer: true })) ?? w.messages;
  if (flags.size !== undefined) w.messageBytes = take('size', parseByteSize(flags.size, 'size')) ?? w.messageBytes;
  if (flags.msgRate !== undefined) w.messageRate = take('msg-rate', parseNumber(flags.msgRate, 'msg-rate', { min: 0 })) ?? w.messageRate;
  if (flags.file !== undefined) w.fileBytes = take('file', parseByteSize(flags.file, 'file')) ?? w.fileBytes;
  if (flags.chunk !== undefined) {
    const chunk = take('chunk', parseByteSize(flags.chunk, 'chunk'));
    if (chunk === 0) errors.push('--chunk: must be at least 1 byte');
    else if (chunk !== undefined) w.chunkBytes = chunk;
  }
  if (errors.length === 0) for (const e of checkWorkload(w)) errors.push(`workload: ${e}`);
  spec.workload = w;

  if (flags.duration !== undefined) {
    const d = take('duration', parseDuration(flags.duration, 'duration'));
    if (d === 0) errors.push('--duration: must be positive');
    else if (d !== undefined) spec.limits = { ...spec.limits, durationMs: d };
  }
  if (flags.maxEvents !== undefined) {
    const n = take('max-events', parseNumber(flags.maxEvents, 'max-events', { min: 1, integer: true }));
    if (n !== undefined) spec.limits = { ...spec.limits, events: n };
  }

  const engine: Record<string, number | string> = { ...spec.engine };
  for (const arg of flags.engine ?? []) {
    const eq = arg.indexOf('=');
    const key = eq < 0 ? '' : arg.slice(0, eq).trim();
    const text = eq < 0 ? '' : arg.slice(eq + 1).trim();
    if (key === '' || text === '') {
      errors.push(`--engine: "${arg}" must look like OPTION=VALUE (e.g. idleTimeoutMs=3000)`);
      continue;
    }
    const n = Number(text);
    engine[key] = Number.isFinite(n) ? n : text;
  }
  if ((flags.engine ?? []).length > 0) {
    const resolved = resolveEngineConfig(engine);
    if (!resolved.ok) for (const e of resolved.errors) errors.push(`--engine: ${e}`);
  }
  spec.engine = engine;

  const sweeps: SweepDimension[] = [];
  for (const arg of flags.sweep ?? []) {
    const parsed = parseSweep(arg);
    if (parsed.ok) sweeps.push(parsed.value);
    else errors.push(`--sweep: ${parsed.error}`);
  }

  return errors.length > 0 ? { ok: false, errors } : { ok: true, plan: { base: spec, sweeps } };
}
