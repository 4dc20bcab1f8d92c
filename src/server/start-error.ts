// Why the server could not start, in one line a person can act on (no stack trace needed).

export class ServerStartError extends Error {
  override readonly name = 'ServerStartError';
}

const BIND_CAUSES: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use (is another server running?)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine’s',
  ENOTFOUND: 'unknown host name',
  EAI_AGAIN: 'the host name could not be resolved now',
  EAFNOSUPPORT: 'address family not supported',
  EINVAL: 'invalid address',
};

/** "cannot listen on TCP 0.0.0.0:5000: the port is already in use (…) [EADDRINUSE]" */
export function bindError(protocol: 'TCP' | 'UDP' | 'IRC' | 'IRC TLS', host: string, port: number, error: unknown): ServerStartError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const cause = (code !== undefined ? BIND_CAUSES[code] : undefined) ?? messageOf(error);
  const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new ServerStartError(`cannot listen on ${protocol} ${where}: ${cause}${code !== undefined ? ` [${code}]` : ''}`);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
