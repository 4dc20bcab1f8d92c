// The file features' messages as data, both ways: what a client asks (FileRequest) and what the
// server tells it (FileNotice). The wiring maps them to command and reply lines (docs/files.md
// proposes the grammar); the coordinators (server-files.ts, client-files.ts) speak only these.
import type { ErrorCode } from '../commands/types.ts';
import type { ReceiveFailureCode } from './incoming.ts';
import type { SendFailureCode } from './outgoing.ts';

/** Client → server. */
export type FileRequest =
  /** `<download>NAME` */
  | { kind: 'download'; name: string }
  /** `<resume>OFFSET SIZE CRC NAME`: I hold OFFSET verified bytes of NAME as it was (SIZE, CRC). */
  | { kind: 'resume'; offset: number; size: number; crc: number; name: string }
  /** `<upload>SIZE CRC NAME` */
  | { kind: 'upload'; size: number; crc: number; name: string }
  /** `<sendfile>USER SIZE CRC NAME`, `<sendimage>USER SIZE CRC NAME` (image: true) */
  | { kind: 'sendfile'; to: string; size: number; crc: number; name: string; image: boolean }
  /** `<cancel>ID` */
  | { kind: 'cancel'; id: number }
  /** `<accept>ID`: ready to receive transfer ID (a download announced by `<sending>`, or an offer). */
  | { kind: 'accept'; id: number }
  /** `<decline>ID`: refuse a file offered to me. */
  | { kind: 'decline'; id: number }
  /** `<received>ID`: I verified and stored what transfer ID sent me. */
  | { kind: 'received'; id: number };

/** Why a transfer ended without success (the CODE of `<aborted>ID CODE MESSAGE`). */
export type AbortCode =
  | SendFailureCode
  | Exclude<ReceiveFailureCode, 'interrupted'>
  /** The recipient said no to a file sent to them. */
  | 'declined'
  /** The recipient did not answer an offer in time. */
  | 'expired'
  /** The other party went away (the sender of an upload, the recipient of a file sent to them). */
  | 'user-left'
  /** The server could not open, create or store a file. */
  | 'internal';

export const ABORT_CODES: readonly AbortCode[] = Object.freeze([
  'changed',
  'read-failed',
  'link-lost',
  'cancelled',
  'protocol',
  'size',
  'crc',
  'write-failed',
  'declined',
  'expired',
  'user-left',
  'internal',
]);

/** Which request a refusal answers (the REQUEST of `<refused>REQUEST CODE NAME - MESSAGE`). */
export type RefusedRequest = 'download' | 'upload' | 'sendfile';

/** Server → client; the wiring writes each as one reply line. */
export type FileNotice =
  /**
   * `<sending>ID SIZE CRC OFFSET NAME`: the download is ready as transfer ID, from OFFSET (0, or the
   * resume offset granted). Answer `<accept>ID` once ready to write; chunks flow from then on.
   */
  | { kind: 'sending'; id: number; size: number; crc: number; offset: number; name: string }
  /** `<queued>ID POSITION NAME`: the upload waits; POSITION 1 is next. Repeated when it moves up. */
  | { kind: 'queued'; id: number; position: number; name: string }
  /** `<ready>ID NAME`: send the bytes of NAME now, as transfer ID. */
  | { kind: 'ready'; id: number; name: string }
  /** `<stored>ID NAME`: the upload is verified and stored as NAME (numbered if the name was taken). */
  | { kind: 'stored'; id: number; name: string }
  /** `<offer>ID FROM SIZE CRC NAME`: FROM sends you NAME; `<accept>ID` (chunks follow) or `<decline>ID`. */
  | { kind: 'offer'; id: number; from: string; size: number; crc: number; name: string }
  /** `<delivered>ID USER NAME`: USER received and verified NAME. */
  | { kind: 'delivered'; id: number; to: string; name: string }
  /** `<aborted>ID CODE MESSAGE`: transfer ID is over without success; nothing partial is kept. */
  | { kind: 'aborted'; id: number; code: AbortCode; message: string }
  /** `<refused>REQUEST CODE NAME - MESSAGE`: a download, upload or sendfile of NAME refused at once. */
  | { kind: 'refused'; request: RefusedRequest; code: ErrorCode; name: string; message: string }
  /** `<error>CODE MESSAGE`: another file request (cancel, accept…) refused. */
  | { kind: 'error'; code: ErrorCode; message: string };

export type FileNoticeKind = FileNotice['kind'];
