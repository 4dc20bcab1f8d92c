// The data-plane machine's vocabulary: addresses, roles, states, and what it hands its shell (datagrams
// with their destination, events). Pure types and one comparison.
import type { TransportReason } from '../commands/types.ts';
import type { EngineStats, PeerViolation } from '../reliability/types.ts';
import type { Datagram } from '../wire/codec.ts';
import type { RefuseReasonName } from './hello.ts';

/** A UDP peer: an IP address (resolved) and a port. */
export interface Address {
  address: string;
  port: number;
}

export function sameAddress(a: Address, b: Address): boolean {
  return a.port === b.port && a.address === b.address;
}

/**
 * Which end of a binding a machine is. The client binds (hellos, retries, a binding timeout, rebind hellos
 * on silence) and never sends a close datagram; the server is offered, bound by a hello the shell verified,
 * and drops a client that is silent on both paths. Either end holds chat handed to it while moving to TCP.
 */
export type Role = 'client' | 'server';

/**
 * offered  (server) a connection id and token were given over TCP; no hello yet: chat on TCP.
 * binding  (client) hellos out every HELLO_RETRY_MS until helloOk (or data) comes back.
 * bound    chat over the engine.
 * syncing  this side gave up and sent its `<transport>`; chat waits for the peer's count.
 * tcp      for the rest of the session (a session binds once).
 */
export type PlaneState = 'offered' | 'binding' | 'bound' | 'syncing' | 'tcp';

/** Why a side gives up on UDP by itself (`requested` is only ever an answer). */
export type GiveUpReason = Exclude<TransportReason, 'requested'>;

/** A datagram the shell puts on its socket, and where to. */
export interface OutgoingDatagram extends Datagram {
  to: Address;
}

/** The engine stopped because the peer broke its protocol (as reason `lost`): how, for the log. */
export interface EngineClosed {
  violation: PeerViolation;
  detail: string;
}

/** Why the machine asks its shell to drop the session. */
export type DropCause =
  /** More chat waited for the move to TCP than the machine holds (the peer does not answer fast). */
  | { cause: 'held-overflow'; held: number }
  /** The engine holds more unacknowledged chat than allowed: the peer stopped reading. */
  | { cause: 'not-reading'; queued: number; bytes: number }
  /** (server) The engine declared the peer lost, and it did not answer over TCP within the sync timeout. */
  | { cause: 'silent' };

/** Something the machine tells its shell, in the order it happened. `T` is what the ledger keeps per chat item. */
export type PlaneEvent<T> =
  /** The binding completed; chat travels over UDP from now on. */
  | { type: 'bound'; peer: Address }
  /** A chat line from the peer over UDP: its text (undefined when not UTF-8) and size in bytes. */
  | { type: 'line'; line: string | undefined; bytes: number }
  /** A message on the bulk channel (a file chunk). */
  | { type: 'bulk'; data: Uint8Array }
  /** Packets from the peer were taken in: acknowledgements may have freed room for more to send. */
  | { type: 'room' }
  /**
   * The engine stopped and chat leaves UDP: this side gave up (`by: 'self'`, with its reason, and the
   * server's refusal if it was refused; `closed` when its engine stopped on the peer's broken protocol) or
   * the peer did (its `<transport>` arrived, with its reason). `engine`: the engine's last statistics, if it ran.
   */
  | {
      type: 'gave-up';
      by: 'self';
      reason: GiveUpReason;
      refuse?: RefuseReasonName;
      closed?: EngineClosed;
      wasBound: boolean;
      engine: EngineStats | undefined;
    }
  | { type: 'gave-up'; by: 'peer'; reason: TransportReason; wasBound: boolean; engine: EngineStats | undefined }
  /** Send `<transport>tcp RECEIVED REASON` over TCP. */
  | { type: 'send-transport'; received: number; reason: TransportReason }
  /** Send these over TCP, in order: what this side sent over UDP and the peer did not receive. */
  | { type: 'resend'; items: T[] }
  /**
   * Chat travels over TCP from now on. `held`: chat that waited meanwhile, to send over TCP now, in order
   * (after any resend). `synced`: false when the peer's count never came (the sync timeout ran out).
   */
  | { type: 'tcp'; synced: boolean; held: T[] }
  /** Drop the session (see DropCause). */
  | ({ type: 'drop' } & DropCause);

/** What became of a chat item handed to the machine. */
export type ChatSend =
  /** Queued on the engine (and kept in the ledger until acknowledged). */
  | 'sent'
  /** Held while chat moves to TCP: it comes back in the `tcp` event's `held`, in order. */
  | 'held'
  /** Not the machine's: chat travels over TCP, the caller sends it there. */
  | 'declined';

/** Where a chat item should go now (a client that orders its own commands asks before handing one over). */
export type ChatPath = 'udp' | 'hold' | 'tcp';
