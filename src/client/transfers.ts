// The client's file features wired to its link (docs/files.md, "Wiring the client"), shared by both
// shells: typed file commands go to the ClientFiles coordinator; file replies and chunks (UDP bulk
// channel or `<chunk>` lines) come from the link; requests go out as command lines; what the user
// should see comes out as ClientFileEvents. Flow control: uploads are pumped when acknowledgements
// arrive (UDP) or shortly after the socket was full (TCP); while received bytes wait for the disk the
// UDP engine keeps its messages, so the server's sender slows down.
import path from 'node:path';
import { chunkFromBase64, decodeChunk, type ChunkDecodeResult } from '../files/chunk-codec.ts';
import { ClientFiles, prepareClientDirs, type ClientFileEvent, type ClientLink } from '../files/client-files.ts';
import { FLOW_RETRY_MS, MAX_WRITE_BACKLOG_BYTES } from '../files/limits.ts';
import { formatFileRequest } from '../files/protocol.ts';
import type { FileReply } from '../commands/types.ts';
import type { ChatLink, LinkFileHooks } from './link.ts';

export type { ClientFileEvent } from '../files/client-files.ts';

export interface TransferOptions {
  /** `--downloads DIR` (created if missing). */
  downloadsDir: string;
  /** `--received DIR`: files other users send (created if missing). */
  receivedDir: string;
  /** True with `--auto-accept`; false (the default): offers wait for `/accept ID`. */
  autoAccept: boolean;
  /** Every file event, for the shell to show. */
  show: (event: ClientFileEvent) => void;
}

export class ClientTransfers {
  private link: ChatLink | undefined;
  private readonly files: ClientFiles;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  private lastActivity = Date.now();
  private readonly idleWaiters = new Set<() => void>();
  /** The directories are created on first use (a chat-only session leaves no trace on disk). */
  /** Leftovers of interrupted receives are cleared once, before the first transfer. */
  private cleaned: Promise<void> | undefined;
  private replies: Promise<void> = Promise.resolve();

  /** The hooks to give ChatLink.open (`files`). */
  readonly hooks: LinkFileHooks = {
    reply: (reply) => this.onReply(reply),
    chunkLine: (data) => this.onChunk(chunkFromBase64(data)),
    bulk: (data) => this.onChunk(decodeChunk(data)),
    room: () => this.files.pump(),
    udpLost: () => void this.files.dataPlaneLost('the UDP data plane was lost; chunks in flight are gone'),
    holdBulk: () => this.holdBulk(),
  };

  constructor(private readonly options: TransferOptions) {
    this.files = new ClientFiles({
      downloadsDir: path.resolve(options.downloadsDir),
      receivedDir: path.resolve(options.receivedDir),
      autoAccept: options.autoAccept,
      send: (request) => {
        this.link?.sendFileLine(formatFileRequest(request));
      },
      emit: (event) => this.onEvent(event),
      link: () => this.dataLink(),
    });
  }

  /**
   * Creates the directories whenever they are missing (a user may delete them while the client runs)
   * and, the first time, clears what an interrupted receive left; resolves with why not when they
   * cannot be used. Never rejects.
   */
  private ensureDirs(): Promise<string | undefined> {
    const { downloadsDir, receivedDir } = this.options;
    // Every transfer waits for the one clean-up (a receive must not start while it runs), then makes
    // sure the directories still exist. A clean-up that failed is tried again next time.
    const cleaned = (this.cleaned ??= prepareClientDirs(downloadsDir, receivedDir, true).then(() => undefined));
    return cleaned.then(() => prepareClientDirs(downloadsDir, receivedDir, false)).then(
      () => undefined,
      (error: unknown) => {
        if (this.cleaned === cleaned) this.cleaned = undefined;
        const why = error instanceof Error ? error.message : String(error);
        return `cannot use the download directories (${downloadsDir}, ${receivedDir}): ${why}`;
      },
    );
  }

  /** The link is open: requests go out on it from now on. */
  attach(link: ChatLink): void {
    this.link = link;
  }

  /** True while a transfer is asked for, queued or running. */
  get busy(): boolean {
    return this.files.busy;
  }

  list(): ReturnType<ClientFiles['list']> {
    return this.files.list();
  }

