import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import { en } from './en.ts';
import { zhCN } from './zh-CN.ts';
import { zhTW } from './zh-TW.ts';

export const LANGUAGES = ['zh-CN', 'zh-TW', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

const STORAGE_KEY = 'kefu.language';

function isLanguage(v: unknown): v is Language {
  return (LANGUAGES as readonly unknown[]).includes(v);
}

/** Simplified Chinese unless the user picked another language on this browser. */
function storedLanguage(): Language {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return isLanguage(v) ? v : 'zh-CN';
  } catch {
    // Storage can be disabled (privacy settings); the default still works.
    return 'zh-CN';
  }
}

declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'translation';
    resources: { translation: typeof zhCN };
  }
}

void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zhCN }, 'zh-TW': { translation: zhTW }, en: { translation: en } },
  lng: storedLanguage(),
  fallbackLng: 'zh-CN',
  supportedLngs: [...LANGUAGES],
  // React escapes what it renders.
  interpolation: { escapeValue: false },
  initAsync: false,
});
document.documentElement.lang = i18n.language;

export function currentLanguage(): Language {
  return isLanguage(i18n.language) ? i18n.language : 'zh-CN';
}

export async function setLanguage(lng: Language): Promise<void> {
  try {
    localStorage.setItem(STORAGE_KEY, lng);
  } catch {
    // Not kept across visits when storage is disabled; the switch still applies now.
  }
  document.documentElement.lang = lng;
  await i18n.changeLanguage(lng);
}

/** The organisation's time zone (policy organisation.timezone in every preset): dates read the same wherever the browser is. */
export const ORG_TIME_ZONE = 'Asia/Shanghai';

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(currentLanguage(), { dateStyle: 'medium', timeStyle: 'short', timeZone: ORG_TIME_ZONE }).format(new Date(iso));
}

const SIZE_UNITS = ['B', 'KB', 'MB', 'GB'] as const;

/** A file's size as file managers show it: 812 B, 12.3 KB, 4.5 MB. */
export function formatFileSize(bytes: number): string {
  let n = bytes;
  let unit = 0;
  for (; n >= 1024 && unit < SIZE_UNITS.length - 1; unit++) n /= 1024;
  return `${new Intl.NumberFormat(currentLanguage(), { maximumFractionDigits: unit === 0 ? 0 : 1 }).format(n)} ${SIZE_UNITS[unit]}`;
}

export default i18n;
