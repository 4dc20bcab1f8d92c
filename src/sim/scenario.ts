// A scenario: a named, seeded simulation — the link in each direction, timed phases that change it, a
// workload and limits. `parseScenario` validates a parsed JSON value (the shell reads the file) and
// names the field of every problem it finds; it never throws. The format is documented in
// docs/simulator.md.
import {
  DEFAULT_FILE_CHUNK_BYTES,
  DEFAULT_MAX_DURATION_MS,
  DEFAULT_MAX_EVENTS,
  DEFAULT_MESSAGE_BYTES,
  DEFAULT_MESSAGE_RATE,
  DEFAULT_MESSAGES,
} from './constants.ts';
import { resolveEngineConfig, type EngineConfig } from '../reliability/config.ts';
import { checkLinkSettings, DEFAULT_LINK_SETTINGS, mergeLinkSettings, type LinkSettings } from './link.ts';
import { isLinkProperty, LINK_PROPERTIES, parseLinkProperty } from './link-properties.ts';
import { parseByteSize, parseDuration, parseNumber, type Parsed } from './units.ts';
import { checkWorkload, type WorkloadSpec } from './workload.ts';

/** A change of the link at a moment of the run. Each direction gets the fields given for it. */
export interface LinkPhase {
  atMs: number;
  /** Sender → receiver (data). */
  forward: Partial<LinkSettings>;
  /** Receiver → sender (acknowledgements). */
  reverse: Partial<LinkSettings>;
}

export interface RunLimits {
  /** Stop after this much virtual time. */
  durationMs: number;
  /** Stop after this many events (timers, deliveries, sends). */
  events: number;
}

/** Everything one run needs; identical specs give identical runs. */
export interface SimulationSpec {
  name: string;
  description: string;
  seed: number | string;
  forward: LinkSettings;
  reverse: LinkSettings;
  /** In time order. */
  phases: LinkPhase[];
  workload: WorkloadSpec;
  limits: RunLimits;
  /** Engine options for both ends (validated with the engine's own resolveEngineConfig). */
  engine: Partial<EngineConfig>;
}

export const DEFAULT_WORKLOAD: Readonly<WorkloadSpec> = Object.freeze({
  messages: DEFAULT_MESSAGES,
  messageBytes: DEFAULT_MESSAGE_BYTES,
  messageRate: DEFAULT_MESSAGE_RATE,
  fileBytes: 0,
  chunkBytes: DEFAULT_FILE_CHUNK_BYTES,
});

export const DEFAULT_LIMITS: Readonly<RunLimits> = Object.freeze({
  durationMs: DEFAULT_MAX_DURATION_MS,
  events: DEFAULT_MAX_EVENTS,
});

/** The spec of a run with no scenario: clean link both ways, default workload, seed 1. */
export function defaultSpec(): SimulationSpec {
  return {
    name: 'command line',
    description: '',
    seed: 1,
    forward: { ...DEFAULT_LINK_SETTINGS },
    reverse: { ...DEFAULT_LINK_SETTINGS },
    phases: [],
    workload: { ...DEFAULT_WORKLOAD },
    limits: { ...DEFAULT_LIMITS },
    engine: {},
  };
}

export type ScenarioResult = { ok: true; spec: SimulationSpec } | { ok: false; errors: string[] };

const TOP_FIELDS = ['name', 'description', 'seed', 'link', 'forward', 'reverse', 'workload', 'phases', 'limits', 'engine'];
const WORKLOAD_FIELDS = ['messages', 'size', 'rate', 'file', 'chunk'];
const PHASE_FIELDS = ['at', 'link', 'forward', 'reverse'];
const LIMIT_FIELDS = ['duration', 'events'];

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

/** Collects problems as `path: message`. */
class Problems {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
  unknownFields(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.add(path === '' ? key : `${path}.${key}`, `unknown field (expected one of: ${allowed.join(', ')})`);
    }
  }
  /** Adds a Parsed's error (its text already names the quantity) under `path`. */
  take<T>(path: string, r: Parsed<T>): T | undefined {
    if (r.ok) return r.value;
    this.add(path, r.error);
    return undefined;
  }
}

