/**
 * The page's language in the browser: the stored choice (localStorage, shared by the console and
 * the staff view), else the browser's languages; sets `<html lang>`, fills the static shell's
 * `data-i18n*` texts and offers a switcher that stores the choice and reloads (the session lives
 * in sessionStorage, so a reload keeps the sign-in).
 */
import { LOCALE_NAMES, LOCALES, type Locale, locale, pickLocale, setLocale, tOr } from './i18n.js';

const KEY = 'storesense.locale';

export function initLocale(): Locale {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(KEY);
  } catch {
    // storage disabled: the browser's languages decide
  }
  const l = pickLocale(stored, navigator.languages?.length ? navigator.languages : [navigator.language]);
  setLocale(l);
  document.documentElement.lang = l;
  translateStatic(document);
  return l;
}

/** `data-i18n="key"` sets the text, `data-i18n-placeholder` / `data-i18n-label` the placeholder / aria-label. */
export function translateStatic(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = tOr(el.dataset.i18n ?? '', el.textContent ?? '');
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-placeholder]'))
    el.setAttribute('placeholder', tOr(el.dataset.i18nPlaceholder ?? '', el.getAttribute('placeholder') ?? ''));
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-label]'))
    el.setAttribute('aria-label', tOr(el.dataset.i18nLabel ?? '', el.getAttribute('aria-label') ?? ''));
  const title = document.querySelector<HTMLElement>('title[data-i18n]');
  if (title) document.title = title.textContent ?? document.title;
}

/** A language picker (`#lang`): each language named in itself; a change is stored and the page reloads. */
export function localeSwitcher(label: string): HTMLSelectElement {
  const select = document.createElement('select');
  select.id = 'lang';
  select.setAttribute('aria-label', label);
  for (const l of LOCALES) {
    const o = document.createElement('option');
    o.value = l;
    o.lang = l;
    o.textContent = LOCALE_NAMES[l];
    o.selected = l === locale();
    select.append(o);
  }
  select.addEventListener('change', () => {
    try {
      localStorage.setItem(KEY, select.value);
    } catch {
      // not persisted; the reload below still shows it for this page
    }
    location.reload();
  });
  return select;
}
