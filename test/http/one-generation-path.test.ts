// Every route that builds or signs a file does it on the worker pool, never on the event loop that
// serves HTTP: with the server's own signer made to fail on the main thread, the downloads, the API
// and the admin page's check and ZIP still come out signed (by the workers' signers).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../src/server.js';
import { makeTempDir } from '../support/tmp.js';
import { readZipEntries } from '../support/zip.js';
import { opensslVerify } from './helpers.js';

const TOKEN = 'admin-token-for-the-pool-test-0123';
let tmp: ReturnType<typeof makeTempDir>;
let running: RunningServer;
let mainThreadSignatures = 0;

beforeAll(async () => {
  tmp = makeTempDir('mailsetup-one-path-');
  running = await startServer({
    env: {
      MAILSETUP_CERTS_DIR: join(tmp.path, 'certs'),
      HOST: '127.0.0.1',
      PORT: '0',
      MAILSETUP_ORG_NAME: 'Pool Test',
      MAILSETUP_WEB_WORKERS: '1',
      MAILSETUP_ADMIN_TOKEN: TOKEN,
    },
    write: () => {},
    cwd: tmp.path,
  });
  // The signer the app holds on the main thread: any use of it is a file built on the event loop.
  Object.assign(running.identity.signer, {
    sign: () => {
      mainThreadSignatures++;
      throw new Error('signed on the event loop');
    },
  });
});
afterAll(async () => {
  await running?.close();
  tmp?.remove();
});

const ca = () => join(tmp.path, 'certs', 'development', 'ca.pem');
const verified = (body: ArrayBuffer | Buffer) => opensslVerify(Buffer.from(body as ArrayBuffer), ca(), tmp.path).toString();

describe('one generation path', () => {
  it('the download form and the JSON API sign on the pool', async () => {
    const download = await fetch(`${running.url}/download`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'email=ivan%40nstu.ru&device=ios',
    });
    expect(download.status).toBe(200);
    expect(verified(await download.arrayBuffer())).toContain('mail2.nstu.ru');
    const api = await fetch(`${running.url}/api/profile`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":"anna@nstu.ru"}',
    });
    expect(api.status).toBe(200);
    expect(verified(await api.arrayBuffer())).toContain('anna@nstu.ru');
    expect(mainThreadSignatures).toBe(0);
  });

  it("the admin page's check and ZIP run on the pool", async () => {
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const staff = 'email,name\r\nivan@nstu.ru,Иван\r\nmaria@nstu.ru,Мария\r\nbroken,Nobody\r\n';
    const upload = await fetch(`${running.url}/admin/api/jobs?name=staff.csv&formats=mobileconfig`, { method: 'POST', headers: auth, body: staff });
    expect(upload.status).toBe(201);
    const job = (await upload.json()) as { id: string; ok: number; failed: number };
    expect(job).toMatchObject({ ok: 2, failed: 1 });
    const zip = await fetch(`${running.url}/admin/api/jobs/${job.id}/zip`, { headers: auth });
    expect(zip.status).toBe(200);
    const path = join(tmp.path, 'staff.zip');
    writeFileSync(path, Buffer.from(await zip.arrayBuffer()));
    const entries = await readZipEntries(path);
    expect([...entries.keys()].sort()).toEqual(['ivan@nstu.ru.mobileconfig', 'manifest.csv', 'maria@nstu.ru.mobileconfig']);
    expect(verified(entries.get('maria@nstu.ru.mobileconfig')!)).toContain('Мария');
    expect(mainThreadSignatures).toBe(0);
  });

  it('the check itself fails loudly when the signer it guards is used', () => {
    // The guard above is what the other tests rely on: it really replaces the app's signer.
    expect(() => running.identity.signer.sign(Buffer.from('x'))).toThrow('signed on the event loop');
    mainThreadSignatures = 0;
  });
});
