import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BROWSER_BUILD_DIR } from './console.assets.js';

// The catalogues and helpers exactly as the browser gets them (the compiled cloud/browser modules).
const load = async <T>(name: string): Promise<T> => (await import(pathToFileURL(`${BROWSER_BUILD_DIR}${name}`).href)) as T;
const { en } = await load<{ en: Record<string, string> }>('messages.en.js');
const { zhCN } = await load<{ zhCN: Record<string, string> }>('messages.zh-CN.js');
const i18n = await load<{
  pickLocale(stored: string | null, languages: string[]): string;
  setLocale(l: string): void;
  t(key: string, params?: Record<string, string | number>): string;
  tn(key: string, n: number): string;
}>('i18n.js');
const { fmt } = await load<{ fmt: { money(a: number, c?: string): string; ago(ms: number, now: number): string; secs(ms: number): string } }>('format.js');

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();

describe('console messages in English and Chinese', () => {
  it('both catalogues have the same keys', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    expect(Object.keys(en).length).toBeGreaterThan(200);
  });

  it('every message has the same placeholders in both languages, and no Chinese message is left in English', () => {
    const mismatched = Object.keys(en).filter((k) => placeholders(en[k]!).join() !== placeholders(zhCN[k]!).join());
    expect(mismatched).toEqual([]);
    // Identical texts are allowed only where they are names or codes (brand, HTTP, "{name} {state}").
    const same = Object.keys(en).filter((k) => en[k] === zhCN[k]);
    expect(same.sort()).toEqual(['app.brand', 'error.http', 'verdict.source']);
  });

  it('plural keys come in .one / .other pairs', () => {
    const ones = Object.keys(en).filter((k) => k.endsWith('.one'));
    expect(ones.length).toBeGreaterThan(0);
    for (const k of ones) expect(Object.keys(en), k).toContain(k.replace(/\.one$/, '.other'));
  });

  it.each([
    [null, ['zh-CN', 'en'], 'zh-CN'],
    [null, ['zh-TW'], 'zh-CN'],
    [null, ['en-GB', 'zh-CN'], 'en'],
    [null, ['fr-FR', 'zh'], 'zh-CN'],
    [null, ['fr-FR'], 'en'],
    ['en', ['zh-CN'], 'en'], // a stored choice wins over the browser
    ['zh-CN', ['en-US'], 'zh-CN'],
    ['de', ['en-US'], 'en'], // a stored value we do not have is ignored
  ])('pickLocale(%s, %j) = %s', (stored, languages, expected) => expect(i18n.pickLocale(stored, languages)).toBe(expected));

  it('fills placeholders, picks plural forms and formats money and durations per language', () => {
    i18n.setLocale('en');
    expect(i18n.tn('alert.visits', 1)).toBe('1 visit');
    expect(i18n.tn('alert.visits', 3)).toBe('3 visits');
    expect(i18n.t('alert.claimedBy', { name: 'Alice Wu' })).toBe('Claimed by Alice Wu');
    expect(fmt.money(1280, 'CNY')).toBe('CN¥1,280.00');
    expect(fmt.ago(0 + 1, 125_000)).toBe('2 min ago');
    i18n.setLocale('zh-CN');
    expect(i18n.tn('alert.visits', 3)).toBe('到店 3 次');
    expect(i18n.t('alert.claimedBy', { name: '吴爱丽' })).toBe('吴爱丽 已认领');
    expect(fmt.money(1280, 'CNY')).toBe('¥1,280.00');
    expect(fmt.secs(4000)).toBe('4 秒');
    i18n.setLocale('en');
  });
});
