// The answer to a file command handed over by the hub. `<listfiles>` lists the shared directory;
// transfers (download, upload, sendfile, cancel) are refused until the files issue builds them.
import type { FileCommand } from '../chat/hub.ts';
import type { Reply } from '../commands/types.ts';
import { listSharedFiles } from '../files/shared-dir.ts';
import { FILE_TRANSFERS_UNAVAILABLE } from './constants.ts';
import { messageOf } from './start-error.ts';

export interface FileAnswer {
  reply: Reply;
  /** Set when the shared directory could not be read: for the operator's log. */
  failure?: string;
}

/** Never rejects: a failure becomes an `internal` error reply. */
export async function answerFileCommand(command: FileCommand, filesDir: string): Promise<FileAnswer> {
  if (command.kind !== 'listfiles') {
    return { reply: { kind: 'error', code: 'refused', message: FILE_TRANSFERS_UNAVAILABLE } };
  }
  try {
    return { reply: { kind: 'files', files: await listSharedFiles(filesDir) } };
  } catch (error) {
    return {
      reply: { kind: 'error', code: 'internal', message: 'the shared directory cannot be read right now' },
      failure: messageOf(error),
    };
  }
}
