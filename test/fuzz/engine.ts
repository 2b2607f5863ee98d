// Sends hostile requests through a target (the service the API calls, or the API itself), reads
// every file back with the real parsers, and sorts each case into refused (a clean refusal naming
// the field the person filled in and the rule), correct (every value back exactly) or broken.
import { FUZZ_FORMATS, sampleCases, type FuzzCase, type FuzzFormat } from './cases.js';
import { expectationOf, type Expectation, type ExpectedValues } from './oracle.js';
import { repoRoot, startReaders, type Job, type PrfSections, type ReadResult, type Readers, type RegKeys, type XmlNode } from './readers.js';
import { join } from 'node:path';

export interface RefusalInfo {
  code: string;
  field?: string | undefined;
  rule?: string | undefined;
  message: string;
  details?: readonly { field: string; rule: string; message: string }[] | undefined;
}

export type Outcome = { ok: true; body: Buffer } | { ok: false; status?: number; error: RefusalInfo };

/** One request body in, the file or the refusal out. */
export type Target = (body: Record<string, unknown>) => Promise<Outcome>;

export interface BrokenExample {
  body: Record<string, unknown>;
  reason: string;
}

export interface FormatReport {
  format: FuzzFormat;
  cases: number;
  refused: number;
  correct: number;
  broken: number;
  examples: BrokenExample[];
  /** How often each rule refused, for the report. */
  rules: Record<string, number>;
}

/** The fields a person fills in (API body paths; the web form and CLI map them to their names). */
const REQUEST_FIELDS = new Set([
  'email',
  'name',
  'login',
  'password',
  'type',
  'provider',
  'variant',
  'security',
  'format',
  'device',
  'language',
  'outlook',
  'unsigned',
  'manual',
  'manual.incoming',
  'manual.outgoing',
  'manual.incoming.host',
  'manual.incoming.port',
  'manual.incoming.socket',
  'manual.outgoing.host',
  'manual.outgoing.port',
  'manual.outgoing.socket',
  'input',
  'body',
]);

const OFFICE: Record<string, string> = { '2010': '14.0', '2013': '15.0', '2016': '16.0' };
const WINDOWS_FILE = /^[A-Za-z]:\\(?:[^\\]+\\)*[^\\]+$/;

// ---- reading the trees the parsers return ----

const local = (tag: string) => tag.replace(/^\{[^}]*\}/, '');
const kids = (node: XmlNode | undefined, tag: string) => (node?.children ?? []).filter((c) => local(c.tag) === tag);
const kid = (node: XmlNode | undefined, tag: string) => kids(node, tag)[0];
const textOf = (node: XmlNode | undefined, tag: string) => kid(node, tag)?.text;

type Problems = string[];

function same(problems: Problems, what: string, actual: unknown, expected: unknown): void {
  if (actual !== expected) problems.push(`${what}: ${JSON.stringify(actual)} instead of ${JSON.stringify(expected)}`);
}

function checkPlist(parsed: unknown, v: ExpectedValues): Problems {
  const problems: Problems = [];
  const top = parsed as Record<string, unknown>;
  const payload = ((top.PayloadContent as Record<string, unknown>[] | undefined) ?? [])[0] ?? {};
  for (const key of ['PayloadDisplayName', 'PayloadDescription']) {
    const text = top[key];
    if (typeof text !== 'string' || !text.includes(v.address)) problems.push(`${key} ${JSON.stringify(top[key])} lacks ${JSON.stringify(v.address)}`);
  }
  same(problems, 'EmailAddress', payload.EmailAddress, v.ascii);
  if (v.kind === 'exchange') {
    same(problems, 'UserName', payload.UserName, v.exchangeLogin);
    same(problems, 'Password', payload.Password, v.password);
  } else {
    same(problems, 'EmailAccountName', payload.EmailAccountName, v.name);
    same(problems, 'IncomingMailServerUsername', payload.IncomingMailServerUsername, v.incoming!.login);
    same(problems, 'OutgoingMailServerUsername', payload.OutgoingMailServerUsername, v.outgoing!.login);
    same(problems, 'IncomingPassword', payload.IncomingPassword, v.password);
    if (v.incoming!.host !== undefined) {
      same(problems, 'IncomingMailServerHostName', payload.IncomingMailServerHostName, v.incoming!.host);
      same(problems, 'IncomingMailServerPortNumber', payload.IncomingMailServerPortNumber, v.incoming!.port);
      same(problems, 'OutgoingMailServerHostName', payload.OutgoingMailServerHostName, v.outgoing!.host);
      same(problems, 'OutgoingMailServerPortNumber', payload.OutgoingMailServerPortNumber, v.outgoing!.port);
    }
  }
  return problems;
}

