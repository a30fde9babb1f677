import { Component, Suspense, lazy, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { Button, Result, Spin } from 'antd';
import { useTranslation } from 'react-i18next';
import { allows, useSession, type Access } from './auth/session.tsx';
import { SCREENS } from './nav.tsx';
import NotFound from './pages/NotFound.tsx';

const Login = lazy(() => import('./pages/Login.tsx'));
const Shell = lazy(() => import('./shell/Shell.tsx'));

export function Loading() {
  const { t } = useTranslation();
  return (
    <div style={{ display: 'grid', placeItems: 'center', minHeight: 240 }}>
      <Spin aria-label={t('common.loading')} />
    </div>
  );
}

/** A chunk that fails to load (e.g. replaced by a new release) offers a reload instead of a blank page. */
class ChunkErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };
  static getDerivedStateFromError() {
    return { failed: true };
  }
  override render() {
    return this.state.failed ? <ChunkFailed /> : this.props.children;
  }
}

function ChunkFailed() {
  const { t } = useTranslation();
  return <Result status="warning" title={t('common.loadFailed')} extra={<Button onClick={() => location.reload()}>{t('common.reload')}</Button>} />;
}

function RequireAuth({ children }: { children: ReactNode }) {
  const { state, retry } = useSession();
  const location = useLocation();
  const { t } = useTranslation();
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'unreachable') {
    return <Result status="error" title={state.error.message} extra={<Button onClick={retry}>{t('common.retry')}</Button>} />;
  }
  // After a deliberate logout the next sign-in may be someone else's: they start at home, not on the last user's page.
  if (state.status === 'signed-out') return <Navigate to="/login" replace state={{ from: state.reason === 'logged-out' ? undefined : location.pathname + location.search, reason: state.reason }} />;
  return children;
}

/** A screen the user may not open answers like one that does not exist, as the server does with 404. */
function Allowed({ access, children }: { access: Access; children: ReactNode }) {
  const { state } = useSession();
  return state.status === 'signed-in' && allows(state.me, access) ? children : <NotFound />;
}

export function ConsoleRoutes() {
  return (
    <BrowserRouter basename="/console">
      <ChunkErrorBoundary>
        <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/login" element={<Login />} />
            <Route
              element={
                <RequireAuth>
                  <Shell />
                </RequireAuth>
              }
            >
              {SCREENS.map(({ path, access, page: Page }) => (
                <Route key={path} path={path} element={<Allowed access={access}><Page /></Allowed>} />
              ))}
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </Suspense>
      </ChunkErrorBoundary>
    </BrowserRouter>
  );
}
