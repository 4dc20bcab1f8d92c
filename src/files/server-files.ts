// The server's file features in one coordinator: downloads (with resume), uploads through the
// server-wide queue, files sent to a user (stored in a hidden spool, offered, delivered), cancel,
// and a client going away. I/O is injected: each session's link (where chunk messages go) and an
// `emit` for notices and log events; the files themselves are real (writer.ts, source.ts). The
// wiring turns commands into calls, notices into reply lines, and calls pump() when a link has room.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorCode } from '../commands/types.ts';
import type { Chunk } from './chunk-codec.ts';
import type { IncomingResult, IncomingTransfer } from './incoming.ts';
import { CrcCache } from './crc-cache.ts';
import { ACCEPT_TIMEOUT_MS, OFFER_TIMEOUT_MS, RECENTLY_ENDED_PER_SESSION } from './limits.ts';
import type { FileOptions } from './options.ts';
import {
  createOutgoing,
  pinnedSink,
  resumeOffset,
  type ChunkSink,
  type OutgoingState,
  type OutgoingTransfer,
  type ResumeRequest,
} from './outgoing.ts';
import type { AbortCode, FileNotice, RefusedRequest } from './protocol.ts';
import { startReceive } from './receive.ts';
import { SharedBudget } from './shared-budget.ts';
import { ensureSharedDir } from './shared-dir.ts';
import { openSharedForSending, type SendableFile } from './source.ts';
import { TransferTable } from './transfer-table.ts';
import { UploadQueue, type QueueEvent } from './upload-queue.ts';
import { removeStaleParts } from './writer.ts';
import { checkUploadRequest } from './upload-rules.ts';
import { uploadCharge, UploadQuota, type QuotaVerdict } from './upload-quota.ts';
import { formatSize } from './format.ts';

export type { AbortCode, FileNotice } from './protocol.ts';

export type SessionKey = number;

/** A session's data plane as the file features see it (bulk channel, or `<chunk>` lines on TCP). */
export type FileLink = ChunkSink;

export type FileLogEvent =
  | { type: 'transfer-start'; session: SessionKey; id: number; kind: 'download' | 'upload' | 'relay-in' | 'relay-out'; name: string; size: number; offset: number }
  | { type: 'transfer-done'; session: SessionKey; id: number; name: string; size: number }
  | { type: 'transfer-failed'; session: SessionKey; id: number; name: string; code: AbortCode; message: string }
  | { type: 'refused'; session: SessionKey; request: string; code: ErrorCode; message: string };

export type FileOutput =
  | { type: 'notice'; session: SessionKey; notice: FileNotice }
  /** A line for the person (a `<system>` reply): no file command answers it, it only informs. */
  | { type: 'system'; session: SessionKey; text: string }
  | { type: 'log'; event: FileLogEvent };

export interface ServerFilesConfig {
  /** The shared directory (absolute, symlink-free: ensureSharedDir's result). */
  root: string;
  /** Where files sent to users wait for delivery (prepareServerDirs: `root/.relay`, hidden). */
  spoolDir: string;
  options: FileOptions;
  /** The session's link now, or undefined when it is gone. */
  linkFor: (session: SessionKey) => FileLink | undefined;
  emit: (output: FileOutput) => void;
  /** Milliseconds, for offer expiry. */
  now: () => number;
  /** A deadline at `at` (ms) was set: call expire() then (or soon after). */
  wake?: (at: number) => void;
}

/** A user as the coordinator needs them for `/sendfile`: the session and the name others see. */
export interface Party {
  session: SessionKey;
  name: string;
  /**
   * The address group the session connected from (an IPv6 /64 as one; src/tcp/address-group.ts):
   * upload slots, queue places and the hourly quota are counted for it as well as for the session or
   * name, so that more sessions or a new name gain nothing. Undefined: counted per session and name only.
   */
  group?: string;
}

interface Sending {
  file: SendableFile;
  sender: OutgoingTransfer;
}

