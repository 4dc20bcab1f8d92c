// /status says whether the session is encrypted: in the terminal's words and in the --json event.
import pc from 'picocolors';
import { describe, expect, it } from 'vitest';
import { toJsonEvent, toTerminalLines, type SecurityStatus, type StatusInfo } from '../../src/client/render.ts';

const ctx = { me: 'alice', now: 1_000, colors: pc.createColors(false) };
const status = (security: SecurityStatus | undefined): StatusInfo => ({
  host: 'h',
  port: 6697,
  name: 'alice',
  room: 'lobby',
  transport: 'udp',
  connectedAt: 0,
  udp: { state: 'bound', target: 'h:5001', reason: 'bound', srttMs: 1, minRttMs: 1, packetsSent: 1, packetsReceived: 1, packetsLost: 0, lossRate: 0, peerPacketsMissing: 0, peerPacketsSpanned: 1, inboundLossRate: 0, retransmissions: 0 },
  ...(security === undefined ? {} : { security }),
});

describe('/status and encryption', () => {
  it.each([
    [{ encrypted: true, verified: true }, 'security   encrypted: TLS, server certificate verified; datagrams sealed'],
    [{ encrypted: true, verified: false }, 'server NOT verified (--insecure)'],
    [{ encrypted: false, verified: null }, 'security   not encrypted (plain TCP, datagrams with a CRC only)'],
  ])('%o is shown as %s', (security, words) => {
    expect(toTerminalLines({ kind: 'status', status: status(security) }, ctx).join('\n')).toContain(words);
    expect(toJsonEvent({ kind: 'status', status: status(security) }, ctx)).toMatchObject({ type: 'status', encrypted: security.encrypted, verified: security.verified });
  });

  it('a status without the link’s word on it says nothing of encryption in JSON, and plain in words', () => {
    expect(toJsonEvent({ kind: 'status', status: status(undefined) }, ctx)).not.toHaveProperty('encrypted');
    expect(toTerminalLines({ kind: 'status', status: status(undefined) }, ctx).join('\n')).toContain('not encrypted');
  });
});
