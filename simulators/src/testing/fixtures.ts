import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoMembersPath, exampleSitePath, loadMembersCsv, loadSiteFile, type DemoMember, type ExampleSiteName, type Site } from '@storesense/firmware-config';

/** Test helpers: the bundled example sites and members, and temp dirs. */
export function exampleSite(name: ExampleSiteName): Site {
  const r = loadSiteFile(exampleSitePath(name));
  if (!r.ok) throw new Error(`example site ${name} is invalid: ${r.error}`);
  return r.value;
}

export function demoMembers(): DemoMember[] {
  const { members, errors } = loadMembersCsv(demoMembersPath);
  if (errors.length > 0) throw new Error(`demo members: ${JSON.stringify(errors)}`);
  return members;
}

export function tempDir(prefix = 'storesense-sim-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fake clock whose sleep advances time instantly. */
export function fakeClock(start = 1_000_000): { now(): number; sleep(ms: number): Promise<void>; sleeps: number[] } {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}