type Entry =
  | {
      kind: 'download';
      name: string;
      sending?: Sending;
      /** Announced with `<sending>`: chunks flow once the client answers `<accept>ID` (it is ready then). */
      streaming: boolean;
      /** When `<sending>` went out (an announcement nobody accepts expires: ACCEPT_TIMEOUT_MS). */
      announcedAt?: number;
      over: boolean;
    }
  | {
      kind: 'upload';
      name: string;
      size: number;
      crc: number;
      /** Set for a file sent to a user: it goes to the spool, then to them. */
      relayTo?: Party;
      from: Party;
      receiver?: IncomingTransfer;
      /** When `<ready>` went out: its bytes must start within the upload start timeout. */
      grantedAt?: number;
      /** Set with grantedAt: the upload must be stored by then (its bytes at the minimum rate, plus a grace). */
      mustEndBy?: number;
      /** Once stored in the spool: the offer made to the recipient. */
      offerId?: number;
      over: boolean;
    }
  | {
      kind: 'delivery';
      name: string;
      size: number;
      crc: number;
      spoolName: string;
      from: Party;
      /** The recipient's name, for the sender's notices. */
      to: string;
      upstreamId: number;
      offeredAt: number;
      /** offered → accepted (file being opened) → streaming → sent (waiting for `<received>ID`). */
      phase: 'offered' | 'accepted' | 'streaming' | 'sent';
      sending?: Sending;
      over: boolean;
    };

/** Name of the spool directory inside the shared directory (hidden: never listed, never served). */
export const SPOOL_DIR_NAME = '.relay';

/**
 * At server start: create the shared directory and its spool, remove what interrupted uploads left
 * (`.x.part-17`) and files that were waiting for delivery when the server stopped (their offers died
 * with the sessions). Rejects only when the directory cannot be created or read (a start-up error).
 */
export async function prepareServerDirs(filesDir: string): Promise<{ root: string; spoolDir: string }> {
  const root = await ensureSharedDir(filesDir);
  const spoolDir = await ensureSharedDir(path.join(root, SPOOL_DIR_NAME));
  await removeStaleParts(root);
  for (const entry of await readdir(spoolDir)) await rm(path.join(spoolDir, entry), { force: true, recursive: true });
  return { root, spoolDir };
}

export class ServerFiles {
  private readonly table: TransferTable<SessionKey, Entry>;
  private readonly queue: UploadQueue<number, SessionKey>;
  /** The last transfers of each session that ended (RECENTLY_ENDED_PER_SESSION), for a late `<cancel>`. */
  private readonly ended = new Map<SessionKey, number[]>();
  /** When each session's uploads last took a chunk (a slot waiting for its bytes is kept while they flow). */
  private readonly lastUploadChunk = new Map<SessionKey, number>();
  /** CRC-32s of the shared files (and spooled ones), once per version. */
  private readonly crcs = new CrcCache();
  /** Upload bytes per user name per hour. */
  private readonly quota: UploadQuota;
  /** The same per address group: a new name from the same host does not refill it. */
  private readonly groupQuota: UploadQuota;
  /** The shared directory's disk budget. */
  private readonly budget: SharedBudget;

  constructor(private readonly config: ServerFilesConfig) {
    const o = config.options;
    this.table = new TransferTable({ download: o.maxDownloadsPerClient });
    this.queue = new UploadQueue({ slots: o.uploadSlots, maxWaiting: o.maxWaitingUploads, slotsPerOwner: o.uploadSlotsPerUser, maxPerOwner: o.maxUploadsPerUser });
    this.quota = new UploadQuota(o.uploadBytesPerHour);
    this.groupQuota = new UploadQuota(o.uploadBytesPerHour);
    this.budget = new SharedBudget([config.root, config.spoolDir], o.maxSharedBytes, config.now);
  }

  /** Transfers in progress (all kinds), for statistics. */
  get transfers(): number {
    return this.table.size;
  }

  /** Whole-file CRC-32s computed (not found in the cache), for statistics. */
  get crcComputations(): number {
    return this.crcs.computations;
  }

  /** `<download>NAME`, or `<resume>OFFSET SIZE CRC NAME` with `resume`. Never rejects. */
  async download(session: SessionKey, name: string, resume?: ResumeRequest): Promise<void> {
    const entry: Entry = { kind: 'download', name, streaming: false, over: false };
    const added = this.table.add(session, 'download', entry);
    if (!added.ok) return this.refuseRequest(session, 'download', name, 'refused', added.message);
    const id = added.id;
    const opened = await openSharedForSending(this.config.root, name, this.crcs);
    if (!opened.ok) {
      this.table.delete(id);
      return this.refuseRequest(session, 'download', name, opened.error.code, opened.error.message);
    }
    if (entry.over) {
      await opened.file.handle.close().catch(() => undefined); // the client left meanwhile
      return;
    }
    const file = opened.file;
    const offset = resume === undefined ? 0 : resumeOffset(resume, { size: file.snapshot.size, crc: file.crc });
    const sending = this.startSending(session, id, name, file, offset);
    if (sending === undefined) return;
    entry.sending = sending;
    entry.announcedAt = this.config.now();
    this.notify(session, { kind: 'sending', id, size: file.snapshot.size, crc: file.crc, offset, name });
    this.log({ type: 'transfer-start', session, id, kind: 'download', name, size: file.snapshot.size, offset });
  }