/** A link object of the file (`{"loss": 0.1, "delay": "20ms"}`) as partial settings. */
function readLink(value: unknown, path: string, problems: Problems): Partial<LinkSettings> {
  if (!isObject(value)) {
    problems.add(path, `must be an object of link properties (${LINK_PROPERTIES.join(', ')}), got ${describe(value)}`);
    return {};
  }
  const settings: Partial<LinkSettings> = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!isLinkProperty(key)) {
      problems.add(`${path}.${key}`, `unknown link property (expected one of: ${LINK_PROPERTIES.join(', ')})`);
      continue;
    }
    const parsed = problems.take(`${path}.${key}`, parseLinkProperty(key, raw));
    if (parsed !== undefined) Object.assign(settings, parsed);
  }
  for (const e of checkLinkSettings(settings)) problems.add(path, e);
  return settings;
}

function readWorkload(value: unknown, problems: Problems): WorkloadSpec {
  const w: WorkloadSpec = { ...DEFAULT_WORKLOAD };
  if (!isObject(value)) {
    problems.add('workload', `must be an object with ${WORKLOAD_FIELDS.join(', ')}, got ${describe(value)}`);
    return w;
  }
  const before = problems.list.length;
  problems.unknownFields(value, WORKLOAD_FIELDS, 'workload');
  // A workload that names only a file sends only the file, and vice versa.
  if (value.file !== undefined && value.messages === undefined) w.messages = 0;
  const n = (key: string, opts: { min?: number; integer?: boolean }): number | undefined =>
    value[key] === undefined ? undefined : problems.take(`workload.${key}`, parseNumber(value[key], key, opts));
  const bytes = (key: string): number | undefined =>
    value[key] === undefined ? undefined : problems.take(`workload.${key}`, parseByteSize(value[key], key));
  w.messages = n('messages', { min: 0, integer: true }) ?? w.messages;
  w.messageBytes = bytes('size') ?? w.messageBytes;
  w.messageRate = n('rate', { min: 0 }) ?? w.messageRate;
  w.fileBytes = bytes('file') ?? w.fileBytes;
  w.chunkBytes = bytes('chunk') ?? w.chunkBytes;
  if (w.chunkBytes < 1) problems.add('workload.chunk', 'must be at least 1 byte');
  if (problems.list.length === before) for (const e of checkWorkload(w)) problems.add('workload', e);
  return w;
}

function readPhases(value: unknown, problems: Problems): LinkPhase[] {
  if (!Array.isArray(value)) {
    problems.add('phases', `must be an array of {"at": …, "link": {…}}, got ${describe(value)}`);
    return [];
  }
  const phases: LinkPhase[] = [];
  value.forEach((raw: unknown, i: number) => {
    const path = `phases[${i}]`;
    if (!isObject(raw)) {
      problems.add(path, `must be an object like {"at": "5s", "link": {"partition": true}}, got ${describe(raw)}`);
      return;
    }
    problems.unknownFields(raw, PHASE_FIELDS, path);
    const atMs = raw.at === undefined ? undefined : problems.take(`${path}.at`, parseDuration(raw.at, 'at'));
    if (raw.at === undefined) problems.add(`${path}.at`, 'is required (when the phase starts, e.g. "5s")');
    if (raw.link === undefined && raw.forward === undefined && raw.reverse === undefined) {
      problems.add(path, 'changes nothing: give "link" (both directions), "forward" or "reverse"');
    }
    const both = raw.link === undefined ? {} : readLink(raw.link, `${path}.link`, problems);
    const forward = raw.forward === undefined ? {} : readLink(raw.forward, `${path}.forward`, problems);
    const reverse = raw.reverse === undefined ? {} : readLink(raw.reverse, `${path}.reverse`, problems);
    if (atMs !== undefined) phases.push({ atMs, forward: { ...both, ...forward }, reverse: { ...both, ...reverse } });
  });
  // Stable: phases at the same instant apply in the order written.
  return phases.map((p, i) => ({ p, i })).sort((a, b) => a.p.atMs - b.p.atMs || a.i - b.i).map(({ p }) => p);
}

