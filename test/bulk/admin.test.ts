// The admin page, in memory through createApp: off without a token, refuses a wrong token, checks
// a staff list row by row, streams the ZIP of signed profiles, and mails everyone through a real
// SMTP server on 127.0.0.1 with progress to follow.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { adminStaffSource, tokenMatches } from '../../src/http/admin/index.js';
import { apiError, captureLogger, opensslVerify, testApp, testSigning, type TestSigning } from '../http/helpers.js';
import { startSmtp, type SmtpFixture } from '../mail/smtp-fixture.js';
import { staffBuffer } from './helpers.js';
import { readZipEntries } from '../support/zip.js';

const TOKEN = 'admin-token-for-tests-0123456789';
let signing: TestSigning;
let smtp: SmtpFixture;

beforeAll(async () => {
  signing = await testSigning();
  smtp = await startSmtp({ refuse: (to) => to === 'maria@nstu.ru' });
});
afterAll(async () => {
  signing.remove();
  await smtp.close();
});

function adminApp() {
  const log = captureLogger();
  const { app } = testApp({
    env: { MAILSETUP_ADMIN_TOKEN: TOKEN, MAILSETUP_SMTP_URL: smtp.url, MAILSETUP_MAIL_FROM: 'IT <it@example.org>' },
    signer: signing.signer,
    logger: log.logger,
  });
  return { app, log };
}

const binary = (res: request.Response, callback: (error: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
};

/** The parts of the admin API's job answers these tests read. */
interface JobBody {
  id: string;
  rows: unknown;
  encoding?: string;
  sending: { state: string; failures: unknown[] };
}

describe('admin page', () => {
  it('does not exist without an admin token', async () => {
    const { app } = testApp({ env: {} });
    expect((await request(app).get('/admin')).status).toBe(404);
    expect((await request(app).post('/admin/api/jobs').set('Authorization', `Bearer ${TOKEN}`).send('x')).status).toBe(404);
  });

  it('serves the page, and refuses API calls without the right token', async () => {
    const { app } = adminApp();
    const page = await request(app).get('/admin');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Test University IT');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await request(app).get('/admin/admin.js')).status).toBe(200);
    for (const header of [undefined, 'Bearer wrong-token-wrong-token', `Basic ${TOKEN}`]) {
      const call = request(app).post('/admin/api/jobs').send('email\na@mail.ru\n');
      const res = await (header ? call.set('Authorization', header) : call);
      expect(res.status).toBe(403);
      expect(apiError(res)).toMatchObject({ code: 'FORBIDDEN', field: 'authorization' });
    }
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(`${TOKEN}x`, TOKEN)).toBe(false);
  });

  it('checks every row, streams the ZIP of verified profiles, and mails everyone with progress', async () => {
    const { app, log } = adminApp();
    const upload = await request(app)
      .post('/admin/api/jobs?name=staff.csv')
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Content-Type', 'text/csv')
      .send(staffBuffer());
    expect(upload.status).toBe(201);
    expect(upload.body).toMatchObject({ ok: 4, failed: 5 });
    const job = upload.body as JobBody;
    const rows = job.rows as { line: number; status: string; error?: string }[];
    expect(rows.filter((r) => r.status === 'error').map((r) => r.line)).toEqual([4, 6, 7, 8, 9]);
    expect(rows.find((r) => r.line === 7)!.error).toContain('[known-domain]');

    const zip = await request(app).get(`/admin/api/jobs/${job.id}/zip`).set('Authorization', `Bearer ${TOKEN}`).buffer(true).parse(binary);
    expect(zip.status).toBe(200);
    expect(zip.headers['content-type']).toBe('application/zip');
    const path = join(signing.dir, 'admin.zip');
    writeFileSync(path, zip.body as Buffer);
    const entries = await readZipEntries(path);
    expect([...entries.keys()]).toEqual([
      'ivan.petrov@nstu.ru.mobileconfig',
      'åsa.öberg@mail.ru.mobileconfig',
      'björn@yandex.ru.mobileconfig',
      'maria@nstu.ru.mobileconfig',
      'manifest.csv',
    ]);
    for (const [name, body] of entries)
      if (name.endsWith('.mobileconfig')) expect(opensslVerify(body, signing.caFile, signing.dir).toString()).toContain('<plist');
    expect(entries.get('manifest.csv')!.toString()).toContain('4,not-an-address,error');

    const send = await request(app).post(`/admin/api/jobs/${job.id}/send`).set('Authorization', `Bearer ${TOKEN}`);
    expect(send.status).toBe(202);
    let status = send.body as JobBody;
    for (let i = 0; i < 100 && status.sending.state === 'sending'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await request(app).get(`/admin/api/jobs/${job.id}?rows=0`).set('Authorization', `Bearer ${TOKEN}`)).body as JobBody;
    }
    expect(status.sending).toMatchObject({ state: 'done', sent: 3, failed: 1, total: 4 });
    expect(status.sending.failures[0]).toMatchObject({ email: 'maria@nstu.ru', line: 10 });
    expect(smtp.received.flatMap((m) => m.envelopeTo).sort()).toEqual(['björn@yandex.ru', 'ivan.petrov@nstu.ru', 'åsa.öberg@mail.ru'].sort());
    expect(log.text()).not.toContain('s3cret-pass');

    // Sending again only retries the one that failed.
    const again = await request(app).post(`/admin/api/jobs/${job.id}/send`).set('Authorization', `Bearer ${TOKEN}`);
    status = again.body as JobBody;
    for (let i = 0; i < 100 && status.sending.state === 'sending'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = (await request(app).get(`/admin/api/jobs/${job.id}?rows=0`).set('Authorization', `Bearer ${TOKEN}`)).body as JobBody;
    }
    expect(status.sending).toMatchObject({ state: 'done', sent: 0, alreadySent: 3, failed: 1 });
    expect(smtp.received).toHaveLength(3);
  });

  it('rejects an unknown format and a password column with the field named', async () => {
    const { app } = adminApp();
    const format = await request(app).post('/admin/api/jobs?formats=floppy').set('Authorization', `Bearer ${TOKEN}`).send('email\na@mail.ru\n');
    expect(format.status).toBe(400);
    expect(apiError(format)).toMatchObject({ code: 'INVALID_INPUT', field: 'formats' });
    const secret = await request(app)
      .post('/admin/api/jobs')
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Content-Type', 'text/csv')
      .send('email,password\na@mail.ru,x\n');
    expect(secret.status).toBe(400);
    expect(apiError(secret)).toMatchObject({ code: 'INVALID_INPUT', rule: 'no-passwords' });
  });
});

