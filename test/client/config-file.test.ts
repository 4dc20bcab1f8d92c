import { describe, expect, it } from 'vitest';
import { defaultSettingsPath, formatSettings, parseSettings } from '../../src/client/config-file.ts';

describe('the client settings file', () => {
  it('reads every setting through the flag’s own rules', () => {
    const text = '{"host": "chat.example.org", "tcp": 5000, "name": "alice", "udp": false, "ask": true, "tls": true, "ca": "/etc/ca.pem", "downloads": "dl"}';
    expect(parseSettings(text)).toEqual({
      ok: true,
      settings: { host: 'chat.example.org', tcp: 5000, name: 'alice', udp: false, ask: true, tls: true, ca: '/etc/ca.pem', downloads: 'dl' },
    });
    expect(parseSettings('{"tcp": "6000"}')).toEqual({ ok: true, settings: { tcp: 6000 } });
    expect(parseSettings('{"autoAccept": true}')).toEqual({ ok: true, settings: { autoAccept: true } });
    expect(parseSettings('{"autoAccept": "yes"}')).toMatchObject({ ok: false, problems: ['"autoAccept": true or false'] });
    expect(parseSettings('{"udpRetry": 0}')).toEqual({ ok: true, settings: { udpRetry: 0 } });
    expect(parseSettings('{"udpRetry": "120"}')).toEqual({ ok: true, settings: { udpRetry: 120 } });
    expect(parseSettings('{"udpRetry": 9999}')).toMatchObject({ ok: false, problems: ['"udpRetry": a whole number of seconds from 0 (never) to 600'] });
  });

  it('names every problem, and never keeps a password', () => {
    const r = parseSettings('{"tcp": 70000, "name": "bad name!", "tls": "yes", "colour": true, "password": "x"}');
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/"tcp": a port is a whole number from 1 to 65535/);
    expect(problems.join('\n')).toMatch(/"tls": true or false/);
    expect(problems.join('\n')).toMatch(/"colour": not a setting \(known: host, tcp, name/);
    expect(problems.join('\n')).toMatch(/"password": not kept in a file/);
    expect(parseSettings('[1]')).toMatchObject({ ok: false, problems: [expect.stringMatching(/one JSON object/)] });
    expect(parseSettings('{')).toMatchObject({ ok: false, problems: [expect.stringMatching(/^not JSON/)] });
  });

  it('writes what it reads, in a fixed order', () => {
    const settings = { name: 'bob', host: 'h', tcp: 5000, tls: false };
    const text = formatSettings(settings);
    expect(Object.keys(JSON.parse(text) as object)).toEqual(['host', 'tcp', 'name', 'tls']);
    expect(parseSettings(text)).toEqual({ ok: true, settings });
  });

  it('lives where XDG says', () => {
    expect(defaultSettingsPath({ XDG_CONFIG_HOME: '/x' }, '/home/u')).toBe('/x/dualchat/config.json');
    expect(defaultSettingsPath({}, '/home/u')).toBe('/home/u/.config/dualchat/config.json');
  });
});
