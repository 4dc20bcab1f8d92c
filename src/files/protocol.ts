// The file features' messages as data, both ways: what a client asks (FileRequest) and what the
// server tells it (FileNotice). The wiring maps them to command and reply lines (docs/files.md
// proposes the grammar); the coordinators (server-files.ts, client-files.ts) speak only these.
import { formatCommand } from '../commands/command-syntax.ts';
import { ABORT_CODE_MEANINGS, formatTransferCommand } from '../commands/transfer-syntax.ts';
import type { AbortCode, ErrorCode, FileReply } from '../commands/types.ts';
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

/**
 * Why a transfer ended without success (the CODE of `<aborted>ID CODE MESSAGE`). The grammar owns
 * the list (src/commands/types.ts); every failure a sender or receiver reports must be one of them.
 */
export type { AbortCode, RefusedRequest } from '../commands/types.ts';

type ReportedFailure = SendFailureCode | Exclude<ReceiveFailureCode, 'interrupted'>;
/** Compile-time check: a failure code the transfers report that the grammar cannot carry is a type error here. */
const FAILURES_ARE_ABORT_CODES: ReportedFailure extends AbortCode ? true : never = true;
void FAILURES_ARE_ABORT_CODES;

export const ABORT_CODES: readonly AbortCode[] = Object.freeze(Object.keys(ABORT_CODE_MEANINGS) as AbortCode[]);

/** Server → client; the wiring writes each as one reply line (`error` as an `<error>` reply). */
export type FileNotice = FileReply | { kind: 'error'; code: ErrorCode; message: string };

export type FileNoticeKind = FileNotice['kind'];

/**
 * A request as its command line (no terminator): `<download>`, `<upload>`, `<sendfile>` and
 * `<cancel>` are Commands (the hub's), the others TransferCommands. Never throws.
 */
export function formatFileRequest(r: FileRequest): string {
  switch (r.kind) {
    case 'download':
      return formatCommand({ kind: 'download', file: r.name });
    case 'upload':
      return formatCommand({ kind: 'upload', name: r.name, size: r.size, crc: r.crc });
    case 'sendfile':
      return r.image
        ? formatTransferCommand({ kind: 'sendimage', to: r.to, size: r.size, crc: r.crc, name: r.name })
        : formatCommand({ kind: 'sendfile', to: r.to, size: r.size, crc: r.crc, name: r.name });
    case 'cancel':
      return formatCommand({ kind: 'cancel', id: String(r.id) });
    case 'resume':
    case 'accept':
    case 'decline':
    case 'received':
      return formatTransferCommand(r);
  }
}
