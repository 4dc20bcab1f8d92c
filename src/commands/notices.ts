// `<system>` texts that dualchat's client reads as well as shows: the bracket door words a rename this way
// (Python clients print it as it is), and the client learns from it that its own name changed.

const RENAMED_MIDDLE = ' is now known as ';

/** "alice is now known as Alicia". */
export function renamedNotice(from: string, to: string): string {
  return `${from}${RENAMED_MIDDLE}${to}`;
}

/** The names of a rename notice, or undefined for any other text. Names hold no blanks, so the split is exact. */
export function readRenamedNotice(text: string): { from: string; to: string } | undefined {
  const at = text.indexOf(RENAMED_MIDDLE);
  if (at <= 0) return undefined;
  const from = text.slice(0, at);
  const to = text.slice(at + RENAMED_MIDDLE.length);
  return to === '' || /\s/.test(from) || /\s/.test(to) ? undefined : { from, to };
}
