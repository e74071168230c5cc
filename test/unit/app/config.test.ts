import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/main/app';
import { tempDir } from '../../support/fs';

describe('loadConfig', () => {
  it('fills every default from the schema', () => {
    const dataDir = tempDir();
    const config = loadConfig({ flags: { dataDir } });
    expect(config).toEqual({
      dataDir,
      mode: 'paper',
      demo: false,
      log: { level: 'info' },
      server: { enabled: false, host: '127.0.0.1', port: 7800 },
      stream: { retentionHours: 24, retentionMessages: 1_000_000 },
      share: { enabled: false, port: 8443, host: '0.0.0.0' },
      shutdownTimeoutMs: 10_000,
    });
  });

  it('reads the share block, and wants its certificate and key both or neither', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ share: { enabled: true, port: 9443, cert: '/etc/desk.pem', key: '/etc/desk-key.pem' } }));
    expect(loadConfig({ flags: { dataDir } }).share).toEqual({ enabled: true, port: 9443, host: '0.0.0.0', cert: '/etc/desk.pem', key: '/etc/desk-key.pem' });
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ share: { cert: '/etc/desk.pem' } }));
    expect(() => loadConfig({ flags: { dataDir } })).toThrow(/share.*give both share\.cert and share\.key/);
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ share: { port: 70000 } }));
    expect(() => loadConfig({ flags: { dataDir } })).toThrow(/share\.port .*must be a port number/);
  });

  it('takes every share limit the share server has, viewers per address and the total rate included', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ share: { maxViewersPerAddress: 5, totalConnectionsPerSecond: 400 } }));
    expect(loadConfig({ flags: { dataDir } }).share).toMatchObject({ maxViewersPerAddress: 5, totalConnectionsPerSecond: 400 });
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ share: { totalConnectionsPerSecond: 0 } }));
    expect(() => loadConfig({ flags: { dataDir } })).toThrow(/share\.totalConnectionsPerSecond/);
  });

  it('layers defaults < config file < environment < flags', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ mode: 'live', log: { level: 'warn' }, server: { port: 7001 } }));
    const base = { defaults: { server: { enabled: true } }, flags: { dataDir } };

    const fromFile = loadConfig(base);
    expect(fromFile.mode).toBe('live');
    expect(fromFile.log.level).toBe('warn');
    expect(fromFile.server).toMatchObject({ enabled: true, port: 7001 });

    const fromEnv = loadConfig({ ...base, env: { DUALDESK_PORT: '7002', DUALDESK_LOG_LEVEL: 'debug' } });
    expect(fromEnv.server.port).toBe(7002);
    expect(fromEnv.log.level).toBe('debug');
    expect(fromEnv.mode).toBe('live');

    const fromFlags = loadConfig({ ...base, env: { DUALDESK_PORT: '7002' }, flags: { dataDir, 'server.port': 7003, mode: 'paper' } });
    expect(fromFlags.server.port).toBe(7003);
    expect(fromFlags.mode).toBe('paper');
  });

  it('takes the data directory from a flag, then the environment, then the default, resolved to an absolute path', () => {
    const dir = tempDir();
    expect(loadConfig({ env: { DUALDESK_DATA_DIR: dir } }).dataDir).toBe(dir);
    expect(loadConfig({ env: { DUALDESK_DATA_DIR: '/nowhere' }, flags: { dataDir: dir } }).dataDir).toBe(dir);
    expect(loadConfig({ defaultDataDir: dir }).dataDir).toBe(dir);
    expect(loadConfig({ flags: { dataDir: 'rel/desk' }, cwd: dir }).dataDir).toBe(join(dir, 'rel/desk'));
  });

  it('takes the account to trade from venue.account, DUALDESK_ACCOUNT or --account, and refuses what is not an IB account id', () => {
    const dataDir = tempDir();
    expect(loadConfig({ flags: { dataDir }, env: { DUALDESK_ACCOUNT: 'DU2222222' } }).venue?.account).toBe('DU2222222');
    expect(loadConfig({ flags: { dataDir, 'venue.account': 'U7654321' }, env: { DUALDESK_ACCOUNT: 'DU2222222' } }).venue?.account).toBe('U7654321');
    expect(() => loadConfig({ flags: { dataDir }, env: { DUALDESK_ACCOUNT: 'du2222222; DROP' } })).toThrow(/venue\.account \(from DUALDESK_ACCOUNT\): must be an IB account id/);
    expect(() => loadConfig({ flags: { dataDir, 'venue.account': '' } })).toThrow(/venue\.account \(from --account\)/);
  });

  it('names the source of a bad value', () => {
    const dataDir = tempDir();
    expect(() => loadConfig({ flags: { dataDir }, env: { DUALDESK_PORT: 'eighty' } })).toThrow(/server\.port \(from DUALDESK_PORT\): must be a port number/);
    expect(() => loadConfig({ flags: { dataDir, 'server.port': 70000 } })).toThrow(/server\.port \(from --port\)/);
    expect(() => loadConfig({ flags: { dataDir }, env: { DUALDESK_MODE: 'demo' } })).toThrow(/mode \(from DUALDESK_MODE\)/);
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ server: { host: '0.0.0.0' } }));
    expect(() => loadConfig({ flags: { dataDir } })).toThrow(
      new RegExp(`server\\.host \\(from ${join(dataDir, 'config.json').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): must be a loopback address`),
    );
  });

  it('refuses unknown keys, so a typo in the config file is not silently ignored', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ sever: { port: 1 } }));
    expect(() => loadConfig({ flags: { dataDir } })).toThrow(ConfigError);
    expect(() => loadConfig({ flags: { dataDir } })).toThrow(/sever/);
  });

  it('refuses a config file that is not a JSON object, or that moves the data directory', () => {
    const dataDir = tempDir();
    const file = join(dataDir, 'config.json');
    writeFileSync(file, '{ "mode": ');
    expect(() => loadConfig({ flags: { dataDir } })).toThrow(/is not valid JSON/);
    writeFileSync(file, '[1, 2]');
    expect(() => loadConfig({ flags: { dataDir } })).toThrow(/must hold a JSON object/);
    writeFileSync(file, JSON.stringify({ dataDir: '/elsewhere' }));
    expect(() => loadConfig({ flags: { dataDir } })).toThrow(/dataDir cannot be set in/);
  });

  it('reads flags such as demo from the environment as booleans, and refuses other words', () => {
    const dataDir = tempDir();
    expect(loadConfig({ flags: { dataDir }, env: { DUALDESK_DEMO: 'true' } }).demo).toBe(true);
    expect(loadConfig({ flags: { dataDir }, env: { DUALDESK_DEMO: '0' } }).demo).toBe(false);
    expect(() => loadConfig({ flags: { dataDir }, env: { DUALDESK_DEMO: 'yes please' } })).toThrow(/demo \(from DUALDESK_DEMO\)/);
  });

  it('reads the demo market options from flags, the environment and the config file, only with demo', () => {
    const dataDir = tempDir();
    expect(loadConfig({ flags: { dataDir, demo: true } }).demoMarket).toBeUndefined();
    const fromFlags = loadConfig({ flags: { dataDir, demo: true, 'demoMarket.symbols': 50, 'demoMarket.rate': 5000 } });
    expect(fromFlags.demoMarket).toEqual({ symbols: 50, rate: 5000 });
    const fromEnv = loadConfig({ flags: { dataDir }, env: { DUALDESK_DEMO: '1', DUALDESK_DEMO_SYMBOLS: '50', DUALDESK_DEMO_RATE: '416.5', DUALDESK_DEMO_SPEED: '12' } });
    expect(fromEnv.demoMarket).toEqual({ symbols: 50, rate: 416.5, speed: 12 });
    // Flags win over the environment, key by key.
    expect(loadConfig({ flags: { dataDir, 'demoMarket.rate': 900 }, env: { DUALDESK_DEMO: 'true', DUALDESK_DEMO_SYMBOLS: '20', DUALDESK_DEMO_RATE: '5000' } }).demoMarket).toEqual({
      symbols: 20,
      rate: 900,
    });
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ demo: true, demoMarket: { speed: 60 } }));
    expect(loadConfig({ flags: { dataDir } }).demoMarket).toEqual({ speed: 60 });
  });

  it('refuses bad demo market options, naming their source', () => {
    const dataDir = tempDir();
    const demo =
      (flags: Record<string, unknown>, env: Record<string, string> = {}) =>
      () =>
        loadConfig({ flags: { dataDir, demo: true, ...flags }, env });
    expect(demo({ 'demoMarket.symbols': 0 })).toThrow(/demoMarket\.symbols \(from --demo-symbols\): must be at least 1/);
    expect(demo({ 'demoMarket.symbols': 501 })).toThrow(/demoMarket\.symbols \(from --demo-symbols\): must be at most 500/);
    expect(demo({}, { DUALDESK_DEMO_SYMBOLS: '12.5' })).toThrow(/demoMarket\.symbols \(from DUALDESK_DEMO_SYMBOLS\): must be a whole number/);
    expect(demo({ 'demoMarket.rate': 0 })).toThrow(/demoMarket\.rate \(from --demo-rate\): must be above 0/);
    expect(demo({}, { DUALDESK_DEMO_RATE: 'fast' })).toThrow(/demoMarket\.rate \(from DUALDESK_DEMO_RATE\): must be a number/);
    expect(demo({ 'demoMarket.speed': 20_000 })).toThrow(/demoMarket\.speed \(from --demo-speed\): must be at most 10,000/);
    expect(demo({ demoMarket: { symbols: 5, burst: true } })).toThrow(/burst/);
    // Without the demo venue the options mean nothing: refused rather than ignored.
    expect(() => loadConfig({ flags: { dataDir, 'demoMarket.rate': 5000 } })).toThrow(
      /demoMarket\.rate \(from --demo-rate\): applies only to the demo venue \(--demo or DUALDESK_DEMO=1\)/,
    );
    expect(() => loadConfig({ flags: { dataDir }, env: { DUALDESK_DEMO_SPEED: '12' } })).toThrow(/demoMarket\.speed \(from DUALDESK_DEMO_SPEED\): applies only to the demo venue/);
  });

  it('requires an explicitly named config file to exist', () => {
    const dataDir = tempDir();
    expect(() => loadConfig({ flags: { dataDir }, configFile: join(dataDir, 'missing.json') })).toThrow(/config file not found/);
    expect(() => loadConfig({ flags: { dataDir }, env: { DUALDESK_CONFIG: join(dataDir, 'nope.json') } })).toThrow(/config file not found/);
  });

  it('does not let a config file reach an object prototype', () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'config.json'), '{ "__proto__": { "mode": "live" } }');
    expect(loadConfig({ flags: { dataDir } }).mode).toBe('paper');
    expect(({} as Record<string, unknown>)['mode']).toBeUndefined();
  });
});