function checkAutodiscover(root: XmlNode, v: ExpectedValues): Problems {
  const problems: Problems = [];
  const response = kid(root, 'Response');
  same(problems, 'User/DisplayName', textOf(kid(response, 'User'), 'DisplayName'), v.name);
  const account = kid(response, 'Account');
  if (v.kind === 'exchange') {
    same(problems, 'Action', textOf(account, 'Action'), 'redirectUrl');
    return problems;
  }
  const protocols = kids(account, 'Protocol');
  const incoming = protocols.find((p) => ['IMAP', 'POP3'].includes(textOf(p, 'Type') ?? ''));
  const smtp = protocols.find((p) => textOf(p, 'Type') === 'SMTP');
  same(problems, 'incoming LoginName', textOf(incoming, 'LoginName'), v.incoming!.login);
  same(problems, 'SMTP LoginName', textOf(smtp, 'LoginName'), v.outgoing!.login);
  if (v.incoming!.host !== undefined) {
    same(problems, 'incoming Server', textOf(incoming, 'Server'), v.incoming!.host);
    same(problems, 'incoming Port', textOf(incoming, 'Port'), String(v.incoming!.port));
    same(problems, 'SMTP Server', textOf(smtp, 'Server'), v.outgoing!.host);
    same(problems, 'SMTP Port', textOf(smtp, 'Port'), String(v.outgoing!.port));
  }
  return problems;
}

function checkAutoconfig(root: XmlNode, v: ExpectedValues): Problems {
  const problems: Problems = [];
  const provider = kid(root, 'emailProvider');
  same(problems, 'emailProvider id', provider?.attrib.id, v.asciiDomain);
  same(
    problems,
    'domain',
    kids(provider, 'domain')
      .map((d) => d.text)
      .join(' '),
    v.asciiDomain,
  );
  const incoming = kids(provider, 'incomingServer');
  const outgoing = kids(provider, 'outgoingServer');
  const own = v.kind === 'exchange' ? [v.exchangeLogin!] : [v.incoming!.login];
  // Alternative servers carry the provider's login, or the person's own (either is the person's).
  const allowed = new Set([v.providerLogin, ...own]);
  if (v.kind === 'exchange') {
    const ews = incoming.find((s) => s.attrib.type === 'ews');
    same(problems, 'ews username', textOf(ews, 'username'), v.exchangeLogin);
  } else {
    same(problems, 'incomingServer[0] username', textOf(incoming[0], 'username'), v.incoming!.login);
    same(problems, 'outgoingServer[0] username', textOf(outgoing[0], 'username'), v.outgoing!.login);
    if (v.incoming!.host !== undefined) {
      same(problems, 'incomingServer[0] hostname', textOf(incoming[0], 'hostname'), v.incoming!.host);
      same(problems, 'incomingServer[0] port', textOf(incoming[0], 'port'), String(v.incoming!.port));
      same(problems, 'outgoingServer[0] hostname', textOf(outgoing[0], 'hostname'), v.outgoing!.host);
      same(problems, 'outgoingServer[0] port', textOf(outgoing[0], 'port'), String(v.outgoing!.port));
    }
  }
  for (const server of [...incoming, ...outgoing]) {
    const username = textOf(server, 'username');
    if (username !== undefined && !allowed.has(username)) problems.push(`a ${server.attrib.type} server logs in as ${JSON.stringify(username)}`);
  }
  return problems;
}

function checkPrf(sections: PrfSections, v: ExpectedValues): Problems {
  const problems: Problems = [];
  same(problems, 'General ProfileName', sections.General?.ProfileName, v.address);
  if (v.kind === 'exchange') {
    same(problems, 'MailboxName', sections.Service1?.MailboxName, v.ascii);
    same(problems, 'Service1 AccountName', sections.Service1?.AccountName, v.address);
    return problems;
  }
  const account = sections.Account1 ?? {};
  const prefix = v.kind === 'pop' ? 'POP3' : 'IMAP';
  same(problems, 'AccountName', account.AccountName, v.address);
  same(problems, 'EmailAddress', account.EmailAddress, v.ascii);
  same(problems, 'DisplayName', account.DisplayName, v.name);
  same(problems, `${prefix}UserName`, account[`${prefix}UserName`], v.incoming!.login);
  if (account.SMTPUserName !== undefined) same(problems, 'SMTPUserName', account.SMTPUserName, v.outgoing!.login);
  if (v.incoming!.host !== undefined) {
    same(problems, `${prefix}Server`, account[`${prefix}Server`], v.incoming!.host);
    same(problems, `${prefix}Port`, account[`${prefix}Port`], String(v.incoming!.port));
    same(problems, 'SMTPServer', account.SMTPServer, v.outgoing!.host);
    same(problems, 'SMTPPort', account.SMTPPort, String(v.outgoing!.port));
  }
  return problems;
}

