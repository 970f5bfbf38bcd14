import { pointInShape, type SiteInput } from '@storesense/firmware-config';
import { mulberry32 } from '../random.js';

/**
 * Training-only variants of a site, so the model cannot lean on what one site's receivers happen
 * to be (issue 10): another draw of every receiver's calibration (1-m level, exponent, reporting
 * bias, as installers find them: −66..−54 dBm at 1 m on one flagship), and receiver dropout (the
 * store's inner receivers thinned or gone, as on a kiosk or a store that bought two receivers).
 * The simulator then generates a trace on the variant, so the radio and the site file agree, as
 * they do on a calibrated installation. Pure and seeded: the same site and seed give the same file.
 */
export type VariantKind = 'calibration' | 'sparse' | 'door-only';
export const VARIANT_KINDS: readonly VariantKind[] = ['calibration', 'sparse', 'door-only'];

/** Ranges of the calibration draw (dB, exponent). Sources: issue 10's flagship (1-m levels −54..−66 dBm); the example sites' exponents 2.0-3.0. */
const REF_DBM: [number, number] = [-66, -54];
const EXPONENT: [number, number] = [1.9, 3.0];
const OFFSET_DB: [number, number] = [-3, 3];
/** A receiver this close to an entrance counts as a door receiver (kept by 'door-only'). */
const DOOR_RX_M = 4;

type ReceiverInput = SiteInput['receivers'][number];

export function siteVariant(site: SiteInput, kind: VariantKind, seed: number): SiteInput {
  const rand = mulberry32(seed);
  const uniform = ([a, b]: [number, number]) => a + (b - a) * rand();
  const half = (v: number) => Math.round(v * 2) / 2;
  const copy = structuredClone(site);
  copy.id = `${site.id}-${kind}-${seed}`;
  const store = copy.stores[0];
  const doors = copy.stores.flatMap((s) => s.entrances);
  const inner = (r: ReceiverInput) => {
    const s = copy.stores.find((st) => st.floors.includes(r.floor) && pointInShape(r.position, st.shape));
    if (!s || !store || s.id !== store.id) return false;
    return !doors.some((d) => d.floor === r.floor && Math.hypot(d.at.x - r.position.x, d.at.y - r.position.y) <= DOOR_RX_M);
  };
  let receivers = copy.receivers;
  if (kind === 'sparse') {
    const kept = receivers.filter((r) => !inner(r) || rand() < 0.5);
    receivers = kept.length >= 2 ? kept : receivers;
  } else if (kind === 'door-only') {
    // Only on the entrance floors: an upper floor without receivers hears nobody, which teaches nothing.
    const kept = receivers.filter((r) => !inner(r) || !doors.some((d) => d.floor === r.floor));
    receivers = kept.length >= 1 ? kept : receivers;
  }
  // Every variant also redraws calibration: the features must read it from the site, not assume it.
  receivers = receivers.map((r) => ({
    ...r,
    calibration: { refRssiAt1mDbm: half(uniform(REF_DBM)), pathLossExponent: Math.round(uniform(EXPONENT) * 10) / 10, rssiOffsetDb: half(uniform(OFFSET_DB)) },
  }));
  const ids = new Set(receivers.map((r) => r.id));
  copy.receivers = receivers;
  copy.gateways = copy.gateways.map((g) => ({ ...g, receivers: g.receivers.filter((id) => ids.has(id)) }));
  return copy;
}
