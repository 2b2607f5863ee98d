// Every CLI command, in the order `mailsetup --help` lists them.
import type { Command } from '../command.js';
import { bulkCommand } from './bulk.js';
import { checkCommand } from './check.js';
import { discoverCommand } from './discover.js';
import { dnsCommand } from './dns.js';
import { identityCommand } from './identity.js';
import { importIspdbCommand } from './import-ispdb.js';
import { inspectCommand } from './inspect.js';
import { profileCommand } from './profile.js';
import { providersCommand } from './providers.js';
import { serveCommand } from './serve.js';

export const COMMANDS: readonly Command[] = [
  profileCommand,
  inspectCommand,
  identityCommand,
  providersCommand,
  importIspdbCommand,
  dnsCommand,
  discoverCommand,
  checkCommand,
  bulkCommand,
  serveCommand,
];
