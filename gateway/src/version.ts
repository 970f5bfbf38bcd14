/** Reported in state/conn and state/health; keep in step with package.json. */
export const GATEWAY_VERSION = '0.1.0';
