// Every benchmark section, in the order `npm run bench` runs them. Add yours here.
import { autodiscoveryBench } from './autodiscovery.js';
import { bulkBench } from './bulk.js';
import { discoveryBench } from './discovery.js';
import { httpBench } from './http.js';
import type { BenchSection } from './section.js';
import { signingBench } from './signing.js';

export const SECTIONS: readonly BenchSection[] = [signingBench, autodiscoveryBench, httpBench, bulkBench, discoveryBench];
