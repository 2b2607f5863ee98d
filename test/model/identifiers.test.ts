// Profile identifiers are UUIDv5 (RFC 9562 §5.5): the RFC's own example, then Python's uuid5
// (an independent implementation) for names with every kind of character, so a change in how
// the digest is read (byte order, version and variant bits, case) cannot slip through.
import { expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { organizationNamespace, uuidV5 } from '../../src/model/identifiers.js';

const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

describe('uuidV5', () => {
  it('gives the RFC 9562 example (Appendix A.4)', () => {
    expect(uuidV5(DNS_NAMESPACE, 'www.example.com')).toBe('2ED6657D-E927-568B-95E1-2665A8AEA6A2');
  });

  it('agrees with Python uuid.uuid5 for many names and namespaces', () => {
    const namespaces = [DNS_NAMESPACE, organizationNamespace('org.example.mail'), organizationNamespace('local.mailsetup')];
    const names = Array.from(
      { length: 400 },
      (_, i) =>
        [`profile:user${i}@example.org`, `payload:анна.${i}@пример.рф:caldav`, `payload:x${i}@a.b:trust.${i.toString(16)}`, `${'é'.repeat(i % 70)}😀${i}`][
          i % 4
        ]!,
    );
    const cases = namespaces.flatMap((namespace) => names.map((name) => ({ namespace, name })));
    const python = execFileSync(
      'python3',
      ['-c', 'import json,sys,uuid\nfor c in json.load(sys.stdin): print(str(uuid.uuid5(uuid.UUID(c["namespace"]), c["name"])).upper())'],
      { input: JSON.stringify(cases), encoding: 'utf8' },
    )
      .trim()
      .split('\n');
    expect(cases.map(({ namespace, name }) => uuidV5(namespace, name))).toEqual(python);
  });
});
