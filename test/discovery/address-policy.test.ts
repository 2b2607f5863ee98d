// Which addresses discovery may connect to: every special-purpose IPv4 and IPv6 block refused,
// IPv4 hidden in IPv6 forms checked as IPv4, the operator's allowed networks and ports honoured.
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { addressPolicy, embeddedIpv4, specialPurpose } from '../../src/discovery/address-policy.js';
import { parseCidr } from '../../src/model/cidr.js';
import { loadConfig } from '../../src/config.js';
import { DEFAULTS } from '../../src/model/defaults.js';
import { thrown } from '../support/errors.js';

const policy = addressPolicy({ ports: DEFAULTS.discovery.ports });

describe('special-purpose addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.254', 'carrier-grade NAT'],
    ['224.0.0.251', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['0.0.0.0', 'this network'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fd12:3456::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'documentation'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['2002:c0a8:0101::1', 'private'],
  ])('%s is %s', (address, kind) => {
    expect(specialPurpose(address)).toBe(kind);
    expect(policy.check(address, 993)).toEqual({ allowed: false, reason: `${address} is a ${kind} address` });
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2a00:1450:4001::1', '::ffff:8.8.8.8'])('%s is public', (address) => {
    expect(specialPurpose(address)).toBeUndefined();
    expect(policy.check(address, 993)).toEqual({ allowed: true });
  });

  it('every IPv4 address means the same in its IPv4-mapped IPv6 form', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        expect(embeddedIpv4(`::ffff:${v4}`)).toBe(v4);
        expect(specialPurpose(`::ffff:${v4}`)).toBe(specialPurpose(v4));
      }),
    );
  });
});

describe('ports and allowed networks', () => {
  it('only mail and web ports', () => {
    expect(policy.check('8.8.8.8', 22)).toEqual({
      allowed: false,
      reason: 'port 22 is not a mail or web port (allowed: 25, 80, 110, 143, 443, 465, 587, 993, 995)',
    });
    expect(addressPolicy({ ports: DEFAULTS.discovery.ports, extraPorts: [2525] }).check('8.8.8.8', 2525)).toEqual({ allowed: true });
  });

  it('networks the operator allows', () => {
    const allowing = addressPolicy({ ports: DEFAULTS.discovery.ports, allow: [parseCidr('10.0.0.0/8')!, parseCidr('fd00::/8')!] });
    expect(allowing.check('10.9.9.9', 993)).toEqual({ allowed: true });
    expect(allowing.check('::ffff:10.9.9.9', 993)).toEqual({ allowed: true });
    expect(allowing.check('fd01::1', 993)).toEqual({ allowed: true });
    expect(allowing.check('192.168.0.1', 993).allowed).toBe(false);
  });

  it('MAILSETUP_DISCOVERY_ALLOW, _PORTS and the time limits are read and checked once, at start', () => {
    const config = loadConfig({ MAILSETUP_DISCOVERY_ALLOW: '127.0.0.0/8, fd00::/8', MAILSETUP_DISCOVERY_PORTS: '2525', MAILSETUP_DISCOVERY_TIMEOUT: '2.5' });
    expect(config.discovery).toMatchObject({
      allow: [
        { network: '127.0.0.0', prefix: 8 },
        { network: 'fd00::', prefix: 8 },
      ],
      extraPorts: [2525],
      probeTimeoutMs: 2500,
      deadlineMs: 15000,
    });
    expect(loadConfig({}).discovery).toMatchObject({ enabled: true, dnsServers: undefined, allow: [], probeTimeoutMs: 5000, cacheEntries: 1000 });
    const error = thrown(() => loadConfig({ MAILSETUP_DISCOVERY_ALLOW: '10.0.0.0/33' }));
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', field: 'MAILSETUP_DISCOVERY_ALLOW', rule: 'cidr' });
    expect(thrown(() => loadConfig({ MAILSETUP_DNS_SERVERS: 'dns.example.org' }))).toMatchObject({ field: 'MAILSETUP_DNS_SERVERS' });
    expect(thrown(() => loadConfig({ MAILSETUP_DISCOVERY_PORTS: '70000' }))).toMatchObject({ field: 'MAILSETUP_DISCOVERY_PORTS', rule: 'port-range' });
  });
});