/** The form regedit writes: BOM, header, blank line, CRLF only, dwords of 8 hex digits. */
function regForm(bytes: Buffer): Problems {
  if (bytes[0] !== 0xff || bytes[1] !== 0xfe) return ['no UTF-16LE byte order mark'];
  const text = bytes.subarray(2).toString('utf16le');
  const problems: Problems = [];
  if (!text.startsWith('Windows Registry Editor Version 5.00\r\n\r\n')) problems.push('no regedit 5.00 header');
  if (/[^\r]\n|\r[^\n]/.test(text)) problems.push('a line break other than CRLF');
  for (const line of text.split('\r\n')) {
    if (!(
      line === '' ||
      line.startsWith(';') ||
      /^\[[^\]]+\]$/.test(line) ||
      /^"(?:[^"\\]|\\.)*"=(?:-|dword:[0-9a-f]{8}|"(?:[^"\\]|\\.)*")$/.test(line) ||
      line.startsWith('Windows Registry')
    )) {
      problems.push(`an unexpected line ${JSON.stringify(line.slice(0, 80))}`);
    }
  }
  return problems;
}

interface RegFiles {
  xml?: string;
  prf?: string;
}

function checkReg(keys: RegKeys, v: ExpectedValues, outlook: string, files: RegFiles = {}): Problems {
  const problems: Problems = [];
  const base = `HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\${OFFICE[outlook]}\\Outlook`;
  const autodiscover = keys[`${base}\\AutoDiscover`] ?? {};
  const setup = keys[`${base}\\Setup`] ?? {};
  const xmlPath = autodiscover[v.asciiDomain];
  if (typeof xmlPath !== 'string' || !WINDOWS_FILE.test(xmlPath) || !xmlPath.endsWith('.xml'))
    problems.push(`AutoDiscover value ${v.asciiDomain}: ${JSON.stringify(xmlPath)}`);
  else if (files.xml !== undefined && !xmlPath.endsWith(`\\${files.xml}`)) problems.push(`AutoDiscover points at ${xmlPath}, the pack holds ${files.xml}`);
  same(problems, 'PreferLocalXML', autodiscover.PreferLocalXML, 1);
  same(problems, 'DisableOffice365SimplifiedAccountCreation', setup.DisableOffice365SimplifiedAccountCreation, 1);
  const prfPath = setup.ImportPRF;
  if (v.withPrf) {
    if (typeof prfPath !== 'string' || !WINDOWS_FILE.test(prfPath) || !prfPath.endsWith('.prf')) problems.push(`ImportPRF: ${JSON.stringify(prfPath)}`);
    else if (files.prf !== undefined && !prfPath.endsWith(`\\${files.prf}`)) problems.push(`ImportPRF points at ${prfPath}, the pack holds ${files.prf}`);
  } else if (prfPath !== undefined) problems.push('ImportPRF set without a PRF');
  return problems;
}

// ---- the run ----

interface Pending {
  fuzzCase: FuzzCase;
  expectation: Expectation;
  body: Buffer;
  verdict?: Problems;
}

function refusalVerdict(fuzzCase: FuzzCase, expectation: Expectation, outcome: Extract<Outcome, { ok: false }>): Problems {
  const { error } = outcome;
  const problems: Problems = [];
  const shown = `${error.code} ${error.field}/${error.rule}: ${error.message.slice(0, 160)}`;
  if (error.code === 'INTERNAL' || (outcome.status !== undefined && outcome.status >= 500)) problems.push(`internal error ${shown}`);
  for (const detail of error.details ?? []) {
    if (!REQUEST_FIELDS.has(detail.field)) problems.push(`a refusal names ${JSON.stringify(detail.field)}, not a field the person filled in`);
  }
  if (error.field !== undefined && !REQUEST_FIELDS.has(error.field))
    problems.push(`refused naming ${JSON.stringify(error.field)}, not a field the person filled in`);
  if (expectation.refusals.length === 0) problems.push(`refused a value every format can carry: ${shown}`);
  else if (!expectation.refusals.some((r) => r.field === error.field && r.rules.includes(error.rule ?? ''))) {
    problems.push(`refused as ${shown}; expected ${expectation.refusals.map((r) => `${r.field}/${r.rules.join('|')}`).join(' or ')}`);
  }
  void fuzzCase;
  return problems;
}

