// One connection check: connect (through the address policy), TLS from the start or after
// STARTTLS, the protocol's greeting and capabilities, the certificate judged, and, only when
// asked and only over TLS with a valid certificate, a login. Never throws: the report says what
// happened. The password is sent to the server and nowhere else (not kept, not logged).
import type { TLSSocket } from 'node:tls';
import type { AuthMethod, SocketType } from '../model/account.js';
import type { MailProtocol } from '../model/defaults.js';
import { certificateReport, describeProblems, type CertificateReport } from './certificate.js';
import { Dialogue } from './mail-dialogue.js';
import { deadline, NetFailure, type FailureKind, type Network } from './network.js';
import { authMethodsOf, PROTOCOLS, type Capabilities, type LoginAttempt } from './protocols.js';

export interface ProbeTarget {
  protocol: MailProtocol;
  host: string;
  port: number;
  socket: SocketType;
  /** CA certificates (PEM) trusted for this server besides Node's (a provider's own CA). */
  ca?: readonly string[] | undefined;
  /** Try logging in; the password is used for this one connection only. */
  login?: LoginAttempt | undefined;
}

export type ProbeFailureKind = FailureKind | 'no-starttls' | 'certificate';

export interface ProbeReport {
  protocol: MailProtocol;
  host: string;
  port: number;
  socket: SocketType;
  /** Connected, spoke the protocol, and TLS (where used) has a valid certificate for the host. */
  ok: boolean;
  failure?: { kind: ProbeFailureKind; message: string } | undefined;
  /** The address connected to. */
  address?: string | undefined;
  greeting?: string | undefined;
  capabilities: string[];
  /** STARTTLS (STLS) offered on the unencrypted connection. */
  starttls: boolean;
  /** SASL mechanisms offered once TLS is up. */
  mechanisms: string[];
  /** The same in the catalog's authentication words. */
  auth: AuthMethod[];
  size?: number | undefined;
  tls?: CertificateReport | undefined;
  login?: { ok: boolean; message: string } | undefined;
  ms: number;
}

export interface ProbeEnv {
  network: Network;
  now: () => number;
  /** The name SMTP's EHLO introduces us by. */
  hello: string;
  maxReplyBytes: number;
  expiryWarningDays: number;
}

export type Prober = (target: ProbeTarget, signal?: AbortSignal) => Promise<ProbeReport>;

export function createProber(env: ProbeEnv): Prober {
  return (target, signal) => probe(target, env, signal);
}

/** `signal` stops this one probe early (a better server was already found). */
export async function probe(target: ProbeTarget, env: ProbeEnv, signal?: AbortSignal): Promise<ProbeReport> {
  const started = env.now();
  const what = `${target.host}:${target.port}`;
  const protocol = PROTOCOLS[target.protocol];
  const report: ProbeReport = {
    protocol: target.protocol,
    host: target.host,
    port: target.port,
    socket: target.socket,
    ok: false,
    capabilities: [],
    starttls: false,
    mechanisms: [],
    auth: [],
    ms: 0,
  };
  const stop = deadline(signal ? AbortSignal.any([env.network.signal, signal]) : env.network.signal, env.network.timeoutMs);
  let dialogue: Dialogue | undefined;
  const tlsOptions = { servername: target.host, secureContext: env.network.trusted(target.ca) };
  const judge = (socket: TLSSocket) => (report.tls = certificateReport(socket, target.host, env.now(), env.expiryWarningDays));
  const apply = (capabilities: Capabilities) => {
    report.capabilities = capabilities.raw;
    report.mechanisms = capabilities.mechanisms;
    report.auth = authMethodsOf(capabilities, target.protocol);
    report.size = capabilities.size;
  };
  try {
    const connection = await env.network.connect(target.host, target.port, stop);
    report.address = connection.address;
    dialogue = new Dialogue(connection.socket, { maxBytes: env.maxReplyBytes, signal: stop, what });
    if (target.socket === 'SSL') judge(await dialogue.startTls(tlsOptions));
    const greeting = await protocol.greet(dialogue);
    report.greeting = greeting.slice(0, 300);
    let capabilities = await protocol.capabilities(dialogue, env.hello, greeting);
    report.starttls = capabilities.starttls;
    if (target.socket === 'STARTTLS') {
      if (!capabilities.starttls) {
        apply(capabilities);
        report.failure = { kind: 'no-starttls', message: `${what} does not offer STARTTLS` };
        protocol.quit(dialogue);
        return report;
      }
      await protocol.startTls(dialogue);
      judge(await dialogue.startTls(tlsOptions));
      // What was said before TLS may have been altered on the way: ask again.
      capabilities = await protocol.capabilities(dialogue, env.hello);
    }
    apply(capabilities);
    const tlsValid = target.socket === 'plain' || report.tls?.valid === true;
    report.ok = tlsValid;
    if (!tlsValid && report.tls) {
      report.failure = { kind: 'certificate', message: `${what}: the certificate is ${describeProblems(report.tls, target.host)}` };
    }
    if (target.login) {
      if (target.socket === 'plain') report.login = { ok: false, message: 'not tried: the connection is not encrypted' };
      else if (!tlsValid) report.login = { ok: false, message: 'not tried: the certificate is not valid' };
      else report.login = await protocol.login(dialogue, capabilities, target.login);
    }
    protocol.quit(dialogue);
  } catch (error) {
    const failure = error instanceof NetFailure ? error : new NetFailure('protocol', (error as Error).message);
    report.ok = false;
    report.failure = { kind: failure.kind, message: failure.message.includes(target.host) ? failure.message : `${what}: ${failure.message}` };
  } finally {
    dialogue?.close();
    report.ms = Math.round(env.now() - started);
  }
  return report;
}
