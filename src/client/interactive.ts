// The interactive client: a readline prompt (`name@room> `) that stays intact while messages arrive —
// an incoming line clears the prompt and whatever is half typed, prints above it, and redraws both.
// Asks for a name until the server accepts one. /quit, Ctrl-C and Ctrl-D leave cleanly (exit 0);
// a lost connection is retried with backoff (src/client/reconnect.ts: the same name, room, downloads;
// the prompt counts down, the half-typed line and the history stay, lines entered meanwhile are kept),
// and exits 1 only when the tries run out. An orderly shutdown (the server's notice) ends the client
// cleanly, exit 0: the operator stopped the server.
import { connectCommand, splitCredentials } from '../commands/credentials.ts';
import readline from 'node:readline';
import { planInput, planNameInput } from './actions.ts';
import { CTRL_C_AGAIN_MS, DISCONNECT_WAIT_MS, MAX_PENDING, MAX_PROGRESS_BARS, PROGRESS_REDRAW_MS, WELCOME_TIMEOUT_MS } from './constants.ts';
import { chooseColors } from './colors.ts';
import { complete } from './completion.ts';
import type { ChatLink, UdpOptions } from './link.ts';
import { carryOver, linkOpener, reconnect } from './reconnect.ts';
import { formatBar, type BarState } from './progress.ts';
import { promptText, toTerminalLines, wantsBell, type Shown } from './render.ts';
import { DEFAULT_FILE_SETTINGS, runFileAction, type FileSettings } from './scripted.ts';
import { ClientTransfers, type ClientFileEvent } from './transfers.ts';
import type { TlsClientOptions } from '../tcp/tls.ts';

export interface InteractiveOptions {
  host: string;
  port: number;
  name: string | undefined;
  /** The password of a registered name (`--password`); without it the client asks when the server says the name is registered. */
  password?: string;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  errors: NodeJS.WritableStream;
  /** The UDP data plane (default: on, datagrams to the server). */
  udp?: UdpOptions;
  /** Connect with TLS (the datagrams are then sealed); absent: plain TCP. */
  tls?: TlsClientOptions;
  /** Where files go and whether offers are taken without asking (defaults: ./downloads, ./received_files, no: offers wait for /accept). */
  files?: FileSettings;
  /** Ring the terminal bell on a private message or a line naming you (default: on; `--no-bell`). */
  bell?: boolean;
}

/** The terminal bell (BEL). */
const BELL = '\x07';

// Colour and style sequences (SGR): what the prompt's visible width must not count.
// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[[0-9;]*m/g;

/**
 * How many rows readline's redraw will climb before drawing the prompt: it moves up by the cursor row
 * it recorded at its last redraw (`prevRows`, a long-standing but undocumented field). That record is
 * stale after pasted text wrapped (readline writes a paste without redrawing), so it is read rather
 * than assumed; blank rows after our lines give the climb exactly that room and it erases nothing.
 */
function redrawClimb(rl: readline.Interface, cursorRows: number): number {
  const recorded = (rl as unknown as { prevRows?: unknown }).prevRows;
  return typeof recorded === 'number' && Number.isInteger(recorded) && recorded >= 0 ? recorded : cursorRows;
}

