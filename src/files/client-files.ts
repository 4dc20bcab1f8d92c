// The client's file features in one coordinator: `/download` (resuming what an earlier run left),
// `/upload` and `/sendfile` (announce, wait in the queue, stream), files offered by other users
// (waiting for `/accept`, or taken at once with `--auto-accept`), `/cancel`, progress, and the link
// going away. I/O is injected: `send` for requests (the wiring writes command lines), `emit` for
// what the user sees (progress bar, `--json` events), `link` for the data plane; files are real
// (receive.ts, source.ts).
import path from 'node:path';
import type { Chunk } from './chunk-codec.ts';
import { percentDone } from './format.ts';
import type { IncomingResult, IncomingTransfer } from './incoming.ts';
import { createOutgoing, pinnedSink, type ChunkSink, type OutgoingState, type OutgoingTransfer } from './outgoing.ts';
import type { FileNotice, FileRequest } from './protocol.ts';
import { forgetDownload, planDownload, startDownload, startReceive, type ReceiveHooks, type StartResult } from './receive.ts';
import { ensureSharedDir } from './shared-dir.ts';
import { openLocalFile, type LocalFile } from './source.ts';
import { removeStaleParts } from './writer.ts';

/**
 * Before a transfer: create the downloads and received_files directories when they are missing —
 * every time, since a user may delete them while the client runs — and, the first time only
 * (`clean`), remove leftovers of files that were being received from other users (not resumable).
 * Partial downloads are kept: `/download NAME` resumes them. Rejects when a directory cannot be created.
 */
export async function prepareClientDirs(downloadsDir: string, receivedDir: string, clean = true): Promise<{ downloadsDir: string; receivedDir: string }> {
  const downloads = await ensureSharedDir(downloadsDir);
  const received = await ensureSharedDir(receivedDir);
  if (clean) {
    await removeStaleParts(received);
    await removeStaleParts(downloads);
  }
  return { downloadsDir: downloads, receivedDir: received };
}

export type Direction = 'download' | 'upload' | 'send' | 'receive';

/** What the user is shown (terminal) or told (`--json`, one object per event). */
export type ClientFileEvent =
  /** A download asked for; `resumeFrom` when an earlier partial download continues. */
  | { type: 'requested'; direction: Direction; name: string; resumeFrom?: number }
  | { type: 'queued'; id: number; name: string; position: number }
  | { type: 'started'; id: number; direction: Direction; name: string; size: number; offset: number }
  /** At most once per whole percent. `done` counts from byte 0. */
  | { type: 'progress'; id: number; direction: Direction; name: string; done: number; size: number; percent: number }
  /** A file offered by another user; `accepted` when taken automatically (`--auto-accept`). */
  | { type: 'offer'; id: number; from: string; name: string; size: number; accepted: boolean }
  /**
   * Stored (`savedAs`: the name it got, maybe numbered; `path`: where, for a file received here) or
   * delivered (`to`: the user who has it now). `size`: bytes.
   */
  | { type: 'finished'; id: number; direction: Direction; name: string; size: number; savedAs?: string; path?: string; to?: string }
  /** Over without success. `resumable`: `/download NAME` again continues where it stopped. */
  | { type: 'failed'; id?: number; direction: Direction; name: string; code: string; message: string; resumable: boolean }
  /** An offer turned down with `/decline` (the sender is told). */
  | { type: 'declined'; id: number; from: string; name: string }
  /** A request the client could not even make (bad path, nothing to cancel…). */
  | { type: 'error'; message: string };

export interface ClientFilesConfig {
  /** Where downloads go (absolute, exists). */
  downloadsDir: string;
  /** Where files sent by other users go (absolute, exists). */
  receivedDir: string;
  /** Take offered files without asking (`--auto-accept`); false (the default): wait for accept(id). */
  autoAccept: boolean;
  send: (request: FileRequest) => void;
  emit: (event: ClientFileEvent) => void;
  /** The data plane now (bulk channel or TCP fallback), or undefined when there is none. */
  link: () => ClientLink | undefined;
}