const decodeUtf8 = (bytes: Buffer) => new TextDecoder('utf-8', { fatal: true }).decode(bytes);

async function checkFiles(pending: Pending[], format: FuzzFormat, readers: Readers, rng: string): Promise<void> {
  const outlookOf = (p: Pending) => (p.fuzzCase.body.outlook as string | undefined) ?? '2016';
  if (format === 'reg') {
    const read = await readers.reg(pending.map((p) => p.body));
    pending.forEach((p, i) => {
      const result = read[i]!;
      p.verdict = [...regForm(p.body), ...(result.ok ? checkReg(result.value, p.expectation.values!, outlookOf(p)) : [`hivex: ${result.error}`])];
    });
    return;
  }
  if (format !== 'outlook-pack') {
    const kind: Job['kind'] = format === 'mobileconfig' ? 'plist' : format === 'prf' ? 'prf' : 'xml';
    const [parsed, lint] = await Promise.all([
      readers.python(pending.map((p) => ({ kind, data: p.body }))),
      kind === 'prf'
        ? Promise.resolve(pending.map(() => undefined))
        : readers.xmllint(
            pending.map((p) => p.body),
            format === 'autoconfig' ? rng : undefined,
          ),
    ]);
    pending.forEach((p, i) => {
      const result = parsed[i]!;
      const problems: Problems = lint[i] ? [`xmllint: ${lint[i]}`] : [];
      if (!result.ok) problems.push(`${kind} reader: ${result.error}`);
      else if (format === 'mobileconfig') problems.push(...checkPlist(result.value, p.expectation.values!));
      else if (format === 'prf') problems.push(...checkPrf(result.value as PrfSections, p.expectation.values!));
      else if (format === 'autodiscover') problems.push(...checkAutodiscover(result.value as XmlNode, p.expectation.values!));
      else problems.push(...checkAutoconfig(result.value as XmlNode, p.expectation.values!));
      p.verdict = problems;
    });
    return;
  }
  // The Outlook pack: the archive first, then every file in it with its own reader.
  const archives = await readers.python(pending.map((p) => ({ kind: 'zip', data: p.body })));
  interface Entry {
    owner: number;
    name: string;
    data: Buffer;
  }
  const entries: Entry[] = [];
  pending.forEach((p, i) => {
    const result = archives[i] as ReadResult<{ name: string; data: string }[]>;
    if (!result.ok) {
      p.verdict = [`zip reader: ${result.error}`];
      return;
    }
    p.verdict = [];
    for (const entry of result.value) entries.push({ owner: i, name: entry.name, data: Buffer.from(entry.data, 'base64') });
  });
  const prfs = entries.filter((e) => e.name.endsWith('.prf'));
  const xmls = entries.filter((e) => e.name.endsWith('.xml'));
  const regs = entries.filter((e) => e.name.endsWith('.reg'));
  const [prfRead, xmlRead, xmlLint, regRead] = await Promise.all([
    readers.python(prfs.map((e) => ({ kind: 'prf', data: e.data }))),
    readers.python(xmls.map((e) => ({ kind: 'xml', data: e.data }))),
    readers.xmllint(xmls.map((e) => e.data)),
    readers.reg(regs.map((e) => e.data)),
  ]);
  const byOwner = (list: Entry[]) => {
    const map = new Map<number, number[]>();
    list.forEach((e, index) => map.set(e.owner, [...(map.get(e.owner) ?? []), index]));
    return map;
  };
  const prfOf = byOwner(prfs);
  const xmlOf = byOwner(xmls);
  const regOf = byOwner(regs);
  pending.forEach((p, i) => {
    if (p.verdict!.length > 0) return;
    const v = p.expectation.values!;
    const problems: Problems = [];
    const mine = entries.filter((e) => e.owner === i);
    const readme = mine.find((e) => e.name === 'README.txt');
    try {
      if (!readme || readme.data[0] !== 0xef) problems.push('README.txt missing or without its byte order mark');
      else if (!decodeUtf8(readme.data.subarray(3)).includes(v.address)) problems.push('README.txt does not name the address');
    } catch {
      problems.push('README.txt is not UTF-8');
    }
    const prfIndexes = prfOf.get(i) ?? [];
    if (v.withPrf !== prfIndexes.length > 0) problems.push(v.withPrf ? 'no PRF in the pack' : 'a PRF for Exchange on Outlook 2016');
    for (const index of prfIndexes) {
      const read = prfRead[index]!;
      problems.push(...(read.ok ? checkPrf(read.value as PrfSections, v).map((m) => `${prfs[index]!.name}: ${m}`) : [`${prfs[index]!.name}: ${read.error}`]));
    }
    const xmlIndexes = xmlOf.get(i) ?? [];
    if (xmlIndexes.length !== 1) problems.push(`${xmlIndexes.length} XML files in the pack`);
    for (const index of xmlIndexes) {
      if (xmlLint[index]) problems.push(`${xmls[index]!.name}: xmllint: ${xmlLint[index]}`);
      const read = xmlRead[index]!;
      problems.push(
        ...(read.ok ? checkAutodiscover(read.value as XmlNode, v).map((m) => `${xmls[index]!.name}: ${m}`) : [`${xmls[index]!.name}: ${read.error}`]),
      );
    }
    const files: RegFiles = { xml: xmls[xmlIndexes[0] ?? -1]?.name, prf: prfs[prfIndexes[0] ?? -1]?.name };
    const regIndexes = regOf.get(i) ?? [];
    if (!regIndexes.some((index) => regs[index]!.name === 'setup.reg')) problems.push('no setup.reg');
    for (const index of regIndexes) {
      const entry = regs[index]!;
      const read = regRead[index]!;
      problems.push(...regForm(entry.data).map((m) => `${entry.name}: ${m}`));
      if (!read.ok) problems.push(`${entry.name}: hivex: ${read.error}`);
      else if (entry.name === 'setup.reg') problems.push(...checkReg(read.value, v, outlookOf(p), files).map((m) => `setup.reg: ${m}`));
    }
    p.verdict = problems;
  });
}

