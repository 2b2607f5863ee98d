// What a person or a staff list asks for: an address and choices. The service resolves it
// against the provider catalog into an Account. Web form, API, CLI and bulk rows all use it.
import { z } from 'zod';
import { ruleParams } from '../error-rules.js';
import { accountKind, DEVICES, socketType } from './account.js';
import { LANGUAGES } from './provider.js';
import { credentialBaseUrl, emailAddress, hostName, identifier, loginTemplate, port, secretText, visibleText } from './rules.js';

const optionalText = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === 'string' && value.trim() === '' ? undefined : value), schema.optional());

/** A host typed by hand: an empty one is missing ("required"), not a malformed name. */
const manualHost = z
  .string({ error: 'a host name is required' })
  .transform((value, ctx) => {
    if (value.trim() !== '') return value;
    ctx.addIssue({ code: 'custom', message: 'a host name is required', params: ruleParams('required') });
    return z.NEVER;
  })
  .pipe(hostName);

const manualServer = z.strictObject({
  host: manualHost,
  port: optionalText(port),
  socket: optionalText(socketType),
});

export const accountRequestSchema = z.strictObject({
  email: emailAddress,
  name: optionalText(visibleText('the display name', 128)),
  type: optionalText(accountKind),
  provider: optionalText(identifier),
  variant: optionalText(identifier),
  /** Choose STARTTLS or plain over the provider's default (implicit TLS where offered). */
  security: optionalText(socketType),
  /** A login that replaces the provider's template, e.g. a username that differs from the address. */
  login: optionalText(loginTemplate),
  /** Embedded only when asked for; never logged, never stored. */
  password: optionalText(secretText),
  /** Mail only: leave out the provider's calendars and contacts (CalDAV, CardDAV). */
  mailOnly: z
    .preprocess(
      (value) =>
        typeof value === 'string'
          ? ['1', 'on', 'true', 'yes'].includes(value.trim().toLowerCase())
            ? true
            : ['', '0', 'off', 'false', 'no'].includes(value.trim().toLowerCase())
              ? false
              : value
          : value,
      z.boolean({ error: 'mail only is yes or no' }),
    )
    .optional(),
  /** Server settings typed by hand, for a domain no provider in the catalog serves. */
  manual: z
    .strictObject({
      incoming: manualServer,
      outgoing: manualServer,
    })
    .optional(),
});

export type AccountRequestInput = z.input<typeof accountRequestSchema>;
export type AccountRequest = z.output<typeof accountRequestSchema>;

/** Classic Outlook versions the PRF and .reg files are written for (2016 = 16.0, also 2019, 2021, 2024, Microsoft 365). */
export const OUTLOOK_VERSIONS = ['2010', '2013', '2016'] as const;
export type OutlookVersion = (typeof OUTLOOK_VERSIONS)[number];

/** An account request plus what to produce from it. */
export const generateRequestSchema = accountRequestSchema.extend({
  format: optionalText(z.string().trim().toLowerCase()),
  device: optionalText(z.enum(DEVICES, { error: `the device is ${DEVICES.join(' or ')}` })),
  language: optionalText(z.enum(LANGUAGES, { error: `the language is ${LANGUAGES.join(', ')}` })),
  /** Classic Outlook version the PRF and .reg files are for: 2010, 2013, or 2016 (also 2019, 2021, 2024, Microsoft 365). */
  outlook: optionalText(
    z.preprocess(
      (value) => (typeof value === 'number' ? String(value) : value),
      z.enum(OUTLOOK_VERSIONS, { error: 'the Outlook version is 2010, 2013 or 2016 (2016 also covers 2019, 2021, 2024 and Microsoft 365)' }),
    ),
  ),
  /** Apple profiles are signed unless this is true. */
  unsigned: z.boolean().optional(),
  /** Declarative Device Management: the https address the MDM serves credential data under. */
  credentialUrl: optionalText(credentialBaseUrl),
});

export type GenerateRequestInput = z.input<typeof generateRequestSchema>;
export type GenerateRequest = z.output<typeof generateRequestSchema>;
