import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Permission } from '../../../server/platform/rbac/permissions.ts';
import { ApiError, abortSessionCalls, api, onSessionGone, type Me } from '../api/client.ts';

/** Why the visitor is signed out, for the login page to say so. */
export type SignedOutReason = 'ended' | 'logged-out' | null;

export type SessionState =
  | { status: 'loading' }
  | { status: 'unreachable'; error: ApiError }
  | { status: 'signed-out'; reason: SignedOutReason }
  | { status: 'signed-in'; me: Me };

interface Session {
  state: SessionState;
  login(username: string, password: string): Promise<void>;
  logout(): Promise<void>;
  retry(): void;
}

const SessionContext = createContext<Session | null>(null);

/** The sign-in lives in the server's httpOnly cookie; the console only asks who it belongs to. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    const controller = new AbortController();
    api
      .get('/api/auth/me', { signal: controller.signal })
      .then((me) => setState({ status: 'signed-in', me }))
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        if (err instanceof ApiError && err.status === 401) setState({ status: 'signed-out', reason: null });
        else setState({ status: 'unreachable', error: err instanceof ApiError ? err : new ApiError(0, 'client.network', String(err)) });
      });
    return () => controller.abort();
  }, [attempt]);

  // A call that finds the session expired or revoked signs the console out.
  useEffect(() => onSessionGone(() => setState((s) => (s.status === 'signed-in' ? { status: 'signed-out', reason: 'ended' } : s))), []);

  const login = useCallback(async (username: string, password: string) => {
    const { user } = await api.post('/api/auth/login', { body: { username, password } });
    setState({ status: 'signed-in', me: user });
  }, []);

  const logout = useCallback(async () => {
    abortSessionCalls();
    try {
      await api.post('/api/auth/logout');
    } catch (err) {
      // Already gone on the server: signed out either way.
      if (!(err instanceof ApiError && err.status === 401)) throw err;
    }
    setState({ status: 'signed-out', reason: 'logged-out' });
  }, []);

  const retry = useCallback(() => {
    setState({ status: 'loading' });
    setAttempt((n) => n + 1);
  }, []);

  const value = useMemo(() => ({ state, login, logout, retry }), [state, login, logout, retry]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in staff member; only inside the routes behind RequireAuth. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe without a signed-in session');
  return state.me;
}

/** What a route or a nav entry requires: a permission of the server's table, or any sign-in. */
export type Access = Permission | 'authenticated';

export function allows(me: Me, access: Access): boolean {
  return access === 'authenticated' || me.permissions.includes(access);
}
