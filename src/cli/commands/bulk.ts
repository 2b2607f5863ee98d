// `mailsetup bulk`: a staff list in, everyone's files out (ZIP or folder, with manifest.csv),
// optionally mailed to each person, or MDM template profiles.
import { ERROR_CODES, MailsetupError } from '../../errors.js';
import { FORMAT_IDS } from '../../formats/registry.js';
import { MDM_FORMATS, MDM_IDS, type MdmFormat, type MdmId } from '../../formats/mdm.js';
import { inlineGenerator, parseFormatList, type BatchGenerator } from '../../bulk/generator.js';
import { checkStaffFile, estimateRows, readStaff, type StaffSource } from '../../bulk/input.js';
import { buildTemplates, catalogChoices, writeTemplates, type TemplateChoice } from '../../bulk/mdm-export.js';
import { openSink, type OutputSink } from '../../bulk/output.js';
import { defaultWorkerCount, startBulkWorkers } from '../../bulk/pool.js';
import { createProgress } from '../../bulk/progress.js';
import { checkRow, describeRowError, type RowDefaults } from '../../bulk/rows.js';
import { runBulk, type PersonFiles } from '../../bulk/run.js';
import { Deliverer, recipientOf, type DeliveryReport } from '../../mail/deliver.js';
import { checkSmtpUrl, redactSmtpUrl, smtpTransport } from '../../mail/smtp.js';
import { SendState } from '../../mail/state.js';
import { accountKind, device as deviceSchema } from '../../model/account.js';
import { DEFAULTS } from '../../model/defaults.js';
import { credentialBaseUrl, parseEmail } from '../../model/rules.js';
import { parseWith } from '../../model/validate.js';
import { wantsSignature } from '../../service/generate.js';
import { resolveAccount } from '../../service/resolve.js';
import { workerEnv } from '../../service/worker-pool.js';
import { CATALOG_OPTIONS, languageOption, type Command, type CommandRun } from '../command.js';
import { resolveOutput } from '../io.js';
import { SIGNING_OPTIONS, SIGNING_USAGE, signingSettings } from '../signing.js';

/** Lists up to this many rows are done in one thread unless --workers says otherwise. */
const SMALL_LIST = 64;

function usage(field: string, message: string): MailsetupError {
  return new MailsetupError('USAGE', message, { field, rule: 'usage' });
}

