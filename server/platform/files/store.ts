import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import { defineErrors } from '../errors.ts';

export const FileError = defineErrors('file', {
  too_large: [413, { 'zh-CN': '文件超过 {limit} 字节上限', 'zh-TW': '檔案超過 {limit} 位元組上限', en: 'The file exceeds the {limit}-byte limit' }],
  empty: [400, { 'zh-CN': '文件为空', 'zh-TW': '檔案為空', en: 'The file is empty' }],
  type_not_allowed: [415, { 'zh-CN': '不支持的文件类型 {type}', 'zh-TW': '不支援的檔案類型 {type}', en: 'File type {type} is not allowed' }],
  missing: [400, { 'zh-CN': '请求中没有文件', 'zh-TW': '請求中沒有檔案', en: 'The request carries no file' }],
});

export interface StoredFile {
  storageKey: string;
  sha256: string;
  size: number;
  /** What the bytes are, found by the server; the uploader's claim is never trusted. */
  contentType: string;
}

const ALLOWED = [/^image\/(png|jpeg|gif|webp|bmp|heic)$/, /^audio\//, /^video\/(mp4|webm|quicktime)$/, /^application\/pdf$/, /^application\/zip$/, /^application\/vnd\.openxmlformats-officedocument\./, /^application\/(msword|vnd\.ms-excel|vnd\.ms-powerpoint|x-cfb)$/, /^text\/plain$/];

/** Text has no magic number: valid UTF-8 without control characters other than whitespace counts as text. */
function looksLikeText(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 64 * 1024);
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(sample.length < bytes.length ? sample.subarray(0, sample.length - 4) : sample);
    return !/[\u0000-\u0008\u000e-\u001f]/.test(text);
  } catch {
    return false;
  }
}

export async function sniffContentType(bytes: Buffer): Promise<string> {
  const found = await fileTypeFromBuffer(bytes);
  if (found) return found.mime;
  return looksLikeText(bytes) ? 'text/plain' : 'application/octet-stream';
}

/**
 * Content-addressed files under `<dataDir>/files`: written to a temporary name, flushed to disk,
 * then renamed, so a file the database points to is complete even after a crash.
 */
export class FileStore {
  constructor(
    private readonly dataDir: string,
    readonly maxBytes: number,
  ) {}

  private pathOf(key: string): string {
    return path.join(this.dataDir, 'files', key.slice(0, 2), key.slice(2, 4), key);
  }

  /** Checks size and type, then stores; `allowed` narrows the accepted types (recordings: audio only). */
  async put(bytes: Buffer, allowed: RegExp[] = ALLOWED): Promise<StoredFile> {
    if (bytes.length === 0) throw FileError('empty');
    if (bytes.length > this.maxBytes) throw FileError('too_large', { params: { limit: this.maxBytes } });
    const contentType = await sniffContentType(bytes);
    if (!allowed.some((re) => re.test(contentType))) throw FileError('type_not_allowed', { params: { type: contentType } });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const target = this.pathOf(sha256);
    try {
      await fs.access(target);
    } catch {
      await fs.mkdir(path.dirname(target), { recursive: true });
      const temp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
      const handle = await fs.open(temp, 'w');
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, target);
    }
    return { storageKey: sha256, sha256, size: bytes.length, contentType };
  }

  read(storageKey: string): Promise<Buffer> {
    return fs.readFile(this.pathOf(storageKey));
  }
}
