// Sharing for the desk: the viewer tokens of its data directory and the share server, turned on and
// off by the trader (config, `serve --share-port`, the setSharing command), following the trading
// mode's stream across switches. The five share commands land here.
import type { Registry } from 'prom-client';
import type { CreatedViewerToken, ShareStatus, ViewerScope, ViewerToken } from '../../shared';
import type { Clock } from '../clock';
import type { Logger } from '../ops';
import type { StreamSource } from '../transport';
import { loadShareCertificate, type ShareCertificate } from './certificate';
import { viewerLink } from './link';
import { RevocationPublisher } from './revocations';
import { DEFAULT_SHARE_LIMITS, ShareServer, type ShareLimits } from './server';
import { ViewerTokens } from './tokens';

export interface SharingSettings extends Partial<ShareLimits> {
  readonly enabled: boolean;
  readonly port: number;
  readonly host: string;
  readonly cert?: string;
  readonly key?: string;
}

export interface DeskSharingOptions {
  readonly dataDir: string;
  readonly settings: SharingSettings;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly clock: Clock;
  /** The built web UI, served as the viewer page. */
  readonly uiDir?: string;
}

/** Why turning sharing on failed, in the trader's words (a port in use, a bad certificate). */
export class SharingError extends Error {
  override readonly name = 'SharingError';
}

export class DeskSharing {
  private tokens: ViewerTokens | undefined;
  private opening: Promise<ViewerTokens> | undefined;
  private server: ShareServer | undefined;
  private certificate: ShareCertificate | undefined;
  private source: StreamSource | undefined;
  private revocations: RevocationPublisher | undefined;
  private lastError: string | undefined;
  /** Where it was last asked to listen (the configuration's until setSharing names another). */
  private where: { port: number; host: string };
  /** One on/off change at a time. */
  private switching: Promise<unknown> = Promise.resolve();
  /** The desk stopped: nothing opens again (a change queued behind stop, a token database still opening). */
  private stopped = false;

  constructor(private readonly options: DeskSharingOptions) {
    this.where = { port: options.settings.port, host: options.settings.host };
  }

  /**
   * Publishes revoked tokens on the stream for relays (sharing on or off: relays serve viewers either way), and
   * turns sharing on when the configuration says so; a failure to share stops the desk's start (serve exits 1).
   */
  async start(): Promise<void> {
    await this.publishRevocations();
    if (!this.options.settings.enabled) return;
    await this.enable(this.where);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.switching.catch(() => undefined);
    const server = this.server;
    this.server = undefined;
    await server?.stop();
    this.revocations?.close();
    this.revocations = undefined;
    this.tokens?.close();
    this.tokens = undefined;
    this.opening = undefined;
  }

  /** The trading mode's stream: viewers are moved to the new one (they reconnect to its epoch). */
  setSource(source: StreamSource | undefined): void {
    this.source = source;
    this.server?.setSource(source);
    this.revocations?.setSource(source);
  }

  status(): ShareStatus {
    if (this.server) return this.server.status();
    return {
      enabled: false,
      ...(this.certificate ? { fingerprint: this.certificate.fingerprint } : {}),
      ...(this.lastError === undefined ? {} : { error: this.lastError }),
      viewers: [],
      maxViewers: this.options.settings.maxViewers ?? DEFAULT_SHARE_LIMITS.maxViewers,
    };
  }

  /** The share server, while sharing is on. */
  get shareServer(): ShareServer | undefined {
    return this.server;
  }

  /** setSharing: on (at a port and host, defaults the configuration's) or off. A failure is in the status's `error`. */
  setSharing(request: { enabled: boolean; port?: number; host?: string }): Promise<ShareStatus> {
    const run = async (): Promise<ShareStatus> => {
      if (this.stopped) {
        if (request.enabled) this.lastError = 'DualDesk is stopping: sharing stays off';
        return this.status();
      }
      if (!request.enabled) {
        await this.disable();
        return this.status();
      }
      const where = { port: request.port ?? this.where.port, host: request.host ?? this.where.host };
      const same = this.server && this.where.port === where.port && this.where.host === where.host;
      if (same) return this.status();
      await this.disable();
      try {
        await this.enable(where);
      } catch (err) {
        this.options.logger.warn({ err: (err as Error).message, port: where.port, host: where.host }, 'sharing could not be turned on');
      }
      return this.status();
    };
    const next = this.switching.then(run, run);
    this.switching = next.catch(() => undefined);
    return next;
  }

