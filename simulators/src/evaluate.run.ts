import { renderGatewayConfig, type DemoMember, type Site } from '@storesense/firmware-config';
import { runOffline, type CalibrationSnapshot, type Classifier } from '@storesense/gateway';
import type { Observation, PresenceEvent, TruthEvent } from '@storesense/protocol';
import { scoreJourney, type JourneyScore, type ScoredKind } from './evaluate.score.js';

/**
 * Runs the gateway's own pipeline offline (`runOffline`: tracker, classifier, journey machine, no
 * outbox or uplink) over a trace and scores its events against the truth.
 * @example
 * const world = createWorld({ site, durationMs: 600_000, members });
 * const { score } = evaluateOffline({ site, observations: [...world.observations()], truth: world.truth(), members });
 */
export interface EvaluateOfflineOptions {
  site: Site;
  /** Default: the site's first gateway. */
  gatewayId?: string;
  observations: readonly Observation[];
  truth: readonly TruthEvent[];
  /** Consenting members' keys go to the gateway, as the cloud would send them. */
  members?: readonly DemoMember[];
  tolerance?: Partial<Record<ScoredKind, number>>;
  seed?: number;
  /** The gateway classifier to evaluate (default: the rules baseline). */
  classifier?: Classifier;
  /** Overrides the gateway's config.calibration.auto (default on). */
  autoCalibration?: boolean;
  /** Trace ms run so far and the trace's span, every simulated minute. */
  onProgress?: (doneMs: number, totalMs: number) => void;
}

export interface EvaluateOfflineResult {
  gatewayId: string;
  events: PresenceEvent[];
  score: JourneyScore;
  /** The gateway's calibration at the end of the run (per receiver: declared, learned, applied). */
  calibration: CalibrationSnapshot | undefined;
}

export function evaluateOffline(o: EvaluateOfflineOptions): EvaluateOfflineResult {
  const gatewayId = o.gatewayId ?? o.site.gateways[0]!.id;
  const config = renderGatewayConfig(o.site, gatewayId);
  const consenting = (o.members ?? []).filter((m) => m.consent);
  const memberKeys = {
    v: 1,
    at: o.truth[0]?.at ?? 0,
    periodMs: o.site.memberTokens.periodMs,
    members: consenting.map((m) => ({ memberId: m.memberId, key: m.tokenKey })),
  };
  let calibration: CalibrationSnapshot | undefined;
  const events = runOffline(config, o.observations, {
    memberKeys,
    seed: o.seed ?? 1,
    ...(o.classifier ? { classifier: o.classifier } : {}),
    ...(o.autoCalibration !== undefined ? { autoCalibration: o.autoCalibration } : {}),
    onDone: (p) => (calibration = p.calibration().snapshot),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  return { gatewayId, events, score: scoreJourney(o.truth, events, o.tolerance), calibration };
}