function wholeNumber(run: CommandRun, name: string, fallback: number, min: number, max: number): number {
  const text = run.string(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw usage(`--${name}`, `a whole number from ${min} to ${max}`);
  return value;
}

function parseFormats(text: string | undefined): string[] {
  const formats = parseFormatList(text ?? DEFAULTS.format, '--formats');
  if (formats.length === 0) throw usage('--formats', `name at least one of ${FORMAT_IDS.join(', ')}`);
  return formats;
}

function source(run: CommandRun, path: string): StaffSource {
  const encoding = run.string('encoding');
  return { path: resolveOutput(run.io, path), ...(encoding === undefined ? {} : { encoding }) };
}

async function generator(run: CommandRun, signed: boolean, workers: number): Promise<BatchGenerator> {
  const config = run.config();
  if (workers === 0) {
    return inlineGenerator({ config, catalog: run.catalog(), signer: signed ? await run.signer() : undefined });
  }
  const settings = signingSettings(run.values, run.io, config);
  const said = new Set<string>();
  const catalog = run.catalogSources();
  return startBulkWorkers(
    {
      env: workerEnv(run.io.env),
      providerPaths: catalog.paths,
      defaultProvider: catalog.defaultProvider,
      signed,
      signing: settings.config.signing,
      signingNames: settings.options.names,
      cwd: run.io.cwd,
    },
    workers,
    (message) => {
      if (said.has(message)) return;
      said.add(message);
      run.io.stderr(`mailsetup: warning: ${message}\n`);
    },
  );
}

function printFailures(run: CommandRun, failures: readonly { line: number; error: string }[], total: number, where: string): void {
  for (const failure of failures.slice(0, 50)) run.io.stderr(`mailsetup: line ${failure.line}: ${failure.error}\n`);
  if (total > 50) run.io.stderr(`mailsetup: ... and ${total - 50} more (see ${where})\n`);
}

async function mdmExport(run: CommandRun, mdm: MdmId, out: string | undefined): Promise<number> {
  if (!out) throw usage('--out', 'where to write the templates (a .zip file or a folder)');
  const config = run.config();
  const catalog = run.catalog();
  const language = languageOption(run) ?? DEFAULTS.language;
  const type = run.string('type') === undefined ? undefined : parseWith(accountKind, run.string('type'), { prefix: '--type' });
  const device = run.string('device') === undefined ? undefined : parseWith(deviceSchema, run.string('device'), { prefix: '--device' });
  const choices: TemplateChoice[] = [];
  const failures: { line: number; error: string }[] = [];
  const staff = run.positionals[0];
  if (staff) {
    const seen = new Map<string, number>();
    const defaults: RowDefaults = { device, type, language, provider: run.string('provider'), variant: run.string('variant') };
    const staffSource = source(run, staff);
    checkStaffFile(staffSource, '--encoding');
    for await (const row of readStaff(staffSource)) {
      const checked = checkRow(row, defaults, seen);
      if (!checked.ok) {
        failures.push({ line: checked.line, error: describeRowError(checked.error) });
        continue;
      }
      try {
        const resolved = resolveAccount(checked.request, catalog);
        if (!resolved.provider || !resolved.variant) throw usage('provider', 'MDM templates need a provider from the catalog');
        choices.push({
          provider: resolved.provider.id,
          variant: resolved.variant.id,
          kind: resolved.account.kind,
          device: checked.request.device ?? DEFAULTS.device,
          domain: resolved.email.asciiDomain,
        });
      } catch (error) {
        failures.push({ line: checked.line, error: (error as Error).message });
      }
    }
  } else {
    choices.push(...catalogChoices(catalog, { provider: run.string('provider'), variant: run.string('variant'), type, device }));
  }
  const format = run.string('format') ?? DEFAULTS.format;
  if (!(MDM_FORMATS as readonly string[]).includes(format)) {
    throw new MailsetupError('INVALID_INPUT', `"${format}" is not one of ${MDM_FORMATS.join(', ')}`, { field: '--format', rule: 'allowed-values' });
  }
  const credentialUrl =
    run.string('credential-url') === undefined ? undefined : parseWith(credentialBaseUrl, run.string('credential-url'), { prefix: '--credential-url' });
  const files = buildTemplates(choices, { mdm, format: format as MdmFormat, credentialUrl, config, catalog, language, domain: run.string('domain') });
  const sink = openSink(resolveOutput(run.io, out), { warn: (text) => run.io.stderr(`mailsetup: warning: ${text}\n`) });
  try {
    await writeTemplates(files, sink);
    await sink.finish();
    const what = { mobileconfig: 'template profile(s), unsigned', ddm: 'template declaration set(s)', 'managed-apps': 'template app configuration set(s)' }[
      format as MdmFormat
    ];
    run.io.stdout(`${sink.path}\n${files.length} ${mdm} ${what}: ${files.map((f) => f.name).join(', ')}\n`);
  } catch (error) {
    await sink.abort();
    throw error;
  }
  if (failures.length > 0) {
    printFailures(run, failures, failures.length, 'the staff file');
    return ERROR_CODES.PARTIAL_FAILURE.exitCode;
  }
  return 0;
}

export const bulkCommand: Command = {
  name: 'bulk',
  summary: 'Files for everyone in a staff list (ZIP or folder with manifest.csv); mail them, or export MDM templates.',
  usage: `mailsetup bulk STAFF.csv|STAFF.json --out OUT.zip|DIR [options]
       mailsetup bulk STAFF.csv --send [--smtp-url URL --from ADDR] [--out OUT.zip]
       mailsetup bulk [STAFF.csv] --mdm jamf|intune|generic --out OUT.zip|DIR

  Staff file columns (header names in any case): email (required), name, login, type, device,
  provider, variant, security, language, calendars (yes/no). CSV with , or ; (with or without BOM), a JSON array,
  or JSON Lines (.jsonl). UTF-8 or UTF-16 with BOM; other encodings with --encoding.

  --out PATH            a .zip file or a folder for everyone's files and manifest.csv
  --encoding NAME       the staff file's encoding when it is not UTF-8, e.g. windows-1251
                        (Russian Excel), windows-1252, koi8-r
  --formats LIST        comma-separated: ${FORMAT_IDS.join(', ')} (default: mobileconfig)
  --unsigned            do not sign Apple profiles (signed by default)
${SIGNING_USAGE}
  --device, --type, --provider, --variant, --language
                        defaults for rows that leave the column empty
  --workers N           worker threads (default: one per core, ${defaultWorkerCount()} here, or none for
                        lists of up to ${SMALL_LIST} rows; 0 = none)
  --send                mail each person their files (with install steps in their language)
  --dry-run             show what --send would send, send nothing
  --smtp-url URL        smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465
                        (default: MAILSETUP_SMTP_URL)
  --from ADDR           sender, e.g. "IT <it@example.org>" (default: MAILSETUP_MAIL_FROM)
  --state FILE          send state, for resuming (default: <out or staff file>.send-state.jsonl)
  --retries N           extra attempts after a temporary SMTP failure (default: 3)
  --retry-delay SEC     first wait before a retry, doubled each time (default: 2)
  --connections N       SMTP connections at once (default: 2)
  --mdm MDM             jamf | intune | generic: unsigned template profiles with the MDM's user
                        variables, one per provider, variant, account type and device
  --format FORMAT       with --mdm: mobileconfig (default) | ddm (Declarative Device Management
                        declarations, one ZIP per template) | managed-apps (Gmail, Outlook and
                        Samsung Email app configurations for Exchange)
  --credential-url URL  with --format ddm: https address your MDM serves credential data under
  --domain DOMAIN       mail domain for MDM templates whose login contains it
  --providers PATH      add provider files or folders (repeatable)
  --default-provider ID provider for domains no provider lists

  Exit codes: 0 every row done (and mailed), ${ERROR_CODES.PARTIAL_FAILURE.exitCode} some rows or messages failed (see manifest.csv
  and the send report), other codes as for every command.`,
  positionals: true,
  options: {
    out: { type: 'string' },
    encoding: { type: 'string' },
    formats: { type: 'string' },
    unsigned: { type: 'boolean' },
    device: { type: 'string' },
    type: { type: 'string' },
    provider: { type: 'string' },
    variant: { type: 'string' },
    language: { type: 'string' },
    workers: { type: 'string' },
    send: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
    'smtp-url': { type: 'string' },
    from: { type: 'string' },
    state: { type: 'string' },
    retries: { type: 'string' },
    'retry-delay': { type: 'string' },
    connections: { type: 'string' },
    mdm: { type: 'string' },
    domain: { type: 'string' },
    format: { type: 'string' },
    'credential-url': { type: 'string' },
    ...SIGNING_OPTIONS,
    ...CATALOG_OPTIONS,
  },
  async run(run) {
    if (run.positionals.length > 1) throw usage('arguments', `one staff file at a time (got ${run.positionals.length})`);
    const out = run.string('out');
    const mdm = run.string('mdm');
    if (mdm !== undefined) {
      if (!(MDM_IDS as readonly string[]).includes(mdm))
        throw new MailsetupError('INVALID_INPUT', `"${mdm}" is not one of ${MDM_IDS.join(', ')}`, { field: '--mdm', rule: 'allowed-values' });
      if (run.values.send || run.values['dry-run']) throw usage('--mdm', 'MDM templates are imported into the MDM, not mailed; leave out --send');
      return mdmExport(run, mdm as MdmId, out);
    }
    const staff = run.positionals[0];
    if (!staff) throw usage('arguments', 'name the staff file (CSV or JSON)');
    const dryRun = run.values['dry-run'] === true;
    const send = run.values.send === true || dryRun;
    if (!out && !send) throw usage('--out', "where to write everyone's files (a .zip file or a folder), or --send to mail them");
    const formats = parseFormats(run.string('formats'));
    const unsigned = run.values.unsigned === true;
    const signed = formats.some((format) => wantsSignature({ format, unsigned }));
    const language = languageOption(run);
    const defaults: RowDefaults = {
      device: run.string('device'),
      type: run.string('type'),
      provider: run.string('provider'),
      variant: run.string('variant'),
      language,
    };
    const config = run.config();
    const staffSource = source(run, staff);
    checkStaffFile(staffSource, '--encoding');
    // Every option is checked before anything is created or sent.
    const workersOption = run.string('workers') === undefined ? undefined : wholeNumber(run, 'workers', 0, 0, 64);
    const connections = wholeNumber(run, 'connections', DEFAULTS.delivery.connections, 1, 20);
    const retries = wholeNumber(run, 'retries', DEFAULTS.delivery.retries, 0, 10);
    const retryDelay = wholeNumber(run, 'retry-delay', DEFAULTS.delivery.retryDelaySeconds, 0, 600);

    let deliverer: Deliverer | undefined;
    let stateNote = '';
    if (send) {
      const smtpUrl = run.string('smtp-url') ?? config.mail.smtpUrl;
      const from = run.string('from') ?? config.mail.from;
      if (!dryRun && !smtpUrl) throw usage('--smtp-url', 'give the SMTP server (or set MAILSETUP_SMTP_URL)');
      if (!from) throw usage('--from', 'give the sender address (or set MAILSETUP_MAIL_FROM)');
      const fromAddress = /<([^>]+)>\s*$/.exec(from)?.[1] ?? from;
      if ('error' in parseEmail(fromAddress))
        throw new MailsetupError('INVALID_INPUT', `"${from}" is not an email address`, { field: '--from', rule: 'email-format' });
      if (!dryRun) checkSmtpUrl(smtpUrl!, run.string('smtp-url') ? '--smtp-url' : 'MAILSETUP_SMTP_URL');
      const base = resolveOutput(run.io, out ?? staff).replace(/\.(zip|csv|json|jsonl|ndjson)$/i, '');
      const statePath = run.string('state') ? resolveOutput(run.io, run.string('state')!) : `${base}.send-state.jsonl`;
      const state = dryRun ? undefined : SendState.open(statePath);
      if (state) stateNote = statePath;
      try {
        deliverer = new Deliverer({
          transport: dryRun ? undefined : smtpTransport(smtpUrl!, connections),
          state,
          from,
          organization: config.organization,
          retries,
          backoffMs: retryDelay * 1000,
          concurrency: connections,
          reportPath: dryRun ? undefined : `${base}.send-report.csv`,
          log: (text) => run.io.stdout(text),
        });
      } catch (error) {
        state?.close(); // the report cannot be written: release the state's lock
        throw error;
      }
      if (!dryRun) run.io.stderr(`mailsetup: sending through ${redactSmtpUrl(smtpUrl!)} as ${from}\n`);
    }

    const total = await estimateRows(staffSource);
    // Starting a worker (its own copy of the catalog and identity) costs more than a short list.
    const workers = workersOption ?? (total !== undefined && total <= SMALL_LIST ? 0 : defaultWorkerCount());
    const warn = (text: string) => run.io.stderr(`mailsetup: warning: ${text}\n`);
    // The manifest grows beside the output and joins it at the end (same disk, so a rename).
    const sink: OutputSink | undefined = out ? openSink(resolveOutput(run.io, out), { warn }) : undefined;
    let gen: BatchGenerator | undefined;
    let report: DeliveryReport | undefined;
    try {
      gen = await generator(run, signed, workers);
      const progress = createProgress((text) => run.io.stderr(text), run.io.isTTY, total);
      const onPerson = deliverer ? (person: PersonFiles) => deliverer.deliver(recipientOf(person)) : undefined;
      const summary = await runBulk({
        source: staffSource,
        formats,
        unsigned,
        defaults,
        generator: gen,
        sink,
        onPerson,
        progress,
        sentCount: deliverer ? () => deliverer.sentCount : undefined,
        warn,
        settle: deliverer ? () => deliverer.idle() : undefined,
      });
      if (deliverer) report = await deliverer.finish();
      if (sink) run.io.stdout(`${sink.path}\n`);
      run.io.stdout(`${summary.ok} of ${summary.rows} rows done (${summary.files} files), ${summary.failed} failed\n`);
      if (report) {
        if (dryRun) run.io.stdout(`dry run: ${report.dryRun} message(s) would be sent, ${report.alreadySent} already sent\n`);
        else run.io.stdout(`mail: ${report.sent} sent, ${report.alreadySent} already sent earlier, ${report.failed} failed (state: ${stateNote})\n`);
      }
      printFailures(
        run,
        summary.failures.map((f) => ({ line: f.line, error: describeRowError(f.error) })),
        summary.failed,
        sink ? 'manifest.csv' : 'the staff file',
      );
      if (report) {
        for (const failure of report.failures.slice(0, 50))
          run.io.stderr(`mailsetup: not sent to ${failure.email} (line ${failure.line}, ${failure.attempts} attempt(s)): ${failure.error}\n`);
        if (report.failed > 0) run.io.stderr(`mailsetup: run the same command again to retry the ${report.failed} unsent message(s); nobody is mailed twice\n`);
      }
      return summary.failed > 0 || (report?.failed ?? 0) > 0 ? ERROR_CODES.PARTIAL_FAILURE.exitCode : 0;
    } catch (error) {
      // Nothing half-written is left: an archive is removed, a folder keeps whole files and their manifest.
      await sink?.abort();
      throw error;
    } finally {
      deliverer?.abort();
      await gen?.close();
    }
  },
};