  /**
   * `<upload>SIZE CRC NAME`: a file for the shared directory. The limits are checked before a byte
   * is accepted; then the upload waits for a slot. Never rejects.
   */
  async upload(from: Party, request: { name: string; size: number; crc: number }): Promise<void> {
    await this.enqueue(from, request, undefined);
  }

  /**
   * `<sendfile>USER SIZE CRC NAME` / `<sendimage>…`: a file for user `toName`, who is `to` when
   * online (the wiring looks the name up; undefined = nobody of that name is online). Same limits
   * and queue as an upload; stored in the spool, then offered to them. Never rejects.
   */
  async sendFile(from: Party, request: { name: string; size: number; crc: number; image?: boolean }, toName: string, to: Party | undefined): Promise<void> {
    if (to === undefined) {
      return this.refuseRequest(from.session, 'sendfile', request.name, 'unknown-user', `no user named ${JSON.stringify(toName)} is online`);
    }
    await this.enqueue(from, request, to);
  }

  private async enqueue(from: Party, request: { name: string; size: number; crc: number; image?: boolean }, relayTo: Party | undefined): Promise<void> {
    const what: RefusedRequest = relayTo === undefined ? 'upload' : 'sendfile';
    const name = request.name;
    const verdict = checkUploadRequest(request, this.config.options);
    if (!verdict.ok) return this.refuseRequest(from.session, what, name, verdict.code, verdict.message);
    if (relayTo !== undefined && relayTo.session === from.session) {
      return this.refuseRequest(from.session, what, name, 'bad-argument', 'you cannot send a file to yourself');
    }
    const measured = await this.budget.measure();
    if (!measured.ok) return this.refuseRequest(from.session, what, name, measured.code, measured.message);
    // From here to the entry's registration, one turn: requests that came together are judged one after
    // another, each counting those before it against the offers, quotas and disk budget.
    const limited = relayTo === undefined ? undefined : this.offerLimit(from, relayTo);
    if (limited !== undefined) return this.refuseRequest(from.session, what, name, 'refused', limited);
    const quota = this.checkQuota(from, request.size);
    if (!quota.ok) return this.refuseRequest(from.session, what, name, 'refused', quota.message);
    const budget = this.budget.judge(measured.stored, request.size, this.inProgress((size) => size));
    if (!budget.ok) return this.refuseRequest(from.session, what, name, budget.code, budget.message);
    const entry: Entry = { kind: 'upload', name: request.name, size: request.size, crc: request.crc >>> 0, from, over: false };
    if (relayTo !== undefined) entry.relayTo = relayTo;
    const added = this.table.add(from.session, relayTo === undefined ? 'upload' : 'sendfile', entry);
    if (!added.ok) return this.refuseRequest(from.session, what, name, 'refused', added.message);
    const queued = this.queue.request(added.id, from.session, from.group);
    if (!queued.ok) {
      this.table.delete(added.id);
      return this.refuseRequest(from.session, what, name, 'refused', queued.message);
    }
    await this.applyQueue(queued.events);
  }

  /** A chunk from a client (bulk channel or `<chunk>` line). False when no transfer of theirs takes it. */
  chunk(session: SessionKey, chunk: Chunk): boolean {
    const entry = this.table.getOwned(chunk.transferId, session)?.value;
    if (entry === undefined || entry.kind !== 'upload' || entry.receiver === undefined) return false;
    this.lastUploadChunk.set(session, this.config.now());
    return entry.receiver.accept(chunk);
  }

  /** Bytes received from this session and not yet on disk: above MAX_WRITE_BACKLOG_BYTES, stop polling its link. */
  backlog(session: SessionKey): number {
    let total = 0;
    for (const { value } of this.table.list(session)) {
      if (value.kind === 'upload' && value.receiver !== undefined) total += value.receiver.pendingBytes;
    }
    return total;
  }