/** The client's data plane as the file features see it. */
export interface ClientLink extends ChunkSink {
  /** False once this link is gone (its UDP engine stopped): transfers pinned to it cannot finish. */
  readonly alive: boolean;
}

interface Receiving {
  direction: 'download' | 'receive';
  name: string;
  receiver: IncomingTransfer;
  percent: number;
  /** Interrupted because its data plane went away: ask for the rest (resume) once it stopped. */
  restart?: boolean;
}

interface Sending {
  direction: 'upload' | 'send';
  name: string;
  file: LocalFile;
  to?: string;
  sender?: OutgoingTransfer;
  /** The link its chunks go on (taken when the first chunk is queued). */
  link?: ClientLink;
  /** Waiting for a slot, streaming, or all queued and waiting for `<stored>` / `<delivered>`. */
  phase: 'queued' | 'streaming' | 'sent';
  percent: number;
}

interface Offer {
  from: string;
  name: string;
  size: number;
  crc: number;
  accepted: boolean;
}

type Active = Receiving | Sending;

/**
 * Why an upload or a file sent to a user, announced and not yet answered, ended with the connection: with
 * bytes to send, none went (nothing was stored); an empty file needs none, so the server may have kept it.
 */
function unansweredAnnouncement(s: Sending, message: string): string {
  const again = s.direction === 'upload' ? '/upload' : '/sendfile';
  if (s.file.size > 0) return `${message} before the server answered: nothing of it was sent; ${again} it again`;
  const where = s.to === undefined ? 'stored (check with /files)' : `delivered to ${s.to} (ask them)`;
  return `${message} just after it was announced: being empty, it may or may not have been ${where}`;
}

export class ClientFiles {
  /** Downloads asked for and not yet answered, by name (and whether the ask was a resume). */
  private readonly asked = new Map<string, { resumed: boolean; retried: boolean }>();
  /** Uploads announced and not yet answered, oldest first. */
  private announced: Sending[] = [];
  private readonly active = new Map<number, Active>();
  private readonly offers = new Map<number, Offer>();

  constructor(private readonly config: ClientFilesConfig) {}

  /** True while anything is asked, announced, queued or running (an offer waiting for `/accept` is not). */
  get busy(): boolean {
    return this.asked.size > 0 || this.announced.length > 0 || this.active.size > 0 || [...this.offers.values()].some((o) => o.accepted);
  }

  /** Transfers running or waiting, for `/status`. */
  list(): Array<{ id: number; direction: Direction; name: string; done: number; size: number; phase: string }> {
    return [...this.active].map(([id, a]) =>
      'receiver' in a
        ? { id, direction: a.direction, name: a.name, done: a.receiver.received, size: a.receiver.size, phase: 'receiving' }
        : { id, direction: a.direction, name: a.name, done: a.sender?.sent ?? 0, size: a.file.size, phase: a.phase },
    );
  }

  /** The names of the downloads asked for or running: what a new connection asks for again (resuming). */
  downloading(): string[] {
    const running = [...this.active.values()].flatMap((a) => (a.direction === 'download' ? [a.name] : []));
    return [...new Set([...this.asked.keys(), ...running])];
  }

  /** `/download NAME`: resume a partial download of NAME if one is intact, else start afresh. Never rejects. */
  async download(name: string): Promise<void> {
    if (this.asked.has(name) || [...this.active.values()].some((a) => a.direction === 'download' && a.name === name)) {
      this.config.emit({ type: 'error', message: `${name} is already being downloaded` });
      return;
    }
    const plan = await planDownload(this.config.downloadsDir, name);
    this.asked.set(name, { resumed: plan.kind === 'resume', retried: false });
    if (plan.kind === 'resume') {
      this.config.emit({ type: 'requested', direction: 'download', name, resumeFrom: plan.offset });
      this.config.send({ kind: 'resume', offset: plan.offset, size: plan.size, crc: plan.crc, name });
    } else {
      this.config.emit({ type: 'requested', direction: 'download', name });
      this.config.send({ kind: 'download', name });
    }
  }