  async download(name: string): Promise<void> {
    const problem = await this.ensureDirs();
    if (problem !== undefined) {
      this.onEvent({ type: 'error', message: problem });
      return;
    }
    await this.files.download(name);
  }

  upload(path: string): Promise<void> {
    return this.files.upload(path);
  }

  sendTo(user: string, path: string, image: boolean): Promise<void> {
    return this.files.sendTo(user, path, image);
  }

  async accept(id: number): Promise<void> {
    const problem = await this.ensureDirs();
    if (problem !== undefined) {
      this.onEvent({ type: 'error', message: problem });
      return;
    }
    await this.files.accept(id);
  }

  decline(id: number): void {
    this.files.decline(id);
  }

  cancel(id?: number): Promise<void> {
    return this.files.cancel(id);
  }

  /**
   * The connection is gone or we leave: downloads keep what they verified (resumable). Never rejects.
   * Resolves with the names of the downloads that were running (a reconnecting client asks for them again).
   */
  async linkLost(message?: string): Promise<string[]> {
    this.stopTimers();
    const downloading = this.files.downloading();
    await this.files.linkLost(message);
    return downloading;
  }

  /**
   * Resolves true once nothing is running, or false when no file event came for `quietMs` (a stalled
   * transfer must not keep a script waiting forever).
   */
  waitIdle(quietMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = (idle: boolean): void => {
        if (timer !== undefined) clearTimeout(timer);
        this.idleWaiters.delete(check);
        resolve(idle);
      };
      const check = (): void => {
        if (!this.files.busy) {
          done(true);
          return;
        }
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(() => done(!this.files.busy), Math.max(0, this.lastActivity + quietMs - Date.now()));
      };
      this.idleWaiters.add(check);
      check();
    });
  }

  // ---- internals -------------------------------------------------------------------------------

  private onEvent(event: ClientFileEvent): void {
    this.lastActivity = Date.now();
    this.options.show(event);
    for (const check of [...this.idleWaiters]) check();
  }

  private onReply(reply: FileReply): void {
    this.lastActivity = Date.now();
    // Replies are taken in order; an offer first makes sure received_files exists.
    this.replies = this.replies.then(async () => {
      if (reply.kind === 'offer') {
        const problem = await this.ensureDirs();
        if (problem !== undefined) {
          this.onEvent({ type: 'error', message: `${problem}; declining ${reply.name} from ${reply.from}` });
          this.link?.sendFileLine(formatFileRequest({ kind: 'decline', id: reply.id }));
          return;
        }
      }
      await this.files.notice(reply);
      for (const check of [...this.idleWaiters]) check();
    });
  }

  private onChunk(decoded: ChunkDecodeResult): void {
    if (!decoded.ok) {
      this.onEvent({ type: 'error', message: `a file chunk from the server was damaged (${decoded.message}) and was dropped` });
      return;
    }
    this.files.chunk(decoded.chunk);
  }

  /** The link for a transfer starting now; a full one (TCP socket, UDP window) schedules another pump. */
  private dataLink(): ClientLink | undefined {
    const link = this.link?.dataLink();
    if (link === undefined) return undefined;
    return {
      get alive() {
        return link.alive;
      },
      mayQueue: () => {
        if (link.mayQueue()) return true;
        this.drainTimer ??= setTimeout(() => {
          this.drainTimer = undefined;
          this.files.pump();
        }, FLOW_RETRY_MS);
        return false;
      },
      queue: (message) => link.queue(message),
    };
  }

  private holdBulk(): boolean {
    if (this.files.backlog() <= MAX_WRITE_BACKLOG_BYTES) return false;
    this.holdTimer ??= setTimeout(() => this.checkHold(), FLOW_RETRY_MS);
    return true;
  }

  private checkHold(): void {
    this.holdTimer = undefined;
    if (this.files.backlog() > MAX_WRITE_BACKLOG_BYTES) {
      this.holdTimer = setTimeout(() => this.checkHold(), FLOW_RETRY_MS);
      return;
    }
    this.link?.wakeBulk();
  }

  private stopTimers(): void {
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.drainTimer = undefined;
    this.holdTimer = undefined;
  }
}
