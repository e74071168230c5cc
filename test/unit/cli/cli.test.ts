import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, runCli } from '../../../src/main/cli';

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {} });
  return { code, out, err };
}

describe('dualdesk CLI', () => {
  it('prints help for the program and for serve, exit 0', async () => {
    const top = await run('--help');
    expect(top.code).toBe(0);
    expect(top.out).toContain('Usage: dualdesk');
    expect(top.out).toContain('serve');
    const serve = await run('serve', '--help');
    expect(serve.code).toBe(0);
    for (const flag of ['--data-dir', '--port', '--mode', '--log-level', '--config', '--kafka', '--demo-symbols', '--demo-rate', '--demo-speed']) expect(serve.out).toContain(flag);
    const sim = await run('sim', '--help');
    expect(sim.code).toBe(0);
    for (const flag of ['--port', '--seed', '--symbols', '--tick-rate', '--live-account', '--sessions', '--speed', '--control-port']) expect(sim.out).toContain(flag);
  });

  it.each([
    [['serve', '--bogus'], /^error: unknown option '--bogus'\n$/],
    [['serve', '--port', 'eighty'], /^error: option '--port <port>' argument 'eighty' is invalid\. must be a port number/],
    [['serve', '--port', '70000'], /is invalid/],
    [['serve', '--mode', 'demo'], /^error: option '--mode <mode>' argument 'demo' is invalid\. Allowed choices are paper, live\.\n$/],
    [['serve', '--log-level', 'loud'], /argument 'loud' is invalid/],
    [['nope'], /^error: unknown command 'nope'/],
    [['serve', 'extra'], /too many arguments/],
    [['sim', '--port', '-1'], /argument '-1' is invalid/],
    [['sim', '--tick-rate', '0'], /must be a number above 0/],
    [['sim', '--symbols', 'AAPL,$$$'], /'\$\$\$' is not one/],
    [['sim', '--live-account', 'DU123'], /live-looking IB account id/],
    [['sim', '--sessions', 'weekdays'], /Allowed choices are always, exchange/],
    [['sim', '--seed', '4.2'], /must be a whole number/],
    [['sim', '--state', 'venue.json', '--accounts', 'DU1234567,DU7654321'], /^error: option '--state <file>' cannot be used with option '--accounts <list>'\n$/],
    [['serve', '--kafka', 'localhost'], /^error: option '--kafka <brokers>' argument 'localhost' is invalid\. must be host:port/],
    [['serve', '--kafka', 'a:9092,,b:9092'], /an empty entry/],
    [['serve', '--kafka', 'a:99999'], /port from 1 to 65535/],
    [['serve', '--demo', '--demo-symbols', 'fifty'], /^error: option '--demo-symbols <n>' argument 'fifty' is invalid\. must be a whole number\.\n$/],
    [['serve', '--demo', '--demo-rate', '0'], /^error: option '--demo-rate <n>' argument '0' is invalid\. must be a number above 0 and at most 1000000\.\n$/],
    [['serve', '--demo', '--demo-speed', 'x2'], /argument 'x2' is invalid\. must be a number above 0/],
  ])('%j is a one-line usage error with exit code 2', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err).toMatch(message);
    expect(r.err.trimEnd().split('\n')).toHaveLength(1);
  });

  it('reports a bad environment value as a one-line usage error', async () => {
    let err = '';
    const code = await runCli(['serve', '--data-dir', '/tmp/dualdesk-cli-never-created'], {
      stdout: () => undefined,
      stderr: (t) => (err += t),
      env: { DUALDESK_PORT: 'abc' },
    });
    expect(code).toBe(EXIT_USAGE);
    expect(err).toMatch(/^error: invalid configuration: server\.port \(from DUALDESK_PORT\)/);
    expect(err.trimEnd().split('\n')).toHaveLength(1);
  });

  it.each([
    [['--demo', '--demo-symbols', '501'], {}, /^error: invalid configuration: demoMarket\.symbols \(from --demo-symbols\): must be at most 500\n$/],
    [['--demo-rate', '5000'], {}, /^error: invalid configuration: demoMarket\.rate \(from --demo-rate\): applies only to the demo venue \(--demo or DUALDESK_DEMO=1\)\n$/],
    [['--demo'], { DUALDESK_DEMO_SPEED: 'fast' }, /^error: invalid configuration: demoMarket\.speed \(from DUALDESK_DEMO_SPEED\): must be a number\n$/],
  ])('reports bad demo market options %j (env %j) as a one-line usage error before starting anything', async (argv, env, message) => {
    let err = '';
    const code = await runCli(['serve', '--data-dir', '/tmp/dualdesk-cli-never-created', ...argv], { stdout: () => undefined, stderr: (t) => (err += t), env });
    expect(code).toBe(EXIT_USAGE);
    expect(err).toMatch(message);
  });

  it('reports a bad broker list from the environment with its source', async () => {
    let err = '';
    const code = await runCli(['serve', '--data-dir', '/tmp/dualdesk-cli-never-created'], {
      stdout: () => undefined,
      stderr: (t) => (err += t),
      env: { DUALDESK_KAFKA: 'broker-1:9092,broker-2' },
    });
    expect(code).toBe(EXIT_USAGE);
    expect(err).toMatch(/^error: invalid configuration: kafka\.brokers\.1 \(from DUALDESK_KAFKA\): must be host:port \('broker-2' is not\)/);
  });

  it('prints the version', async () => {
    const r = await run('--version');
    expect(r.code).toBe(0);
    expect(r.out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