  /** `<cancel>ID`: the client's own transfer, whatever its stage. Never rejects. */
  async cancel(session: SessionKey, id: number): Promise<void> {
    const found = this.table.getOwned(id, session);
    if (found === undefined) {
      // A cancel that crossed the transfer's end (the client cleans up what it knows of): nothing to do.
      if (this.ended.get(session)?.includes(id) === true) {
        this.notify(session, { kind: 'aborted', id, code: 'cancelled', message: `transfer ${id} is already over` });
        return;
      }
      return this.refuse(session, 'cancel', 'bad-argument', `no transfer ${id} of yours is in progress`);
    }
    const entry = found.value;
    if (entry.kind === 'upload') {
      if (entry.receiver !== undefined) {
        await entry.receiver.cancel('cancelled by the sender'); // its done handler reports and cleans up
        return;
      }
      if (entry.offerId !== undefined) {
        // Stored in the spool and offered: withdraw the offer.
        await this.endDelivery(entry.offerId, 'cancelled', `${entry.from.name} cancelled sending ${entry.name}`, 'recipient');
        this.finish(id, session, { kind: 'aborted', id, code: 'cancelled', message: `sending ${entry.name} was cancelled` });
        return;
      }
      this.finish(id, session, { kind: 'aborted', id, code: 'cancelled', message: `upload of ${entry.name} cancelled` });
      await this.applyQueue(this.queue.cancel(id));
      return;
    }
    if (entry.kind === 'download') {
      entry.sending?.sender.cancel();
      await this.closeSending(entry.sending);
      this.finish(id, session, { kind: 'aborted', id, code: 'cancelled', message: `download of ${entry.name} cancelled` });
      return;
    }
    await this.endDelivery(id, 'cancelled', `${entry.name} was cancelled by the recipient`, 'both');
  }

  /**
   * `<accept>ID`: the client is ready to receive transfer ID — a download it was told about with
   * `<sending>`, or a file offered to it. Chunks flow from now on. Never rejects.
   */
  async accept(session: SessionKey, id: number): Promise<void> {
    const entry = this.table.getOwned(id, session)?.value;
    if (entry !== undefined && entry.kind === 'download' && !entry.streaming && entry.sending !== undefined) {
      entry.streaming = true;
      this.pumpOne(session, id);
      return;
    }
    if (entry === undefined || entry.kind !== 'delivery' || entry.phase !== 'offered') {
      return this.refuse(session, 'accept', 'bad-argument', `no offer ${id} is waiting for you`);
    }
    entry.phase = 'accepted';
    const opened = await openSharedForSending(this.config.spoolDir, entry.spoolName, this.crcs);
    if (entry.over) {
      if (opened.ok) await opened.file.handle.close().catch(() => undefined);
      return;
    }
    if (!opened.ok || opened.file.crc !== entry.crc || opened.file.snapshot.size !== entry.size) {
      if (opened.ok) await opened.file.handle.close().catch(() => undefined);
      await this.endDelivery(id, 'internal', `the server lost ${entry.name} before delivering it`, 'both');
      return;
    }
    const sending = this.startSending(session, id, entry.name, opened.file, 0);
    if (sending === undefined) return;
    entry.sending = sending;
    entry.phase = 'streaming';
    this.log({ type: 'transfer-start', session, id, kind: 'relay-out', name: entry.name, size: entry.size, offset: 0 });
    this.pumpOne(session, id);
  }

  /** `<decline>ID`: the recipient refuses a file offered to them. Never rejects. */
  async decline(session: SessionKey, id: number): Promise<void> {
    const entry = this.table.getOwned(id, session)?.value;
    if (entry === undefined || entry.kind !== 'delivery' || entry.phase !== 'offered') {
      return this.refuse(session, 'decline', 'bad-argument', `no offer ${id} is waiting for you`);
    }
    await this.endDelivery(id, 'declined', `the recipient declined ${entry.name}`, 'both');
  }

  /** `<received>ID`: the recipient verified and stored the file. Ends a delivery; ignored for a download. */
  async received(session: SessionKey, id: number): Promise<void> {
    const entry = this.table.getOwned(id, session)?.value;
    if (entry === undefined || entry.kind !== 'delivery' || (entry.phase !== 'streaming' && entry.phase !== 'sent')) return;
    const upstream = this.table.get(entry.upstreamId);
    if (upstream !== undefined) {
      this.finish(entry.upstreamId, upstream.owner, { kind: 'delivered', id: entry.upstreamId, to: entry.to, name: entry.name });
    }
    this.log({ type: 'transfer-done', session, id, name: entry.name, size: entry.size });
    this.table.delete(id);
    this.remember(session, id);
    entry.over = true;
    await this.closeSending(entry.sending);
    await this.removeSpooled(entry.spoolName, entry.size);
  }

