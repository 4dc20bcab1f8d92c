// The scripted client: one typed line per stdin line, in order; every event on stdout (one JSON object
// per line with --json, plain readable lines without). Diagnostics go to stderr only. It holds input
// until the server welcomed us, waits (bounded) for the replies to what it sent when stdin ends, then
// disconnects cleanly. Exit codes: 0 done, 1 could not connect / name refused / connection lost.
import { splitCredentials } from '../commands/credentials.ts';
import readline from 'node:readline';
import { DEFAULT_DOWNLOADS_DIR, DEFAULT_RECEIVED_DIR } from '../files/limits.ts';
import { planInput, planNameInput, type ClientAction, type FileAction } from './actions.ts';
import {
  DISCONNECT_WAIT_MS,
  EOF_MAX_WAIT_MS,
  EOF_QUIET_MS,
  MAX_PENDING,
  RECONNECT_MAX_ATTEMPTS,
  QUEUED_EVENT_INTERVAL_MS,
  TRANSFER_STALL_MS,
  WELCOME_TIMEOUT_MS,
} from './constants.ts';
import { chooseColors } from './colors.ts';
import type { ChatLink, UdpOptions } from './link.ts';
import { carryOver, linkOpener, reconnect } from './reconnect.ts';
import type { Command } from '../commands/types.ts';
import { ProgressThrottle } from './progress.ts';
import { toJsonEvent, toTerminalLines, type Shown } from './render.ts';
import { ClientTransfers, type ClientFileEvent } from './transfers.ts';
import type { TlsClientOptions } from '../tcp/tls.ts';

export interface ScriptedOptions {
  host: string;
  port: number;
  /** Sign in with this name before reading stdin; without it the first line is the name. */
  name: string | undefined;
  /** The password of a registered name (`--password`). */
  password?: string;
  json: boolean;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { isTTY?: boolean };
  errors: NodeJS.WritableStream;
  /** The UDP data plane (default: on, datagrams to the server). */
  udp?: UdpOptions;
  /** Connect with TLS (the datagrams are then sealed); absent: plain TCP. */
  tls?: TlsClientOptions;
  /** Where files go and whether offers are taken without asking (defaults: ./downloads, ./received_files, yes). */
  files?: FileSettings;
  /** `--reconnect`: a lost connection is retried with backoff, as the interactive client does (else exit 1). */
  reconnect?: boolean;
}

/** `--downloads DIR`, `--received DIR`, `--auto-accept`. */
export interface FileSettings {
  downloadsDir: string;
  receivedDir: string;
  autoAccept: boolean;
}

export const DEFAULT_FILE_SETTINGS: Readonly<FileSettings> = Object.freeze({
  downloadsDir: DEFAULT_DOWNLOADS_DIR,
  receivedDir: DEFAULT_RECEIVED_DIR,
  autoAccept: true,
});

/** Carry out a typed file command. Never rejects. */
export async function runFileAction(transfers: ClientTransfers, action: FileAction): Promise<void> {
  switch (action.kind) {
    case 'download':
      return transfers.download(action.name);
    case 'upload':
      return transfers.upload(action.path);
    case 'sendfile':
      return transfers.sendTo(action.to, action.path, action.image);
    case 'cancel':
      return transfers.cancel(action.id);
    case 'accept':
      return transfers.accept(action.id);
    case 'decline':
      transfers.decline(action.id);
      return;
  }
}

type LineOutcome = 'continue' | 'quit' | 'fail';

