// Progressive enhancement only: every page works without this file. No text lives here; labels
// come from the page (data attributes) or from the lookup API in the page's language.
(function () {
  'use strict';
  var lang = document.documentElement.lang || 'en';

  // Step one: show who serves the address while it is typed.
  var start = document.getElementById('start-form');
  var preview = document.getElementById('preview');
  if (start && preview) {
    var email = document.getElementById('email');
    var timer = 0;
    var last = '';
    var show = function (data) {
      preview.textContent = '';
      if (!data) { preview.hidden = true; return; }
      var head = document.createElement('p');
      if (data.known) {
        var strong = document.createElement('strong');
        strong.textContent = data.provider.name + (data.variant && data.variants.length > 1 ? ' · ' + data.variant.name : '');
        head.appendChild(strong);
        head.appendChild(document.createTextNode(' · ' + data.typeLabel));
        preview.appendChild(head);
        data.servers.forEach(function (s) {
          var p = document.createElement('p');
          p.className = 'hint';
          p.textContent = s.label + ': ' + s.host + (s.port ? ':' + s.port : '') + ' · ' + s.security;
          preview.appendChild(p);
        });
      } else if (data.discovered) {
        var found = data.discovered.servers.map(function (s) { return s.protocol.toUpperCase() + ' ' + s.host + ':' + s.port; }).join(', ');
        head.textContent = preview.getAttribute('data-found').replace('{servers}', found);
        preview.appendChild(head);
      } else {
        head.textContent = preview.getAttribute(data.searching ? 'data-searching' : 'data-unknown');
        preview.appendChild(head);
      }
      preview.hidden = false;
    };
    // An address no provider serves: say that its servers are being looked for, then what was found.
    var discover = function (value, unknown) {
      var url = start.getAttribute('data-discover');
      if (!url) { show(unknown); return; }
      show({ searching: true });
      fetch(url + '?email=' + encodeURIComponent(value), { headers: { accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (found) { if (email.value.trim() === value) show(found && found.found ? { discovered: found } : { known: false }); })
        .catch(function () { show({ known: false }); });
    };
    var lookup = function () {
      var value = email.value.trim();
      if (value === last) return;
      last = value;
      if (!/^[^@\s]+@[^@\s]+\.[^@\s]{2,}$/.test(value)) { show(null); return; }
      fetch(start.getAttribute('data-lookup') + '?lang=' + encodeURIComponent(lang) + '&email=' + encodeURIComponent(value), { headers: { accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (email.value.trim() !== value) return; if (data && !data.known) discover(value, data); else show(data); })
        .catch(function () { show(null); });
    };
    email.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(lookup, 350); });
    if (email.value) lookup();
    // iPadOS Safari says it is a Mac; a touch screen tells them apart.
    var mac = start.querySelector('input[name=device][value=macos]');
    var ios = start.querySelector('input[name=device][value=ios]');
    if (mac && ios && mac.checked && navigator.maxTouchPoints > 1 && !/[?&]device=/.test(location.search)) ios.checked = true;
  }

  // Choices (region, account type): apply at once instead of a separate button.
  var choices = document.querySelector('form[data-autosubmit]');
  if (choices) {
    var button = choices.querySelector('button[type=submit]');
    if (button) button.hidden = true;
    choices.addEventListener('change', function () { choices.submit(); });
  }

  // After the download starts, point at the next steps.
  var download = document.getElementById('download');
  var steps = document.getElementById('next-steps');
  if (download && steps) {
    var form = document.getElementById('download-form');
    var reveal = function (event) {
      if (event && event.submitter && event.submitter !== download) return;
      setTimeout(function () {
        steps.classList.add('highlight');
        steps.setAttribute('tabindex', '-1');
        steps.scrollIntoView({ behavior: 'smooth', block: 'start' });
        steps.focus({ preventScroll: true });
      }, 600);
    };
    if (form) form.addEventListener('submit', reveal);
    else download.addEventListener('click', function () { reveal(null); });
  }

  // The DNS page: a copy button for the zone snippet where the clipboard is available.
  var copy = document.getElementById('copy-zone');
  var zone = copy && document.getElementById(copy.getAttribute('data-copy'));
  if (copy && zone && navigator.clipboard) {
    var label = copy.textContent;
    copy.hidden = false;
    copy.addEventListener('click', function () {
      navigator.clipboard.writeText(zone.textContent).then(function () {
        copy.textContent = copy.getAttribute('data-done');
        setTimeout(function () { copy.textContent = label; }, 2000);
      });
    });
  }

  var summary = document.getElementById('error-summary');
  if (summary) summary.focus();
})();