  /** The link of `session` may have room: let its senders queue more. */
  pump(session: SessionKey): void {
    for (const { id, value } of this.table.list(session)) {
      if (value.kind === 'download' ? value.streaming : value.kind === 'delivery' && value.phase === 'streaming') this.pumpOne(session, id);
    }
  }

  /**
   * Withdraw offers older than OFFER_TIMEOUT_MS (the sender is told), end downloads announced longer
   * than ACCEPT_TIMEOUT_MS ago that the client never accepted (a client that cannot take files, such
   * as the Python ancestors, must not hold an open file), and release upload slots whose session sent
   * no chunk within the upload start timeout or that were not stored within their time limit (the
   * minimum rate). Returns when the next one would expire, if any.
   */
  async expire(): Promise<number | undefined> {
    const now = this.config.now();
    this.quota.sweep(now);
    this.groupQuota.sweep(now);
    let next: number | undefined;
    for (const { id, owner, value } of this.table.all()) {
      if (value.over) continue; // ended while an earlier one of this pass was awaited
      if (value.kind === 'upload' && value.receiver !== undefined && value.grantedAt !== undefined) {
        const startBy = Math.max(value.grantedAt, this.lastUploadChunk.get(owner) ?? 0) + this.config.options.uploadStartTimeoutMs;
        const endBy = value.mustEndBy ?? Number.POSITIVE_INFINITY;
        const deadline = Math.min(startBy, endBy);
        if (deadline <= now) {
          const seconds = this.config.options.uploadStartTimeoutMs / 1000;
          const message =
            startBy <= now
              ? `no bytes of ${value.name} arrived within ${seconds} s; its upload slot went to the next in line`
              : `${value.name} was not stored within ${Math.round((endBy - value.grantedAt) / 1000)} s (at least ${formatSize(this.config.options.minUploadBytesPerSecond)}/s); its upload slot went to the next in line`;
          // Told first (the entry is over), then the receiver ends: its done handler releases the slot.
          const receiver = value.receiver;
          this.finish(id, owner, { kind: 'aborted', id, code: 'expired', message });
          await receiver.cancel(startBy <= now ? 'the upload did not start in time' : 'the upload was too slow');
        } else if (next === undefined || deadline < next) {
          next = deadline;
        }
        continue;
      }
      if (value.kind === 'download' && !value.streaming && value.announcedAt !== undefined) {
        const deadline = value.announcedAt + ACCEPT_TIMEOUT_MS;
        if (deadline <= now) {
          value.sending?.sender.cancel('not accepted');
          await this.closeSending(value.sending);
          this.finish(id, owner, { kind: 'aborted', id, code: 'expired', message: `${value.name} was announced but not accepted within ${ACCEPT_TIMEOUT_MS / 1000} s` });
        } else if (next === undefined || deadline < next) {
          next = deadline;
        }
        continue;
      }
      if (value.kind !== 'delivery' || value.phase !== 'offered') continue;
      const deadline = value.offeredAt + OFFER_TIMEOUT_MS;
      if (deadline <= now) {
        await this.endDelivery(id, 'expired', `${value.to} did not accept ${value.name} within ${OFFER_TIMEOUT_MS / 60_000} min`, 'both');
      } else if (next === undefined || deadline < next) {
        next = deadline;
      }
    }
    return next;
  }

  /**
   * The client went away: its downloads stop and their files close, its uploads (waiting or
   * running) end and leave nothing, offers to it are withdrawn, and its queue slots go to others.
   */
  async disconnect(session: SessionKey): Promise<void> {
    this.ended.delete(session);
    this.lastUploadChunk.delete(session);
    const gone = this.table.removeOwner(session);
    for (const { id, value } of gone) {
      value.over = true;
      if (value.kind === 'download') {
        value.sending?.sender.cancel('the client left');
        await this.closeSending(value.sending);
      } else if (value.kind === 'upload') {
        if (value.receiver !== undefined) await value.receiver.interrupt('the sender left');
        // Stored and offered: the offer stands, the file is already here.
      } else {
        value.sending?.sender.cancel('the recipient left');
        await this.closeSending(value.sending);
        const upstream = this.table.get(value.upstreamId);
        if (upstream !== undefined) {
          this.finish(value.upstreamId, upstream.owner, {
            kind: 'aborted',
            id: value.upstreamId,
            code: 'user-left',
            message: `${value.to} left before receiving ${value.name}`,
          });
        }
        await this.removeSpooled(value.spoolName, value.size);
        this.log({ type: 'transfer-failed', session, id, name: value.name, code: 'user-left', message: 'the recipient left' });
      }
    }
    await this.applyQueue(this.queue.releaseOwner(session));
  }

