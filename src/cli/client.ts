// `dualchat client`: flags, mode choice (interactive in a terminal, scripted when stdin is not a TTY
// or with --json) and the process exit. The client itself lives in src/client/ and is loaded by the
// action only, so `--help` and flag errors stay cheap.
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_HOST, DEFAULT_TCP_PORT, UDP_RETRY_FIRST_MS } from '../client/constants.ts';
import { parseDirFlag, parseHostFlag, parseNameFlag, parsePortFlag, parseUdpRetryFlag, parseUdpViaFlag, type FlagResult } from '../client/flags.ts';
import { DEFAULT_DOWNLOADS_DIR, DEFAULT_RECEIVED_DIR } from '../files/limits.ts';
import type { ScriptedOptions } from '../client/scripted.ts';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultSettingsPath, formatSettings, parseSettings, SETTING_KEYS, type ClientSettings } from '../client/config-file.ts';

interface ClientFlags {
  host: string;
  tcp: number;
  /** `--port`, hidden: another name for --tcp. */
  port?: number;
  name?: string;
  password?: string;
  json?: boolean;
  /** commander's `--no-udp`: false when given. */
  udp: boolean;
  udpVia?: { host: string | undefined; port: number };
  /** `--udp-retry SECONDS` (0: never try UDP again after a fallback). */
  udpRetry: number;
  downloads: string;
  received: string;
  ask?: boolean;
  autoAccept?: boolean;
  /** commander's `--no-bell`: false when given. */
  bell: boolean;
  tls?: boolean;
  ca?: string;
  insecure?: boolean;
  config?: string;
  save?: boolean;
  /** `--reconnect` (scripted mode; the interactive client always reconnects). */
  reconnect?: boolean;
}

/**
 * The settings file: `--config FILE`, else the default path (absent is fine there). Every problem is
 * named with the file's path.
 */