describe('admin token never in a URL', () => {
  it('refuses ?token= on the page and the API, without echoing or logging it', async () => {
    const { app, log } = adminApp();
    const page = await request(app).get(`/admin?token=${TOKEN}`);
    expect(page.status).toBe(400);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('never be in a URL');
    const api = await request(app).get(`/admin/api/jobs/x?token=${TOKEN}`).set('Authorization', `Bearer ${TOKEN}`);
    expect(api.status).toBe(400);
    expect(apiError(api)).toMatchObject({ code: 'INVALID_INPUT', field: 'token', rule: 'token-in-url' });
    const upload = await request(app).post(`/admin/api/jobs?access_token=${TOKEN}`).set('Authorization', `Bearer ${TOKEN}`).send('email\na@mail.ru\n');
    expect(upload.status).toBe(400);
    expect((await request(app).get('/admin/admin.js?Token=x')).status).toBe(400);
    for (const res of [page, api, upload]) expect(res.text).not.toContain(TOKEN);
    expect(log.text()).not.toContain(TOKEN);
    expect(log.lines.filter((l) => l.message === 'request').map((l) => l.fields.path)).toEqual([
      '/admin',
      '/admin/api/jobs/x',
      '/admin/api/jobs',
      '/admin/admin.js',
    ]);
  });

  it('has no form that could put the token in a URL, and answers a form posted without the script', async () => {
    const { app, log } = adminApp();
    const html = (await request(app).get('/admin').expect(200)).text;
    const forms = html.match(/<form\b[^>]*>/g)!;
    expect(forms.length).toBeGreaterThan(0);
    for (const form of forms) expect(form).toMatch(/\smethod="post"/);
    const tokenInput = /<input\b[^>]*\bid="token"[^>]*>/.exec(html)![0];
    // Without a name the field is never part of any form submission, whatever the method.
    expect(tokenInput).not.toMatch(/\sname=/);
    expect(tokenInput).toMatch(/type="password"/);
    const posted = await request(app).post('/admin').type('form').send({ token: TOKEN });
    expect(posted.status).toBe(400);
    expect(posted.text).toContain('JavaScript');
    expect(log.text()).not.toContain(TOKEN);
  });
});

describe('admin check table: names and encodings', () => {
  it('gives each row the name from the staff file, for good and failed rows alike', async () => {
    const { app } = adminApp();
    const upload = await request(app)
      .post('/admin/api/jobs?name=staff.csv')
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Content-Type', 'text/csv')
      .send(staffBuffer())
      .expect(201);
    const rows = (upload.body as JobBody).rows as { line: number; name?: string; status: string }[];
    expect(rows.map((r) => [r.line, r.name, r.status])).toEqual([
      [2, 'Иван Петров', 'ok'],
      [3, 'Åsa Öberg', 'ok'],
      [4, 'Nobody', 'error'],
      [5, 'Björn; Ström', 'ok'],
      [6, 'Иван Дубль', 'error'],
      [7, 'Someone', 'error'],
      [8, 'Ольга Смирнова', 'error'],
      [9, 'Erik Ek', 'error'],
      [10, 'Мария Иванова', 'ok'],
    ]);
  });

  it('takes the staff file encoding chosen on the page, passes it to the staff reader, and refuses an unknown one', async () => {
    const { app } = adminApp();
    const chosen = await request(app)
      .post('/admin/api/jobs?name=staff.csv&encoding=CP1251')
      .set('Authorization', `Bearer ${TOKEN}`)
      .set('Content-Type', 'text/csv')
      .send('email,name\nivan@nstu.ru,Ivan\n')
      .expect(201);
    expect((chosen.body as JobBody).encoding).toBe('windows-1251');
    const automatic = await request(app).post('/admin/api/jobs?encoding=').set('Authorization', `Bearer ${TOKEN}`).send('email\nivan@nstu.ru\n').expect(201);
    expect((automatic.body as JobBody).encoding).toBeUndefined();
    const unknown = await request(app).post('/admin/api/jobs?encoding=klingon').set('Authorization', `Bearer ${TOKEN}`).send('email\nivan@nstu.ru\n');
    expect(unknown.status).toBe(400);
    expect(apiError(unknown)).toMatchObject({ code: 'INVALID_INPUT', field: 'encoding', rule: 'known-encoding' });
    expect(apiError(unknown).message).toContain('klingon');
    const staff = Buffer.from('email\n');
    expect(adminStaffSource({ staff, name: 'staff.csv', encoding: 'windows-1251' })).toEqual({ buffer: staff, name: 'staff.csv', encoding: 'windows-1251' });
    expect(adminStaffSource({ staff, name: 'staff.csv', encoding: undefined })).toEqual({ buffer: staff, name: 'staff.csv' });
  });
});
