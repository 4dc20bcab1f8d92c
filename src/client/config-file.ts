// The client's settings file, pure: its JSON read into flag values (each checked by the flag's own
// parser, so a setting means exactly what the flag does) and settings written back. The shell
// (src/cli/client.ts) finds the file, reads and writes it; flags given on the command line win.
//
//   ~/.config/dualchat/config.json   {"host": "chat.example.org", "tcp": 5000, "name": "alice", "tls": true}
import { parseDirFlag, parseHostFlag, parseNameFlag, parsePortFlag, parseUdpRetryFlag, type FlagResult } from './flags.ts';

/** What the file may hold: a subset of the client's flags (never a password). */
export interface ClientSettings {
  host?: string;
  tcp?: number;
  name?: string;
  /** false: keep chat on TCP (`--no-udp`). */
  udp?: boolean;
  /** Seconds before trying UDP again after a fallback (`--udp-retry`; 0 = never). */
  udpRetry?: number;
  downloads?: string;
  received?: string;
  /** Offers wait for `/accept` (the default; kept for settings files written before `autoAccept`). */
  ask?: boolean;
  /** Take files sent to you without asking (`--auto-accept`). */
  autoAccept?: boolean;
  tls?: boolean;
  ca?: string;
  insecure?: boolean;
}

export type SettingKey = keyof ClientSettings;

const TEXT: Readonly<Record<'host' | 'name' | 'downloads' | 'received' | 'ca', (text: string) => FlagResult<string>>> = {
  host: parseHostFlag,
  name: parseNameFlag,
  downloads: parseDirFlag,
  received: parseDirFlag,
  ca: (text) => (text.trim() === '' ? { ok: false, message: 'a file name, not empty' } : { ok: true, value: text }),
};
const SWITCHES = ['udp', 'ask', 'autoAccept', 'tls', 'insecure'] as const;

/** Every key the file may hold, in the order `--save` writes them. */
export const SETTING_KEYS: readonly SettingKey[] = ['host', 'tcp', 'name', 'udp', 'udpRetry', 'downloads', 'received', 'ask', 'autoAccept', 'tls', 'ca', 'insecure'];

/** The file's text → settings, or every problem, each naming its key. */
export function parseSettings(text: string): { ok: true; settings: ClientSettings } | { ok: false; problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problems: [`not JSON: ${error instanceof Error ? error.message : String(error)}`] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problems: ['must be one JSON object, e.g. {"name": "alice"}'] };
  const settings: ClientSettings = {};
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (key === 'password') {
      problems.push('"password": not kept in a file; give --password or type it when asked');
    } else if (key === 'udpRetry') {
      const seconds = typeof v === 'number' || typeof v === 'string' ? parseUdpRetryFlag(String(v)) : undefined;
      if (seconds?.ok === true) settings.udpRetry = seconds.value;
      else problems.push(`"udpRetry": ${seconds?.message ?? 'a whole number of seconds'}`);
    } else if (key === 'tcp') {
      const port = typeof v === 'number' || typeof v === 'string' ? parsePortFlag(String(v)) : undefined;
      if (port?.ok === true) settings.tcp = port.value;
      else problems.push(`"tcp": ${port?.message ?? 'a port number'}`);
    } else if ((SWITCHES as readonly string[]).includes(key)) {
      if (typeof v === 'boolean') settings[key as (typeof SWITCHES)[number]] = v;
      else problems.push(`"${key}": true or false`);
    } else if (key in TEXT) {
      const parse = TEXT[key as keyof typeof TEXT];
      const parsed = typeof v === 'string' ? parse(v) : { ok: false as const, message: 'a string' };
      if (parsed.ok) settings[key as keyof typeof TEXT] = parsed.value;
      else problems.push(`"${key}": ${parsed.message}`);
    } else {
      problems.push(`"${key}": not a setting (known: ${SETTING_KEYS.join(', ')})`);
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, settings };
}

/** Settings as the file holds them: the keys given, in SETTING_KEYS order, one per line. */
export function formatSettings(settings: ClientSettings): string {
  const ordered: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) if (settings[key] !== undefined) ordered[key] = settings[key];
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** `$XDG_CONFIG_HOME/dualchat/config.json`, else `~/.config/dualchat/config.json` (the XDG base directory rule). */
export function defaultSettingsPath(env: Readonly<Record<string, string | undefined>>, home: string): string {
  const base = env['XDG_CONFIG_HOME'] !== undefined && env['XDG_CONFIG_HOME'] !== '' ? env['XDG_CONFIG_HOME'] : `${home}/.config`;
  return `${base}/dualchat/config.json`;
}