  /** `/upload PATH`. Never rejects. */
  async upload(filePath: string): Promise<void> {
    await this.announce(filePath, 'upload');
  }

  /** `/sendfile USER PATH`, `/sendimage USER PATH`. Never rejects. */
  async sendTo(user: string, filePath: string, image: boolean): Promise<void> {
    await this.announce(filePath, 'send', user, image);
  }

  /** `/accept ID` (offers wait for it unless `--auto-accept`). Never rejects. */
  async accept(id: number): Promise<void> {
    const offer = this.offers.get(id);
    if (offer === undefined || offer.accepted) {
      this.config.emit({ type: 'error', message: `no file offer ${id} is waiting` });
      return;
    }
    await this.takeOffer(id, offer);
  }

  /** `/decline ID`. */
  decline(id: number): void {
    const offer = this.offers.get(id);
    if (offer === undefined || offer.accepted) {
      this.config.emit({ type: 'error', message: `no file offer ${id} is waiting` });
      return;
    }
    this.offers.delete(id);
    this.config.send({ kind: 'decline', id });
    this.config.emit({ type: 'declined', id, from: offer.from, name: offer.name });
  }

  /**
   * `/cancel [ID]`: stop a transfer and remove its partial file. Without an id: the only transfer
   * there is. Never rejects.
   */
  async cancel(id?: number): Promise<void> {
    const ids = [...this.active.keys(), ...[...this.offers].filter(([, o]) => !o.accepted).map(([i]) => i)];
    if (id === undefined) {
      if (ids.length !== 1) {
        const message = ids.length === 0 ? 'nothing to cancel: no transfer in progress' : `several transfers are running (${ids.join(', ')}); say which: /cancel ID`;
        this.config.emit({ type: 'error', message });
        return;
      }
      id = ids[0] as number;
    }
    const offer = this.offers.get(id);
    if (offer !== undefined && !offer.accepted) {
      this.decline(id);
      return;
    }
    const active = this.active.get(id);
    if (active === undefined) {
      this.config.emit({ type: 'error', message: `no transfer ${id} is in progress` });
      return;
    }
    this.config.send({ kind: 'cancel', id });
    if ('receiver' in active) {
      await active.receiver.cancel('cancelled'); // the done handler reports it
    } else {
      active.sender?.cancel();
      this.endSending(id, active, { type: 'failed', id, direction: active.direction, name: active.name, code: 'cancelled', message: 'cancelled', resumable: false });
    }
  }

  /** A notice from the server (parsed from its reply line by the wiring). Never rejects. */
  async notice(n: FileNotice): Promise<void> {
    switch (n.kind) {
      case 'sending':
        return this.onSending(n);
      case 'queued':
        return this.onQueued(n.id, n.name, n.position);
      case 'ready':
        return this.onReady(n.id, n.name);
      case 'stored':
      case 'delivered': {
        const active = this.active.get(n.id);
        if (active === undefined || 'receiver' in active) return;
        const size = active.file.size;
        const done: ClientFileEvent =
          n.kind === 'stored'
            ? { type: 'finished', id: n.id, direction: active.direction, name: active.name, size, savedAs: n.name }
            : { type: 'finished', id: n.id, direction: active.direction, name: active.name, size, to: n.to };
        this.endSending(n.id, active, done);
        return;
      }
      case 'offer':
        return this.onOffer(n);
      case 'aborted':
        return this.onAborted(n.id, n.code, n.message);
      case 'refused':
        return this.onRefused(n.request, n.name, n.code, n.message);
      case 'error':
        this.config.emit({ type: 'error', message: n.message });
        return;
    }
  }

  /** A chunk from the data plane. False when no transfer takes it (late chunks after a cancel). */
  chunk(chunk: Chunk): boolean {
    const active = this.active.get(chunk.transferId);
    if (active === undefined || !('receiver' in active)) return false;
    return active.receiver.accept(chunk);
  }

  /** Bytes received and not yet on disk: above MAX_WRITE_BACKLOG_BYTES, stop polling the link. */
  backlog(): number {
    let total = 0;
    for (const a of this.active.values()) if ('receiver' in a) total += a.receiver.pendingBytes;
    return total;
  }

