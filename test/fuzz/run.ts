// `npm run fuzz -- --cases 10000`: hostile requests through every format, checked with the real
// parsers; prints per format how many cases were refused, correct and broken. Exits 1 when any
// case is broken. Options: --cases N (per format, default 1000), --seed N, --format ID
// (repeatable), --examples N (broken cases shown per format), --dist DIR (another build to try,
// e.g. of an earlier commit; default: this repository's dist/).
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FUZZ_FORMATS, type FuzzFormat } from './cases.js';
import { formatReports, runFuzz } from './engine.js';
import { repoRoot } from './readers.js';
import { serviceTarget, type ServiceModules } from './service-target.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '10' },
    format: { type: 'string', multiple: true },
    examples: { type: 'string', default: '5' },
    dist: { type: 'string' },
  },
});

const cases = Number(values.cases);
const seed = Number(values.seed);
if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed)) {
  process.stderr.write('fuzz: --cases is a whole number of at least 1, --seed a whole number\n');
  process.exit(64);
}
const formats = (values.format ?? [...FUZZ_FORMATS]) as FuzzFormat[];
const unknown = formats.filter((f) => !(FUZZ_FORMATS as readonly string[]).includes(f));
if (unknown.length > 0) {
  process.stderr.write(`fuzz: unknown format ${unknown.join(', ')} (formats: ${FUZZ_FORMATS.join(', ')})\n`);
  process.exit(64);
}

// The build in dist/, as the server runs it (only what is used here is described).
type Service = Pick<ServiceModules, 'parseGenerateRequest' | 'generate'>;
type ConfigModule = { loadConfig(env: Record<string, string>): unknown };
type CatalogModule = { ProviderCatalog: { load(options: object): unknown } };
const distDir = resolve(values.dist ?? join(repoRoot(), 'dist'));
const dist = async <T>(path: string): Promise<T> => (await import(pathToFileURL(join(distDir, path)).href)) as T;
const [service, configModule, catalogModule] = await Promise.all([
  dist<Service>('service/generate.js'),
  dist<ConfigModule>('config.js'),
  dist<CatalogModule>('providers/catalog.js'),
]);
const config = configModule.loadConfig({ MAILSETUP_ORG_NAME: 'Fuzz University IT', MAILSETUP_ORG_ID: 'edu.fuzz.mail' });
const catalog = catalogModule.ProviderCatalog.load({});
const target = serviceTarget({ parseGenerateRequest: service.parseGenerateRequest, generate: service.generate, config, catalog });

const started = Date.now();
const reports = await runFuzz({
  target,
  cases,
  seed,
  formats,
  maxExamples: Number(values.examples),
  onProgress: (message) => process.stderr.write(`${message}\n`),
});
process.stdout.write(`${formatReports(reports)}\n`);
process.stderr.write(`${reports.reduce((n, r) => n + r.cases, 0)} cases in ${((Date.now() - started) / 1000).toFixed(1)} s (seed ${seed})\n`);
process.exit(reports.some((r) => r.broken > 0) ? 1 : 0);
