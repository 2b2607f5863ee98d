// Every CLI command, in the order `mailsetup --help` lists them.
import type { Command } from '../command.js';
import { dnsCommand } from './dns.js';
import { importIspdbCommand } from './import-ispdb.js';
import { profileCommand } from './profile.js';
import { providersCommand } from './providers.js';

export const COMMANDS: readonly Command[] = [profileCommand, providersCommand, importIspdbCommand, dnsCommand];
