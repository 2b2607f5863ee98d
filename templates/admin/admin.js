// The admin page's behaviour: calls /admin/api with the token as a bearer header. Every value
// from the server is put in the page as text, never as markup. The words come from the page
// (data-texts, in the page's language); the last check is kept in this tab until the next upload.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const texts = JSON.parse(document.getElementById('main').getAttribute('data-texts') || '{}');
  const REPORT = 'mailsetup-admin-report';
  let job = null;
  let polling = null;

  /** A text with its {placeholders} filled in. */
  const t = (name, values) => (texts[name] || name).replace(/\{(\w+)\}/g, (m, key) => (values && key in values ? String(values[key]) : m));

  const token = () => {
    const value = $('token').value.trim() || sessionStorage.getItem('mailsetup-admin-token') || '';
    if (value) sessionStorage.setItem('mailsetup-admin-token', value);
    return value;
  };

  function say(text) {
    $('message').textContent = text || '';
  }

  async function call(method, path, body, headers) {
    const response = await fetch(`/admin/api${path}`, { method, body, headers: { Authorization: `Bearer ${token()}`, ...(headers || {}) } });
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try {
        const data = await response.json();
        if (data && data.error) message = texts[`rule.${data.error.rule}`] || data.error.message;
      } catch (_) { /* not JSON */ }
      throw new Error(message);
    }
    return response;
  }

  function remember(data) {
    try {
      sessionStorage.setItem(REPORT, JSON.stringify(data));
    } catch (_) { /* storage full or off: the report just is not kept */ }
  }

  function showRows(data) {
    job = data;
    $('result').hidden = false;
    const name = data.encoding ? `${data.name}, ${t('readAs', { encoding: data.encoding })}` : data.name;
    $('counts').textContent = t('counts', { ok: data.ok, failed: data.failed, name });
    const body = $('rows').querySelector('tbody');
    body.replaceChildren();
    for (const row of data.rows) {
      const tr = document.createElement('tr');
      const status = row.status === 'ok' ? t('status.ok') : t('status.error');
      for (const text of [String(row.line), row.email, row.name || '', status, row.status === 'ok' ? row.files.join(', ') : row.error]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.appendChild(td);
      }
      if (row.status !== 'ok') tr.className = 'failed';
      body.appendChild(tr);
    }
    // Mailing needs a mail server: say so before anyone presses the button, not after the question.
    const canSend = data.canSend !== false;
    $('send').disabled = !canSend;
    $('send-off').hidden = canSend;
    $('send-off').textContent = canSend ? '' : t('mailOff');
    showProgress(data.sending);
  }

  function showProgress(sending) {
    if (!sending) return void ($('progress').textContent = '');
    if (job) {
      job.sending = sending;
      remember(job);
    }
    let text = t('progress', { sent: sending.sent, alreadySent: sending.alreadySent, failed: sending.failed, total: sending.total, state: t(`state.${sending.state}`) });
    if (sending.error) text += ` ${sending.error}`;
    for (const f of sending.failures) text += `\n${t('failureLine', { line: f.line, email: f.email, error: f.error })}`;
    $('progress').textContent = text;
    if (sending.state !== 'sending' && polling) {
      clearInterval(polling);
      polling = null;
    }
    if (sending.state === 'sending' && !polling) poll();
  }

  function poll() {
    polling = setInterval(async () => {
      try {
        const data = await (await call('GET', `/jobs/${job.id}?rows=0`)).json();
        showProgress(data.sending);
      } catch (error) {
        clearInterval(polling);
        polling = null;
        say(error.message);
      }
    }, 1000);
  }

  // Enter in the token field submits this form: keep the token here, never in a URL.
  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    if (token()) {
      say('');
      $('file').focus();
    }
  });

  $('upload').addEventListener('submit', async (event) => {
    event.preventDefault();
    say('');
    const file = $('file').files[0];
    if (!file) return say(t('chooseFile'));
    const formats = [...document.querySelectorAll('#formats input[name=format]:checked')].map((input) => input.value);
    if (formats.length === 0) return say(t('chooseFormat'));
    const query = new URLSearchParams({
      name: file.name,
      formats: formats.join(','),
      unsigned: $('unsigned').checked ? '1' : '0',
      encoding: $('encoding').value,
    });
    try {
      const response = await call('POST', `/jobs?${query}`, file, { 'Content-Type': 'application/octet-stream' });
      const data = await response.json();
      $('restored').hidden = true;
      remember(data);
      showRows(data);
    } catch (error) {
      say(error.message);
    }
  });

  $('download').addEventListener('click', async () => {
    if (!job) return;
    say(t('preparing'));
    try {
      const response = await call('GET', `/jobs/${job.id}/zip`);
      const blob = await response.blob();
      const link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = `mailsetup-${job.id.slice(0, 8)}.zip`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60000);
      say('');
    } catch (error) {
      say(error.message);
    }
  });

  $('send').addEventListener('click', async () => {
    if (!job || $('send').disabled) return;
    if (!confirm(t('confirmSend', { ok: job.ok }))) return;
    say('');
    try {
      const response = await call('POST', `/jobs/${job.id}/send`);
      showProgress((await response.json()).sending);
    } catch (error) {
      say(error.message);
    }
  });

  // A reload keeps the last check (no passwords are ever in it) until the next upload.
  const saved = sessionStorage.getItem(REPORT);
  if (saved) {
    try {
      showRows(JSON.parse(saved));
      $('restored').textContent = t('restored');
      $('restored').hidden = false;
    } catch (_) {
      sessionStorage.removeItem(REPORT);
    }
  }
})();