export interface FuzzOptions {
  target: Target;
  cases: number;
  seed?: number;
  formats?: readonly FuzzFormat[];
  maxExamples?: number;
  /** Progress lines (the command-line runner prints them). */
  onProgress?: (message: string) => void;
}

export async function runFuzz(options: FuzzOptions): Promise<FormatReport[]> {
  const readers = startReaders();
  const rng = join(repoRoot(), 'test', 'fixtures', 'reference', 'autoconfig', 'autoconfig.rng');
  const reports: FormatReport[] = [];
  try {
    for (const format of options.formats ?? FUZZ_FORMATS) {
      const started = Date.now();
      const report: FormatReport = { format, cases: 0, refused: 0, correct: 0, broken: 0, examples: [], rules: {} };
      const fail = (body: Record<string, unknown>, problems: Problems) => {
        report.broken++;
        if (report.examples.length < (options.maxExamples ?? 5)) report.examples.push({ body, reason: problems.join('; ') });
      };
      const pending: Pending[] = [];
      for (const fuzzCase of sampleCases(format, options.cases, options.seed ?? 10)) {
        report.cases++;
        const expectation = expectationOf(fuzzCase);
        const outcome = await options.target(fuzzCase.body);
        if (!outcome.ok) {
          const problems = refusalVerdict(fuzzCase, expectation, outcome);
          if (problems.length > 0) fail(fuzzCase.body, problems);
          else {
            report.refused++;
            const rule = `${outcome.error.field}/${outcome.error.rule}`;
            report.rules[rule] = (report.rules[rule] ?? 0) + 1;
          }
        } else if (expectation.refusals.length > 0) {
          fail(fuzzCase.body, [`accepted; expected a refusal: ${expectation.refusals.map((r) => `${r.field}/${r.rules.join('|')}`).join(' or ')}`]);
        } else pending.push({ fuzzCase, expectation, body: outcome.body });
      }
      await checkFiles(pending, format, readers, rng);
      for (const p of pending) {
        if (p.verdict!.length > 0) fail(p.fuzzCase.body, p.verdict!);
        else report.correct++;
      }
      options.onProgress?.(`${format}: ${report.cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      reports.push(report);
    }
  } finally {
    readers.close();
  }
  return reports;
}

/** The report as a table, with examples of broken cases. */
export function formatReports(reports: readonly FormatReport[]): string {
  const lines: string[] = [`${'format'.padEnd(14)}${'cases'.padStart(8)}${'refused'.padStart(9)}${'correct'.padStart(9)}${'broken'.padStart(8)}`];
  for (const r of reports)
    lines.push(
      `${r.format.padEnd(14)}${String(r.cases).padStart(8)}${String(r.refused).padStart(9)}${String(r.correct).padStart(9)}${String(r.broken).padStart(8)}`,
    );
  for (const r of reports) {
    const top = Object.entries(r.rules)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([rule, n]) => `${rule} ${n}`);
    lines.push(`${r.format} refusals: ${top.join(', ')}`);
  }
  for (const r of reports) {
    for (const example of r.examples) lines.push('', `broken ${r.format}: ${JSON.stringify(example.body)}`, `  ${example.reason}`);
  }
  return lines.join('\n');
}
