// Regenerates src/formats/apple-schema.data.json from Apple's device-management YAML
// (apple/device-management, MIT). Usage: npm run apple-schemas [-- PATH-TO-apple-schemas]
// PATH defaults to test/fixtures/reference/apple-schemas (the folder holding mdm/profiles).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { compileAppleSchemas, serializeAppleSchemas } from '../dist/formats/apple-schema-compile.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = resolve(process.argv[2] ?? join(repo, 'test/fixtures/reference/apple-schemas'));
const profiles = join(root, 'mdm/profiles');
const files = readdirSync(profiles)
  .filter((name) => name.endsWith('.yaml'))
  .sort()
  .map((name) => ({ name, document: parse(readFileSync(join(profiles, name), 'utf8')) }));
const schemas = compileAppleSchemas(files, {
  sourceText: readFileSync(join(root, 'SOURCE.txt'), 'utf8'),
  licenseText: readFileSync(join(root, 'LICENSE.txt'), 'utf8'),
});
const out = join(repo, 'src/formats/apple-schema.data.json');
writeFileSync(out, serializeAppleSchemas(schemas));
console.log(`wrote ${out}: ${Object.keys(schemas.payloads).length} payload schemas from ${profiles}`);
