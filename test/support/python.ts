// Independent parsers: Python's standard library reads what we write.
import { execFileSync } from 'node:child_process';

/** Parses plist XML with Python's plistlib; returns JSON-safe data (dates as ISO strings, data as base64). */
export function plistlibParse(xml: string | Buffer): unknown {
  const script = [
    'import sys, json, plistlib, base64, datetime',
    'def conv(v):',
    '    if isinstance(v, dict): return {k: conv(x) for k, x in v.items()}',
    '    if isinstance(v, list): return [conv(x) for x in v]',
    '    if isinstance(v, bytes): return {"$data": base64.b64encode(v).decode()}',
    '    if isinstance(v, datetime.datetime): return {"$date": v.isoformat()}',
    '    if isinstance(v, float): return {"$real": v}',
    '    return v',
    'print(json.dumps(conv(plistlib.loads(sys.stdin.buffer.read())), ensure_ascii=False))',
  ].join('\n');
  const out = execFileSync('python3', ['-c', script], { input: xml, encoding: 'utf8' });
  return JSON.parse(out);
}
