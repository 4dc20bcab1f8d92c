// The slice of udx-native's API (a CommonJS package without type declarations) the benchmarks use:
// sockets, and reliable streams between known stream ids (no handshake). See its README.
declare module 'udx-native' {
  import type { Duplex } from 'node:stream';

  interface UdxAddress {
    host: string;
    family: number;
    port: number;
  }

  interface UdxSocket {
    readonly bound: boolean;
    bind(port?: number, host?: string): void;
    address(): UdxAddress;
    close(): Promise<void>;
    on(event: 'error', listener: (error: Error) => void): this;
  }

  interface UdxStream extends Duplex {
    readonly id: number;
    readonly rtt: number;
    readonly cwnd: number;
    readonly inflight: number;
    readonly mtu: number;
    connect(socket: UdxSocket, remoteId: number, port: number, host?: string): void;
  }

  class UDX {
    constructor();
    createSocket(opts?: { ipv6Only?: boolean; reuseAddress?: boolean }): UdxSocket;
    createStream(id: number, opts?: { framed?: boolean; seq?: number }): UdxStream;
  }

  export type { UdxSocket, UdxStream, UdxAddress };
  export default UDX;
}
