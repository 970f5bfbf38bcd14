import { defaultPreprocessing, encodeFingerprints, receiverVocabulary, type EncodedSet, type Fingerprint, type Preprocessing } from './fingerprint.dataset.js';

/**
 * Hierarchical k-NN building -> floor classifier over sparse fingerprints.
 *
 * Why k-NN and not the MLP of model/mlp.ts: on UJIIndoorLoc, k-NN with the powed representation
 * and the Sørensen (Bray-Curtis) distance is the configuration Torres-Sospedra et al. (ESWA 2015)
 * found best, it needs no training pass (an operator's calibration walk is usable at once, and
 * adding a walk is an append), and it is deterministic without any seed (ties break on training
 * row order). The measured figures are in docs/accuracy-ujiindoorloc.md.
 *
 * Distances are computed through an inverted index (receiver -> rows that heard it), so a query
 * costs O(sum of postings of the receivers it heard) instead of O(rows x receivers): both
 * distances only need sum(a), sum(b) and a per-pair overlap term over shared receivers.
 */

export type Distance = 'sorensen' | 'euclidean';

export interface FingerprintModelOptions {
  preprocessing?: Preprocessing;
  distance?: Distance;
  /** Neighbours voting on the building. */
  kBuilding?: number;
  /** Neighbours (within the predicted building) voting on the floor, and (within that floor) on the zone. */
  kFloor?: number;
  /** Receivers heard in fewer training rows than this are dropped. */
  minReceiverRows?: number;
}

export interface FingerprintPrediction {
  building: string;
  floor: number;
  /** Zone, when the calibration walk labelled zones on the predicted floor. */
  zoneId?: string;
  /** Distance to the nearest training fingerprint (for confidence / outlier checks). */
  nearestDistance: number;
}

export interface FingerprintModel {
  readonly options: Required<FingerprintModelOptions>;
  readonly receiverIds: readonly string[];
  readonly rows: number;
  predict(fp: Fingerprint): FingerprintPrediction;
}

export const defaultModelOptions: Required<FingerprintModelOptions> = {
  preprocessing: defaultPreprocessing,
  distance: 'sorensen',
  kBuilding: 3,
  kFloor: 3,
  minReceiverRows: 1,
};

interface Postings {
  rows: Int32Array;
  vals: Float64Array;
}

function buildIndex(set: EncodedSet): Postings[] {
  const counts = new Int32Array(set.receiverIds.length);
  for (const idx of set.idx) for (const i of idx) counts[i]!++;
  const postings: Postings[] = Array.from(counts, (n) => ({ rows: new Int32Array(n), vals: new Float64Array(n) }));
  const fill = new Int32Array(set.receiverIds.length);
  set.idx.forEach((idx, row) => {
    const val = set.val[row]!;
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j]!;
      const p = postings[i]!;
      const at = fill[i]!++;
      p.rows[at] = row;
      p.vals[at] = val[j]!;
    }
  });
  return postings;
}

/** The k rows (from `candidates`, ascending) with the smallest distances, nearest first; ties -> lower row. */
function nearest(dist: Float64Array, k: number, candidates: Int32Array): number[] {
  const best: number[] = [];
  for (let c = 0; c < candidates.length; c++) {
    const r = candidates[c]!;
    const d = dist[r]!;
    if (best.length === k && d >= dist[best[k - 1]!]!) continue;
    let at = best.length === k ? k - 1 : best.length;
    if (best.length < k) best.push(r);
    while (at > 0 && dist[best[at - 1]!]! > d) {
      best[at] = best[at - 1]!;
      at--;
    }
    best[at] = r;
  }
  return best;
}

/** Row indices grouped by a key (ascending within each group); rows with key undefined are left out. */
function groupRows(rows: number, key: (row: number) => string | undefined): Map<string, Int32Array> {
  const lists = new Map<string, number[]>();
  for (let r = 0; r < rows; r++) {
    const k = key(r);
    if (k === undefined) continue;
    const list = lists.get(k);
    if (list) list.push(r);
    else lists.set(k, [r]);
  }
  return new Map([...lists].map(([k, v]) => [k, Int32Array.from(v)]));
}

/** Majority vote; ties go to the label of the nearest neighbour holding a tied count. */
function vote<T>(neighbours: readonly number[], label: (row: number) => T): T {
  const counts = new Map<T, number>();
  for (const r of neighbours) counts.set(label(r), (counts.get(label(r)) ?? 0) + 1);
  let bestLabel = label(neighbours[0]!);
  let bestCount = 0;
  for (const r of neighbours) {
    const c = counts.get(label(r))!;
    if (c > bestCount) {
      bestCount = c;
      bestLabel = label(r);
    }
  }
  return bestLabel;
}

