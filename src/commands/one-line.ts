// Every command and reply is one line: a field must never carry a line break onto the wire.

const LINE_BREAK = /[\r\n]/g;

/** True if `s` contains CR or LF. */
export function hasLineBreak(s: string): boolean {
  return s.includes('\n') || s.includes('\r');
}

/**
 * Replaces each CR and each LF with one space. The formatters call this on every free-text field,
 * so a hub bug can never split one reply into two lines; values without CR/LF pass unchanged.
 */
export function toOneLine(s: string): string {
  return s.replace(LINE_BREAK, ' ');
}
