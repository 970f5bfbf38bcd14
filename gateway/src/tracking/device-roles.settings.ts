// Settings, decisions and counters of the device roles (device-roles.ts explains the rules).

/** Subjects with this prefix are registered staff badges (identity/staff-badges.ts); reserved. */
export const STAFF_SUBJECT_PREFIX = 'staff_';

export type DeviceRole = 'staff' | 'fixed';
export type RoleReason = 'registered' | 'off_hours' | 'still' | 'long_presence' | 'handoff';
export const ROLE_REASONS: readonly RoleReason[] = ['registered', 'off_hours', 'still', 'long_presence', 'handoff'];

export interface DeviceRoleSettings {
  /** Learn roles from presence; false = registered subjects only. */
  learn: boolean;
  stillForMs: number;
  presentForMs: number;
  offHoursMinMs: number;
  closingGraceMs: number;
  /** How often each subject's levels are sampled (the tracker's slow EWMA, tau 6 s). */
  sampleMs: number;
  /** Samples are averaged into bins this long; stillness compares bins. */
  binMs: number;
  /** Still this long where a door receiver is the strongest: fixed or staff. */
  doorStillForMs: number;
  /** Still this long where a checkout receiver is the strongest (a phone or beacon on the counter). */
  counterStillForMs: number;
  /** A second still run this long in one presence (counter, then stockroom): staff. */
  repeatStillForMs: number;
  /** Still at the door this long: the subject's new visits are held until it moves or is learned. */
  doorHoldAfterMs: number;
  /** A door-held subject unheard this long (and not continued by a new address) is released. */
  doorReleaseSilentMs: number;
  /** Subjects first heard within this long of the first tick were there before the gateway started. */
  startupWindowMs: number;
  /** A bin within this RMS distance (dB) of the still run's mean continues it. */
  stillToleranceDb: number;
  /** A subject unheard this long starts a new presence when it returns. */
  absenceResetMs: number;
  /** A new subject first heard within this long after a donor's last sighting may continue it. */
  handoffWindowMs: number;
  /** A donor must have been still this long to pass its still run on (or hold a role). */
  handoffMinStillMs: number;
  /** The handoff is decided this long after the new subject's first sighting. */
  handoffDecideMs: number;
  /** Levels within this RMS distance (dB) of the donor's last levels: a continuation. */
  handoffMatchDb: number;
  /** Levels this far from every role donor: released at once. */
  handoffReleaseDb: number;
}

export const DEFAULT_DEVICE_ROLES: Readonly<DeviceRoleSettings> = {
  learn: true,
  stillForMs: 90 * 60_000,
  doorStillForMs: 10 * 60_000,
  counterStillForMs: 20 * 60_000,
  repeatStillForMs: 25 * 60_000,
  doorHoldAfterMs: 2 * 60_000,
  startupWindowMs: 10_000,
  doorReleaseSilentMs: 30_000,
  presentForMs: 4 * 3_600_000,
  offHoursMinMs: 5 * 60_000,
  closingGraceMs: 30 * 60_000,
  sampleMs: 5_000,
  binMs: 60_000,
  stillToleranceDb: 3.5,
  absenceResetMs: 5 * 60_000,
  handoffWindowMs: 10_000,
  handoffMinStillMs: 2 * 60_000,
  handoffDecideMs: 6_000,
  handoffMatchDb: 8,
  handoffReleaseDb: 15,
};

export interface RoleDecision {
  role: DeviceRole;
  reason: RoleReason;
  /** When the role was decided (tick time). */
  at: number;
}

export interface DeviceRoleStats {
  /** Subjects tracked now with each role. */
  staff: number;
  fixed: number;
  /** Of those, registered vs learned. */
  registered: number;
  learned: number;
  /** Subjects held out of journeys while a handoff or a closed-hours presence is decided. */
  pending: number;
  /** Of the undecided, subjects whose new visits are held because they stand still at a door. */
  doorHeld: number;
  /** Roles decided since start, by reason (a rotation counts once per new address). */
  decided: Record<RoleReason, number>;
  /** Open visits closed because their subject got a role. */
  visitsClosed: number;
  /** Held events (handoff, door hold) dropped because their subject got a role. */
  eventsDropped: number;
}

export interface OpenCalendar {
  isOpen(at: number): boolean;
}
