/**
 * The console's two languages, English and Simplified Chinese (zh-CN). Messages are flat keys in
 * typed catalogues (`messages.en.ts` is the reference; `messages.zh-CN.ts` must have exactly its
 * keys, which the type checker and `console.i18n.test.ts` enforce), with `{name}` placeholders and
 * `.one` / `.other` plural forms chosen by `Intl.PluralRules`. No browser globals here, so Node
 * tests import the built module; `locale.ts` picks and persists the language in the browser.
 */
import { en, type MessageKey } from './messages.en.js';
import { zhCN } from './messages.zh-CN.js';

export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
export type { MessageKey };
/** Each language named in itself, for the switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '中文' };

const catalogues: Record<Locale, Readonly<Record<MessageKey, string>>> = { en, 'zh-CN': zhCN };
let current: Locale = 'en';

export const locale = (): Locale => current;
export function setLocale(l: Locale): void {
  current = l;
}

/**
 * The language to show: the one chosen before (stored), else the first of the browser's
 * languages we have (any `zh*` is zh-CN, any `en*` English), else English.
 * @example pickLocale(null, ['zh-TW', 'en']) // 'zh-CN'
 */
export function pickLocale(stored: string | null | undefined, languages: readonly string[]): Locale {
  if (stored && (LOCALES as readonly string[]).includes(stored)) return stored as Locale;
  for (const l of languages) {
    const lower = l.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

export type Params = Record<string, string | number>;

/** The message in the current language, placeholders filled. */
export function t(key: MessageKey, params?: Params): string {
  const s = catalogues[current][key] ?? en[key];
  return params ? s.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m)) : s;
}

type PluralBase<K> = K extends `${infer B}.one` ? B : never;
/** A key that has `.one` and `.other` forms. */
export type PluralKey = PluralBase<MessageKey>;

/** `tn('members.visits', 2)` -> "2 visits" / "2 次到店": the plural form for `n`, `{n}` filled. */
export function tn(key: PluralKey, n: number, params?: Params): string {
  const form = new Intl.PluralRules(current).select(n) === 'one' ? 'one' : 'other';
  return t(`${key}.${form}` as MessageKey, { n, ...params });
}

/** A key built at run time (an event type, a status): its message when the catalogue has it, else the raw value. */
export function tOr(key: string, fallback: string, params?: Params): string {
  return Object.hasOwn(en, key) ? t(key as MessageKey, params) : fallback;
}
