/**
 * The two customer calls that are not JSON in and out — a multipart upload and a file download —
 * with the same failures as the typed client (ApiError with the server's code and field).
 */
import i18n from '../../i18n/index.ts';
import { ApiError, sessionGone, type Reply } from '../../api/client.ts';
import type { paths } from '../../../generated/openapi';

export type CustomerImport = Reply<'get', '/api/customers/imports/{id}'>;
export type ExportQuery = NonNullable<paths['/api/customers/exports']['get']['parameters']['query']>;

async function failure(res: Response): Promise<ApiError> {
  try {
    const { error } = (await res.json()) as { error: { code: string; message: string; field?: string } };
    if (res.status === 401) sessionGone();
    return new ApiError(res.status, error.code, error.message, error.field);
  } catch {
    return new ApiError(res.status, 'client.bad_response', i18n.t('errors.badResponse', { status: res.status }));
  }
}

async function send(url: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, credentials: 'same-origin', headers: { 'accept-language': i18n.language, ...init.headers } });
  } catch (cause) {
    if ((cause as Error).name === 'AbortError') throw cause;
    throw new ApiError(0, 'client.network', i18n.t('errors.network'));
  }
  if (!res.ok) throw await failure(res);
  return res;
}

/** C5: 201 with the finished import for a small file, 202 with a queued one for a large file. */
export async function uploadImport(file: File, mode: CustomerImport['mode']): Promise<CustomerImport> {
  const form = new FormData();
  // The mode goes first: the server reads the parts in order and the file may be large.
  form.append('mode', mode);
  form.append('file', file, file.name);
  const res = await send('/api/customers/imports', { method: 'POST', body: form, headers: { accept: 'application/json' } });
  return (await res.json()) as CustomerImport;
}

function fileNameOf(disposition: string | null, fallback: string): string {
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '');
  if (extended) return decodeURIComponent(extended[1]!);
  return /filename="([^"]+)"/i.exec(disposition ?? '')?.[1] ?? fallback;
}

/** Saves bytes under a name through a temporary link, as a download the browser handles. */
export function saveFile(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** C5/C4: the export is fetched first, so a refusal shows as a message instead of an error page. Answers the row count. */
export async function downloadExport(query: ExportQuery): Promise<number> {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') search.set(k, String(v));
  const res = await send(`/api/customers/exports?${search}`, { method: 'GET' });
  saveFile(await res.blob(), fileNameOf(res.headers.get('content-disposition'), `customers.${query.format ?? 'csv'}`));
  return Number(res.headers.get('x-kefu-rows') ?? 0);
}
