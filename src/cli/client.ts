// `dualchat client`: flags, mode choice (interactive in a terminal, scripted when stdin is not a TTY
// or with --json) and the process exit. The client itself lives in src/client/ and is loaded by the
// action only, so `--help` and flag errors stay cheap.
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_HOST, DEFAULT_TCP_PORT } from '../client/constants.ts';
import { parseDirFlag, parseHostFlag, parseNameFlag, parsePortFlag, parseUdpViaFlag, type FlagResult } from '../client/flags.ts';
import { DEFAULT_DOWNLOADS_DIR, DEFAULT_RECEIVED_DIR } from '../files/limits.ts';
import type { ScriptedOptions } from '../client/scripted.ts';
import { readFile } from 'node:fs/promises';

interface ClientFlags {
  host: string;
  tcp: number;
  name?: string;
  password?: string;
  json?: boolean;
  /** commander's `--no-udp`: false when given. */
  udp: boolean;
  udpVia?: { host: string | undefined; port: number };
  downloads: string;
  received: string;
  ask?: boolean;
  /** commander's `--no-bell`: false when given. */
  bell: boolean;
  tls?: boolean;
  ca?: string;
  insecure?: boolean;
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
    .addOption(new Option('--name <name>', 'sign in with this name (asked for when absent)').argParser(commanderParser(parseNameFlag)))
    .option('--password <password>', 'the password of a registered name (asked for when the server needs it, interactively)')
    .option('--json', 'scripted mode: print every event as one JSON object per line on stdout')
    .addOption(
      new Option('--udp-via <[host:]port>', 'send chat datagrams through this relay (e.g. `dualchat proxy`) instead of to the server')
        .argParser(commanderParser(parseUdpViaFlag)),
    )
    .option('--no-udp', 'keep chat on TCP (never bind the UDP data plane)')
    .addOption(new Option('--downloads <dir>', 'where /download puts files (created if missing)').default(DEFAULT_DOWNLOADS_DIR).argParser(commanderParser(parseDirFlag)))
    .addOption(new Option('--received <dir>', 'where files other users send you go (created if missing)').default(DEFAULT_RECEIVED_DIR).argParser(commanderParser(parseDirFlag)))
    .option('--no-bell', 'no terminal bell on a private message or a line naming you')
    .option('--ask', 'ask before taking a file someone sends you (/accept ID, /decline ID); default: take it')
    .option('--tls', "connect with TLS, verifying the server's certificate and name; chat datagrams are then encrypted too")
    .option('--ca <file>', 'trust the certificates in this PEM file (a private CA, or a self-signed server\'s own cert.pem); implies --tls')
    .option('--insecure', 'accept any server certificate (encrypted, but the server is not verified: a test setup only); implies --tls')
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
    .action(async (flags: ClientFlags) => {
      // A reader that went away (e.g. `| head`) must end the client, not crash it.
      process.stdout.on('error', () => process.exit(1));
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
        },
        files: { downloadsDir: flags.downloads, receivedDir: flags.received, autoAccept: flags.ask !== true },
        ...(tls.options !== undefined ? { tls: tls.options } : {}),
      };
      const code = scripted
        ? await (await import('../client/scripted.ts')).runScripted({ ...common, json: flags.json === true })
        : await (await import('../client/interactive.ts')).runInteractive({ ...common, bell: flags.bell });
      exitAfterFlush(code);
    });
}
