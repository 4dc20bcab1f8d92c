// What a password may be (the hub checks it before any hash is computed; the store hashes it).
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from './limits.ts';
import { codePointLength } from './names.ts';

export type PasswordCheck = { ok: true } | { ok: false; message: string };

const NOT_ALLOWED = /[\s\u0000-\u001f\u007f-\u009f]/u;
const RULE = `passwords are ${PASSWORD_MIN_LENGTH}–${PASSWORD_MAX_LENGTH} characters without spaces`;

/** A password's shape; the message never quotes the password. */
export function checkPassword(password: string): PasswordCheck {
  const length = codePointLength(password);
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) return { ok: false, message: `the password has ${length} characters: ${RULE}` };
  if (NOT_ALLOWED.test(password)) return { ok: false, message: `the password contains a space or a control character: ${RULE}` };
  return { ok: true };
}
