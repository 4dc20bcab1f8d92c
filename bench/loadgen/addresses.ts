// Source addresses for simulated clients: the server allows MAX_CONNECTIONS_PER_ADDRESS connections
// per source address (loopback included), so the load generator spreads its sessions over
// 127.0.0.0/8 — every address in it reaches the loopback interface on Linux — binding each TCP
// socket's local address to 127.x.y.z. Pure: an index in, an address out.

/** Addresses per /24 used: .1 to .254 (no .0 or .255, which read like network and broadcast). */
const HOSTS_PER_BLOCK = 254;
/** Second octet starts at 1: 127.0.0.0/16 is left to ordinary tools and tests (127.0.0.1). */
const FIRST_SECOND_OCTET = 1;

/** The k-th source address (k ≥ 0): 127.1.0.1, 127.1.0.2, …, 127.1.0.254, 127.1.1.1, … */
export function sourceAddress(k: number): string {
  if (!Number.isSafeInteger(k) || k < 0) throw new RangeError(`address index must be a whole number ≥ 0, got ${k}`);
  const host = 1 + (k % HOSTS_PER_BLOCK);
  const block = Math.floor(k / HOSTS_PER_BLOCK);
  const third = block % 256;
  const second = FIRST_SECOND_OCTET + Math.floor(block / 256);
  if (second > 255) throw new RangeError(`address index ${k} is beyond 127.255.255.254`);
  return `127.${second}.${third}.${host}`;
}

/** The source address of session `i` when each address carries `perAddress` sessions. */
export function sessionAddress(i: number, perAddress: number, offset = 0): string {
  if (!Number.isSafeInteger(perAddress) || perAddress < 1) throw new RangeError(`perAddress must be a whole number ≥ 1, got ${perAddress}`);
  return sourceAddress(offset + Math.floor(i / perAddress));
}
