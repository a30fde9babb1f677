import { useEffect, useState } from 'react';
import { api, type ApiError, type Reply } from '../../api/client.ts';
import { asApiError, isAbort } from '../../api/useLoad.tsx';

export type Department = Reply<'get', '/api/departments'>['data'][number];
export type Team = Reply<'get', '/api/teams'>['data'][number];
export type Staff = Reply<'get', '/api/staff'>['data'][number];
export type Roles = Reply<'get', '/api/roles'>;

/** Every page of a short list (departments, teams): the forms choose among all of them. */
async function allPages<T>(page: (cursor: string | null) => Promise<{ data: T[]; nextCursor: string | null }>): Promise<T[]> {
  const out: T[] = [];
  for (let cursor: string | null = null; ; ) {
    const p = await page(cursor);
    out.push(...p.data);
    if (!(cursor = p.nextCursor)) return out;
  }
}

export const allDepartments = (signal?: AbortSignal): Promise<Department[]> => allPages((cursor) => api.get('/api/departments', { query: { limit: 200, ...(cursor ? { cursor } : {}) }, signal }));

export const allTeams = (signal?: AbortSignal): Promise<Team[]> => allPages((cursor) => api.get('/api/teams', { query: { limit: 200, ...(cursor ? { cursor } : {}) }, signal }));

export interface Structure {
  departments: Department[];
  teams: Team[];
  loading: boolean;
  error: ApiError | null;
}

/** Departments and teams, for their tabs and for names and choices elsewhere; reloaded when `version` changes. */
export function useStructure(version: number): Structure {
  const [state, setState] = useState<Structure>({ departments: [], teams: [], loading: true, error: null });
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    Promise.all([allDepartments(controller.signal), allTeams(controller.signal)])
      .then(([departments, teams]) => setState({ departments, teams, loading: false, error: null }))
      .catch((err: unknown) => !isAbort(err) && setState((s) => ({ ...s, loading: false, error: asApiError(err) })));
    return () => controller.abort();
  }, [version]);
  return state;
}

const names = new Map<string, Promise<string>>();
/** A staff member's name by id, read once per page load (managers and leads in the lists). */
export function useStaffName(id: string | null): string | null {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    if (!id) return setName(null);
    let live = true;
    let pending = names.get(id);
    if (!pending) {
      pending = api.get('/api/staff/{id}', { path: { id } }).then((s) => s.displayName);
      pending.catch(() => names.delete(id));
      names.set(id, pending);
    }
    pending.then((n) => live && setName(n)).catch(() => live && setName(null));
    return () => {
      live = false;
    };
  }, [id]);
  return name;
}

export function StaffName({ id }: { id: string | null }) {
  return useStaffName(id) ?? '—';
}
