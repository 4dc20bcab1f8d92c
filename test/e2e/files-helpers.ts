// Helpers for the file-transfer e2e tests: a server with its own shared directory and file limits,
// clients whose downloads and received files go to their own temporary directories, files of known
// content, and hashes to compare (never a fixed sleep: every wait is on an event with a deadline).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/server.ts';
import { spawnClient, type ClientProcess, type JsonObject } from './client-helpers.ts';

export interface FileServer {
  server: RunningServer;
  port: number;
  filesDir: string;
  close(): Promise<void>;
}

/** A server on 127.0.0.1 (ports 0) sharing a fresh directory holding `files`. */
export async function fileServer(files: Record<string, Uint8Array | string>, options: ServerOptions = {}): Promise<FileServer> {
  const filesDir = await mkdtemp(path.join(os.tmpdir(), 'dualchat-files-e2e-'));
  for (const [name, content] of Object.entries(files)) await writeFile(path.join(filesDir, name), content);
  const server = await startServer({ host: '127.0.0.1', tcpPort: 0, udpPort: 0, filesDir, logger: pino({ level: 'silent' }), ...options });
  return {
    server,
    port: server.tcpPort,
    filesDir,
    close: async () => {
      await server.close();
      await rm(filesDir, { recursive: true, force: true });
    },
  };
}

/** A fresh temporary directory (removed by the returned function). */
export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `dualchat-${prefix}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface FileClient {
  client: ClientProcess;
  downloads: string;
  received: string;
}

/**
 * A signed-in `--json` client with its own downloads and received directories (under `home`), awaited
 * until welcomed — and, unless `--no-udp` is among `args`, until chat (and files) travel over UDP.
 */
export async function fileClient(port: number, name: string, home: string, args: string[] = []): Promise<FileClient> {
  const downloads = path.join(home, `${name}-downloads`);
  const received = path.join(home, `${name}-received`);
  const client = spawnClient(['--tcp', String(port), '--name', name, '--json', '--downloads', downloads, '--received', received, ...args]);
  await client.waitFor((e) => e.type === 'welcome', `welcome for ${name}`);
  if (!args.includes('--no-udp')) await client.waitFor((e) => e.type === 'transport' && e.transport === 'udp', `${name} bound over UDP`);
  return { client, downloads, received };
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256File(file: string): Promise<string> {
  return sha256(await readFile(file));
}

/** Random bytes (content that no transport bug could reproduce by accident). */
export function randomFile(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}

export const MIB = 1024 * 1024;

/** The event of type `type` for transfer `name` (any fields more). */
export const fileEvent =
  (type: string, name: string, fields: Record<string, unknown> = {}) =>
  (e: JsonObject): boolean =>
    e.type === type && e.name === name && Object.entries(fields).every(([k, v]) => e[k] === v);

/** Names in `dir` (hidden temporary files included), sorted; [] when it does not exist. */
export async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}
