// The server's file features wired to its sessions (docs/files.md, "Wiring the server"): file
// commands from the hub and the transfer lines the hub never sees go to the ServerFiles coordinator;
// its notices go back as reply lines; its chunks travel on the session's UDP bulk channel, or as
// `<chunk>` lines on TCP for a session without UDP. Flow control both ways: senders queue while the
// link has room and are pumped again when acknowledgements (or a drained socket) make more; a
// receiver whose disk falls behind holds its engine's messages (the peer's window closes) or stops
// reading its socket.
import type { Logger } from 'pino';
import type { FileCommand, SessionId } from '../chat/hub.ts';
import { parseTransferId } from '../commands/transfer-syntax.ts';
import { ListSnapshot } from '../commands/list-snapshot.ts';
import type { ListPager } from '../commands/reply-syntax.ts';
import type { Reply, TransferCommand } from '../commands/types.ts';
import { chunkFromBase64, decodeChunk, type ChunkDecodeResult } from '../files/chunk-codec.ts';
import { FLOW_RETRY_MS, MAX_QUEUED_CHUNKS_PER_LINK, MAX_WRITE_BACKLOG_BYTES, OFFER_EXPIRY_CHECK_MS, TCP_CHUNK_WINDOW_BYTES } from '../files/limits.ts';
import type { FileOptions } from '../files/options.ts';
import { ServerFiles, type FileLink, type FileOutput, type Party } from '../files/server-files.ts';
import { listSharedFiles } from '../files/shared-dir.ts';
import { messageOf } from './start-error.ts';
import type { BulkLink } from './udp-plane.ts';

/** What the file plane needs of one connected client. */
export interface FileClient {
  /** The name the hub gave it (undefined before `<connect>`). */
  readonly name: string | undefined;
  /** The address group it connected from (an IPv6 /64 as one): upload bounds count it too. */
  readonly group: string;
  deliver(reply: Reply): void;
  /** Write one line as it is (its terminator included) on the control connection; false if closed. */
  writeLine(line: string): boolean;
  /** Bytes written to the control connection and not yet taken by the kernel. */
  readonly pendingWriteBytes: number;
  readonly isOpen: boolean;
}

export interface FilePlaneConfig {
  root: string;
  spoolDir: string;
  options: FileOptions;
  /** The longest `<files>` line in bytes: a longer listing goes in pages (the hub's `listReplyBytes`). */
  listReplyBytes: number;
  logger: Logger;
  client: (session: SessionId) => FileClient | undefined;
  /** The session that has this user name now (hub lookup). */
  sessionOf: (name: string) => SessionId | undefined;
  /** Is `name` online on another node of the chat (files go between the users of one node)? */
  elsewhere?: (name: string) => boolean;
  /** The session's UDP bulk channel, if its client is bound. */
  bulkLink: (session: SessionId) => BulkLink | undefined;
  /** Deliver what the session's engine held back while its receiver was behind. */
  wakeBulk: (session: SessionId) => void;
}

export class ServerFilePlane {
  private readonly files: ServerFiles;
  /** Sessions whose TCP-fallback senders wait for the socket to drain. */
  private readonly drainWaits = new Map<SessionId, NodeJS.Timeout>();
  /** Sessions whose engine holds messages while their receiver writes. */
  private readonly held = new Map<SessionId, NodeJS.Timeout>();
  private readonly expiry: NodeJS.Timeout;
  /** The next deadline the coordinator told of, and its timer. */
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  /** Expiry passes run one after the other. */
  private expiring: Promise<void> = Promise.resolve();
  /** The last reading of the shared directory, whose pages later page requests are cut from. */
  private readonly listings: ListSnapshot<'files'>;
  /** The reading of the shared directory in progress, if any: requests meanwhile share it. */
  private reading: Promise<ListPager<'files'>> | undefined;
  private closed = false;

  constructor(private readonly config: FilePlaneConfig) {
    this.listings = new ListSnapshot(config.listReplyBytes);
    this.files = new ServerFiles({
      root: config.root,
      spoolDir: config.spoolDir,
      options: config.options,
      linkFor: (session) => this.linkFor(session),
      emit: (output) => this.onOutput(output),
      now: () => Date.now(),
      wake: (at) => this.wakeBy(at),
    });
    // A safety net: the coordinator's deadlines wake it on time (wakeBy).
    this.expiry = setInterval(() => this.expire(), OFFER_EXPIRY_CHECK_MS);
    this.expiry.unref();
  }

