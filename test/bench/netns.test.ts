import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { checkDropRules, dropThreshold, netnsUnavailable, nftRuleset, NFT_TABLE, withNetns } from '../../bench/lib/netns.ts';

describe('nft drop rules (text)', () => {
  it('drops to or from the listed ports once per packet, at the given percentage', () => {
    const text = nftRuleset([{ protocol: 'udp', ports: [7001, 7000, 7000], percent: 12.5 }]);
    expect(text).toContain(`table inet ${NFT_TABLE} {`);
    expect(text).toContain('type filter hook input priority filter; policy accept;');
    expect(text).toContain('meta l4proto udp th dport { 7000, 7001 } numgen random mod 10000 < 1250 counter drop');
    expect(text).toContain('meta l4proto udp th sport { 7000, 7001 } th dport != { 7000, 7001 } numgen random mod 10000 < 1250 counter drop');
    // Replaces whatever was there, in one transaction.
    expect(text.startsWith(`table inet ${NFT_TABLE}\ndelete table inet ${NFT_TABLE}\n`)).toBe(true);
  });

  it('without ports, drops every packet of the protocol; 0 % adds no rule', () => {
    const text = nftRuleset([
      { protocol: 'tcp', percent: 5 },
      { protocol: 'udp', ports: [9], percent: 0 },
    ]);
    expect(text).toContain('meta l4proto tcp numgen random mod 10000 < 500 counter drop');
    expect(text).not.toContain('meta l4proto udp');
    expect(dropThreshold(100)).toBe(10_000);
    expect(dropThreshold(0.01)).toBe(1);
  });

  it('names every bad field instead of writing a broken ruleset', () => {
    const bad = [
      { protocol: 'icmp' as 'udp', percent: 5 },
      { protocol: 'udp' as const, percent: 101 },
      { protocol: 'tcp' as const, ports: [0, 70_000, 1.5], percent: 1 },
    ];
    const errors = checkDropRules(bad);
    expect(errors).toEqual([
      'drop[0].protocol must be "udp" or "tcp" (got icmp)',
      'drop[1].percent must be a number from 0 to 100 (got 101)',
      'drop[2].ports: 0 is not a port (1–65535)',
      'drop[2].ports: 70000 is not a port (1–65535)',
      'drop[2].ports: 1.5 is not a port (1–65535)',
    ]);
    expect(() => nftRuleset(bad)).toThrow(RangeError);
  });
});

const unavailable = await netnsUnavailable({ needNft: true });

/** Sends `n` UDP datagrams to `port` inside the namespace, paced, and counts what arrives. */
const SENDER = `
const dgram = require('node:dgram');
const [n, port] = [Number(process.argv[1]), Number(process.argv[2])];
const rx = dgram.createSocket('udp4');
const tx = dgram.createSocket('udp4');
let got = 0;
let sent = 0;
rx.on('message', () => { got++; });
rx.bind(port, '127.0.0.1', () => {
  const payload = Buffer.alloc(200);
  const batch = () => {
    for (let i = 0; i < 50 && sent < n; i++, sent++) tx.send(payload, port, '127.0.0.1');
    if (sent < n) return setTimeout(batch, 1);
    // Quiescence: stop once nothing arrived for 3 checks in a row, or after 3 s at most.
    let last = -1, quiet = 0, checks = 0;
    const check = () => {
      quiet = got === last ? quiet + 1 : 0; last = got;
      if (quiet >= 3 || ++checks > 60) { console.log(JSON.stringify({ sent, got })); rx.close(); tx.close(); return; }
      setTimeout(check, 50);
    };
    check();
  };
  batch();
});
`;

describe.skipIf(unavailable !== undefined)(`network namespace with nftables loss${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`, () => {
  it('has its own loopback with the MTU asked for, drops ~the given share of UDP, and is gone afterwards', async () => {
    const port = 40_123;
    let name = '';
    await withNetns({ mtu: 1500, drop: [{ protocol: 'udp', ports: [port], percent: 30 }] }, async (ns) => {
      name = ns.name;
      expect(await ns.loopbackMtu()).toBe(1500);
      const r = await ns.run(process.execPath, ['-e', SENDER, '2000', String(port)], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).toBe(0);
      const { sent, got } = JSON.parse(r.stdout) as { sent: number; got: number };
      const dropped = await ns.droppedPackets();
      expect(sent).toBe(2000);
      // 30 % of 2000: mean 600, σ ≈ 20; ±100 is five σ.
      expect(dropped).toBeGreaterThan(500);
      expect(dropped).toBeLessThan(700);
      expect(got).toBeLessThanOrEqual(sent - dropped);
      expect(got).toBeGreaterThanOrEqual(0.9 * (sent - dropped));
      await ns.setDrop([]);
      expect(await ns.droppedPackets()).toBe(0);
    });
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(name);
  });
});
