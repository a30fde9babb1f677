import { useCallback } from 'react';
import { Button, Table, type TableProps } from 'antd';
import { api, type Options, type PathOf, type Reply } from '../api/client.ts';
import { LoadError, usePaged, type Page } from '../api/useLoad.tsx';

const PAGE = 50;

type ListPath = { [P in PathOf<'get'>]: Reply<'get', P> extends Page<unknown> ? P : never }[PathOf<'get'>];
type RowOf<P extends ListPath> = Reply<'get', P> extends Page<infer T> ? T : never;
type Filters<P extends ListPath> = Omit<NonNullable<Options<'get', P>['query']>, 'limit' | 'cursor'>;

/**
 * A list endpoint read page by page for the filters, from the first page again whenever they
 * change (compared by value, so an equal filter object does not reload) or `refresh` does.
 */
export function usePagedList<P extends ListPath>(path: P, filters: Filters<P>, refresh: unknown) {
  const key = JSON.stringify(filters);
  return usePaged<RowOf<P>>(
    useCallback(
      (after: string | null, signal: AbortSignal) => {
        // The path is generic here; its query and reply were checked against it in the signature.
        const get = api.get as (path: string, opts: { query: object; signal: AbortSignal }) => Promise<Page<RowOf<P>>>;
        return get(path, { query: { limit: PAGE, ...(JSON.parse(key) as object), ...(after ? { cursor: after } : {}) }, signal });
      },
      [path, key],
    ),
    refresh,
  );
}

/** The table of a paged list: its load error with a retry, the rows, and the button for the next page. */
export function PagedList<T extends { id: string }>({ list, moreText, ...table }: { list: ReturnType<typeof usePaged<T>>; moreText: string } & TableProps<T>) {
  return (
    <>
      {list.error && <LoadError error={list.error} onRetry={() => void list.reload()} />}
      <Table<T> rowKey="id" loading={list.loading} dataSource={list.rows} pagination={false} {...table} />
      {list.more && (
        <Button onClick={list.more} loading={list.loading}>
          {moreText}
        </Button>
      )}
    </>
  );
}
