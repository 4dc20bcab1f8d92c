// Who is an operator: the sessions that gave the server's operator password (`<oper>PASSWORD`, IRC's
// OPER), and — when the operator chooses so — every connection from this machine (a loopback address).
// An operator's `<stats>` is the whole server's (every user's link, memory, CPU); anyone else's is their
// own link. Pure: the hub keeps the flag, the shell words the answer.

export interface OperatorRules {
  /** The password `<oper>` takes (`--operator-password`); undefined: nobody becomes an operator that way. */
  password: string | undefined;
  /** Connections from a loopback address are operators (`--operator-local`). */
  local: boolean;
}

export const NO_OPERATORS: OperatorRules = Object.freeze({ password: undefined, local: false });

/** 127.0.0.0/8, ::1, and 127.x written as an IPv4-mapped IPv6 address (how a dual-stack socket names it). */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
