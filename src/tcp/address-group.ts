// Which source addresses count as one for the per-address connection limit. An IPv4 address is one host
// (or one NAT). An IPv6 host is usually given a whole /64 (RFC 6177's recommendation for an end site's
// subnet; SLAAC's interface ids fill the low 64 bits), so one machine can pick a fresh address for every
// connection: its /64 is the unit a limit must count. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a
// dual-stack socket reports for an IPv4 peer) is its IPv4 address.

/** The key the per-address limit counts `address` under: itself for IPv4, its /64 prefix for IPv6. */
export function addressGroup(address: string): string {
  if (!address.includes(':')) return address;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped !== null) return mapped[1]!;
  const hextets = expandIpv6(address);
  if (hextets === undefined) return address;
  return `${hextets.slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of an IPv6 address, lower case without leading zeros; undefined when it is not one. */
function expandIpv6(address: string): string[] | undefined {
  // A zone (fe80::1%eth0) names an interface, not part of the address.
  const plain = address.split('%')[0]!.toLowerCase();
  const halves = plain.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string): string[] => (part === '' ? [] : part.split(':'));
  const head = words(halves[0]!);
  const tail = halves.length === 2 ? words(halves[1]!) : [];
  // An embedded IPv4 tail (::1.2.3.4) is two hextets; it only ever sits in the low 64 bits.
  const last = tail.length > 0 ? tail[tail.length - 1]! : head[head.length - 1];
  const v4Words = last !== undefined && last.includes('.') ? 2 : 0;
  const given = head.length + tail.length - (v4Words > 0 ? 1 : 0) + v4Words;
  if (halves.length === 1 && given !== 8) return undefined;
  if (given > 8) return undefined;
  const zeros = new Array<string>(8 - given).fill('0');
  const all = [...head, ...zeros, ...tail].slice(0, 8);
  if (!all.slice(0, 4).every((w) => /^[0-9a-f]{1,4}$/.test(w))) return undefined;
  return all.map((w) => (/^[0-9a-f]{1,4}$/.test(w) ? w.replace(/^0+(?=.)/, '') : w));
}

/** The address of `ADDRESS:PORT` (a connection's `remote`, IPv6 unbracketed): what follows the last colon goes. */
export function hostOf(remote: string): string {
  const colon = remote.lastIndexOf(':');
  return colon < 0 ? remote : remote.slice(0, colon);
}
