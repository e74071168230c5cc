import { describe, expect, it } from 'vitest';
import { EXIT_USAGE, runCli } from '../../src/main/cli';

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
    for (const flag of ['--data-dir', '--port', '--mode', '--log-level', '--config', '--kafka']) expect(serve.out).toContain(flag);
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
    [['serve', '--kafka', 'localhost'], /^error: option '--kafka <brokers>' argument 'localhost' is invalid\. must be host:port/],
    [['serve', '--kafka', 'a:9092,,b:9092'], /an empty entry/],
    [['serve', '--kafka', 'a:99999'], /port from 1 to 65535/],
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
