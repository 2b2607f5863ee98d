// Independent parsers: Python's standard library reads what we write.
import { execFileSync } from 'node:child_process';

const PLIST_CONVERT = [
  'import sys, json, plistlib, base64, datetime',
  'def conv(v):',
  '    if isinstance(v, dict): return {k: conv(x) for k, x in v.items()}',
  '    if isinstance(v, list): return [conv(x) for x in v]',
  '    if isinstance(v, bytes): return {"$data": base64.b64encode(v).decode()}',
  '    if isinstance(v, datetime.datetime): return {"$date": v.isoformat()}',
  '    if isinstance(v, float): return {"$real": v}',
  '    return v',
];

/** Parses plist XML with Python's plistlib; returns JSON-safe data (dates as ISO strings, data as base64). */
export function plistlibParse(xml: string | Buffer): unknown {
  const script = [...PLIST_CONVERT, 'print(json.dumps(conv(plistlib.loads(sys.stdin.buffer.read())), ensure_ascii=False))'].join('\n');
  const out = execFileSync('python3', ['-c', script], { input: xml, encoding: 'utf8' });
  return JSON.parse(out);
}

/** plistlibParse for many files in one Python process (each file travels base64-encoded). */
export function plistlibParseMany(xmls: ReadonlyArray<string | Buffer>): unknown[] {
  const script = [
    ...PLIST_CONVERT,
    'files = json.loads(sys.stdin.read())',
    'print(json.dumps([conv(plistlib.loads(base64.b64decode(f))) for f in files], ensure_ascii=False))',
  ].join('\n');
  const input = JSON.stringify(xmls.map((xml) => Buffer.from(xml).toString('base64')));
  return JSON.parse(execFileSync('python3', ['-c', script], { input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 })) as unknown[];
}
