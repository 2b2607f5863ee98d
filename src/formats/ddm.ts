// Apple Declarative Device Management declarations (apple/device-management, declarative/declarations):
// account configurations with user-name-and-password credential assets and one activation, written
// as one JSON file per declaration in a ZIP with a README, for a DDM-capable MDM to import.
//
// Decisions:
// - No password and no user name in any declaration: each configuration names a
//   `com.apple.asset.credential.userpassword` asset, whose data the MDM hosts at the asset's
//   DataURL (the README lists the user name each asset stands for).
// - Identifiers are UUIDv5 per organisation, person (or MDM template) and role, so importing again
//   updates the same declarations; a ServerToken is a hash of the declaration's own content, so it
//   changes exactly when the content does.
// - The Exchange configuration names one protocol per device: EAS on iOS, EWS (with Port and Path,
//   which Apple defines for macOS only) on a Mac; with modern sign-in it carries OAuth and no credential.
// - CalDAV and CardDAV configurations share the mail credential when their login is the same.
import { createHash } from 'node:crypto';
import { textTemplate } from '../i18n.js';
import type { Account, AuthMethod, MailServer } from '../model/account.js';
import { organizationNamespace, uuidV5 } from '../model/identifiers.js';
import type { EmailParts } from '../model/rules.js';
import type { FormatContext } from './context.js';
import { buildZip, type ZipEntry } from './zip.js';

export type JsonValue = string | number | boolean | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

export interface Declaration {
  Type: string;
  Identifier: string;
  ServerToken: string;
  Payload: JsonObject;
}

/** A declaration with the file it is written to and, for credential assets, the login it stands for. */
export interface DeclarationFile {
  name: string;
  declaration: Declaration;
  userName?: string;
}

/** Where the credential data lives until the MDM says otherwise (RFC 2606 `.invalid`: never resolves). */
export const DEFAULT_CREDENTIAL_URL = 'https://mdm.example.invalid/ddm/credentials';

export interface DdmOptions {
  /** The declaration Identifier for one role (`mail`, `credential.incoming`, …); default: per person. */
  identifier?: (role: string) => string;
  /** Base https URL the MDM serves credential data under; each asset's DataURL is `<base>/<Identifier>.json`. */
  credentialUrl?: string | undefined;
}

const DDM_AUTH: Record<AuthMethod, string | undefined> = {
  'password-cleartext': 'Password',
  'password-encrypted': 'CRAMMD5',
  NTLM: 'NTLM',
  none: 'None',
  GSSAPI: undefined,
  OAuth2: undefined,
};

function ddmAuth(method: AuthMethod): string {
  const value = DDM_AUTH[method];
  if (!value) throw new RangeError(`authentication ${method} has no declarative equivalent`);
  return value;
}

/** JSON with object keys sorted, so a token depends on content only, never on key order. */
function canonical(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key]!)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 32 hex digits of SHA-256 over Type, Identifier and Payload: the same content, the same token. */
export function serverToken(type: string, identifier: string, payload: JsonObject): string {
  return createHash('sha256')
    .update(canonical({ Type: type, Identifier: identifier, Payload: payload }))
    .digest('hex')
    .slice(0, 32);
}

export function makeDeclaration(type: string, identifier: string, payload: JsonObject): Declaration {
  return { Type: type, Identifier: identifier, ServerToken: serverToken(type, identifier, payload), Payload: payload };
}

/** Leaves out undefined and empty-string values, as the profile builder does. */
function compact(dict: Record<string, JsonValue | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(dict)) if (value !== undefined && value !== '') out[key] = value;
  return out;
}

export function personIdentifier(organizationIdentifier: string, email: EmailParts): (role: string) => string {
  const namespace = organizationNamespace(organizationIdentifier);
  const person = email.ascii.toLowerCase();
  return (role) => uuidV5(namespace, `ddm:${person}:${role}`);
}

class DeclarationSet {
  readonly files: DeclarationFile[] = [];
  constructor(
    private readonly id: (role: string) => string,
    private readonly credentialBase: string,
  ) {}

  /** One credential asset per distinct login; servers with the same login share it. */
  credential(role: string, userName: string): string {
    const existing = this.files.find((f) => f.userName === userName);
    if (existing) return existing.declaration.Identifier;
    const identifier = this.id(`credential.${role}`);
    const payload = { Reference: { DataURL: `${this.credentialBase}/${identifier}.json`, ContentType: 'application/json' } };
    this.files.push({
      name: `credential-${role}.json`,
      declaration: makeDeclaration('com.apple.asset.credential.userpassword', identifier, payload),
      userName,
    });
    return identifier;
  }

  configuration(role: string, type: string, payload: JsonObject): void {
    this.files.push({ name: `${role}.json`, declaration: makeDeclaration(type, this.id(role), payload) });
  }

