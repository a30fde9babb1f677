import type { FastifyRequest } from 'fastify';
import { FileError } from './store.ts';

export interface Upload {
  fileName: string;
  bytes: Buffer;
  /** Form fields sent before the file part. */
  fields: Record<string, string>;
}

/** Reads the one file of a multipart request; over the size limit is a 413, no file a 400. */
export async function readUpload(req: FastifyRequest, maxBytes: number): Promise<Upload> {
  if (!req.isMultipart()) throw FileError('missing');
  let part;
  try {
    part = await req.file();
  } catch (cause) {
    throw FileError('missing', { cause });
  }
  if (!part) throw FileError('missing');
  let bytes: Buffer;
  try {
    bytes = await part.toBuffer();
  } catch (cause) {
    if ((cause as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw FileError('too_large', { params: { limit: maxBytes } });
    throw cause;
  }
  const fields: Record<string, string> = {};
  for (const [name, field] of Object.entries(part.fields)) {
    const f = Array.isArray(field) ? field[0] : field;
    if (f && f.type === 'field' && typeof f.value === 'string') fields[name] = f.value;
  }
  return { fileName: part.filename, bytes, fields };
}

/** No paths, no control characters; the name is only ever shown and offered back on download. */
export function sanitiseFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f"]/g, '').trim().slice(0, 200);
  return clean || 'file';
}

/** Headers of a download: the stored type, the name as uploaded, never sniffed into something else. */
export function downloadHeaders(contentType: string, fileName: string): Record<string, string> {
  return { 'content-type': contentType, 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`, 'x-content-type-options': 'nosniff' };
}
