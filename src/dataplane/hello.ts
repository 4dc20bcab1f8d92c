// What the binding datagrams say, pure: why a hello is refused (the refuse body, one byte), what checking
// a hello's proof answers, and the path challenge's port. The proofs themselves — HMAC-SHA256 of the
// token, and the challenge's random bytes, which need node:crypto — are made and checked by
// src/udp/binding.ts, and handed in (a BindingProof to the binding table, hello and response bodies to
// the client's machine).
//
// refuse body:   reason u8 (RefuseReason)
// helloOk body:  empty, or one byte HELLO_OK_VALIDATED: the server has seen this address answer its
//                challenge (a client keeps probing until it hears so: src/dataplane/machine.ts)

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

/** The helloOk body's one flag: the address it goes to has answered its challenge. */
const HELLO_OK_VALIDATED = 1;
const NOT_VALIDATED = new Uint8Array(0);
const VALIDATED = Uint8Array.of(HELLO_OK_VALIDATED);

export function encodeHelloOk(validated: boolean): Uint8Array {
  return validated ? VALIDATED : NOT_VALIDATED;
}

/** Whether a helloOk says the address is validated (an empty body, as older servers send, does not). */
export function helloOkValidated(body: Uint8Array): boolean {
  return body[0] === HELLO_OK_VALIDATED;
}

/** A hello's proof checked: its nonce when the MAC is right. */
export type HelloCheck = { ok: true; nonce: bigint } | { ok: false; reason: 'malformed' | 'badMac' };

/** Checks a hello body against the token offered for `connectionId` (src/udp/binding.ts: verifyHello). */
export type HelloVerifier = (token: Uint8Array, connectionId: number, body: Uint8Array) => HelloCheck;

/**
 * What the binding table needs of the shell's cryptography: the hello's check, a fresh random challenge
 * for a path to validate, and the check of a response (the challenge it answers when its MAC under the
 * token is right, else undefined). src/udp/binding.ts: BINDING_PROOF.
 */
export interface BindingProof {
  verifyHello: HelloVerifier;
  newChallenge(): Uint8Array;
  verifyResponse(token: Uint8Array, connectionId: number, body: Uint8Array): Uint8Array | undefined;
}
