// Progressive enhancement only: every page works without this file. No text lives here; labels
// come from the page (data attributes) or from the lookup API in the page's language.
(function () {
  'use strict';
  var lang = document.documentElement.lang || 'en';
  var live = document.getElementById('live');

  /** Says something to screen readers without moving focus. */
  function announce(text) {
    if (!live) return;
    live.textContent = '';
    setTimeout(function () { live.textContent = text; }, 50);
  }

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
      if (data.suggestion) {
        // Offered, never applied: the person decides.
        var offer = document.createElement('p');
        offer.className = 'suggestion';
        offer.appendChild(document.createTextNode(preview.getAttribute('data-suggest') + ' '));
        var use = document.createElement('button');
        use.type = 'button';
        use.className = 'link';
        use.textContent = data.suggestion.email;
        use.addEventListener('click', function () {
          email.value = data.suggestion.email;
          email.focus();
          lookup();
        });
        offer.appendChild(use);
        offer.appendChild(document.createTextNode(preview.getAttribute('data-suggest-after')));
        preview.appendChild(offer);
      }
      preview.hidden = false;
    };
    // An address no provider serves: say that its servers are being looked for, then what was found.
    var discover = function (value, unknown) {
      var url = start.getAttribute('data-discover');
      if (!url) { show(unknown); return; }
      // A likely typo stays offered while the servers are looked for and after.
      var offer = unknown && unknown.suggestion;
      show({ searching: true, suggestion: offer });
      fetch(url + '?email=' + encodeURIComponent(value), { headers: { accept: 'application/json' } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (found) { if (email.value.trim() === value) show(found && found.found ? { discovered: found, suggestion: offer } : { known: false, suggestion: offer }); })
        .catch(function () { show({ known: false, suggestion: offer }); });
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

  // Choices (region, account type): the page updates in place. Nothing is submitted, the name
  // typed below stays, focus stays on the list, and arrow keys walk through every option.
  var choices = document.querySelector('form[data-live-form]');
  if (choices && window.fetch && window.DOMParser && window.URLSearchParams && window.FormData) {
    var showButton = choices.querySelector('button[type=submit]');
    var status = document.getElementById('choices-status');
    var pending = 0;
    if (showButton) showButton.hidden = true;
    var refresh = function () {
      var query = new URLSearchParams(new FormData(choices)).toString();
      var url = choices.getAttribute('action') + '?' + query;
      var ticket = ++pending;
      if (status) status.textContent = status.getAttribute('data-updating');
      fetch(url, { headers: { accept: 'text/html' }, credentials: 'same-origin' })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          if (ticket !== pending) return; // a later choice wins
          var next = new DOMParser().parseFromString(html, 'text/html');
          document.querySelectorAll('[data-live]').forEach(function (region) {
            var fresh = next.getElementById(region.id);
            if (!fresh) { region.hidden = true; return; }
            region.replaceChildren.apply(region, Array.prototype.map.call(fresh.childNodes, function (n) { return document.importNode(n, true); }));
            region.hidden = fresh.hidden;
          });
          var langs = document.querySelector('.langs');
          var freshLangs = next.querySelector('.langs');
          if (langs && freshLangs) langs.replaceChildren.apply(langs, Array.prototype.map.call(freshLangs.childNodes, function (n) { return document.importNode(n, true); }));
          history.replaceState(null, '', url);
          enhanceCopy(document);
          if (status) status.textContent = status.getAttribute('data-updated');
        })
        .catch(function () { if (showButton) showButton.hidden = false; if (status) status.textContent = ''; });
    };
    choices.addEventListener('change', refresh);
    choices.addEventListener('submit', function (event) { event.preventDefault(); refresh(); });
  }

  // After the download starts, say so and point at the next steps. The server answers the
  // download with a short-lived cookie carrying the id this page chose, so "downloaded" is true.
  var download = document.getElementById('download');
  var steps = document.getElementById('next-steps');
  var done = document.getElementById('download-status');
  if (download && steps) {
    var form = document.getElementById('download-form');
    var idField = document.getElementById('download-id');
    var reveal = function () {
      steps.classList.add('highlight');
      steps.setAttribute('tabindex', '-1');
      steps.scrollIntoView({ behavior: 'smooth', block: 'start' });
      steps.focus({ preventScroll: true });
    };
    var watch = function (id) {
      var tries = 0;
      var poll = setInterval(function () {
        if (document.cookie.split('; ').indexOf('mailsetup_download=' + id) >= 0) {
          clearInterval(poll);
          if (done) { done.textContent = done.getAttribute('data-done'); done.hidden = false; }
          document.cookie = 'mailsetup_download=; Max-Age=0; path=/; SameSite=Strict';
          reveal();
        } else if (++tries > 120) clearInterval(poll);
      }, 250);
    };
    var newId = function () { return Math.random().toString(36).slice(2) + Date.now().toString(36); };
    if (form) {
      form.addEventListener('submit', function (event) {
        if (event.submitter && event.submitter !== download) return;
        var id = newId();
        if (idField) idField.value = id;
        watch(id);
        setTimeout(reveal, 600);
      });
    } else {
      download.addEventListener('click', function () {
        var id = newId();
        var href = download.getAttribute('href').split('?')[0];
        download.setAttribute('href', href + '?download_id=' + id);
        watch(id);
        setTimeout(reveal, 600);
      });
    }
  }

  // Copy buttons beside server names and folders, where the clipboard is available.
  function enhanceCopy(root) {
    if (!navigator.clipboard) return;
    root.querySelectorAll('button.copy[data-copy]').forEach(function (button) {
      if (button.getAttribute('data-ready')) return;
      button.setAttribute('data-ready', '1');
      button.hidden = false;
      button.addEventListener('click', function () {
        navigator.clipboard.writeText(button.getAttribute('data-copy')).then(function () {
          button.classList.add('copied');
          announce(button.getAttribute('data-done'));
          setTimeout(function () { button.classList.remove('copied'); }, 2000);
        });
      });
    });
  }
  enhanceCopy(document);

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