  /** Shutdown: every transfer ends, every file closes, nothing partial stays. */
  async close(): Promise<void> {
    for (const owner of this.table.owners()) await this.disconnect(owner);
  }

  // ---- internals -------------------------------------------------------------------------------

  private startSending(session: SessionKey, id: number, name: string, file: SendableFile, offset: number): Sending | undefined {
    const sink = pinnedSink(() => this.config.linkFor(session));
    const made = createOutgoing({ id, name, size: file.snapshot.size, crc: file.crc, snapshot: file.snapshot, offset, source: file.source, sink });
    if (!made.ok) {
      void file.handle.close().catch(() => undefined);
      this.finish(id, session, { kind: 'aborted', id, code: 'internal', message: made.message });
      return undefined;
    }
    return { file, sender: made.transfer };
  }

  private pumpOne(session: SessionKey, id: number): void {
    const entry = this.table.getOwned(id, session)?.value;
    if (entry === undefined || entry.kind === 'upload' || entry.sending === undefined) return;
    const sending = entry.sending;
    void sending.sender.pump().then((state) => this.afterPump(session, id, entry, state));
  }

  private async afterPump(session: SessionKey, id: number, entry: Entry, state: OutgoingState): Promise<void> {
    if (state.status === 'sending' || entry.over || entry.kind === 'upload') return;
    if (this.table.get(id)?.value !== entry) return;
    if (state.status === 'finished' && entry.kind === 'download') {
      // Every chunk is on the link; the reliable engine delivers them. The entry is done here (at
      // once, before the file closes: a `<cancel>` crossing the end finds it over).
      this.log({ type: 'transfer-done', session, id, name: entry.name, size: entry.sending?.file.snapshot.size ?? 0 });
      this.table.delete(id);
      this.remember(session, id);
      entry.over = true;
      await this.closeSending(entry.sending);
      return;
    }
    await this.closeSending(entry.sending);
    if (state.status === 'failed') {
      const { code, message } = state.failure;
      // The file differed from what its size and mtime promised: its cached CRC-32 may be stale.
      if (code === 'changed' && entry.sending !== undefined) this.crcs.forget(entry.sending.file.snapshot);
      if (entry.kind === 'delivery') {
        await this.endDelivery(id, code, message, 'both');
      } else {
        this.finish(id, session, { kind: 'aborted', id, code, message });
      }
      return;
    }
    if (entry.kind === 'delivery') entry.phase = 'sent'; // waits for `<received>ID`
  }

  /** Grant slots and tell waiters their positions. */
  private async applyQueue(events: QueueEvent<number>[]): Promise<void> {
    for (const event of events) {
      const found = this.table.get(event.id);
      if (found === undefined || found.value.kind !== 'upload') continue;
      if (event.type === 'position') {
        this.notify(found.owner, { kind: 'queued', id: event.id, position: event.position, name: found.value.name });
      } else {
        await this.startUpload(event.id, found.owner, found.value);
      }
    }
  }

  private async startUpload(id: number, session: SessionKey, entry: Extract<Entry, { kind: 'upload' }>): Promise<void> {
    const dir = entry.relayTo === undefined ? this.config.root : this.config.spoolDir;
    const started = await startReceive(dir, { id, name: entry.name, size: entry.size, crc: entry.crc });
    if (entry.over) {
      if (started.ok) await started.transfer.cancel();
      await this.applyQueue(this.queue.release(id));
      return;
    }
    if (!started.ok) {
      this.finish(id, session, { kind: 'aborted', id, code: 'internal', message: started.message });
      await this.applyQueue(this.queue.release(id));
      return;
    }
    entry.grantedAt = this.config.now();
    entry.mustEndBy = entry.grantedAt + this.timeLimit(session, entry.size);
    entry.receiver = started.transfer;
    this.config.wake?.(entry.grantedAt + this.config.options.uploadStartTimeoutMs);
    this.config.wake?.(entry.mustEndBy);
    this.notify(session, { kind: 'ready', id, name: entry.name });
    this.log({ type: 'transfer-start', session, id, kind: entry.relayTo === undefined ? 'upload' : 'relay-in', name: entry.name, size: entry.size, offset: 0 });
    void started.transfer.done.then((result) => this.afterUpload(id, session, entry, result));
  }