export async function runScripted(options: ScriptedOptions): Promise<number> {
  const colors = chooseColors(options.output.isTTY === true, process.env);
  const diag = (message: string): void => {
    options.errors.write(`dualchat client: ${message}\n`);
  };
  let link: ChatLink | undefined;
  const show = (item: Shown): void => {
    const ctx = { me: link?.state.name, now: Date.now(), colors };
    if (options.json) {
      options.output.write(`${JSON.stringify(toJsonEvent(item, ctx))}\n`);
    } else {
      for (const line of toTerminalLines(item, ctx)) options.output.write(`${line}\n`);
    }
  };

  // Progress events are thinned out (PROGRESS_EVENT_*): the first, then every 250 ms or 5 %, and the last.
  const throttle = new ProgressThrottle();
  const showFile = (event: ClientFileEvent): void => {
    if (event.type === 'progress' && !throttle.pass(event.id, event.percent, event.done, event.size, Date.now())) return;
    if ((event.type === 'finished' || event.type === 'failed') && event.id !== undefined) throttle.forget(event.id);
    show({ kind: 'file', event });
  };
  const transfers = new ClientTransfers({ ...(options.files ?? DEFAULT_FILE_SETTINGS), show: showFile });

  let reportLoss: (message: string) => void = () => {};
  const lost = new Promise<{ kind: 'lost'; message: string }>((resolve) => {
    reportLoss = (message) => resolve({ kind: 'lost', message });
  });

  // Lines held back by the server's chat rate: an `outbox` event when some start to wait, at most one
  // every QUEUED_EVENT_INTERVAL_MS while they drain, and always the final 0.
  let queuedShownAt = -Infinity;
  let queuedShown = 0;
  const queued = (count: number): void => {
    const now = Date.now();
    if (count !== 0 && queuedShown !== 0 && now - queuedShownAt < QUEUED_EVENT_INTERVAL_MS) return;
    if (count === 0 && queuedShown === 0) return;
    queuedShownAt = now;
    queuedShown = count;
    show({ kind: 'outbox', queued: count });
  };

  /** Set while a lost connection is being replaced: true once back, false when given up. */
  let gate: Promise<boolean> | undefined;
  /** Commands read while the connection was away (bounded: MAX_PENDING), sent once back. */
  const meanwhile: Command[] = [];

  /** The current link went without our asking. */
  const onLost = (message: string, shutdown: boolean): void => {
    const old = link;
    if (options.reconnect === true && !shutdown && old?.state.name !== undefined) {
      gate = comeBack(old, message).then((back) => {
        gate = undefined;
        if (!back) reportLoss(message);
        // Lost again before the comeback was over (its close went unheard meanwhile): once more.
        else if (session.closed) onLost('the connection was lost again', false);
        return back;
      });
      return;
    }
    // Downloads keep what they verified: `/download NAME` next time resumes.
    void transfers.linkLost(message);
    reportLoss(message);
  };

  const openLink = linkOpener(options, {
      show,
      queued,
      // While a comeback runs, the links it tries are its own business (it sees them fail).
      closed: (expected, message, shutdown) => {
        if (!expected && gate === undefined) onLost(message, shutdown);
      },
      hold: options.reconnect === true,
      files: transfers.hooks,
  });

  const comeBack = async (old: ChatLink, message: string): Promise<boolean> => {
    const downloads = await transfers.linkLost(message);
    const next = await reconnect({
      who: { name: old.state.name ?? '', room: old.state.room, seen: old.state.seenLines(), token: old.holdToken, password: options.password },
      reason: message,
      open: openLink,
      show: (event) => show({ kind: 'reconnect', event }),
      cancelled: () => false,
    });
    if (next === undefined) return false;
    link = next;
    session = next;
    await carryOver(old, next, transfers, downloads, (event) => show({ kind: 'reconnect', event }), meanwhile.splice(0));
    return true;
  };

  /** Waits while the connection is being replaced; false when it could not be. Bounded: each wait is a comeback, each bounded. */
  const connected = async (): Promise<boolean> => {
    for (let round = 0; round < RECONNECT_MAX_ATTEMPTS && gate !== undefined; round++) {
      if (!(await gate)) return false;
    }
    return !session.closed;
  };

  const opened = await openLink();
  if (!opened.ok) {
    diag(opened.message);
    return 1;
  }
  link = opened.link;
  let session = link;
  transfers.attach(session);

  if (options.name !== undefined) {
    const signedIn = await session.signIn(options.name, WELCOME_TIMEOUT_MS, options.password);
    if (!signedIn.ok) {
      diag(
        signedIn.reason === 'refused' ? `name ${JSON.stringify(options.name)} refused: ${signedIn.message}` : signedIn.message,
      );
      await session.close();
      return 1;
    }
  }

  const act = async (action: ClientAction): Promise<LineOutcome> => {
    switch (action.type) {
      case 'send': {
        if (gate !== undefined && session.closed && action.command.kind !== 'connect') {
          // The connection is being replaced: the line goes out once back.
          if (meanwhile.length < MAX_PENDING) meanwhile.push(action.command);
          else diag('too many lines typed while reconnecting: this one is dropped');
          return 'continue';
        }
        if (!session.send(action.command, action.scope)) {
          diag('the connection is closed');
          return 'fail';
        }
        if (action.command.kind !== 'connect') return 'continue';
        // Hold every later line until the server answered the name.
        const signedIn = await session.awaitSignIn(WELCOME_TIMEOUT_MS);
        if (signedIn.ok) return 'continue';
        if (signedIn.reason === 'refused') {
          // Only the name: a `<connect>NAME PASSWORD` line must not put the password on stderr.
          const name = splitCredentials(action.command.name)?.name ?? action.command.name;
          diag(`name ${JSON.stringify(name)} refused: ${signedIn.message}`);
        } else {
          diag(signedIn.message);
        }
        return 'fail';
      }
      case 'show':
        // Local output keeps its place in the input order: first the replies to earlier lines.
        await session.settle(EOF_QUIET_MS, EOF_MAX_WAIT_MS);
        show(action.item);
        return 'continue';
      case 'status':
        await session.settle(EOF_QUIET_MS, EOF_MAX_WAIT_MS);
        show({ kind: 'status', status: { ...session.status(), transfers: transfers.list() } });
        return 'continue';
      case 'query':
        // Local, but it changes where the next lines go: after the replies to earlier lines, like /status.
        await session.settle(EOF_QUIET_MS, EOF_MAX_WAIT_MS);
        session.state.setQuery(action.name);
        show({ kind: 'query', name: action.name });
        return 'continue';
      case 'file':
        await runFileAction(transfers, action.file);
        return 'continue';
      case 'quit':
        return 'quit';
      case 'none':
        return 'continue';
    }
  };

  const lines = readline.createInterface({ input: options.input, crlfDelay: Infinity, terminal: false });
  const work = (async (): Promise<{ kind: 'quit' | 'fail' | 'eof' }> => {
    for await (const line of lines) {
      const talk = { replyTo: session.state.replyTarget, query: session.state.query };
      const action = session.state.welcomed ? planInput(line, session.state.room, talk) : planNameInput(line);
      const outcome = await act(action);
      if (outcome !== 'continue') return { kind: outcome };
    }
    return { kind: 'eof' };
  })();

  const lostForGood = async (result: { message: string }): Promise<number> => {
    diag(result.message);
    await transfers.linkLost(result.message);
    await session.close();
    return 1;
  };
  const result = await Promise.race([work, lost]);
  lines.close();
  switch (result.kind) {
    case 'lost':
      return lostForGood(result);
    case 'fail':
      await session.close();
      return 1;
    case 'eof': {
      if (!(await connected())) return lostForGood(await lost);
      if (!session.state.welcomed) {
        diag('stdin ended before signing in (give --name NAME or a first line with the name)');
        await session.close();
        return 0;
      }
      const answered = await session.settle(EOF_QUIET_MS, EOF_MAX_WAIT_MS);
      if (!answered) diag(`${session.state.pendingCount} command(s) still unanswered at end of input`);
      // Transfers run on while they make progress (a stalled one is given up; downloads stay resumable);
      // a connection lost meanwhile and replaced asks for its downloads again: wait for those too.
      let idle = await Promise.race([transfers.waitIdle(TRANSFER_STALL_MS), lost.then(() => true)]);
      for (let round = 0; round < RECONNECT_MAX_ATTEMPTS && gate !== undefined; round++) {
        if (!(await connected())) return lostForGood(await lost);
        idle = await Promise.race([transfers.waitIdle(TRANSFER_STALL_MS), lost.then(() => true)]);
      }
      if (!idle && !session.closed) {
        diag(`file transfers made no progress for ${TRANSFER_STALL_MS / 1000} s; leaving (an interrupted download resumes next time)`);
      }
      await transfers.linkLost('the client is leaving');
      return leave(session, diag);
    }
    case 'quit':
      if (!(await connected())) return lostForGood(await lost);
      await transfers.linkLost('the client is leaving');
      return leave(session, diag);
  }
}

async function leave(session: ChatLink, diag: (message: string) => void): Promise<number> {
  if (session.closed) {
    diag('the server closed the connection');
    return 1;
  }
  const confirmed = await session.disconnect(DISCONNECT_WAIT_MS);
  if (!confirmed) diag(`no <disconnected> from the server within ${DISCONNECT_WAIT_MS / 1000} s; closed anyway`);
  return 0;
}
