// Validation of the client's command-line flags, pure: each returns the value or a message saying
// what is expected. The commander shell (src/cli/client.ts) turns a message into its usage error.

import { parsePort } from '../commands/numbers.ts';
import { UDP_RETRY_MAX_MS } from './constants.ts';

export type FlagResult<T> = { ok: true; value: T } | { ok: false; message: string };

/** A TCP port to connect to: a whole number 1–65535 (port 0 means "any" when binding, never a target). */
export function parsePortFlag(text: string): FlagResult<number> {
  return parsePort(text, 1);
}

/** A host name or address: non-empty, no blanks or control characters. */
export function parseHostFlag(text: string): FlagResult<string> {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, message: 'host must not be empty' };
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(trimmed)) return { ok: false, message: `host ${JSON.stringify(text)} contains blanks or control characters` };
  return { ok: true, value: trimmed };
}

/**
 * A name to sign in with. The server decides what names are valid (and says why it refuses one);
 * here only what could not even be sent as one `<connect>NAME` line is refused: an empty name,
 * blanks, control characters, angle brackets or commas (argument separators of the command syntax).
 */
export function parseNameFlag(text: string): FlagResult<string> {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, message: 'name must not be empty' };
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f<>,]/.test(trimmed)) {
    return { ok: false, message: `name ${JSON.stringify(text)} must not contain blanks, control characters, <, > or commas` };
  }
  return { ok: true, value: trimmed };
}

/**
 * `--udp-via [HOST:]PORT`: where to send datagrams instead of the server (an impairment proxy). HOST is
 * optional (the server's host then); an IPv6 address is written in brackets (`[::1]:7000`).
 */
export function parseUdpViaFlag(text: string): FlagResult<{ host: string | undefined; port: number }> {
  const trimmed = text.trim();
  const colon = trimmed.lastIndexOf(':');
  const hostPart = colon < 0 ? undefined : trimmed.slice(0, colon);
  const portPart = colon < 0 ? trimmed : trimmed.slice(colon + 1);
  const port = parsePortFlag(portPart);
  if (!port.ok) return { ok: false, message: `--udp-via ${JSON.stringify(text)}: ${port.message}` };
  if (hostPart === undefined) return { ok: true, value: { host: undefined, port: port.value } };
  const unbracketed = hostPart.startsWith('[') && hostPart.endsWith(']') ? hostPart.slice(1, -1) : hostPart;
  const host = parseHostFlag(unbracketed);
  if (!host.ok) return { ok: false, message: `--udp-via ${JSON.stringify(text)}: ${host.message}` };
  return { ok: true, value: { host: host.value, port: port.value } };
}

/** A directory path (created later if missing): non-empty, no control characters. */
export function parseDirFlag(text: string): FlagResult<string> {
  if (text.trim().length === 0) return { ok: false, message: 'a directory must not be empty' };
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) return { ok: false, message: `directory ${JSON.stringify(text)} contains control characters` };
  return { ok: true, value: text };
}

/** `--udp-retry SECONDS`: a whole number of seconds, 0 (never) to UDP_RETRY_MAX_MS / 1000. */
export function parseUdpRetryFlag(text: string): FlagResult<number> {
  const n = Number(text);
  const max = UDP_RETRY_MAX_MS / 1000;
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n > max) return { ok: false, message: `a whole number of seconds from 0 (never) to ${max}` };
  return { ok: true, value: n };
}