  activate(): void {
    const configurations = this.files.filter((f) => f.declaration.Type.startsWith('com.apple.configuration.')).map((f) => f.declaration.Identifier);
    this.files.push({
      name: 'activation.json',
      declaration: makeDeclaration('com.apple.activation.simple', this.id('activation'), { StandardConfigurations: configurations }),
    });
  }
}

function mailServer(set: DeclarationSet, server: MailServer, role: 'incoming' | 'outgoing'): JsonObject {
  const auth = ddmAuth(server.auth);
  return compact({
    HostName: server.host,
    Port: server.port,
    AuthenticationMethod: auth,
    AuthenticationCredentialsAssetReference: auth === 'None' || !server.username ? undefined : set.credential(role, server.username),
  });
}

/** Every declaration for one account, in file order: assets, configurations, the activation last. */
export function buildDeclarationFiles(account: Account, context: FormatContext, options: DdmOptions = {}): DeclarationFile[] {
  const email = account.email;
  const set = new DeclarationSet(
    options.identifier ?? personIdentifier(context.organization.identifier, email),
    (options.credentialUrl ?? DEFAULT_CREDENTIAL_URL).replace(/\/+$/, ''),
  );
  const visible = context.text.accountDescription;
  if (account.kind === 'exchange') {
    const exchange = account.exchange;
    // Modern sign-in: the device signs in itself, so there is no credential to hand it.
    const credential = exchange.oauth ? undefined : set.credential('exchange', exchange.username);
    const macos = context.device === 'macos';
    const oauth =
      exchange.oauth && compact({ Enabled: true, SignInURL: exchange.oauth.signInUrl, TokenRequestURL: macos ? undefined : exchange.oauth.tokenUrl });
    set.configuration(
      'exchange',
      'com.apple.configuration.account.exchange',
      compact({
        VisibleName: visible,
        EnabledProtocolTypes: [macos ? 'EWS' : 'EAS'],
        HostName: exchange.host,
        ...(macos ? { Port: exchange.port, Path: exchange.path } : {}),
        OAuth: oauth,
        AuthenticationCredentialsAssetReference: credential,
      }),
    );
  } else {
    const incoming = { ServerType: account.kind === 'pop' ? 'POP' : 'IMAP', ...mailServer(set, account.incoming, 'incoming') };
    const outgoing = mailServer(set, account.outgoing, 'outgoing');
    set.configuration('mail', 'com.apple.configuration.account.mail', compact({ VisibleName: visible, IncomingServer: incoming, OutgoingServer: outgoing }));
    for (const [role, dav] of [
      ['caldav', account.caldav],
      ['carddav', account.carddav],
    ] as const) {
      if (!dav) continue;
      set.configuration(
        role,
        `com.apple.configuration.account.${role}`,
        compact({
          VisibleName: visible,
          HostName: dav.host,
          Port: dav.port,
          Path: dav.principalUrl ? new URL(dav.principalUrl).pathname : undefined,
          AuthenticationCredentialsAssetReference: set.credential(role, dav.username),
        }),
      );
    }
  }
  set.activate();
  return [...set.files.filter((f) => f.userName !== undefined), ...set.files.filter((f) => f.userName === undefined)];
}

export function buildDeclarations(account: Account, context: FormatContext, options: DdmOptions = {}): Declaration[] {
  return buildDeclarationFiles(account, context, options).map((f) => f.declaration);
}

/** The ZIP: README.txt, then one pretty-printed JSON file per declaration under declarations/. */
export function buildDdmArchiveFrom(files: readonly DeclarationFile[], context: FormatContext, title: string): Buffer {
  const credentials = files
    .filter((f) => f.userName !== undefined)
    .map((f) => `  ${f.declaration.Identifier}\n      ${(f.declaration.Payload.Reference as { DataURL: string }).DataURL}\n      user name: ${f.userName}`)
    .join('\n');
  const readme = textTemplate('ddm/README.{lang}.txt', context.language, {
    title,
    files: files.map((f) => `  declarations/${f.name}  (${f.declaration.Type})`).join('\n'),
    credentials,
  });
  const entries: ZipEntry[] = [
    { name: 'README.txt', data: Buffer.from(readme, 'utf8') },
    ...files.map((f) => ({ name: `declarations/${f.name}`, data: Buffer.from(`${JSON.stringify(f.declaration, null, 2)}\n`, 'utf8') })),
  ];
  return buildZip(entries);
}

/** The `ddm` format: one person's declarations as a ZIP. */
export function buildDdmArchive(account: Account, context: FormatContext): Buffer {
  return buildDdmArchiveFrom(buildDeclarationFiles(account, context, { credentialUrl: context.credentialUrl }), context, account.email.address);
}