  /** Have the coordinator expire what is due at `at` (ms) then, unless an earlier wake-up is set. */
  private wakeBy(at: number): void {
    if (this.closed || at >= this.wakeAt) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.expire();
    }, Math.max(0, at - Date.now()));
    this.wakeTimer.unref();
  }

  /** One expiry pass after the one running, if any; then a wake-up for the next deadline it reports. */
  private expire(): void {
    this.expiring = this.expiring
      .then(() => this.files.expire())
      .then((next) => {
        if (next !== undefined) this.wakeBy(next);
      })
      .catch((error: unknown) => this.config.logger.error({ err: error }, 'expiring file offers and upload slots failed'));
  }

  /** Transfers in progress, for statistics. */
  get transfers(): number {
    return this.files.transfers;
  }

  /** A file command handed over by the hub (own-name forms already resolved). Never rejects. */
  async command(session: SessionId, command: FileCommand): Promise<void> {
    const client = this.config.client(session);
    if (client === undefined || client.name === undefined) return;
    switch (command.kind) {
      case 'listfiles':
        return this.listFiles(client, command.page);
      case 'download':
        return this.files.download(session, command.file);
      case 'upload':
        return this.files.upload({ session, name: client.name, group: client.group }, { name: command.name, size: command.size, crc: command.crc });
      case 'sendfile':
        return this.sendFile({ session, name: client.name, group: client.group }, command.to, { name: command.name, size: command.size, crc: command.crc, image: false });
      case 'cancel': {
        const id = parseTransferId(command.id);
        if (id === undefined) {
          client.deliver({ kind: 'error', code: 'bad-argument', message: `<cancel> needs a transfer number, got "${command.id}"` });
          return;
        }
        return this.files.cancel(session, id);
      }
    }
  }

  /**
   * A TransferCommand line (`<resume>`, `<sendimage>`, `<accept>`, `<decline>`, `<received>`,
   * `<chunk>`). A promise while the session's disk is behind (its socket is not read meanwhile).
   */
  transfer(session: SessionId, c: TransferCommand): Promise<void> | undefined {
    const client = this.config.client(session);
    if (client === undefined) return undefined;
    if (client.name === undefined) {
      client.deliver({ kind: 'error', code: 'not-connected', message: 'send <connect>NAME first' });
      return undefined;
    }
    switch (c.kind) {
      case 'resume':
        return this.files.download(session, c.name, { offset: c.offset, size: c.size, crc: c.crc });
      case 'sendimage':
        return this.sendFile({ session, name: client.name, group: client.group }, c.to, { name: c.name, size: c.size, crc: c.crc, image: true });
      case 'accept':
        return this.files.accept(session, c.id);
      case 'decline':
        return this.files.decline(session, c.id);
      case 'received':
        return this.files.received(session, c.id);
      case 'chunk':
        this.chunk(session, chunkFromBase64(c.data));
        return this.files.backlog(session) > MAX_WRITE_BACKLOG_BYTES ? this.backlogDrained(session) : undefined;
    }
  }

  /** A message on a session's UDP bulk channel. */
  bulk(session: SessionId, data: Uint8Array): void {
    this.chunk(session, decodeChunk(data));
  }

  /** Packets from the session arrived (acknowledgements): its senders may queue more. */
  room(session: SessionId): void {
    this.files.pump(session);
  }

  /** While true the session's engine keeps its messages; a timer wakes it once the disk caught up. */
  holdBulk(session: SessionId): boolean {
    if (this.files.backlog(session) <= MAX_WRITE_BACKLOG_BYTES) return false;
    if (!this.held.has(session)) this.held.set(session, setTimeout(() => this.checkHeld(session), FLOW_RETRY_MS));
    return true;
  }

  /** The session's client left: its transfers end, their files close, its queue places go. Never rejects. */
  async disconnect(session: SessionId): Promise<void> {
    this.clearTimers(session);
    await this.files.disconnect(session);
  }

  /** Shutdown: every transfer ends and nothing partial stays. Never rejects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.expiry);
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    for (const session of [...this.drainWaits.keys(), ...this.held.keys()]) this.clearTimers(session);
    await this.files.close().catch((error: unknown) => this.config.logger.error({ err: error }, 'closing file transfers failed'));
  }

  // ---- internals -------------------------------------------------------------------------------

  /**
   * The shared files' pages: a fresh reading of the directory for a first page (one reading shared by
   * the requests that arrive while it runs), the last one for a later page (ListSnapshot).
   */
  private listing(page: number | undefined): Promise<ListPager<'files'>> {
    const kept = this.listings.reuse(page, Date.now());
    if (kept !== undefined) return Promise.resolve(kept);
    this.reading ??= listSharedFiles(this.config.root)
      .then((files) => this.listings.keep({ kind: 'files', files }, Date.now()))
      .finally(() => {
        this.reading = undefined;
      });
    return this.reading;
  }

  /** Page `page` (undefined: the first, unmarked when the listing fits one line) of the shared files. */
  private async listFiles(client: FileClient, page: number | undefined): Promise<void> {
    try {
      client.deliver((await this.listing(page))(page));
    } catch (error) {
      this.config.logger.error({ dir: this.config.root, error: messageOf(error) }, 'cannot list the shared directory');
      client.deliver({ kind: 'error', code: 'internal', message: 'the shared directory cannot be read right now' });
    }
  }

  private sendFile(from: Party, toName: string, request: { name: string; size: number; crc: number; image: boolean }): Promise<void> {
    const to = this.config.sessionOf(toName);
    const recipient = to === undefined ? undefined : this.config.client(to);
    const party: Party | undefined = to === undefined || recipient?.name === undefined ? undefined : { session: to, name: recipient.name, group: recipient.group };
    const absent = party === undefined && this.config.elsewhere?.(toName) === true ? `${toName} is on another server of this chat: files go only between users of the same server (upload it, and they download it from theirs if the servers share the directory)` : undefined;
    return this.files.sendFile(from, request, toName, party, absent);
  }

  private chunk(session: SessionId, decoded: ChunkDecodeResult): void {
    if (!decoded.ok) {
      this.config.client(session)?.deliver({ kind: 'error', code: 'bad-argument', message: `bad chunk: ${decoded.message}` });
      return;
    }
    // False: a late chunk of a transfer that ended (cancelled, failed) — nothing to do.
    this.files.chunk(session, decoded.chunk);
  }

  /** Where a session's chunks go now: its UDP bulk channel when bound, else `<chunk>` lines on TCP. */
  private linkFor(session: SessionId): FileLink | undefined {
    const client = this.config.client(session);
    if (client === undefined || !client.isOpen) return undefined;
    const bulk = this.config.bulkLink(session);
    if (bulk !== undefined) {
      return {
        // A dead engine says yes, so that queue() reports the loss and the transfer ends.
        mayQueue: () => !bulk.alive || bulk.queued() < MAX_QUEUED_CHUNKS_PER_LINK,
        queue: (message) => bulk.send(message),
      };
    }
    return {
      mayQueue: () => {
        if (!client.isOpen || client.pendingWriteBytes < TCP_CHUNK_WINDOW_BYTES) return true;
        this.awaitDrain(session);
        return false;
      },
      queue: (message) => client.writeLine(`<chunk>${Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('base64')}\n`),
    };
  }

  /** Pump the session again shortly: its socket buffer is full now. */
  private awaitDrain(session: SessionId): void {
    if (this.drainWaits.has(session) || this.closed) return;
    this.drainWaits.set(
      session,
      setTimeout(() => {
        this.drainWaits.delete(session);
        this.files.pump(session);
      }, FLOW_RETRY_MS),
    );
  }

  private checkHeld(session: SessionId): void {
    this.held.delete(session);
    if (this.closed) return;
    if (this.files.backlog(session) > MAX_WRITE_BACKLOG_BYTES) {
      this.held.set(session, setTimeout(() => this.checkHeld(session), FLOW_RETRY_MS));
      return;
    }
    this.config.wakeBulk(session);
  }

  /** Resolves once the session's write backlog is below the bound (or the session is gone). */
  private backlogDrained(session: SessionId): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.closed || this.config.client(session) === undefined || this.files.backlog(session) <= MAX_WRITE_BACKLOG_BYTES) {
          resolve();
          return;
        }
        setTimeout(check, FLOW_RETRY_MS);
      };
      check();
    });
  }

  private clearTimers(session: SessionId): void {
    const drain = this.drainWaits.get(session);
    if (drain !== undefined) clearTimeout(drain);
    this.drainWaits.delete(session);
    const held = this.held.get(session);
    if (held !== undefined) clearTimeout(held);
    this.held.delete(session);
  }

  private onOutput(output: FileOutput): void {
    if (output.type === 'notice') {
      // Every notice is a reply (FileReply, or an `<error>`); it goes down the control line.
      this.config.client(output.session)?.deliver(output.notice);
      return;
    }
    if (output.type === 'system') {
      this.config.client(output.session)?.deliver({ kind: 'system', text: output.text });
      return;
    }
    const event = output.event;
    this.config.logger.info({ event }, `file ${event.type}`);
  }
}
