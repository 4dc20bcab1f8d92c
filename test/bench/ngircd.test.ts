// ngircd as the fanout suite starts it: the generated config, the free port, and (when ngircd is
// installed) a start on that port, its pid and its CPU time, and a stop that leaves nothing behind.
import { existsSync } from 'node:fs';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort, Ngircd, ngircdConfig, ngircdUnavailable, ngircdVersion } from '../../bench/lib/ngircd.ts';
import { processCpuMs } from '../../bench/lib/process-cpu.ts';

const noNgircd = ngircdUnavailable();

describe('ngircd', () => {
  it('the config turns its flood penalties and limits off and listens where asked', () => {
    const text = ngircdConfig({ host: '127.0.0.1', port: 6699, pidFile: '/tmp/x/ngircd.pid' });
    for (const line of ['Listen = 127.0.0.1', 'Ports = 6699', 'PidFile = /tmp/x/ngircd.pid', 'MaxConnections = 0', 'MaxConnectionsIP = 0', 'MaxJoins = 0', 'MaxPenaltyTime = 0', 'PingTimeout = 600', 'DNS = no', 'Ident = no', 'PAM = no']) {
      expect(text).toContain(`\t${line}\n`);
    }
    expect(text.indexOf('[Global]')).toBeLessThan(text.indexOf('[Limits]'));
    expect(text.indexOf('[Limits]')).toBeLessThan(text.indexOf('[Options]'));
    expect(() => ngircdConfig({ host: '127.0.0.1', port: 0, pidFile: 'p' })).toThrow(/port from 1 to 65535/);
  });

  it('finds a port nobody listens on', async () => {
    const port = await freePort('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.skipIf(noNgircd !== undefined)(`starts on a free port, answers IRC, and stops${noNgircd === undefined ? '' : ` — SKIPPED: ${noNgircd}`}`, { timeout: 30_000 }, async () => {
    expect(ngircdVersion()).toMatchObject({ version: expect.stringMatching(/^ngIRCd \d/) });
    const irc = await Ngircd.start({ host: '127.0.0.1', startTimeoutMs: 10_000 });
    try {
      const greeting = await new Promise<string>((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: irc.port });
        let text = '';
        const timer = setTimeout(() => reject(new Error(`no welcome within 10 s: ${text}`)), 10_000);
        s.setEncoding('utf8').on('data', (d: string) => {
          text += d;
          if (text.includes(' 001 ')) {
            clearTimeout(timer);
            s.destroy();
            resolve(text);
          }
        });
        s.once('error', reject);
        s.write('NICK probe\r\nUSER probe 0 * probe\r\n');
      });
      expect(greeting).toMatch(/^:bench\.invalid 001 probe /m);
      expect(processCpuMs(irc.pid)).toBeGreaterThanOrEqual(0);
    } finally {
      await irc.stop();
    }
    expect(irc.ended).toBe(true);
    expect(existsSync(`/proc/${irc.pid}`)).toBe(false);
  });
});