export function trainFingerprintModel(train: readonly Fingerprint[], options: FingerprintModelOptions = {}): FingerprintModel {
  const o: Required<FingerprintModelOptions> = { ...defaultModelOptions, ...options };
  if (train.length === 0) throw new Error('no training fingerprints');
  const vocabulary = receiverVocabulary(train, o.minReceiverRows);
  const set = encodeFingerprints(train, vocabulary, o.preprocessing);
  const index = buildIndex(set);
  const rows = train.length;
  const zones = train.map((fp) => fp.zoneId);
  const allRows = Int32Array.from({ length: rows }, (_, r) => r);
  // Candidate lists, so the floor and zone votes only scan the rows of the chosen building / floor.
  const byBuilding = groupRows(rows, (r) => set.building[r]!);
  const zonedByFloor = groupRows(rows, (r) => (zones[r] === undefined ? undefined : `${set.building[r]!}\u0000${set.floor[r]!}`));
  // Per-row sum (Sørensen) or sum of squares (Euclidean), the part of the distance not shared.
  const self = Float64Array.from(set.val, (v) => v.reduce((s, x) => s + (o.distance === 'sorensen' ? x : x * x), 0));
  const overlap = new Float64Array(rows);
  const dist = new Float64Array(rows);

  function distances(fp: Fingerprint): void {
    const q = encodeFingerprints([fp], vocabulary, o.preprocessing);
    const qi = q.idx[0]!;
    const qv = q.val[0]!;
    overlap.fill(0);
    let qSelf = 0;
    for (let j = 0; j < qi.length; j++) {
      const a = qv[j]!;
      const p = index[qi[j]!]!;
      if (o.distance === 'sorensen') {
        qSelf += a;
        // sum|a-b| = sum(a) + sum(b) - 2 sum(min(a,b)) for non-negative a, b.
        for (let t = 0; t < p.rows.length; t++) overlap[p.rows[t]!]! += Math.min(a, p.vals[t]!);
      } else {
        qSelf += a * a;
        for (let t = 0; t < p.rows.length; t++) overlap[p.rows[t]!]! += a * p.vals[t]!;
      }
    }
    for (let r = 0; r < rows; r++) {
      const total = qSelf + self[r]!;
      dist[r] = o.distance === 'sorensen' ? (total === 0 ? 1 : (total - 2 * overlap[r]!) / total) : Math.sqrt(Math.max(0, total - 2 * overlap[r]!));
    }
  }

  return {
    options: o,
    receiverIds: vocabulary,
    rows,
    predict(fp) {
      distances(fp);
      const nb = nearest(dist, o.kBuilding, allRows);
      const building = vote(nb, (r) => set.building[r]!);
      const nf = nearest(dist, o.kFloor, byBuilding.get(building)!);
      const floor = vote(nf, (r) => set.floor[r]!);
      const p: FingerprintPrediction = { building, floor, nearestDistance: dist[nb[0]!]! };
      const zoned = zonedByFloor.get(`${building}\u0000${floor}`);
      if (zoned !== undefined) p.zoneId = vote(nearest(dist, o.kFloor, zoned), (r) => zones[r]!);
      return p;
    },
  };
}

export interface FingerprintAccuracy {
  rows: number;
  buildingAccuracy: number;
  floorAccuracy: number;
  /** Building and floor both right (the dataset paper's "building+floor" hit rate). */
  buildingFloorAccuracy: number;
  /** Over test rows that carry a zoneId (absent when none do). */
  zoneAccuracy?: number;
}

export function evaluateFingerprintModel(model: FingerprintModel, test: readonly Fingerprint[]): FingerprintAccuracy {
  let b = 0;
  let f = 0;
  let bf = 0;
  let zoned = 0;
  let z = 0;
  for (const fp of test) {
    const p = model.predict(fp);
    const bOk = p.building === fp.building;
    const fOk = p.floor === fp.floor;
    if (bOk) b++;
    if (fOk) f++;
    if (bOk && fOk) bf++;
    if (fp.zoneId !== undefined) {
      zoned++;
      if (p.zoneId === fp.zoneId) z++;
    }
  }
  const n = Math.max(1, test.length);
  const acc: FingerprintAccuracy = { rows: test.length, buildingAccuracy: b / n, floorAccuracy: f / n, buildingFloorAccuracy: bf / n };
  if (zoned > 0) acc.zoneAccuracy = z / zoned;
  return acc;
}
