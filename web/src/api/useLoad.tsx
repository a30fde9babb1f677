import { useCallback, useEffect, useRef, useState } from 'react';
import { Alert, Button } from 'antd';
import { useTranslation } from 'react-i18next';
import { ApiError } from './client.ts';

/** Cancelled loads (a closed page, a newer search, a sign-out) are not failures. */
export const isAbort = (err: unknown): boolean => (err as Error | null)?.name === 'AbortError';

export const asApiError = (err: unknown): ApiError => (err instanceof ApiError ? err : new ApiError(0, 'client.network', String(err)));

/**
 * Loads whenever `load` changes (its dependencies) or `reload` is called; a newer load cancels the
 * older one. The last good data stays on screen while a reload runs or fails.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(true);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    load(controller.signal)
      .then((v) => {
        setData(v);
        setError(null);
        setLoading(false);
      })
      .catch((err: unknown) => {
        if (controller.signal.aborted || isAbort(err)) return;
        setError(asApiError(err));
        setLoading(false);
      });
    return () => controller.abort();
  }, [load, attempt]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { data, setData, error, loading, reload };
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * A cursor-paged list: the first page loads whenever `fetchPage` changes (its query) or `refresh`
 * does (a reconnect generation, a change made elsewhere); `more` appends the next page. Each load
 * cancels the one before, so a page of an older query never lands in a newer list.
 */
export function usePaged<T>(fetchPage: (cursor: string | null, signal: AbortSignal) => Promise<Page<T>>, refresh: unknown = 0, opts: { clearOnChange?: boolean } = {}) {
  const [rows, setRows] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const current = useRef<AbortController | null>(null);

  const load = useCallback(
    async (after: string | null) => {
      current.current?.abort();
      const controller = new AbortController();
      current.current = controller;
      setLoading(true);
      try {
        const page = await fetchPage(after, controller.signal);
        setRows((r) => (after ? [...r, ...page.data] : page.data));
        setCursor(page.nextCursor);
        setError(null);
      } catch (err) {
        if (!isAbort(err)) setError(asApiError(err));
      } finally {
        if (current.current === controller) setLoading(false);
      }
    },
    [fetchPage],
  );
  const { clearOnChange = false } = opts;
  useEffect(() => {
    if (clearOnChange) setRows([]);
    void load(null);
    return () => current.current?.abort();
  }, [load, refresh, clearOnChange]);

  return { rows, setRows, loading, error, more: cursor ? () => void load(cursor) : null, reload: useCallback(() => load(null), [load]) };
}

/** A failed load, with a button to try again. */
export function LoadError({ error, onRetry }: { error: ApiError; onRetry: () => void }) {
  const { t } = useTranslation();
  return <Alert type="error" showIcon title={error.message} action={<Button size="small" onClick={onRetry}>{t('common.retry')}</Button>} />;
}