function readLimits(value: unknown, problems: Problems): RunLimits {
  const limits: RunLimits = { ...DEFAULT_LIMITS };
  if (!isObject(value)) {
    problems.add('limits', `must be an object with ${LIMIT_FIELDS.join(', ')}, got ${describe(value)}`);
    return limits;
  }
  problems.unknownFields(value, LIMIT_FIELDS, 'limits');
  if (value.duration !== undefined) {
    const d = problems.take('limits.duration', parseDuration(value.duration, 'duration'));
    if (d !== undefined && d <= 0) problems.add('limits.duration', 'must be positive');
    else if (d !== undefined) limits.durationMs = d;
  }
  if (value.events !== undefined) {
    limits.events = problems.take('limits.events', parseNumber(value.events, 'events', { min: 1, integer: true })) ?? limits.events;
  }
  return limits;
}

/** Engine options: an object checked by the engine's own validation (unknown options are errors). */
export function readEngineOptions(value: unknown, path: string, problems: { add(path: string, message: string): void }): Partial<EngineConfig> {
  if (!isObject(value)) {
    problems.add(path, `must be an object of engine options (e.g. {"idleTimeoutMs": 3000}), got ${describe(value)}`);
    return {};
  }
  const resolved = resolveEngineConfig(value as Partial<EngineConfig>);
  if (!resolved.ok) for (const e of resolved.errors) problems.add(path, e);
  return { ...(value as Partial<EngineConfig>) };
}

/** Validates a parsed scenario file. Every problem is reported, each naming its field. */
export function parseScenario(value: unknown): ScenarioResult {
  const problems = new Problems();
  if (!isObject(value)) return { ok: false, errors: [`scenario must be a JSON object, got ${describe(value)}`] };
  problems.unknownFields(value, TOP_FIELDS, '');
  const spec = defaultSpec();

  if (value.name !== undefined) {
    if (typeof value.name === 'string' && value.name.trim() !== '') spec.name = value.name;
    else problems.add('name', `must be a non-empty string, got ${describe(value.name)}`);
  } else {
    spec.name = 'scenario';
  }
  if (value.description !== undefined) {
    if (typeof value.description === 'string') spec.description = value.description;
    else problems.add('description', `must be a string, got ${describe(value.description)}`);
  }
  if (value.seed !== undefined) {
    if (typeof value.seed === 'number' && Number.isSafeInteger(value.seed) && value.seed >= 0) spec.seed = value.seed;
    else if (typeof value.seed === 'string' && value.seed !== '') spec.seed = value.seed;
    else problems.add('seed', `must be a whole number ≥ 0 or a non-empty string, got ${describe(value.seed)}`);
  }

  const both = value.link === undefined ? {} : readLink(value.link, 'link', problems);
  const forward = value.forward === undefined ? {} : readLink(value.forward, 'forward', problems);
  const reverse = value.reverse === undefined ? {} : readLink(value.reverse, 'reverse', problems);
  spec.forward = mergeLinkSettings(mergeLinkSettings(DEFAULT_LINK_SETTINGS, both), forward);
  spec.reverse = mergeLinkSettings(mergeLinkSettings(DEFAULT_LINK_SETTINGS, both), reverse);

  if (value.workload !== undefined) spec.workload = readWorkload(value.workload, problems);
  if (value.phases !== undefined) spec.phases = readPhases(value.phases, problems);
  if (value.limits !== undefined) spec.limits = readLimits(value.limits, problems);
  if (value.engine !== undefined) spec.engine = readEngineOptions(value.engine, 'engine', problems);

  return problems.list.length > 0 ? { ok: false, errors: problems.list } : { ok: true, spec };
}
