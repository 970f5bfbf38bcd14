/**
 * The hook every writer of gateway credentials calls (provisioning, enrolment by code, revocation),
 * so the broker that authenticates gateways hears of the change at once (decision 111).
 *
 * The embedded broker looks each CONNECT up in the store, so a change needs nothing there; a
 * revoked gateway's open session is closed. An external Mosquitto keeps its own account list
 * (dynamic security, `dynsec.admin.ts`): a change creates or resets the gateway's client there.
 * The plaintext password is handed over only here, the one moment the cloud holds it: the store
 * keeps a scrypt hash, which Mosquitto cannot check.
 */
export interface GatewayAccounts {
  /** A gateway's credentials were created or replaced (after the store write). */
  changed(change: GatewayCredentialChange): Promise<void>;
  /** A gateway's credentials were revoked (after the store delete): its account goes, its session is dropped. */
  revoked(gateway: GatewayRef): Promise<void>;
}

export interface GatewayRef {
  siteId: string;
  gatewayId: string;
  username: string;
}

export interface GatewayCredentialChange extends GatewayRef {
  password: string;
}
