// Autodiscovery cost: reading an Outlook request against refusing a billion-laughs body (the
// refusal must not cost more than a normal parse), building each answer, and whole requests
// through express on 127.0.0.1 (keep-alive, several in flight; the client shares the process, so
// these are lower bounds), including a 10 MB body refused.
import express from 'express';
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { loadConfig } from '../dist/config.js';
import { buildActiveSyncAutodiscoverResponse } from '../dist/formats/activesync-autodiscover.js';
import { buildAutodiscoverResponse } from '../dist/formats/autodiscover.js';
import { parseAutodiscoverRequest } from '../dist/formats/autodiscover-request.js';
import { autoconfigForDomain, autodiscoveryRouter } from '../dist/http/autodiscovery.js';
import { ProviderCatalog, variantOf } from '../dist/providers/catalog.js';
import { parseGenerateRequest } from '../dist/service/generate.js';
import { resolveAccount } from '../dist/service/resolve.js';
import { compare, median, round, type BenchSection, type Figures } from './section.js';

const outlookBody = (address: string) =>
  `<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>${address}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;

function billionLaughs(): string {
  const entities = ['<!ENTITY lol0 "lol">'];
  for (let i = 1; i <= 9; i++) entities.push(`<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?><!DOCTYPE lolz [${entities.join('')}]><Autodiscover><Request><EMailAddress>&lol9;</EMailAddress></Request></Autodiscover>`;
}

function refuses(body: string): void {
  try {
    parseAutodiscoverRequest(body);
  } catch {
    return;
  }
  throw new Error('the billion-laughs body was accepted');
}

interface Load {
  requestsPerSecond: number;
  p50Ms: number;
}

interface Call {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const poxCall = (body: string): Call => ({ method: 'POST', path: '/autodiscover/autodiscover.xml', headers: { 'Content-Type': 'text/xml' }, body });
const autoconfigCall: Call = { method: 'GET', path: '/mail/config-v1.1.xml?emailaddress=ivan.petrov%40nstu.ru', headers: { Host: 'autoconfig.nstu.ru' } };

/** Sends one kind of request for `milliseconds` with `inFlight` concurrent keep-alive connections. */
async function load(port: number, call: Call, inFlight: number, milliseconds: number): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const latencies: number[] = [];
  const until = performance.now() + milliseconds;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const req = httpRequest({ host: '127.0.0.1', port, method: call.method, path: call.path, agent, headers: call.headers }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      req.on('error', reject);
      req.end(call.body);
    });
  const worker = async () => {
    while (performance.now() < until) await one();
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { requestsPerSecond: latencies.length / seconds, p50Ms: median(latencies) };
}

/** Milliseconds until a 10 MB body is answered (413) by the server. */
function oversized(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(
      { host: '127.0.0.1', port, method: 'POST', path: '/autodiscover/autodiscover.xml', headers: { 'Content-Type': 'text/xml' } },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 413 ? resolve(performance.now() - started) : reject(new Error(`status ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(Buffer.alloc(10 * 1024 * 1024, 0x20));
  });
}

export const autodiscoveryBench: BenchSection = {
  name: 'autodiscovery',
  summary: 'request parsing and hostile-body refusal, answer building, and whole POX requests over HTTP on 127.0.0.1',
  async run({ quick, log }) {
    const config = loadConfig({ MAILSETUP_PUBLIC_HOST: 'mailsetup.example.org' });
    const catalog = ProviderCatalog.load({ defaultProvider: 'rackcorp' });
    const body = outlookBody('ivan.petrov@nstu.ru');
    const laughs = billionLaughs();
    const rounds = quick ? 3 : 7;
    const milliseconds = quick ? 100 : 300;
    log(`parsing: ${rounds} rounds of ${milliseconds} ms per candidate`);
    const parsing = compare({ parse: () => parseAutodiscoverRequest(body), refuse: () => refuses(laughs) }, { rounds, milliseconds });

    const imap = resolveAccount(parseGenerateRequest({ email: 'ivan.petrov@nstu.ru' }), catalog).account;
    const exchange = resolveAccount(parseGenerateRequest({ email: 'boss@customer-shop.com', type: 'exchange' }), catalog).account;
    const nstu = catalog.get('nstu');
    const nstuVariant = variantOf(nstu, undefined, 'nstu.ru');
    log('answers: building each');
    const building = compare(
      {
        autoconfig: () => autoconfigForDomain(nstu, nstuVariant, 'nstu.ru'),
        pox: () => buildAutodiscoverResponse(imap),
        mobilesync: () => buildActiveSyncAutodiscoverResponse(exchange),
      },
      { rounds, milliseconds },
    );

    const app = express();
    app.use(autodiscoveryRouter({ config, catalog }));
    const server: Server = await new Promise((resolve) => {
      const s = createServer(app).listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const { port } = server.address() as AddressInfo;
      const inFlight = 8;
      const duration = quick ? 1000 : 3000;
      log(`HTTP: POX requests for ${duration} ms, ${inFlight} in flight`);
      const http = await load(port, poxCall(body), inFlight, duration);
      const autoconfig = await load(port, autoconfigCall, inFlight, duration);
      const refusedMs = await oversized(port);
      const after = await load(port, poxCall(body), inFlight, Math.min(duration, 1000));
      const figures: Figures = {
        'parse.outlook-request': { value: round(parsing.parse), unit: 'µs' },
        'refuse.billion-laughs': { value: round(parsing.refuse), unit: 'µs' },
        'refuse/parse': { value: round(parsing.refuse / parsing.parse), unit: 'x', note: 'below 1: refused before any parsing' },
        'build.autoconfig': { value: round(building.autoconfig), unit: 'µs', note: 'NSTU' },
        'build.pox': { value: round(building.pox), unit: 'µs' },
        'build.mobilesync': { value: round(building.mobilesync), unit: 'µs' },
        'http.pox': { value: round(http.requestsPerSecond), unit: '/s', note: `${inFlight} in flight, keep-alive, one process` },
        'http.pox.p50': { value: round(http.p50Ms), unit: 'ms' },
        'http.autoconfig': { value: round(autoconfig.requestsPerSecond), unit: '/s', note: 'answers kept per domain' },
        'http.autoconfig.p50': { value: round(autoconfig.p50Ms), unit: 'ms' },
        'http.10MB-refused': { value: round(refusedMs), unit: 'ms', note: '413 after reading and discarding the body' },
        'http.pox.after-10MB': { value: round(after.requestsPerSecond), unit: '/s', note: 'still serving' },
      };
      return figures;
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  },
};
