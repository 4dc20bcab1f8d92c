// The scripted client: one typed line per stdin line, in order; every event on stdout (one JSON object
// per line with --json, plain readable lines without). Diagnostics go to stderr only. It holds input
// until the server welcomed us, waits (bounded) for the replies to what it sent when stdin ends, then
// disconnects cleanly. Exit codes: 0 done, 1 could not connect / name refused / connection lost.
import readline from 'node:readline';
import { planInput, planNameInput, type ClientAction } from './actions.ts';
import {
  CONNECT_TIMEOUT_MS,
  DISCONNECT_WAIT_MS,
  EOF_MAX_WAIT_MS,
  EOF_QUIET_MS,
  WELCOME_TIMEOUT_MS,
} from './constants.ts';
import { chooseColors } from './colors.ts';
import { ChatLink, type UdpOptions } from './link.ts';
import { toJsonEvent, toTerminalLines, type Shown } from './render.ts';

export interface ScriptedOptions {
  host: string;
  port: number;
  /** Sign in with this name before reading stdin; without it the first line is the name. */
  name: string | undefined;
  json: boolean;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { isTTY?: boolean };
  errors: NodeJS.WritableStream;
  /** The UDP data plane (default: on, datagrams to the server). */
  udp?: UdpOptions;
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

  let reportLoss: (message: string) => void = () => {};
  const lost = new Promise<{ kind: 'lost'; message: string }>((resolve) => {
    reportLoss = (message) => resolve({ kind: 'lost', message });
  });

  const opened = await ChatLink.open({
    host: options.host,
    port: options.port,
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    show,
    closed: (expected, message) => {
      if (!expected) reportLoss(message);
    },
    clock: Date.now,
    ...(options.udp !== undefined ? { udp: options.udp } : {}),
  });
  if (!opened.ok) {
    diag(opened.message);
    return 1;
  }
  link = opened.link;
  const session = link;

  if (options.name !== undefined) {
    const signedIn = await session.signIn(options.name, WELCOME_TIMEOUT_MS);
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
        if (!session.send(action.command, action.scope)) {
          diag('the connection is closed');
          return 'fail';
        }
        if (action.command.kind !== 'connect') return 'continue';
        // Hold every later line until the server answered the name.
        const signedIn = await session.awaitSignIn(WELCOME_TIMEOUT_MS);
        if (signedIn.ok) return 'continue';
        if (signedIn.reason === 'refused') {
          diag(`name ${JSON.stringify(action.command.name)} refused: ${signedIn.message}`);
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
        show({ kind: 'status', status: session.status() });
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
      const action = session.state.welcomed ? planInput(line) : planNameInput(line);
      const outcome = await act(action);
      if (outcome !== 'continue') return { kind: outcome };
    }
    return { kind: 'eof' };
  })();

  const result = await Promise.race([work, lost]);
  lines.close();
  switch (result.kind) {
    case 'lost':
      diag(result.message);
      await session.close();
      return 1;
    case 'fail':
      await session.close();
      return 1;
    case 'eof': {
      if (!session.state.welcomed) {
        diag('stdin ended before signing in (give --name NAME or a first line with the name)');
        await session.close();
        return 0;
      }
      const answered = await session.settle(EOF_QUIET_MS, EOF_MAX_WAIT_MS);
      if (!answered) diag(`${session.state.pendingCount} command(s) still unanswered at end of input`);
      return leave(session, diag);
    }
    case 'quit':
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