  /** The link may have room: let the uploads queue more. */
  pump(): void {
    for (const [id, a] of this.active) {
      if ('receiver' in a || a.phase !== 'streaming' || a.sender === undefined) continue;
      const sender = a.sender;
      void sender.pump().then((state) => this.afterPump(id, a, state));
    }
  }

  /**
   * The connection is gone (or the client quits): downloads keep what they verified for a resume,
   * everything else ends. Never rejects.
   */
  async linkLost(message = 'the connection was lost'): Promise<void> {
    for (const pending of this.announced) {
      await pending.file.handle.close().catch(() => undefined);
      this.config.emit({ type: 'failed', direction: pending.direction, name: pending.name, code: 'link-lost', message: unansweredAnnouncement(pending, message), resumable: false });
    }
    this.announced = [];
    this.asked.clear();
    this.offers.clear();
    for (const [id, a] of [...this.active]) {
      if ('receiver' in a) {
        await a.receiver.interrupt(message);
      } else {
        a.sender?.cancel(message);
        this.endSending(id, a, { type: 'failed', id, direction: a.direction, name: a.name, code: 'link-lost', message, resumable: false });
      }
    }
  }

  /**
   * The UDP data plane went away but the connection lives on (chat moved to TCP): chunks in flight on
   * the dead engine are lost. Downloads keep what they verified and ask for the rest at once; files
   * being received from a user and uploads whose chunks went over UDP fail (the server is told).
   * Never rejects.
   */
  async dataPlaneLost(message = 'the UDP data plane was lost'): Promise<void> {
    for (const [id, a] of [...this.active]) {
      if ('receiver' in a) {
        if (a.direction === 'download') {
          this.config.send({ kind: 'cancel', id });
          await this.restartDownload(a, message);
        } else {
          this.config.send({ kind: 'cancel', id });
          await a.receiver.cancel(message);
        }
      } else if (a.link !== undefined && !a.link.alive) {
        a.sender?.cancel(message);
        this.config.send({ kind: 'cancel', id });
        this.endSending(id, a, { type: 'failed', id, direction: a.direction, name: a.name, code: 'link-lost', message, resumable: false });
      }
    }
  }

  // ---- internals -------------------------------------------------------------------------------

  /** Stop a running download keeping what is verified; once it stopped, ask for the rest (`<resume>`). */
  private async restartDownload(r: Receiving, message: string): Promise<void> {
    r.restart = true;
    await r.receiver.interrupt(message);
  }

  private async announce(filePath: string, direction: 'upload' | 'send', to?: string, image = false): Promise<void> {
    const opened = await openLocalFile(filePath);
    if (!opened.ok) {
      this.config.emit({ type: 'error', message: opened.message });
      return;
    }
    const { file } = opened;
    const pending: Sending = { direction, name: file.name, file, phase: 'queued', percent: -1 };
    if (to !== undefined) pending.to = to;
    this.announced.push(pending);
    if (direction === 'upload') {
      this.config.send({ kind: 'upload', size: file.size, crc: file.crc, name: file.name });
    } else {
      this.config.send({ kind: 'sendfile', to: to ?? '', size: file.size, crc: file.crc, name: file.name, image });
    }
  }

  /** The oldest announced upload of this name: the server answers them in order. */
  private takeAnnounced(name: string): Sending | undefined {
    const index = this.announced.findIndex((a) => a.name === name);
    if (index < 0) return undefined;
    const [found] = this.announced.splice(index, 1);
    return found;
  }

  /** A download announced: open (or reopen) its part file, then tell the server to go. */
  private async onSending(n: Extract<FileNotice, { kind: 'sending' }>): Promise<void> {
    const ask = this.asked.get(n.name);
    if (ask === undefined) {
      this.config.send({ kind: 'cancel', id: n.id }); // nothing we asked for: stop it
      return;
    }
    const holder: { r?: Receiving } = {};
    const started = await startDownload(this.config.downloadsDir, n, this.progressHook(n.id, holder));
    if (!started.ok && n.offset > 0 && !ask.retried) {
      // The partial file no longer checks out: drop it and ask for the whole file.
      this.config.send({ kind: 'cancel', id: n.id });
      await forgetDownload(this.config.downloadsDir, n.name);
      this.asked.set(n.name, { resumed: false, retried: true });
      this.config.send({ kind: 'download', name: n.name });
      return;
    }
    this.asked.delete(n.name);
    this.begin(n.id, 'download', n.name, n.size, n.offset, started, holder);
  }

