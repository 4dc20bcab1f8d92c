// A data-plane machine (src/dataplane/machine.ts) on the engine driver's one timer heap, on real time:
// the glue both shells share — the server's one per session (src/server/udp-plane.ts), the client's one
// (src/udp/client-plane.ts). Inputs go to the machine with the driver's clock and wake it (serviced at the
// end of the turn, so what one turn sends shares packets); control-plane inputs are flushed at once, so
// their `<transport>` answer and resends leave before the caller's next line.
import type { TransportReason } from '../commands/types.ts';
import type { DataPlaneMachine } from '../dataplane/machine.ts';
import type { Address, ChatSend, OutgoingDatagram, PlaneEvent } from '../dataplane/types.ts';
import type { Datagram } from '../wire/codec.ts';
import type { Driven, EngineDriver } from './engine-driver.ts';

/** The bulk channel (file chunks) of the engine running when it was asked for: dead once that engine stops. */
export interface ChannelLink {
  /** True while the engine this link was made on still runs. */
  readonly alive: boolean;
  /** Messages queued on the engine and not yet acknowledged (every channel). */
  queued(): number;
  /** Queue a message on the channel; false when the engine is gone. */
  send(data: Uint8Array): boolean;
}

export class DrivenPlane<T> {
  private readonly driven: Driven<OutgoingDatagram, PlaneEvent<T>>;

  constructor(
    readonly machine: DataPlaneMachine<T>,
    private readonly driver: EngineDriver,
    transmit: (datagram: OutgoingDatagram) => void,
    event: (event: PlaneEvent<T>) => void,
  ) {
    this.driven = driver.drive(machine, { transmit, event });
  }

  /** A datagram from `from` (the client's shell; the server's goes through its demultiplexer, then wake()). */
  input(datagram: Datagram, from: Address): void {
    this.machine.handleDatagram(datagram, from, this.driver.now());
    this.driven.wake();
  }

  sendChat(item: T, data: Uint8Array): ChatSend {
    const result = this.machine.sendChat(item, data, this.driver.now());
    this.driven.wake();
    return result;
  }

  /** The peer's `<transport>` (see DataPlaneMachine.handlePeerTransport); its consequences are handled before this returns. */
  peerTransport(received: number, reason: TransportReason): boolean {
    const answered = this.machine.handlePeerTransport(received, reason, this.driver.now());
    this.driven.flush();
    return answered;
  }

  /** The bulk channel now, or undefined unless bound. */
  bulkLink(): ChannelLink | undefined {
    if (this.machine.state !== 'bound') return undefined;
    const { machine, driver, driven } = this;
    // A session binds once: the engine running now is the only one, and once the machine leaves `bound`
    // it is gone for good.
    return {
      get alive() {
        return machine.state === 'bound' && !driven.detached;
      },
      queued: () => machine.queuedMessages(),
      send: (data) => {
        const ok = !driven.detached && machine.sendBulk(data, driver.now());
        driven.wake();
        return ok;
      },
    };
  }

  /** Inputs were handed to the machine directly (or the owner can take held messages again): service it soon. */
  wake(): void {
    this.driven.wake();
  }

  /** Service it now: its datagrams out, its events handled. */
  flush(): void {
    this.driven.flush();
  }

  /** The session ended: the machine closes (a bound server's close datagram leaves now) and is no longer driven. */
  close(): void {
    this.machine.close();
    this.driven.flush();
    this.driven.detach();
  }
}
