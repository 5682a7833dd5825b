/**
 * The files directory: firmware images admins upload (`firmware/<id>`) and diagnostics files
 * chargers upload (`diagnostics/<jobId>`). Writes stream to a temporary name and are renamed once
 * complete, so a reader never sees half a file; a body over the limit is cut off with 413.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { CsmsError } from '../domain/errors.ts';

export type FileArea = 'firmware' | 'diagnostics';

export interface StoredFile {
  bytes: number;
  sha256: string;
}

export interface FileStore {
  /** Creates the directories (or the temporary directory); no I/O before. */
  start(): Promise<void>;
  /** Deletes a temporary directory; a configured one is kept. */
  close(): Promise<void>;
  /** Streams `body` into `area/name`; CSMS_ERR_TOO_LARGE once it passes `maxBytes` (nothing is kept). */
  write(area: FileArea, name: string, body: Readable, maxBytes: number): Promise<StoredFile>;
  /** Deletes a file (one the database does not name after all); a missing one is no error. */
  remove(area: FileArea, name: string): Promise<void>;
  /** The file and its size, or null when there is none. */
  open(area: FileArea, name: string): Promise<{ stream: Readable; bytes: number } | null>;
  readonly dir: string | null;
}

/** `dir` null: a temporary directory, deleted at close (an in-memory database's files). */
export function createFileStore(dir: string | null): FileStore {
  let root: string | null = dir;
  const temporary = dir === null;
  const pathOf = (area: FileArea, name: string): string => {
    if (!root) throw new CsmsError('CSMS_ERR_NOT_READY', 'the files directory is not open');
    // Names are ids and job ids we made; anything else would be a bug, never a path.
    if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new CsmsError('CSMS_ERR_INTERNAL', `bad file name ${name}`);
    return join(root, area, name);
  };

  return {
    get dir() {
      return root;
    },
    async start() {
      root ??= await mkdtemp(join(tmpdir(), 'ev-csms-files-'));
      await mkdir(join(root, 'firmware'), { recursive: true });
      await mkdir(join(root, 'diagnostics'), { recursive: true });
    },
    async close() {
      if (temporary && root) await rm(root, { recursive: true, force: true });
      if (temporary) root = null;
    },
    async write(area, name, body, maxBytes) {
      const target = pathOf(area, name);
      const partial = `${target}.${process.pid}.${Date.now()}.part`;
      const out = createWriteStream(partial);
      const hash = createHash('sha256');
      let bytes = 0;
      try {
        await new Promise<void>((resolve, reject) => {
          body.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (bytes > maxBytes) {
              body.pause();
              reject(new CsmsError('CSMS_ERR_TOO_LARGE', `more than ${maxBytes} bytes`, { maxBytes }));
              return;
            }
            hash.update(chunk);
            if (!out.write(chunk)) {
              body.pause();
              out.once('drain', () => body.resume());
            }
          });
          let ended = false;
          body.once('end', () => {
            ended = true;
            out.end(() => resolve());
          });
          body.once('error', reject);
          // A client that goes away mid-body: no 'end' will come.
          body.once('close', () => {
            if (!ended) reject(new CsmsError('CSMS_ERR_VALIDATION', 'the upload was interrupted'));
          });
          out.once('error', reject);
        });
        await rename(partial, target);
        return { bytes, sha256: hash.digest('hex') };
      } catch (err) {
        out.destroy();
        await rm(partial, { force: true });
        throw err;
      }
    },
    async remove(area, name) {
      await rm(pathOf(area, name), { force: true });
    },
    async open(area, name) {
      const path = pathOf(area, name);
      const info = await stat(path).catch(() => null);
      if (!info) return null;
      return { stream: createReadStream(path), bytes: info.size };
    },
  };
}