  /** Take an offered file: open its part file in received_files, then tell the server to go. */
  private async takeOffer(id: number, offer: Offer): Promise<void> {
    offer.accepted = true;
    const holder: { r?: Receiving } = {};
    const started = await startReceive(this.config.receivedDir, { id, name: offer.name, size: offer.size, crc: offer.crc }, this.progressHook(id, holder));
    if (this.offers.get(id) !== offer) {
      if (started.ok) await started.transfer.cancel('the offer was withdrawn'); // aborted meanwhile
      return;
    }
    this.offers.delete(id);
    this.begin(id, 'receive', offer.name, offer.size, 0, started, holder);
  }

  private progressHook(id: number, holder: { r?: Receiving }): ReceiveHooks {
    return {
      onProgress: (written, size) => {
        if (holder.r !== undefined) this.progress(id, holder.r, written, size);
      },
    };
  }

  /** Register a receiver and send `<accept>ID`; or, if it could not start, stop the transfer. */
  private begin(id: number, direction: 'download' | 'receive', name: string, size: number, offset: number, started: StartResult, holder: { r?: Receiving }): void {
    if (!started.ok) {
      this.config.send(direction === 'receive' ? { kind: 'decline', id } : { kind: 'cancel', id });
      this.config.emit({ type: 'failed', id, direction, name, code: 'write-failed', message: started.message, resumable: false });
      return;
    }
    const r: Receiving = { direction, name, receiver: started.transfer, percent: -1 };
    holder.r = r;
    this.active.set(id, r);
    this.config.emit({ type: 'started', id, direction, name, size, offset });
    this.progress(id, r, offset, size);
    void started.transfer.done.then((result) => this.afterReceive(id, r, result));
    this.config.send({ kind: 'accept', id });
  }

  private async afterReceive(id: number, r: Receiving, result: IncomingResult): Promise<void> {
    if (this.active.get(id) === r) this.active.delete(id);
    if (result.ok) {
      this.progress(id, r, result.size, result.size);
      if (r.direction === 'receive') this.config.send({ kind: 'received', id });
      const dir = r.direction === 'download' ? this.config.downloadsDir : this.config.receivedDir;
      this.config.emit({ type: 'finished', id, direction: r.direction, name: r.name, size: result.size, savedAs: result.name, path: path.join(dir, result.name) });
      return;
    }
    if (r.restart === true && r.direction === 'download' && result.failure.code === 'interrupted') {
      // Its data plane went away mid-way: ask for the rest over what is left (the server's TCP).
      await this.download(r.name);
      return;
    }
    const { code, message } = result.failure;
    // A failure found here (damaged, too long, disk full) must stop the sender too.
    if (code === 'crc' || code === 'size' || code === 'protocol' || code === 'write-failed') this.config.send({ kind: 'cancel', id });
    const resumable = code === 'interrupted' && r.direction === 'download';
    this.config.emit({ type: 'failed', id, direction: r.direction, name: r.name, code, message, resumable });
  }

  private onQueued(id: number, name: string, position: number): void {
    const known = this.active.get(id);
    if (known === undefined) {
      const pending = this.takeAnnounced(name);
      if (pending === undefined) {
        this.config.send({ kind: 'cancel', id });
        return;
      }
      this.active.set(id, pending);
    } else if ('receiver' in known) {
      return;
    }
    this.config.emit({ type: 'queued', id, name, position });
  }

