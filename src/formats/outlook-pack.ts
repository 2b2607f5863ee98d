// Outlook setup pack: one ZIP with the PRF, the Autodiscover XML, setup and undo .reg files and a README, for classic Outlook for Windows.
//
// The .reg files point at a fixed Windows folder (MAILSETUP_OUTLOOK_FOLDER, by default
// C:\ProgramData\<organisation>\mailsetup) where the PRF and XML are to be copied. For
// Exchange with Outlook 2016 and later there is no PRF: the pack relies on Autodiscover alone.
import type { Account } from '../model/account.js';
import { textTemplate, translator } from '../i18n.js';
import { derOf } from '../model/trust.js';
import { buildAutodiscoverResponse } from './autodiscover.js';
import type { FormatContext } from './context.js';
import { buildPrf, DEFAULT_OUTLOOK_VERSION, OFFICE_VERSION_KEY, prfPossible } from './prf.js';
import { buildReg, outlookFiles, outlookRegParts, outlookSetupReg } from './reg.js';
import { buildZip, type ZipEntry } from './zip.js';

/** Text for Notepad on any Windows: UTF-8 with a byte order mark, CRLF line ends. */
function windowsText(text: string): Buffer {
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8')]);
}

/** The pack's files, in archive order. */
function outlookPackEntries(account: Account, context: FormatContext): ZipEntry[] {
  const version = context.outlookVersion ?? DEFAULT_OUTLOOK_VERSION;
  const { email } = account;
  const files = outlookFiles(account, context);
  const withPrf = prfPossible(account, version);
  const parts = outlookRegParts(account, context, withPrf);
  const reg = outlookSetupReg(account, context, withPrf, parts);
  const readme = textTemplate(withPrf ? 'outlook/README.{lang}.txt' : 'outlook/README-autodiscover.{lang}.txt', context.language, {
    email: email.address,
    outlook: version === '2016' ? '2016/2019/2021/2024/365' : version,
    office: OFFICE_VERSION_KEY[version],
    folder: files.folder,
    prf: files.prfName,
    xml: files.autodiscoverName,
  });
  // The provider's CA certificates, to import before Outlook connects (steps in the README).
  const certificates = (account.trust ?? []).map((certificate) => ({ name: `certificates/${certificate.name}.cer`, data: derOf(certificate) }));
  const trustText = certificates.length > 0 ? `\n\n${translator(context.language)('outlook.trust')}\n` : '';
  const entries: ZipEntry[] = [{ name: 'README.txt', data: windowsText(readme.replace(/\n*$/, '\n') + trustText) }];
  if (withPrf) entries.push({ name: files.prfName, data: buildPrf(account, version) });
  entries.push(
    { name: files.autodiscoverName, data: Buffer.from(buildAutodiscoverResponse(account), 'utf8') },
    { name: 'setup.reg', data: buildReg(reg.setup) },
    { name: 'undo.reg', data: buildReg(reg.undo) },
  );
  entries.push(...certificates);
  for (const part of parts) {
    entries.push(
      { name: `separate/${part.id}.reg`, data: buildReg(part.pair.setup) },
      { name: `separate/${part.id}-undo.reg`, data: buildReg(part.pair.undo) },
    );
  }
  return entries;
}

/** The `outlook-pack` format: a ZIP archive. */
export function buildOutlookPack(account: Account, context: FormatContext): Buffer {
  return buildZip(outlookPackEntries(account, context));
}
