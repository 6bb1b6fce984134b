/*
 * DSC signing through emBridge, as the DGFT portal's pages do it (PORTAL.md section 4).
 *
 *   window.DGFT_DSC.sign({dataToSign, embridgeUrl, csrfToken, csrfHeader, actionUrl, dataType})
 *     -> Promise<{signedText, certificate}>
 *
 * Defaults: embridgeUrl "https://localhost.emudhra.com:26769"; csrfToken / csrfHeader from
 * <meta name="_csrf"> / <meta name="_csrf_header">; actionUrl "/CP/web?requestType=ApplicationRH";
 * dataType "TEXT".
 *
 * Every emBridge call: the portal encrypts the plain request (POST actionUrl +
 * "&actionVal=encryptEmbridgeRequest", form field "plain"), the page POSTs the envelope to
 * emBridge, and the portal decrypts the answer ("&actionVal=decryptEmbridgeResponse", form field
 * "responseData").
 *
 * The dialog (role="dialog", heading "Sign with DSC"): selects labelled "Select Device" and
 * "Select Certificate", a password field labelled "PIN", buttons "Sign" and "Cancel", and errors
 * in a role="alert" element. Each "Select Certificate" option is one certificate emBridge's
 * ListCertificate gave for the chosen device: value its KeyId, text its CommonName, and its
 * Subject and SerialNumber in data-subject / data-serial-number (the subject's serialNumber
 * attribute, 2.5.4.5, carries the SHA-256 hash of the holder's PAN). The list is fetched after
 * the device is chosen: meanwhile the certificate select is disabled and the dialog
 * aria-busy="true". A refusal from emBridge (wrong PIN, locked token, token pulled out)
 * is shown there and the promise stays pending. The promise rejects with
 * Error("Signing cancelled") on Cancel or Escape, Error("emBridge service is not running") when
 * emBridge cannot be reached, and Error(<emBridge's message>) when no token is connected
 * (before any dialog is drawn).
 */