  async createViewerToken(request: { scope: readonly ViewerScope[]; ttlMinutes: number; label: string }): Promise<CreatedViewerToken> {
    const tokens = await this.openTokens();
    const minted = await tokens.create({ scope: request.scope, ttlMs: request.ttlMinutes * 60_000, label: request.label });
    const base = this.server?.address();
    return {
      id: minted.id,
      token: minted.token,
      scope: minted.scope,
      expiresAt: new Date(minted.expiresAt).toISOString(),
      ...(base ? { url: viewerLink(base, minted.token) } : {}),
    };
  }

  async listViewerTokens(): Promise<ViewerToken[]> {
    return (await this.openTokens()).list();
  }

  /** Revokes a token; its viewers are closed (4004) within a second. */
  async revokeViewerToken(id: string): Promise<ViewerToken> {
    return (await this.openTokens()).revoke(id);
  }

  /** For /ready while sharing is on. */
  readiness(): { ok: true; detail: string } | { ok: false; reason: string } | undefined {
    if (!this.server) return this.lastError === undefined ? undefined : { ok: false, reason: this.lastError };
    const s = this.server.status();
    return { ok: true, detail: `${s.url ?? ''} (TLS 1.3, ${s.fingerprint ?? ''}); ${s.viewers.length} of ${s.maxViewers} viewers` };
  }

  private async enable(where: { port: number; host: string }): Promise<void> {
    const { settings, logger, metrics, clock, dataDir, uiDir } = this.options;
    try {
      if (this.stopped) throw new Error('DualDesk is stopping');
      const authority = await this.openTokens();
      this.certificate ??= await loadShareCertificate({
        dataDir,
        ...(settings.cert === undefined ? {} : { certFile: settings.cert }),
        ...(settings.key === undefined ? {} : { keyFile: settings.key }),
      });
      if (this.certificate.renewed) logger.warn({ fingerprint: this.certificate.fingerprint }, 'the share certificate was renewed: viewers see a new fingerprint');
      const { enabled: _enabled, port: _port, host: _host, cert: _cert, key: _key, ...limits } = settings;
      const server = new ShareServer({
        host: where.host,
        port: where.port,
        certificate: this.certificate,
        authority,
        logger: logger.child({ component: 'share' }),
        metrics,
        clock,
        limits,
        ...(uiDir === undefined ? {} : { uiDir }),
      });
      server.setSource(this.source);
      await server.start();
      if (this.stopped) {
        // Stopped while it was starting: stop() has already run and will not see this server.
        await server.stop();
        throw new Error('DualDesk is stopping');
      }
      this.server = server;
      // Only a port that worked is reused by a setSharing that names none.
      this.where = where;
      this.lastError = undefined;
      logger.info({ url: server.url(), fingerprint: this.certificate.fingerprint }, 'sharing with viewers');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      this.lastError =
        e.code === 'EADDRINUSE'
          ? `port ${where.port} on ${where.host} is in use: choose another share port`
          : e.code === 'EACCES'
            ? `not allowed to listen on port ${where.port} (ports below 1024 need privileges): choose another share port`
            : e.code === 'EADDRNOTAVAIL'
              ? `${where.host} is not an address of this machine`
              : `sharing could not start: ${e.message}`;
      throw new SharingError(this.lastError, { cause: err });
    }
  }

  private async publishRevocations(): Promise<void> {
    let tokens: ViewerTokens;
    try {
      tokens = await this.openTokens();
    } catch (err) {
      if (this.stopped) return;
      // The trader's desk runs without it; sharing, if configured, fails on the same register just after.
      this.options.logger.error({ err: (err as Error).message }, 'the viewer token register cannot be opened: revocations are not published for relays');
      return;
    }
    if (this.stopped || this.revocations) return;
    this.revocations = new RevocationPublisher(tokens, this.options.logger.child({ component: 'share' }), this.options.clock);
    this.revocations.setSource(this.source);
  }

  private async disable(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.lastError = undefined;
    await server?.stop();
  }

  private openTokens(): Promise<ViewerTokens> {
    if (this.stopped) return Promise.reject(new SharingError('DualDesk is stopping: viewer tokens are closed'));
    if (this.tokens) return Promise.resolve(this.tokens);
    this.opening ??= ViewerTokens.open(this.options.dataDir).then(
      (t) => {
        if (this.stopped) {
          // Opened after stop(): closed here, or its database handle and poller would outlive the desk.
          t.close();
          throw new SharingError('DualDesk is stopping: viewer tokens are closed');
        }
        this.tokens = t;
        return t;
      },
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }
}
