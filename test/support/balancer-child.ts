// A test runner stand-in for balancer.test.ts: starts a balancer, prints its port, and waits to be
// SIGKILLed (its timers die with it, so only haproxy's own lifetime can end haproxy).
import { startBalancer } from './balancer';
import { freePort } from '../../scripts/kafka/broker';

const seconds = Number(process.argv[2]);
if (!(seconds > 0)) throw new Error('usage: balancer-child <maxLifetimeSeconds>');
const balancer = await startBalancer({ backends: [{ port: await freePort(), opsPort: await freePort() }], maxLifetimeSeconds: seconds });
process.stdout.write(`${balancer.port}\n`);
setInterval(() => undefined, 60_000);
