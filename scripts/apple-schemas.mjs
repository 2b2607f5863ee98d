// Regenerates src/formats/apple-schema.data.json and declarative-schema.data.json from Apple's
// device-management YAML (apple/device-management, MIT). Usage: npm run apple-schemas [-- PATH-TO-apple-schemas]
// PATH defaults to test/fixtures/reference/apple-schemas (the folder holding mdm/profiles and declarative/).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { compileAppleSchemas, serializeAppleSchemas } from '../dist/formats/apple-schema-compile.js';
import { compileDeclarativeSchemas, serializeDeclarativeSchemas } from '../dist/formats/declarative-schema-compile.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const root = resolve(process.argv[2] ?? join(repo, 'test/fixtures/reference/apple-schemas'));
const provenance = {
  sourceText: readFileSync(join(root, 'SOURCE.txt'), 'utf8'),
  licenseText: readFileSync(join(root, 'LICENSE.txt'), 'utf8'),
};

/** Every .yaml file under a folder (recursively), sorted by path, parsed. */
function yamlFiles(folder) {
  return readdirSync(folder, { recursive: true })
    .filter((name) => name.endsWith('.yaml'))
    .sort()
    .map((name) => ({ name, document: parse(readFileSync(join(folder, name), 'utf8')) }));
}

const profiles = join(root, 'mdm/profiles');
const schemas = compileAppleSchemas(yamlFiles(profiles), provenance);
const out = join(repo, 'src/formats/apple-schema.data.json');
writeFileSync(out, serializeAppleSchemas(schemas));
console.log(`wrote ${out}: ${Object.keys(schemas.payloads).length} payload schemas from ${profiles}`);

const declarations = join(root, 'declarative/declarations');
const declarative = compileDeclarativeSchemas(yamlFiles(declarations), provenance);
const declarativeOut = join(repo, 'src/formats/declarative-schema.data.json');
writeFileSync(declarativeOut, serializeDeclarativeSchemas(declarative));
console.log(`wrote ${declarativeOut}: ${Object.keys(declarative.declarations).length} declaration schemas from ${declarations}`);
