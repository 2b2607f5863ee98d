// The admin page's behaviour: calls /admin/api with the token as a bearer header. Every value
// from the server is put in the page as text, never as markup.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  let job = null;
  let polling = null;

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
        if (data && data.error) message = data.error.message;
      } catch (_) { /* not JSON */ }
      throw new Error(message);
    }
    return response;
  }

  function showRows(data) {
    $('result').hidden = false;
    const read = data.encoding ? `, read as ${data.encoding}` : '';
    $('counts').textContent = `${data.ok} row(s) ready, ${data.failed} with problems (${data.name}${read}).`;
    const body = $('rows').querySelector('tbody');
    body.replaceChildren();
    for (const row of data.rows) {
      const tr = document.createElement('tr');
      for (const text of [String(row.line), row.email, row.name || '', row.status, row.status === 'ok' ? row.files.join(', ') : row.error]) {
        const td = document.createElement('td');
        td.textContent = text;
        tr.appendChild(td);
      }
      if (row.status !== 'ok') tr.className = 'failed';
      body.appendChild(tr);
    }
    showProgress(data.sending);
  }

  function showProgress(sending) {
    if (!sending) return void ($('progress').textContent = '');
    const parts = [`Mail: ${sending.sent} sent`, `${sending.alreadySent} already sent`, `${sending.failed} failed`, `of ${sending.total}`];
    let text = `${parts.join(', ')} (${sending.state}).`;
    if (sending.error) text += ` ${sending.error}`;
    for (const f of sending.failures) text += `\nline ${f.line}, ${f.email}: ${f.error}`;
    $('progress').textContent = text;
    if (sending.state !== 'sending' && polling) {
      clearInterval(polling);
      polling = null;
    }
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
    if (!file) return say('Choose a staff file first.');
    const query = new URLSearchParams({
      name: file.name,
      formats: $('formats').value,
      unsigned: $('unsigned').checked ? '1' : '0',
      encoding: $('encoding').value,
    });
    try {
      const response = await call('POST', `/jobs?${query}`, file, { 'Content-Type': 'application/octet-stream' });
      job = await response.json();
      showRows(job);
    } catch (error) {
      say(error.message);
    }
  });

  $('download').addEventListener('click', async () => {
    if (!job) return;
    say('Preparing the ZIP…');
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
    if (!job) return;
    if (!confirm(`Mail ${job.ok} person(s) their files? People already mailed from this upload are skipped.`)) return;
    say('');
    try {
      const response = await call('POST', `/jobs/${job.id}/send`);
      showProgress((await response.json()).sending);
      if (!polling) {
        polling = setInterval(async () => {
          try {
            const data = await (await call('GET', `/jobs/${job.id}?rows=0`)).json();
            showProgress(data.sending);
          } catch (error) {
            say(error.message);
          }
        }, 1000);
      }
    } catch (error) {
      say(error.message);
    }
  });
})();
