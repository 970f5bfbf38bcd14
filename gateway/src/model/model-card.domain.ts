import { DOMAIN_FIELDS, TRAINING_DOMAIN_METADATA_KEY, type TrainingDomain } from '@storesense/firmware-config';

/**
 * The model card's "Training domain" section: the same TrainingDomain the model carries in its
 * metadata (`storesense.trainingDomain`) and beside it (`<model>.domain.json`), in words. The
 * gateway runs the rules baseline on a site outside it (decision 62).
 * @example lines.push(...trainingDomainMarkdown(domain, 'journey-mlp.domain.json'))
 */
export function trainingDomainMarkdown(domain: TrainingDomain, sidecarName: string, origin?: string): string[] {
  const range = (r: { min: number; max: number } | undefined, unit: string) =>
    r === undefined ? 'not recorded' : `${r.min === r.max ? r.min : `${r.min} to ${r.max}`}${unit === '' ? '' : ` ${unit}`}`;
  return [
    '## Training domain',
    '',
    `Stored in the model metadata key \`${TRAINING_DOMAIN_METADATA_KEY}\` and in \`${sidecarName}\` beside it; \`storesense-site lint <site> --model-domain ${sidecarName}\` checks a site against it, and the gateway checks its own layout at load and runs the rules baseline outside it (health \`classifier\`, one log line per finding).${origin === undefined ? '' : ` ${origin}`}`,
    '',
    `- Training layouts: ${domain.siteCount}${domain.siteIds.length > 0 ? ` (sites ${domain.siteIds.join(', ')})` : ''}${domain.families.length > 0 ? `; families ${domain.families.join(', ')}` : ''}.`,
    `- Receiver roles on every training layout: ${domain.rolesAlwaysPresent.join(', ') || 'none'}; seen on any: ${domain.rolesSeen.join(', ')}; radios: ${domain.radiosSeen.join(', ')}.`,
    ...DOMAIN_FIELDS.map(
      (f) =>
        `- ${f.label}: ${range(domain.ranges[f.key], f.unit)} (tolerance ${f.slack.rel ? `${Math.round(f.slack.rel * 100)} %` : `${f.slack.abs ?? 0}${f.unit === '' ? '' : ` ${f.unit}`}`}).`,
    ),
    '',
  ];
}
