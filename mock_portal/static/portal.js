/*
 * The mock DGFT portal's page script (mechanics as on the real portal, PORTAL.md section 1).
 *
 * - updateContainer(url, params, containerId): fetch an HTML fragment (GET, or a form-encoded
 *   POST when params are given) with X-Requested-With: XMLHttpRequest and X-CSRF-TOKEN, and put
 *   it into #mainSectionWrap, behind the blocking overlay (showProgressbar / hideProgressbar).
 * - A response header X-Redirect makes the page navigate there (login, dashboard, eSign).
 * - Delegated: <a data-fragment> and <button data-load="url"> load fragments; <form data-ajax>
 *   posts through updateContainer (multipart when it has a file input); [data-dsc-sign] panels
 *   sign with emBridge (window.DGFT_DSC from embridge.js) and post signedText + certificate.
 */
(function () {
  'use strict';

  var pending = 0;

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute('content') : '';
  }

  function progressbar() {
    return document.getElementById('progressbar');
  }

  window.showProgressbar = function () {
    pending += 1;
    var bar = progressbar();
    if (bar) { bar.hidden = false; bar.setAttribute('aria-busy', 'true'); }
  };

  window.hideProgressbar = function () {
    pending = Math.max(0, pending - 1);
    var bar = progressbar();
    if (bar && pending === 0) { bar.hidden = true; bar.setAttribute('aria-busy', 'false'); }
  };

  function headers() {
    var h = { 'X-Requested-With': 'XMLHttpRequest' };
    h[meta('_csrf_header') || 'X-CSRF-TOKEN'] = meta('_csrf');
    return h;
  }

  function insert(containerId, html) {
    var box = document.getElementById(containerId || 'mainSectionWrap');
    box.innerHTML = html;
    window.scrollTo(0, 0);
    afterInsert(box);
  }

  async function request(url, init, containerId, push) {
    window.showProgressbar();
    var navigating = false;
    try {
      var resp = await fetch(url, Object.assign({ credentials: 'same-origin' }, init));
      var target = resp.headers.get('X-Redirect');
      if (target) {
        navigating = true;
        window.location.assign(target);
        return;
      }
      var type = resp.headers.get('Content-Type') || '';
      if (type.indexOf('text/html') < 0) {
        navigating = true;
        window.location.assign(url);
        return;
      }
      insert(containerId, await resp.text());
      if (push && resp.ok) history.pushState({ fragment: true }, '', url);
    } catch (e) {
      insert(containerId, '<div class="alert alert-danger" role="alert">' +
        'The portal could not be reached. Please try again.</div>');
    } finally {
      if (!navigating) window.hideProgressbar();
    }
  }

  window.updateContainer = function (url, params, containerId) {
    if (params) {
      var body = typeof params === 'string' ? params : new URLSearchParams(params).toString();
      var h = headers();
      h['Content-Type'] = 'application/x-www-form-urlencoded; charset=UTF-8';
      return request(url, { method: 'POST', headers: h, body: body }, containerId, false);
    }
    return request(url, { method: 'GET', headers: headers() }, containerId, true);
  };

  function submitForm(form, submitter) {
    var data = new FormData(form, submitter || undefined);
    var url = (submitter && submitter.hasAttribute('formaction'))
      ? submitter.getAttribute('formaction') : form.getAttribute('action');
    var h = headers();
    var body;
    if (form.querySelector('input[type=file]')) {
      body = data;
    } else {
      body = new URLSearchParams(data).toString();
      h['Content-Type'] = 'application/x-www-form-urlencoded; charset=UTF-8';
    }
    return request(url, { method: 'POST', headers: h, body: body },
      form.getAttribute('data-target') || 'mainSectionWrap', false);
  }

  /* --- DSC signing panels ------------------------------------------------------------- */

  function showSignError(panel, message) {
    var box = panel.querySelector('.sign-error');
    box.textContent = message;
    box.hidden = !message;
  }

  async function dscSign(panel) {
    if (!window.DGFT_DSC) {
      showSignError(panel, 'emBridge service is not running');
      return;
    }
    showSignError(panel, '');
    var retry = panel.querySelector('[data-dsc-retry]');
    if (retry) retry.disabled = true;
    try {
      var result = await window.DGFT_DSC.sign({
        dataToSign: panel.getAttribute('data-data-to-sign'),
        embridgeUrl: panel.getAttribute('data-embridge-url'),
        csrfToken: meta('_csrf'),
        csrfHeader: meta('_csrf_header') || 'X-CSRF-TOKEN',
        actionUrl: '/CP/web?requestType=ApplicationRH'
      });
      var params = new URLSearchParams();
      params.set('signedText', result.signedText);
      params.set('certificate', result.certificate);
      await window.updateContainer(panel.getAttribute('data-submit-url'), params.toString());
    } catch (e) {
      showSignError(panel, (e && e.message) || String(e));
    } finally {
      if (retry) retry.disabled = false;
    }
  }

  function afterInsert(root) {
    root.querySelectorAll('[data-dsc-sign][data-autostart="true"]').forEach(function (panel) {
      panel.setAttribute('data-autostart', 'done');
      dscSign(panel);
    });
  }

  /* --- the Update IEC form: PIN codes and uploads inside the sections ------------------- */

  // An answer to show at the top of the current fragment, where the portal's own messages
  // are: an error (role alert) or a success (role status); it replaces the one there.
  function showMessage(kind, text) {
    var root = document.querySelector('#mainSectionWrap .fragment') ||
      document.getElementById('mainSectionWrap');
    ['errorMessage', 'successMessage'].forEach(function (id) {
      var old = document.getElementById(id);
      if (old) old.remove();
    });
    if (!text) return;
    var box = document.createElement('div');
    box.className = 'alert ' + (kind === 'error' ? 'alert-danger' : 'alert-success');
    box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    box.id = kind === 'error' ? 'errorMessage' : 'successMessage';
    box.textContent = text;
    var title = root.querySelector('.page-title');
    if (title) title.after(box); else root.prepend(box);
  }

  // State and District are filled from the PIN Code (the portal's pincodeData).
  async function pincodeLookup(input) {
    var state = document.getElementById(input.getAttribute('data-state'));
    var district = document.getElementById(input.getAttribute('data-district'));
    var pin = input.value.trim();
    state.value = '';
    district.value = '';
    if (!/^[0-9]{6}$/.test(pin)) return;
    window.showProgressbar();
    try {
      var resp = await fetch('/CP/web?requestType=ApplicationRH&actionVal=pincodeData&pinCode=' +
        encodeURIComponent(pin), { headers: headers(), credentials: 'same-origin' });
      var target = resp.headers.get('X-Redirect');
      if (target) { window.location.assign(target); return; }
      if ((resp.headers.get('Content-Type') || '').indexOf('application/json') < 0) {
        insert('mainSectionWrap', await resp.text());  // e.g. the server-busy page
        return;
      }
      var data = await resp.json();
      if (input.value.trim() !== pin) return;  // typed on meanwhile
      if (data.error) {
        showMessage('error', data.error);
      } else {
        state.value = data.state;
        district.value = data.district;
        var shown = document.getElementById('errorMessage');
        if (shown && /PIN Code/.test(shown.textContent)) shown.remove();
      }
    } catch (e) {
      showMessage('error', 'The portal could not be reached. Please try again.');
    } finally {
      window.hideProgressbar();
    }
  }

  // A document goes to /CP/Upload when its Upload button is clicked.
  async function uploadDocument(button) {
    var field = button.getAttribute('data-upload');
    var input = document.getElementById(field);
    var data = new FormData();
    data.set('docType', field);
    data.set('section', button.getAttribute('data-upload-section') || '');
    if (input.files && input.files[0]) data.set('file', input.files[0]);
    window.showProgressbar();
    try {
      var resp = await fetch('/CP/Upload', {
        method: 'POST', headers: headers(), body: data, credentials: 'same-origin'
      });
      var target = resp.headers.get('X-Redirect');
      if (target) { window.location.assign(target); return; }
      var type = resp.headers.get('Content-Type') || '';
      if (type.indexOf('application/json') < 0) {  // e.g. the server-busy page
        insert('mainSectionWrap', await resp.text());
        return;
      }
      var answer = await resp.json();
      if (answer.error) {
        showMessage('error', answer.error);
      } else {
        var mark = document.getElementById(field + 'Uploaded');
        mark.textContent = 'Uploaded: ' + answer.name;
        mark.hidden = false;
        input.value = '';
        showMessage('success', answer.message);
      }
    } catch (e) {
      showMessage('error', 'The portal could not be reached. Please try again.');
    } finally {
      window.hideProgressbar();
    }
  }

  document.addEventListener('input', function (e) {
    if (e.target.matches && e.target.matches('input[data-pincode]')) pincodeLookup(e.target);
  });

  /* --- captcha ------------------------------------------------------------------------- */

  async function refreshCaptcha(button) {
    var img = document.getElementById(button.getAttribute('data-captcha-img'));
    var resp = await fetch('/CP/webHP?requestType=ApplicationRH&actionVal=refreshCaptcha', {
      method: 'POST', headers: headers(), credentials: 'same-origin'
    });
    var data = await resp.json();
    img.src = data.imageUrl;
    img.setAttribute('data-captcha-id', data.captchaId);
    var hidden = img.closest('form').querySelector('input[name=captchaId]');
    if (hidden) hidden.value = data.captchaId;
    var input = img.closest('form').querySelector('input[name=captcha]');
    if (input) input.value = '';
  }

  /* --- delegation ---------------------------------------------------------------------- */

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.hasAttribute('data-ajax')) return;
    e.preventDefault();
    submitForm(form, e.submitter);
  });

  document.addEventListener('click', function (e) {
    var el = e.target.closest('a[data-fragment], button[data-load], [data-dsc-retry], ' +
      '[data-captcha-refresh], [data-menu-toggle], [data-upload], #announcementClose, ' +
      '#fontIncrease, #fontDecrease, #fontOrig');
    if (!el) {
      document.querySelectorAll('.menu-list').forEach(function (m) { m.hidden = true; });
      return;
    }
    if (el.matches('a[data-fragment]')) {
      e.preventDefault();
      closeMenus();
      window.updateContainer(el.getAttribute('href'));
    } else if (el.matches('button[data-load]')) {
      window.updateContainer(el.getAttribute('data-load'));
    } else if (el.matches('[data-dsc-retry]')) {
      dscSign(el.closest('[data-dsc-sign]'));
    } else if (el.matches('[data-captcha-refresh]')) {
      refreshCaptcha(el);
    } else if (el.matches('[data-upload]')) {
      uploadDocument(el);
    } else if (el.matches('[data-menu-toggle]')) {
      var list = document.getElementById(el.getAttribute('aria-controls'));
      var open = list.hidden;
      closeMenus();
      list.hidden = !open;
      el.setAttribute('aria-expanded', String(open));
    } else if (el.id === 'announcementClose') {
      document.getElementById('announcementModal').remove();
    } else {
      fontSize(el.id);
    }
  });

  function closeMenus() {
    document.querySelectorAll('.menu-list').forEach(function (m) { m.hidden = true; });
    document.querySelectorAll('[data-menu-toggle]').forEach(function (b) {
      b.setAttribute('aria-expanded', 'false');
    });
  }

  function fontSize(id) {
    var root = document.documentElement;
    var size = parseFloat(root.style.fontSize || '16');
    if (id === 'fontIncrease') size = Math.min(size + 1, 22);
    else if (id === 'fontDecrease') size = Math.max(size - 1, 12);
    else size = 16;
    root.style.fontSize = size + 'px';
  }

  window.addEventListener('popstate', function () { window.location.reload(); });

  document.addEventListener('DOMContentLoaded', function () {
    var lang = document.getElementById('langSelect');
    if (lang) {
      lang.addEventListener('change', function () {
        document.documentElement.lang = lang.value;
      });
    }
    afterInsert(document);
  });
})();
