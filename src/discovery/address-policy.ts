// Where discovery may connect: public unicast addresses (RFC 6890 special-purpose registries
// excluded) on mail and web ports, plus the networks and ports the operator allows. Checked for
// every connection, on the address actually dialled, so a name that resolves differently the
// second time (DNS rebinding) gains nothing.
import { BlockList, isIP, isIPv4 } from 'node:net';
import type { Cidr } from '../model/cidr.js';

/** Special-purpose IPv4 blocks (IANA registry) that are not the public internet. */
const IPV4_SPECIAL: readonly [string, number, string][] = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

/** Special-purpose IPv6 blocks; mapped and translated IPv4 forms are checked as the IPv4 address they carry. */
const IPV6_SPECIAL: readonly [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'reserved'],
  ['100::', 64, 'discard'],
  ['2001::', 23, 'reserved'],
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'private'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function blockList(entries: readonly [string, number, string][], family: 'ipv4' | 'ipv6'): { list: BlockList; kinds: [BlockList, string][] } {
  const list = new BlockList();
  const kinds: [BlockList, string][] = [];
  for (const [network, prefix, kind] of entries) {
    list.addSubnet(network, prefix, family);
    const one = new BlockList();
    one.addSubnet(network, prefix, family);
    kinds.push([one, kind]);
  }
  return { list, kinds };
}

const SPECIAL = { ipv4: blockList(IPV4_SPECIAL, 'ipv4'), ipv6: blockList(IPV6_SPECIAL, 'ipv6') };

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address. */
export function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:(?:0:)?|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const groups = expandIpv6(lower);
  if (!groups) return undefined;
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  if (mapped || nat64) return quad(groups[6]!, groups[7]!);
  if (groups[0] === 0x2002) return quad(groups[1]!, groups[2]!);
  return undefined;
}

function quad(high: number, low: number): string {
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

/** Eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function expandIpv6(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4) {
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -v4.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  const left = part(head);
  const right = tail === undefined ? [] : part(tail);
  const fill = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  const groups = [...left, ...fill, ...right];
  return groups.length === 8 ? groups : undefined;
}

/** Why an address is not on the public internet ("private", "loopback", …), or undefined when it is. */
export function specialPurpose(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner !== undefined) {
      const kind = specialPurpose(inner);
      if (kind) return kind;
    }
    return SPECIAL.ipv6.kinds.find(([list]) => list.check(address, 'ipv6'))?.[1];
  }
  return SPECIAL.ipv4.kinds.find(([list]) => list.check(address, 'ipv4'))?.[1];
}

export interface AddressPolicyOptions {
  /** Networks the operator allows even though they are private, loopback, … */
  allow?: readonly Cidr[];
  /** Ports allowed besides the mail and web ports. */
  extraPorts?: readonly number[];
  /** The mail and web ports. */
  ports: readonly number[];
}

export type Verdict = { allowed: true } | { allowed: false; reason: string };

export interface AddressPolicy {
  check(address: string, port: number): Verdict;
  /** The ports connections may go to, for messages. */
  readonly ports: readonly number[];
}

export function addressPolicy(options: AddressPolicyOptions): AddressPolicy {
  const allowed = new BlockList();
  for (const cidr of options.allow ?? []) allowed.addSubnet(cidr.network, cidr.prefix, cidr.family);
  const ports = [...new Set([...options.ports, ...(options.extraPorts ?? [])])].sort((a, b) => a - b);
  const isAllowed = (address: string) => {
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (allowed.check(address, family)) return true;
    const inner = family === 'ipv6' ? embeddedIpv4(address) : undefined;
    return inner !== undefined && allowed.check(inner, 'ipv4');
  };
  return {
    ports,
    check(address, port) {
      if (!ports.includes(port)) return { allowed: false, reason: `port ${port} is not a mail or web port (allowed: ${ports.join(', ')})` };
      const kind = specialPurpose(address);
      if (kind === undefined || isAllowed(address)) return { allowed: true };
      return { allowed: false, reason: `${address} is a ${kind} address` };
    },
  };
}