  private async afterUpload(id: number, session: SessionKey, entry: Extract<Entry, { kind: 'upload' }>, result: IncomingResult): Promise<void> {
    delete entry.receiver;
    const queueEvents = this.queue.release(id);
    if (!result.ok) {
      if (!entry.over) {
        const code: AbortCode = result.failure.code === 'interrupted' ? 'user-left' : result.failure.code;
        this.finish(id, session, { kind: 'aborted', id, code, message: result.failure.message });
      }
    } else {
      // Stored (in the shared directory, or the spool): it counts against its sender's quota and the
      // directory's budget from now on (until now, as an upload in progress).
      this.quota.charge(entry.from.name, result.size, this.config.now());
      if (entry.from.group !== undefined) this.groupQuota.charge(entry.from.group, result.size, this.config.now());
      this.budget.add(result.size);
      if (entry.relayTo === undefined) {
        this.finish(id, session, { kind: 'stored', id, name: result.name });
        this.log({ type: 'transfer-done', session, id, name: result.name, size: result.size });
      } else {
        await this.offer(id, entry, result.name);
      }
    }
    await this.applyQueue(queueEvents);
  }

  /** A file sent to a user is in the spool: offer it to them. */
  private async offer(upstreamId: number, entry: Extract<Entry, { kind: 'upload' }>, spoolName: string): Promise<void> {
    const to = entry.relayTo;
    if (to === undefined) return;
    if (this.config.linkFor(to.session) === undefined) {
      await this.removeSpooled(spoolName, entry.size);
      if (!entry.over) {
        this.finish(upstreamId, entry.from.session, { kind: 'aborted', id: upstreamId, code: 'user-left', message: `${to.name} is no longer online` });
      }
      return;
    }
    const delivery: Entry = {
      kind: 'delivery',
      name: entry.name,
      size: entry.size,
      crc: entry.crc,
      spoolName,
      from: entry.from,
      to: to.name,
      upstreamId,
      offeredAt: this.config.now(),
      phase: 'offered',
      over: false,
    };
    const added = this.table.add(to.session, 'sendfile', delivery);
    if (!added.ok) {
      await this.removeSpooled(spoolName, entry.size);
      if (!entry.over) this.finish(upstreamId, entry.from.session, { kind: 'aborted', id: upstreamId, code: 'internal', message: added.message });
      return;
    }
    entry.offerId = added.id;
    this.config.wake?.(delivery.offeredAt + OFFER_TIMEOUT_MS);
    this.notify(to.session, { kind: 'offer', id: added.id, from: entry.from.name, size: entry.size, crc: entry.crc, name: entry.name });
    if (!entry.over) {
      const text = `${entry.name} waits for ${to.name} to accept it; it is withdrawn if they have not within ${OFFER_TIMEOUT_MS / 60_000} min`;
      this.config.emit({ type: 'system', session: entry.from.session, text });
    }
  }

  /**
   * End a delivery without success: tell the recipient and/or the sender, close, remove the spooled
   * copy. `notify` says who learns it (the one who ended it is told too, as confirmation).
   */
  private async endDelivery(id: number, code: AbortCode, message: string, notify: 'both' | 'recipient'): Promise<void> {
    const found = this.table.get(id);
    if (found === undefined || found.value.kind !== 'delivery') return;
    const entry = found.value;
    entry.sending?.sender.cancel(message);
    await this.closeSending(entry.sending);
    this.finish(id, found.owner, { kind: 'aborted', id, code, message });
    const upstream = this.table.get(entry.upstreamId);
    if (notify === 'both' && upstream !== undefined) {
      this.finish(entry.upstreamId, upstream.owner, { kind: 'aborted', id: entry.upstreamId, code, message });
    }
    await this.removeSpooled(entry.spoolName, entry.size);
  }

  /** Remove a transfer from the table, mark it over and tell its owner how it ended. */
  private finish(id: number, session: SessionKey, notice: FileNotice): void {
    const found = this.table.delete(id);
    if (found !== undefined) found.value.over = true;
    this.remember(session, id);
    this.notify(session, notice);
    if (notice.kind === 'aborted' && found !== undefined) {
      this.log({ type: 'transfer-failed', session, id, name: found.value.name, code: notice.code, message: notice.message });
    }
  }

