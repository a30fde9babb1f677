import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCNLocale from 'antd/locale/zh_CN';
import zhTWLocale from 'antd/locale/zh_TW';
import { useTranslation } from 'react-i18next';
import { currentLanguage, type Language } from './i18n/index.ts';
import { SessionProvider } from './auth/session.tsx';
import { ConsoleRoutes } from './routes.tsx';

const ANTD_LOCALES = { 'zh-CN': zhCNLocale, 'zh-TW': zhTWLocale, en: enUS } satisfies Record<Language, unknown>;

function Root() {
  // Re-renders on a language switch, so Ant Design's own texts follow the console's.
  useTranslation();
  return (
    <ConfigProvider locale={ANTD_LOCALES[currentLanguage()]} theme={{ token: { colorPrimary: '#1677ff' } }}>
      <AntApp>
        <SessionProvider>
          <ConsoleRoutes />
        </SessionProvider>
      </AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