(function () {
  'use strict';

  var MESSAGES = {
    notRunning: 'emBridge service is not running',
    cancelled: 'Signing cancelled',
    alreadyOpen: 'A DSC signing dialog is already open',
    chooseDevice: 'Please select a device',
    chooseCertificate: 'Please select a certificate',
    enterPin: 'Please enter the token PIN',
    noCertificate: 'No certificate found in the selected device',
    refused: 'emBridge could not complete the request'
  };
  var DEFAULT_EMBRIDGE_URL = 'https://localhost.emudhra.com:26769';
  var DEFAULT_ACTION_URL = '/CP/web?requestType=ApplicationRH';
  var ID = 'dgft-dsc';
  var open = false;

  /* A refusal emBridge reported (status != 1): shown in the dialog, not fatal. */
  class RefusalError extends Error {}

  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute('content') : null;
  }

  function appId() {
    return String(Math.random()).slice(2, 12);
  }

  function client(opts) {
    var base = String(opts.embridgeUrl || DEFAULT_EMBRIDGE_URL).replace(/\/+$/, '');
    var actionUrl = opts.actionUrl || DEFAULT_ACTION_URL;
    var sep = actionUrl.indexOf('?') >= 0 ? '&' : '?';
    var csrfHeader = opts.csrfHeader || meta('_csrf_header') || 'X-CSRF-TOKEN';
    var csrfToken = opts.csrfToken || meta('_csrf');

    async function portal(action, fields) {
      var headers = {
        'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8',
        'X-Requested-With': 'XMLHttpRequest'
      };
      if (csrfToken) headers[csrfHeader] = csrfToken;
      var resp = await fetch(actionUrl + sep + 'actionVal=' + action, {
        method: 'POST',
        headers: headers,
        body: new URLSearchParams(fields).toString(),
        credentials: 'same-origin'
      });
      if (!resp.ok) {
        // the portal's own message when it gives one (a timed-out session), else the status
        var answer = null;
        try { answer = await resp.json(); } catch (e) { answer = null; }
        throw new Error((answer && answer.errorMessage) ||
          'Signing failed: the portal answered HTTP ' + resp.status);
      }
      return resp.json();
    }

    async function embridge(path, init) {
      var resp;
      try {
        resp = await fetch(base + path, init);
      } catch (e) {
        throw new Error(MESSAGES.notRunning);
      }
      try {
        return await resp.json();
      } catch (e) {
        throw new Error('emBridge answered HTTP ' + resp.status);
      }
    }

    return {
      version: async function () {
        var answer = await embridge('/DSC/Version', { method: 'GET' });
        if (!answer || answer.status !== 1) throw new Error(MESSAGES.notRunning);
        return answer.version;
      },
      call: async function (operation, plain) {
        var envelope = await portal('encryptEmbridgeRequest', { plain: JSON.stringify(plain) });
        var answer = await embridge('/DSC/' + operation, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(envelope)
        });
        if (!answer || answer.status !== 1) {
          throw new RefusalError((answer && answer.errorMessage) || MESSAGES.refused);
        }
        return portal('decryptEmbridgeResponse', { responseData: answer.responseData });
      }
    };
  }

  function installStyle() {
    if (document.getElementById(ID + '-style')) return;
    var style = document.createElement('style');
    style.id = ID + '-style';
    style.textContent =
      '.' + ID + '-backdrop{position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:100000;' +
      'display:flex;align-items:center;justify-content:center;font-family:sans-serif}' +
      '.' + ID + '-dialog{background:#fff;border-radius:6px;padding:20px 24px;min-width:340px;' +
      'max-width:90vw;box-shadow:0 8px 30px rgba(0,0,0,.3)}' +
      '.' + ID + '-dialog h2{margin:0 0 12px;font-size:1.25rem;color:#1a3c6e}' +
      '.' + ID + '-dialog label{display:block;margin:10px 0 4px;font-weight:bold}' +
      '.' + ID + '-dialog select,.' + ID + '-dialog input{width:100%;padding:6px;box-sizing:border-box}' +
      '.' + ID + '-error{background:#fdecea;color:#a12622;padding:8px;border-radius:4px;margin:0 0 8px}' +
      '.' + ID + '-buttons{margin-top:16px;display:flex;gap:8px;justify-content:flex-end}' +
      '.' + ID + '-buttons button{padding:6px 18px}';
    document.head.appendChild(style);
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function fillSelect(select, placeholder, items) {
    select.textContent = '';
    select.appendChild(el('option', { value: '' }, placeholder));
    items.forEach(function (item) {
      var attrs = Object.assign({}, item.attrs || {}, { value: item.value });
      select.appendChild(el('option', attrs, item.label));
    });
  }

  /* Draw the modal; everything else on the page is made inert while it is open. */
  function drawDialog() {
    installStyle();
    var backdrop = el('div', { class: ID + '-backdrop', id: ID + '-backdrop' });
    var dialog = el('div', {
      class: ID + '-dialog', role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': ID + '-title'
    });
    var error = el('div', { class: ID + '-error', role: 'alert', id: ID + '-error' });
    error.hidden = true;
    var device = el('select', { id: ID + '-device' });
    var certificate = el('select', { id: ID + '-certificate', disabled: '' });
    var pin = el('input', { id: ID + '-pin', type: 'password', autocomplete: 'off' });
    var sign = el('button', { type: 'button' }, 'Sign');
    var cancel = el('button', { type: 'button' }, 'Cancel');
    var buttons = el('div', { class: ID + '-buttons' });
    buttons.append(sign, cancel);
    dialog.append(
      el('h2', { id: ID + '-title' }, 'Sign with DSC'), error,
      el('label', { for: ID + '-device' }, 'Select Device'), device,
      el('label', { for: ID + '-certificate' }, 'Select Certificate'), certificate,
      el('label', { for: ID + '-pin' }, 'PIN'), pin,
      buttons
    );
    backdrop.appendChild(dialog);
    var hidden = [];
    Array.prototype.forEach.call(document.body.children, function (child) {
      if (child.tagName === 'SCRIPT' || child.hasAttribute('inert')) return;
      hidden.push([child, child.getAttribute('aria-hidden')]);
      child.setAttribute('inert', '');
      child.setAttribute('aria-hidden', 'true');
    });
    document.body.appendChild(backdrop);
    return {
      dialog: dialog, device: device, certificate: certificate, pin: pin,
      sign: sign, cancel: cancel,
      showError: function (message) {
        error.textContent = message || '';
        error.hidden = !message;
      },
      setBusy: function (busy) {
        dialog.setAttribute('aria-busy', busy ? 'true' : 'false');
        sign.disabled = busy;
      },
      close: function () {
        backdrop.remove();
        hidden.forEach(function (entry) {
          entry[0].removeAttribute('inert');
          if (entry[1] === null) entry[0].removeAttribute('aria-hidden');
          else entry[0].setAttribute('aria-hidden', entry[1]);
        });
      }
    };
  }

  async function sign(options) {
    var opts = options || {};
    if (open) throw new Error(MESSAGES.alreadyOpen);
    var api = client(opts);
    await api.version();
    var listed = await api.call('ListToken', {
      AppID: appId(), tokenStatus: 'CONNECTED', tokenType: 'ALL'
    }).catch(function (e) { throw new Error(e.message); });
    if (open) throw new Error(MESSAGES.alreadyOpen);
    open = true;
    var ui = drawDialog();
    fillSelect(ui.device, 'Select Device', (listed.tokens || []).map(function (t) {
      return { value: t.keyStoreDisplayName, label: t.keyStoreDisplayName };
    }));
    fillSelect(ui.certificate, 'Select Certificate', []);
    ui.device.focus();

    return new Promise(function (resolve, reject) {
      var listing = 0;
      var done = false;

      function finish(fn, value) {
        if (done) return;
        done = true;
        open = false;
        ui.close();
        fn(value);
      }

      /* Refusals stay in the dialog; anything else (emBridge gone, portal error) ends it. */
      function failed(e) {
        if (e instanceof RefusalError) {
          ui.showError(e.message);
          return;
        }
        finish(reject, e instanceof Error ? e : new Error(String(e)));
      }

      ui.device.addEventListener('change', function () {
        var name = ui.device.value;
        var seq = ++listing;
        ui.showError('');
        fillSelect(ui.certificate, 'Select Certificate', []);
        ui.certificate.disabled = true;
        if (!name) return;
        ui.setBusy(true);
        api.call('ListCertificate', {
          appID: appId(),
          keyStoreDisplayName: name,
          certFilter: { commonName: '', issuerName: '', serialNumber: '', isNotExpired: '' }
        }).then(function (answer) {
          if (seq !== listing) return;
          var certs = answer.Certificates || [];
          fillSelect(ui.certificate, 'Select Certificate', certs.map(function (c) {
            return {
              value: c.KeyId,
              label: c.CommonName,
              attrs: { 'data-subject': c.Subject || '', 'data-serial-number': c.SerialNumber || '' }
            };
          }));
          ui.certificate.disabled = false;
          if (!certs.length) ui.showError(MESSAGES.noCertificate);
        }, function (e) {
          if (seq === listing) failed(e);
        }).then(function () {
          if (seq === listing) ui.setBusy(false);
        });
      });

      ui.sign.addEventListener('click', function () {
        if (!ui.device.value) return ui.showError(MESSAGES.chooseDevice);
        if (!ui.certificate.value) return ui.showError(MESSAGES.chooseCertificate);
        if (!ui.pin.value) return ui.showError(MESSAGES.enterPin);
        ui.showError('');
        ui.setBusy(true);
        api.call('PKCSSign', {
          appID: appId(),
          keyStorePassphrase: ui.pin.value,
          keyStoreDisplayName: ui.device.value,
          keyId: ui.certificate.value,
          dataToSign: String(opts.dataToSign == null ? '' : opts.dataToSign),
          dataType: opts.dataType || 'TEXT',
          timeStamp: Date.now()
        }).then(function (answer) {
          finish(resolve, { signedText: answer.SignedText, certificate: answer.SiginedCertificate });
        }, function (e) {
          ui.pin.value = '';
          ui.setBusy(false);
          failed(e);
        });
      });

      function cancel() {
        finish(reject, new Error(MESSAGES.cancelled));
      }
      ui.cancel.addEventListener('click', cancel);
      ui.dialog.addEventListener('keydown', function (event) {
        if (event.key === 'Escape') cancel();
      });
    });
  }

  window.DGFT_DSC = { sign: sign, MESSAGES: MESSAGES };
})();
