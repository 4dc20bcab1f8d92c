// `[HOST:]PORT` as users type it in flags (`--listen`, `--target`, `--udp-via`).
import { parsePort } from '../commands/numbers.ts';

/** `[HOST:]PORT` → host and port; host defaults to 127.0.0.1 (never exposed unless asked). */
export function parseEndpoint(text: string, defaultHost: string | undefined): { host: string; port: number } | string {
  const colon = text.lastIndexOf(':');
  let host = colon < 0 ? defaultHost : text.slice(0, colon);
  const portText = colon < 0 ? text : text.slice(colon + 1);
  if (host?.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (!host) return `"${text}" needs a host (HOST:PORT)`;
  const port = parsePort(portText, 0);
  if (!port.ok) return `"${text}": ${port.message}`;
  return { host, port: port.value };
}