async function loadSettings(flags: ClientFlags): Promise<{ ok: true; file: string; settings: ClientSettings } | { ok: false; message: string }> {
  const file = flags.config ?? defaultSettingsPath(process.env, os.homedir());
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (flags.config === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, file, settings: {} };
    return { ok: false, message: `cannot read the settings file ${file}: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = parseSettings(text);
  if (!parsed.ok) return { ok: false, message: `the settings file ${file}: ${parsed.problems.join('; ')}` };
  return { ok: true, file, settings: parsed.settings };
}

/** Flags not given on the command line take the file's value. */
function applySettings(flags: ClientFlags, settings: ClientSettings, command: Command): void {
  const target = flags as unknown as Record<string, unknown>;
  for (const key of SETTING_KEYS) {
    if (settings[key] !== undefined && command.getOptionValueSource(key) !== 'cli') target[key] = settings[key];
  }
}

/** `--save`: the settings in force (never the password) into the file, through a temporary name. */
async function saveSettings(file: string, flags: ClientFlags): Promise<string | undefined> {
  const settings: ClientSettings = {
    host: flags.host,
    tcp: flags.tcp,
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    udp: flags.udp,
    udpRetry: flags.udpRetry,
    downloads: flags.downloads,
    received: flags.received,
    ask: flags.ask === true,
    autoAccept: acceptsWithoutAsking(flags),
    tls: flags.tls === true,
    ...(flags.ca !== undefined ? { ca: path.resolve(flags.ca) } : {}),
    insecure: flags.insecure === true,
  };
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, formatSettings(settings), { mode: 0o600 });
    await rename(temp, file);
    return undefined;
  } catch (error) {
    return `cannot save the settings to ${file}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** Offers are taken without asking only with `--auto-accept` (or `autoAccept` in the settings file), never with `--ask`. */
function acceptsWithoutAsking(flags: ClientFlags): boolean {
  return flags.autoAccept === true && flags.ask !== true;
}

function commanderParser<T>(parse: (text: string) => FlagResult<T>): (text: string) => T {
  return (text) => {
    const result = parse(text);
    if (!result.ok) throw new InvalidArgumentError(result.message);
    return result.value;
  };
}

/** Exits once stdout and stderr have flushed what was written to them. */
function exitAfterFlush(code: number): void {
  let waiting = 2;
  const done = (): void => {
    waiting -= 1;
    if (waiting === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

type TlsClientOptions = NonNullable<ScriptedOptions['tls']>;

/** The TLS settings the flags ask for (the CA file read), undefined for plain TCP; or why they cannot be used. */
async function tlsOptions(flags: ClientFlags): Promise<{ ok: true; options: TlsClientOptions | undefined } | { ok: false; message: string }> {
  if (flags.tls !== true && flags.ca === undefined && flags.insecure !== true) return { ok: true, options: undefined };
  if (flags.insecure === true) {
    process.stderr.write("dualchat client: warning: --insecure: the server's certificate is not checked; anyone on the path can pose as the server\n");
  }
  const { datagramAead } = await import('../udp/aead.ts');
  const { fallbackReason } = datagramAead();
  if (fallbackReason !== undefined) process.stderr.write(`dualchat client: warning: ${fallbackReason}; datagrams are sealed with node:crypto (the same protocol, slower)\n`);
  if (flags.ca === undefined) return { ok: true, options: { insecure: flags.insecure === true } };
  try {
    const ca = await readFile(flags.ca);
    return { ok: true, options: { ca, insecure: flags.insecure === true } };
  } catch (error) {
    return { ok: false, message: `cannot read --ca ${flags.ca}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

export function clientCommand(): Command {
  return new Command('client')
    .description('chat from a terminal, or from a script when stdin is not a terminal')
    .addOption(
      new Option('--host <host>', 'server host name or address')
        .default(DEFAULT_HOST)
        .argParser(commanderParser(parseHostFlag)),
    )
    .addOption(
      new Option('--tcp <port>', 'server TCP port').default(DEFAULT_TCP_PORT).argParser(commanderParser(parsePortFlag)),
    )
    // A habit from other clients: the same as --tcp (commander would otherwise guess "--host?").
    .addOption(new Option('--port <port>').hideHelp().argParser(commanderParser(parsePortFlag)))
    .addOption(new Option('--name <name>', 'sign in with this name (asked for when absent)').argParser(commanderParser(parseNameFlag)))
    .option('--password <password>', 'the password of a registered name (asked for when the server needs it, interactively)')
    .option('--json', 'scripted mode: print every event as one JSON object per line on stdout')
    .addOption(
      new Option('--udp-via <[host:]port>', 'send chat datagrams through this relay (e.g. `dualchat proxy`) instead of to the server')
        .argParser(commanderParser(parseUdpViaFlag)),
    )
    .option('--no-udp', 'keep chat on TCP (never bind the UDP data plane)')
    .addOption(
      new Option('--udp-retry <seconds>', 'after the UDP path failed and chat fell back to TCP, try UDP again after this long, doubling up to 10 min (0 = never)')
        .default(UDP_RETRY_FIRST_MS / 1000)
        .argParser(commanderParser(parseUdpRetryFlag)),
    )
    .addOption(new Option('--downloads <dir>', 'where /download puts files (created if missing)').default(DEFAULT_DOWNLOADS_DIR).argParser(commanderParser(parseDirFlag)))
    .addOption(new Option('--received <dir>', 'where files other users send you go (created if missing)').default(DEFAULT_RECEIVED_DIR).argParser(commanderParser(parseDirFlag)))
    .option('--no-bell', 'no terminal bell on a private message or a line naming you')
    .option('--reconnect', 'scripted mode: when the connection is lost, reconnect with backoff as the interactive client does (reconnecting/reconnected events)')
    .option('--auto-accept', 'take the files other users send you without asking (default: each waits for /accept ID or /decline ID)')
    .option('--ask', 'ask before taking a file someone sends you (the default; wins over autoAccept in the settings file)')
    .option('--tls', "connect with TLS, verifying the server's certificate and name; chat datagrams are then encrypted too")
    .option('--ca <file>', 'trust the certificates in this PEM file (a private CA, or a self-signed server\'s own cert.pem); implies --tls')
    .option('--insecure', 'accept any server certificate (encrypted, but the server is not verified: a test setup only); implies --tls')
    .option('--config <file>', 'settings file (default: $XDG_CONFIG_HOME/dualchat/config.json or ~/.config/dualchat/config.json); flags given here win')
    .option('--save', 'write the settings in force (host, port, name, TLS, folders …; never a password) to the settings file, then go on')
    .addHelpText(
      'after',
      [
        '',
        'Interactive when stdin is a terminal: type text to chat, /help for every command.',
        'Scripted otherwise (or with --json): one command per stdin line; exits 0 after stdin ends.',
        'Exit status: 0 done, 1 cannot connect / name refused / connection lost.',
        '',
        'Chat travels over UDP (reliable datagrams) once the server\'s binding succeeds, and falls back to',
        'TCP when UDP is blocked or dies; /status shows the transport, RTT, loss and retransmissions.',
        '',
        'Examples:',
        '  dualchat client --name alice',
        "  printf '/join games\\nhello\\n' | dualchat client --tcp 5000 --name bob --json",
        '  dualchat client --name carol --udp-via 127.0.0.1:7000   # through `dualchat proxy --listen 7000 …`',
        '',
        'Files: /files lists, /download NAME fetches into --downloads (an interrupted download resumes),',
        '/upload PATH shares, /sendfile USER PATH sends to a user (into their --received directory).',
      ].join('\n'),
    )
    .action(async (flags: ClientFlags, command: Command) => {
      // A reader that went away (e.g. `| head`) must end the client, not crash it.
      process.stdout.on('error', () => process.exit(1));
      const loaded = await loadSettings(flags);
      if (!loaded.ok) {
        process.stderr.write(`dualchat client: ${loaded.message}\n`);
        exitAfterFlush(1);
        return;
      }
      applySettings(flags, loaded.settings, command);
      if (flags.port !== undefined) flags.tcp = flags.port;
      // `--auto-accept` typed now wins over `"ask": true` left in the settings file.
      if (command.getOptionValueSource('autoAccept') === 'cli' && command.getOptionValueSource('ask') !== 'cli') flags.ask = false;
      if (flags.save === true) {
        const problem = await saveSettings(loaded.file, flags);
        process.stderr.write(`dualchat client: ${problem ?? `saved the settings to ${loaded.file}`}\n`);
        if (problem !== undefined) {
          exitAfterFlush(1);
          return;
        }
      }
      const scripted = flags.json === true || process.stdin.isTTY !== true;
      const tls = await tlsOptions(flags);
      if (!tls.ok) {
        process.stderr.write(`dualchat client: ${tls.message}\n`);
        exitAfterFlush(1);
        return;
      }
      const common = {
        host: flags.host,
        port: flags.tcp,
        name: flags.name,
        ...(flags.password !== undefined ? { password: flags.password } : {}),
        input: process.stdin,
        output: process.stdout,
        errors: process.stderr,
        udp: {
          enabled: flags.udp,
          via: flags.udpVia === undefined ? undefined : { host: flags.udpVia.host ?? flags.host, port: flags.udpVia.port },
          retryFirstMs: flags.udpRetry * 1000,
        },
        files: { downloadsDir: flags.downloads, receivedDir: flags.received, autoAccept: acceptsWithoutAsking(flags) },
        ...(tls.options !== undefined ? { tls: tls.options } : {}),
      };
      const code = scripted
        ? await (await import('../client/scripted.ts')).runScripted({ ...common, json: flags.json === true, reconnect: flags.reconnect === true })
        : await (await import('../client/interactive.ts')).runInteractive({ ...common, bell: flags.bell });
      exitAfterFlush(code);
    });
}