export async function runInteractive(options: InteractiveOptions): Promise<number> {
  const { output } = options;
  const tty = output.isTTY === true;
  const colors = chooseColors(tty, process.env);

  output.write(`${colors.dim(`Connecting to ${options.host}:${options.port}…`)}\n`);

  let rl: readline.Interface | undefined;
  let promptShown = false;
  let quitting = false;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let link: ChatLink | undefined;

  // Progress bars of running transfers, drawn between the messages and the prompt (a terminal only).
  const bars = new Map<number, BarState>();
  /** Bar rows drawn right above the prompt now (0 when the prompt is not shown). */
  let footerRows = 0;
  let redrawTimer: ReturnType<typeof setTimeout> | undefined;

  const footerLines = (): string[] => {
    if (!tty || quitting || bars.size === 0) return [];
    // A terminal that reports no size (e.g. under `script`) gets the classic 80 columns.
    const columns = Math.max(20, (output.columns !== undefined && output.columns > 0 ? output.columns : 80) - 1);
    const now = Date.now();
    const all = [...bars.values()];
    const lines = all.slice(0, MAX_PROGRESS_BARS).map((bar) => colors.cyan(formatBar(bar, now, columns)));
    if (all.length > MAX_PROGRESS_BARS) lines.push(colors.dim(`… and ${all.length - MAX_PROGRESS_BARS} more (/status lists them)`));
    return lines;
  };

  /** Prints lines above the bars and the prompt, keeping the prompt and the half-typed input intact. */
  const printAbove = (lines: readonly string[]): void => {
    if (lines.length === 0 && footerRows === 0 && (bars.size === 0 || !promptShown)) return;
    if (rl !== undefined && promptShown && tty) {
      // Clear the bars, the prompt and the input (which may wrap over several rows), print, and redraw.
      const rows = rl.getCursorPos().rows;
      readline.moveCursor(output, 0, -(rows + footerRows));
      readline.cursorTo(output, 0);
      readline.clearScreenDown(output);
      if (quitting) {
        if (lines.length > 0) output.write(`${lines.join('\n')}\n`);
        promptShown = false;
        footerRows = 0;
        return;
      }
      const footer = footerLines();
      footerRows = footer.length;
      const text = [...lines, ...footer];
      output.write(`${text.length > 0 ? `${text.join('\n')}\n` : ''}${'\n'.repeat(redrawClimb(rl, rows))}`);
      refreshPrompt(true);
    } else if (lines.length > 0) {
      output.write(`${lines.join('\n')}\n`);
    }
  };

  /** Redraw the bars soon (at most every PROGRESS_REDRAW_MS). */
  const scheduleBars = (): void => {
    if (!tty || redrawTimer !== undefined) return;
    redrawTimer = setTimeout(() => {
      redrawTimer = undefined;
      printAbove([]);
    }, PROGRESS_REDRAW_MS);
  };

  const showFile = (event: ClientFileEvent): void => {
    if (event.type === 'started') {
      bars.set(event.id, { id: event.id, direction: event.direction, name: event.name, done: event.offset, size: event.size, startDone: event.offset, startedAt: Date.now() });
    } else if (event.type === 'progress') {
      const bar = bars.get(event.id);
      if (bar !== undefined) bar.done = event.done;
      if (tty) {
        scheduleBars();
        return;
      }
      if (event.percent !== 100 && event.percent % 25 !== 0) return; // without a terminal: a line per quarter
    } else if ((event.type === 'finished' || event.type === 'failed') && event.id !== undefined) {
      bars.delete(event.id);
    }
    show({ kind: 'file', event });
  };
  const transfers = new ClientTransfers({ ...(options.files ?? DEFAULT_FILE_SETTINGS), show: showFile });

  /** The registered name whose password the next typed line is (the server said `name-registered`). */
  let passwordFor: string | undefined;

  const refreshPrompt = (preserveInput: boolean): void => {
    if (rl === undefined || quitting) return;
    // While a registered name's password is asked for, the prompt says so (not `name:`).
    const waiting = reconnectIn === undefined ? '' : colors.yellow(`(reconnecting in ${reconnectIn} s) `);
    rl.setPrompt(waiting + (passwordFor !== undefined && link?.state.welcomed !== true ? `${colors.bold('password')}: ` : promptText(link?.state.name, link?.state.room, colors, link?.state.query, link?.rateQueuedCount ?? 0)));
    rl.prompt(preserveInput);
    promptShown = true;
  };

  const show = (item: Shown): void => {
    // The bell first: it reaches the terminal before the line it is about, never after.
    if (tty && options.bell !== false && wantsBell(item, link?.state.name)) output.write(BELL);
    printAbove(toTerminalLines(item, { me: link?.state.name, now: Date.now(), colors }));
  };

  const fail = (message: string): void => {
    printAbove([colors.red(`! ${message}`)]);
  };

  /** Set while a lost connection is being replaced: true once back, false when given up. */
  let gate: Promise<boolean> | undefined;
  /** Seconds until the next try while reconnecting (shown in the prompt). */
  let reconnectIn: number | undefined;
  /** Lines entered while the connection was away (bounded: MAX_PENDING), entered again once back. */
  const meanwhile: string[] = [];
  /** The password that signed us in (given or typed): a registered name comes back with it. */
  let knownPassword = options.password;

  const lostForGood = (message: string, shutdown: boolean): void => {
    quitting = true; // before printing: no prompt is redrawn under the message
    // Every transfer says what became of it (a download keeps its part and resumes) before we go.
    void transfers.linkLost(shutdown ? 'the server shut down' : message).then(() => {
      if (shutdown) {
        rl?.close();
        finish(0); // the server's own notice said it all: an orderly end, no error
        return;
      }
      fail(message);
      rl?.close();
      finish(1);
    });
  };

  const openLink = linkOpener(options, {
      show,
      hold: true,
      files: transfers.hooks,
      // The prompt shows how many typed lines wait for the server's chat rate ("(3 queued) alice@lobby> ").
      queued: () => {
        if (promptShown && tty) refreshPrompt(true);
      },
      // While a comeback runs, the links it tries are its own business (it sees them fail).
      closed: (expected, message, shutdown) => {
        if (!expected && !quitting && gate === undefined) onLost(message, shutdown);
      },
  });

  /** The current link went without our asking. */
  const onLost = (message: string, shutdown: boolean): void => {
    const old = link;
    // A lost connection is retried; an orderly shutdown is an end (the operator said so).
    if (shutdown || old?.state.name === undefined) {
      lostForGood(message, shutdown);
      return;
    }
    gate = comeBack(old, message).then((back) => {
      gate = undefined;
      reconnectIn = undefined;
      if (!back) {
        if (!quitting) lostForGood(message, false);
        return false;
      }
      // Lost again before the comeback was over (its close went unheard meanwhile): once more.
      if (session.closed && !quitting) onLost('the connection was lost again', false);
      else refreshPrompt(true);
      return true;
    });
  };

  const comeBack = async (old: ChatLink, message: string): Promise<boolean> => {
    const downloads = await transfers.linkLost(message);
    const next = await reconnect({
      who: { name: old.state.name ?? '', room: old.state.room, seen: old.state.seenLines(), token: old.holdToken, password: knownPassword },
      reason: message,
      open: openLink,
      show: (event) => show({ kind: 'reconnect', event }),
      tick: (seconds) => {
        reconnectIn = seconds;
        refreshPrompt(true);
      },
      cancelled: () => quitting,
    });
    reconnectIn = undefined;
    if (next === undefined) return false;
    link = next;
    session = next;
    // What was entered meanwhile goes out now, in order, before anything entered from now on.
    for (const line of meanwhile.splice(0)) queue = queue.then(() => handleLine(line));
    await carryOver(old, next, transfers, downloads, (event) => show({ kind: 'reconnect', event }));
    return true;
  };

  const opened = await openLink();
  if (!opened.ok) {
    options.errors.write(`dualchat client: ${opened.message}\n`);
    return 1;
  }
  let session = opened.link;
  link = session;
  transfers.attach(session);

  /** Leaves cleanly. `onPromptLine`: the cursor is still on the prompt (Ctrl-C, Ctrl-D). */
  const quit = async (onPromptLine: boolean): Promise<void> => {
    if (quitting) return;
    quitting = true;
    if (tty && onPromptLine && promptShown) output.write('\n');
    promptShown = false;
    footerRows = 0;
    if (redrawTimer !== undefined) clearTimeout(redrawTimer);
    // Downloads keep what they verified: `/download NAME` next time resumes.
    await transfers.linkLost('the client is leaving');
    // While reconnecting there is no server to say goodbye to.
    const confirmed = session.closed ? true : await session.disconnect(DISCONNECT_WAIT_MS);
    if (!confirmed) fail(`no <disconnected> from the server within ${DISCONNECT_WAIT_MS / 1000} s; closed anyway`);
    rl?.close();
    finish(0);
  };


  /** Waits for the answer to a `<connect>` just sent (as `name`); on refusal, asks for a password or another name. */
  const afterConnect = async (name: string | undefined): Promise<void> => {
    const result = await session.awaitSignIn(WELCOME_TIMEOUT_MS);
    if (result.ok || quitting) return;
    if (result.reason === 'refused') {
      // The server's error line was shown already; say what to do about it.
      if ((result.code === 'name-registered' || result.code === 'bad-password') && name !== undefined) {
        passwordFor = name;
        printAbove([colors.yellow(`${name} is registered: type its password, or an empty line to choose another name.`)]);
        return;
      }
      printAbove([colors.yellow('Try another name.')]);
      return;
    }
    quitting = true;
    fail(result.message);
    await session.close();
    rl?.close();
    finish(1);
  };

  /**
   * Erases the line the user just entered, since the server echoes chat back — only when it surely
   * took one row (width over-estimated: two columns for any non-ASCII character; never with tabs).
   */
  const eraseEnteredLine = (line: string): void => {
    if (!tty || rl === undefined || line.includes('\t')) return;
    let width = [...rl.getPrompt().replace(SGR, '')].length;
    for (const ch of line) width += ch.charCodeAt(0) < 0x7f ? 1 : 2;
    const columns = output.columns;
    if (columns === undefined || columns <= 0 || width >= columns) return;
    readline.moveCursor(output, 0, -1);
    readline.clearLine(output, 0);
    readline.cursorTo(output, 0);
  };

  const handleLine = async (line: string): Promise<void> => {
    if (quitting) return;
    if (passwordFor !== undefined && !session.state.welcomed) {
      const name = passwordFor;
      passwordFor = undefined;
      // The password leaves the screen at once (the terminal echoed it as it was typed).
      eraseEnteredLine(line);
      if (line.trim() === '') {
        printAbove([colors.yellow('Try another name.')]);
      } else if (session.send(connectCommand(name, line.trim()))) {
        await afterConnect(name);
        if (session.state.welcomed) knownPassword = line.trim();
      }
      refreshPrompt(false);
      return;
    }
    const talk = { replyTo: session.state.replyTarget, query: session.state.query };
    const action = session.state.welcomed || gate !== undefined ? planInput(line, session.state.room, talk) : planNameInput(line);
    if (gate !== undefined && session.closed && action.type !== 'quit' && action.type !== 'none') {
      // The connection is being replaced: the line is kept and entered again once back.
      if (meanwhile.length < MAX_PENDING) {
        meanwhile.push(line);
        printAbove([colors.gray(`(kept: ${meanwhile.length} line(s) go out when reconnected)`)]);
      } else {
        fail('too many lines typed while reconnecting: this one is dropped');
      }
      refreshPrompt(false);
      return;
    }
    switch (action.type) {
      case 'send':
        if (action.command.kind === 'broadcast' || action.command.kind === 'private') eraseEnteredLine(line);
        if (!session.send(action.command, action.scope)) return; // the closed handler reports it
        if (action.command.kind === 'connect') await afterConnect(splitCredentials(action.command.name)?.name ?? action.command.name.trim());
        // One ancestor left on a bare `bye`; here it is said to the room — and the way out is recalled.
        if (action.command.kind === 'broadcast' && action.command.text.trim().toLowerCase() === 'bye') {
          printAbove([colors.gray('(said to the room; /quit leaves)')]);
        }
        break;
      case 'show':
        show(action.item);
        break;
      case 'status':
        show({ kind: 'status', status: { ...session.status(), transfers: transfers.list() } });
        break;
      case 'query':
        session.state.setQuery(action.name);
        show({ kind: 'query', name: action.name });
        break;
      case 'file':
        await runFileAction(transfers, action.file);
        break;
      case 'quit':
        await quit(false);
        return;
      case 'none':
        break;
    }
    refreshPrompt(false);
  };

  rl = readline.createInterface({
    input: options.input,
    output,
    terminal: tty,
    historySize: 500,
    completer: (line: string): [string[], string] => complete(line, session.state.knownNames, session.state.knownRooms),
    prompt: promptText(undefined, undefined, colors),
  });
  let queue = Promise.resolve();
  rl.on('line', (line) => {
    promptShown = false;
    footerRows = 0; // the bars stay in the scrollback as they were; they are drawn afresh under the next prompt
    queue = queue.then(() => handleLine(line));
  });
  // Ctrl-C clears a half-typed line; on an empty line it asks once, and a second press within
  // CTRL_C_AGAIN_MS leaves (a stray Ctrl-C must not end a session kept open all day).
  let ctrlCAt = -Infinity;
  rl.on('SIGINT', () => {
    if (rl === undefined) return;
    if (rl.line !== '') {
      rl.write(null, { ctrl: true, name: 'u' }); // kill the line before the cursor (readline's Ctrl-U)
      rl.write(null, { ctrl: true, name: 'k' }); // and after it
      ctrlCAt = -Infinity;
      return;
    }
    const now = Date.now();
    if (now - ctrlCAt <= CTRL_C_AGAIN_MS) {
      void quit(true);
      return;
    }
    ctrlCAt = now;
    printAbove([colors.gray('(press Ctrl-C again to leave, or type /quit)')]);
  });
  rl.on('close', () => {
    // Ctrl-D on an empty line (or the terminal went away).
    void quit(true);
  });

  if (options.name === undefined) {
    printAbove([colors.yellow('Choose a name: 1–16 letters or digits.')]);
    refreshPrompt(false);
  } else {
    const name = options.name;
    session.send(connectCommand(name, options.password));
    queue = queue.then(async () => {
      await afterConnect(name);
      refreshPrompt(false);
    });
  }

  return finished;
}