  private onReady(id: number, name: string): void {
    let s = this.active.get(id);
    if (s === undefined) {
      const pending = this.takeAnnounced(name);
      if (pending === undefined) {
        this.config.send({ kind: 'cancel', id });
        return;
      }
      s = pending;
      this.active.set(id, s);
    }
    if ('receiver' in s || s.phase !== 'queued') return;
    const sending = s;
    const sink = pinnedSink(() => {
      const link = this.config.link();
      if (link !== undefined) sending.link = link;
      return link;
    });
    const made = createOutgoing({
      id,
      name: sending.name,
      size: sending.file.size,
      crc: sending.file.crc,
      snapshot: sending.file.snapshot,
      source: sending.file.source,
      sink,
    });
    if (!made.ok) {
      this.config.send({ kind: 'cancel', id });
      this.endSending(id, sending, { type: 'failed', id, direction: sending.direction, name: sending.name, code: 'internal', message: made.message, resumable: false });
      return;
    }
    sending.sender = made.transfer;
    sending.phase = 'streaming';
    this.config.emit({ type: 'started', id, direction: sending.direction, name: sending.name, size: sending.file.size, offset: 0 });
    this.pump();
  }

  private afterPump(id: number, s: Sending, state: OutgoingState): void {
    if (this.active.get(id) !== s || s.sender === undefined) return;
    this.progress(id, s, s.sender.sent, s.file.size);
    if (state.status === 'finished') {
      s.phase = 'sent'; // wait for `<stored>` / `<delivered>`
    } else if (state.status === 'failed') {
      this.config.send({ kind: 'cancel', id });
      const { code, message } = state.failure;
      this.endSending(id, s, { type: 'failed', id, direction: s.direction, name: s.name, code, message, resumable: false });
    }
  }

  private async onOffer(n: Extract<FileNotice, { kind: 'offer' }>): Promise<void> {
    const offer: Offer = { from: n.from, name: n.name, size: n.size, crc: n.crc, accepted: false };
    this.offers.set(n.id, offer);
    this.config.emit({ type: 'offer', id: n.id, from: n.from, name: n.name, size: n.size, accepted: this.config.autoAccept });
    if (this.config.autoAccept) await this.takeOffer(n.id, offer);
  }

  private async onAborted(id: number, code: string, message: string): Promise<void> {
    const offer = this.offers.get(id);
    if (offer !== undefined) {
      this.offers.delete(id);
      this.config.emit({ type: 'failed', id, direction: 'receive', name: offer.name, code, message, resumable: false });
      return;
    }
    const active = this.active.get(id);
    if (active === undefined) return; // already over here (e.g. the confirmation of our own cancel)
    if ('receiver' in active) {
      if (code === 'link-lost' && active.direction === 'download') {
        // The server lost the data plane it was sending on: keep what arrived, ask for the rest.
        await this.restartDownload(active, message);
        return;
      }
      await active.receiver.cancel(message); // the server gave up: remove the partial file
    } else {
      active.sender?.cancel(message);
      this.endSending(id, active, { type: 'failed', id, direction: active.direction, name: active.name, code, message, resumable: false });
    }
  }

  private onRefused(request: string, name: string, code: string, message: string): void {
    if (request === 'download') {
      this.asked.delete(name);
      this.config.emit({ type: 'failed', direction: 'download', name, code, message, resumable: false });
      return;
    }
    const pending = this.takeAnnounced(name);
    const direction = request === 'upload' ? 'upload' : 'send';
    if (pending !== undefined) void pending.file.handle.close().catch(() => undefined);
    this.config.emit({ type: 'failed', direction, name, code, message, resumable: false });
  }

  private endSending(id: number, s: Sending, event: ClientFileEvent): void {
    if (this.active.get(id) === s) this.active.delete(id);
    void s.file.handle.close().catch(() => undefined);
    if (event.type === 'finished') this.progress(id, s, s.file.size, s.file.size);
    this.config.emit(event);
  }

  /** A progress event when the whole percent changed. */
  private progress(id: number, a: Active, done: number, size: number): void {
    const percent = percentDone(done, size);
    if (percent === a.percent) return;
    a.percent = percent;
    this.config.emit({ type: 'progress', id, direction: a.direction, name: a.name, done, size, percent });
  }
}