  /** Note that `id` of `session` ended (bounded: the oldest are forgotten). */
  private remember(session: SessionKey, id: number): void {
    const list = this.ended.get(session) ?? [];
    if (!list.includes(id)) list.push(id);
    if (list.length > RECENTLY_ENDED_PER_SESSION) list.shift();
    this.ended.set(session, list);
  }

  private async closeSending(sending: Sending | undefined): Promise<void> {
    if (sending === undefined) return;
    await sending.file.handle.close().catch(() => undefined);
  }

  /** Remove a delivered (or abandoned) file of `size` bytes from the spool. */
  private async removeSpooled(spoolName: string, size: number): Promise<void> {
    await rm(path.join(this.config.spoolDir, spoolName), { force: true }).catch(() => undefined);
    this.budget.add(-size);
  }

  /**
   * Why `from` may not send `to` one more file (DEFAULT_MAX_OFFERS_PER_SENDER to one recipient,
   * DEFAULT_MAX_OFFERS_PER_RECIPIENT to them from everyone: announced, being uploaded, offered or
   * being delivered), or undefined.
   */
  private offerLimit(from: Party, to: Party): string | undefined {
    let fromSender = 0;
    let total = 0;
    for (const { owner, value } of this.table.all()) {
      const counted =
        (value.kind === 'upload' && value.relayTo?.session === to.session && value.offerId === undefined) ||
        (value.kind === 'delivery' && owner === to.session);
      if (!counted) continue;
      total++;
      if (value.from.session === from.session) fromSender++;
    }
    const { maxOffersPerSender, maxOffersPerRecipient } = this.config.options;
    if (fromSender >= maxOffersPerSender) {
      return `you already have ${fromSender} files on their way to ${to.name} (at most ${maxOffersPerSender} until they answer); wait for them to accept or decline`;
    }
    if (total >= maxOffersPerRecipient) return `${to.name} has ${total} files waiting to be accepted (at most ${maxOffersPerRecipient}); try again later`;
    return undefined;
  }

  /**
   * Bytes of the uploads announced and not yet stored (waiting or being written) — of senders `of`
   * picks, or everyone's — each size counted as `count` says (the quota's minimum charge, or as it is).
   */
  private inProgress(count: (size: number) => number, of?: (from: Party) => boolean): number {
    let total = 0;
    for (const { value } of this.table.all()) {
      if (value.kind === 'upload' && value.offerId === undefined && (of === undefined || of(value.from))) total += count(value.size);
    }
    return total;
  }

  /** The hourly quota for an upload of `size` by `from`: its name's and its address group's, whichever runs out first. */
  private checkQuota(from: Party, size: number): QuotaVerdict {
    const now = this.config.now();
    const byName = this.quota.check(from.name, size, this.inProgress(uploadCharge, (p) => p.name === from.name), now);
    const group = from.group;
    if (!byName.ok || group === undefined) return byName;
    return this.groupQuota.check(group, size, this.inProgress(uploadCharge, (p) => p.group === group), now, ' for your address');
  }

  /**
   * How long an upload of `size` bytes just granted to `session` may take to be stored, in ms: the
   * grace plus, at the minimum rate, its bytes and those still to come of the session's uploads
   * already holding a slot (a client streams its uploads one after the other).
   */
  private timeLimit(session: SessionKey, size: number): number {
    let bytes = size;
    for (const { value } of this.table.list(session)) {
      if (value.kind === 'upload' && value.receiver !== undefined) bytes += Math.max(0, value.size - value.receiver.received);
    }
    const { minUploadBytesPerSecond, uploadRateGraceMs } = this.config.options;
    return uploadRateGraceMs + Math.ceil((bytes * 1000) / minUploadBytesPerSecond);
  }

  private refuseRequest(session: SessionKey, request: RefusedRequest, name: string, code: ErrorCode, message: string): void {
    this.notify(session, { kind: 'refused', request, code, name, message });
    this.log({ type: 'refused', session, request, code, message });
  }

  private refuse(session: SessionKey, request: string, code: ErrorCode, message: string): void {
    this.notify(session, { kind: 'error', code, message });
    this.log({ type: 'refused', session, request, code, message });
  }

  private notify(session: SessionKey, notice: FileNotice): void {
    this.config.emit({ type: 'notice', session, notice });
  }

  private log(event: FileLogEvent): void {
    this.config.emit({ type: 'log', event });
  }
}
