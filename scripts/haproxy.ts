// Debian's haproxy, the load balancer in front of relays in the tests (docs/relay/haproxy.cfg),
// installed with apt-get when missing.
import { ensureDebianPackage } from './apt';

export function haproxyPath(): string {
  return process.env['HAPROXY_PATH'] ?? '/usr/sbin/haproxy';
}

export function ensureHaproxy(log: (line: string) => void = () => undefined): string {
  return ensureDebianPackage('haproxy', haproxyPath(), 'haproxy', log);
}
