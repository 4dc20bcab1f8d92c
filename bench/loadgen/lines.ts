// Cuts decoded TCP text into lines ("\n"-terminated, as the server writes them), keeping a partial
// line for the next chunk. The server caps lines (64 KiB), so the partial line is bounded too.
export class LineSplitter {
  private partial = '';

  /** The complete lines in `text` (after what was held), without their "\n". */
  push(text: string): string[] {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    return parts;
  }
}
