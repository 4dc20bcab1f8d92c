// What the binding datagrams say, pure: why a hello is refused (the refuse body, one byte) and what
// checking a hello's proof answers. The proof itself — HMAC-SHA256 of the token, which needs
// node:crypto — is made and checked by src/udp/binding.ts, and handed in (a HelloVerifier to the binding
// table, a hello body to the client's machine).
//
// refuse body:  reason u8 (RefuseReason)

export const RefuseReason = {
  unknownConnection: 1,
  badMac: 2,
  replayed: 3,
  malformed: 4,
} as const;
export type RefuseReasonName = keyof typeof RefuseReason;

export function encodeRefuse(reason: RefuseReasonName): Uint8Array {
  return Uint8Array.of(RefuseReason[reason]);
}

export function decodeRefuse(body: Uint8Array): RefuseReasonName | undefined {
  const code = body[0];
  return (Object.keys(RefuseReason) as RefuseReasonName[]).find((k) => RefuseReason[k] === code);
}

/** A hello's proof checked: its nonce when the MAC is right. */
export type HelloCheck = { ok: true; nonce: bigint } | { ok: false; reason: 'malformed' | 'badMac' };

/** Checks a hello body against the token offered for `connectionId` (src/udp/binding.ts: verifyHello). */
export type HelloVerifier = (token: Uint8Array, connectionId: number, body: Uint8Array) => HelloCheck;
