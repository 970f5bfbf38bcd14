import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { REPO_ROOT, SharedDataMissingError, sharedDir, sharedFiles } from './shared-data.js';

describe('shared test data location', () => {
  it('is shared/ beside the repository unless STORESENSE_SHARED says otherwise', () => {
    expect(existsSync(join(REPO_ROOT, 'package.json'))).toBe(true);
    expect(existsSync(join(REPO_ROOT, 'protocol', 'package.json'))).toBe(true);
    expect(sharedDir({})).toBe(resolve(REPO_ROOT, '..', 'shared'));
    expect(sharedDir({ STORESENSE_SHARED: '/data/x' })).toBe('/data/x');
  });

  it('skips (with a reason) when a file is absent, fails under CI=true, and finds present files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shared-'));
    try {
      mkdirSync(join(dir, 'fixtures'));
      writeFileSync(join(dir, 'fixtures', 'a.json'), '{}');
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      const found = sharedFiles(['fixtures/a.json'], 'test A', { STORESENSE_SHARED: dir });
      expect(found).toEqual({ paths: [join(dir, 'fixtures', 'a.json')], skip: false });
      const missing = sharedFiles(['fixtures/a.json', 'fixtures/b.json'], 'test B', { STORESENSE_SHARED: dir });
      expect(missing.skip).toBe(true);
      expect(warn.mock.calls[0]![0]).toMatch(/skipping test B: .*b\.json is absent/);
      warn.mockRestore();
      expect(() => sharedFiles(['fixtures/b.json'], 'test C', { STORESENSE_SHARED: dir, CI: 'true' })).toThrow(SharedDataMissingError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
