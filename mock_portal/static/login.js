/*
 * The login modal's script (the login as PORTAL.md section 6 describes the real portal's):
 *
 * 1. Login pressed: the captcha is pre-checked (POST webHP ... actionVal=checkCaptcha, XHR).
 *    Refused: the portal's new captcha replaces the old one, then bootbox.alert(message).
 * 2. The password is AES-encrypted here, never sent in clear text: AES-256-GCM with a key
 *    derived by PBKDF2-SHA256 (1000 rounds) from the page's CSRF token and the hidden
 *    #temp_key salt, a random 12-byte IV; sent as base64(iv || ciphertext || tag)
 *    (mock_portal/login_crypto.py is the server's half) [the derivation is the mock's, I].
 * 3. POST /CP/j_spring_security_check (XHR, form-encoded, X-CSRF-TOKEN). Taken: the answer's
 *    X-Redirect (web ... actionVal=checkLogin) is followed, which lands on the dashboard or
 *    the password change. Refused: JSON {message, captcha}: a new captcha, the password and
 *    captcha boxes emptied, then bootbox.alert(message).
 *
 * A page answered instead of JSON (the portal busy) replaces #mainSectionWrap, as any
 * fragment does. Needs portal.js (the progress overlay) and bootbox.js.
 */
(function () {
  'use strict';

  var CHECK_CAPTCHA = '/CP/webHP?requestType=ApplicationRH&actionVal=checkCaptcha';
  var ITERATIONS = 1000;

  function meta(name) {
    var node = document.querySelector('meta[name="' + name + '"]');
    return node ? node.getAttribute('content') : '';
  }

  function headers() {
    var h = {
      'X-Requested-With': 'XMLHttpRequest',
      'Content-Type': 'application/x-www-form-urlencoded; charset=UTF-8'
    };
    h[meta('_csrf_header') || 'X-CSRF-TOKEN'] = meta('_csrf');
    return h;
  }

  function field(form, name) {
    var input = form.querySelector('[name="' + name + '"]');
    return input ? input.value.trim() : '';
  }

  function popup(message) {
    if (window.bootbox) window.bootbox.alert(message);
    else window.alert(message);
  }

  function base64(bytes) {
    var text = '';
    for (var i = 0; i < bytes.length; i += 1) text += String.fromCharCode(bytes[i]);
    return window.btoa(text);
  }

  async function encryptPassword(password, salt) {
    var utf8 = new TextEncoder();
    var base = await crypto.subtle.importKey('raw', utf8.encode(meta('_csrf')), 'PBKDF2',
      false, ['deriveKey']);
    var key = await crypto.subtle.deriveKey(
      { name: 'PBKDF2', salt: utf8.encode(salt), iterations: ITERATIONS, hash: 'SHA-256' },
      base, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);
    var iv = crypto.getRandomValues(new Uint8Array(12));
    var sealed = new Uint8Array(
      await crypto.subtle.encrypt({ name: 'AES-GCM', iv: iv }, key, utf8.encode(password)));
    var out = new Uint8Array(iv.length + sealed.length);
    out.set(iv, 0);
    out.set(sealed, iv.length);
    return base64(out);
  }

  function setCaptcha(form, captcha) {
    if (!captcha) return;
    var img = form.querySelector('img#captcha');
    img.src = captcha.src;
    img.setAttribute('data-captcha-id', captcha.id);
    form.querySelector('input[name=captchaId]').value = captcha.id;
    form.querySelector('input[name=txt_Captcha]').value = '';
  }

  /* Posts the form fields; answers the parsed JSON, or null when the portal answered
     something else (then already shown, or navigating). */
  async function post(url, params, state) {
    var resp = await fetch(url, {
      method: 'POST', credentials: 'same-origin', headers: headers(),
      body: new URLSearchParams(params).toString()
    });
    var target = resp.headers.get('X-Redirect');
    if (target) {
      state.navigating = true;
      window.location.assign(target);
      return null;
    }
    var type = resp.headers.get('Content-Type') || '';
    if (type.indexOf('application/json') >= 0) return resp.json();
    document.getElementById('mainSectionWrap').innerHTML = await resp.text();
    return null;
  }

  async function login(form) {
    var state = { navigating: false };
    window.showProgressbar();
    try {
      var captcha = { captchaId: field(form, 'captchaId'), txt_Captcha: field(form, 'txt_Captcha') };
      var check = await post(CHECK_CAPTCHA, captcha, state);
      if (!check) return;
      if (check.status !== 'valid') {
        setCaptcha(form, check.captcha);
        popup(check.message);
        return;
      }
      var password = form.querySelector('input[name=password]').value;
      if (password && !(window.crypto && window.crypto.subtle)) {
        popup(form.getAttribute('data-insecure'));  // WebCrypto needs a secure context
        return;
      }
      var answer = await post(form.getAttribute('action'), {
        username: field(form, 'username'),
        password: password ? await encryptPassword(password, form.querySelector('#temp_key').value) : '',
        captchaId: captcha.captchaId,
        txt_Captcha: captcha.txt_Captcha
      }, state);
      if (!answer) return;
      setCaptcha(form, answer.captcha);
      form.querySelector('input[name=password]').value = '';
      popup(answer.message);
    } catch (e) {
      popup(form.getAttribute('data-unreachable'));
    } finally {
      if (!state.navigating) window.hideProgressbar();
    }
  }

  async function refreshCaptcha(button) {
    var form = button.closest('form');
    var resp = await fetch('/CP/webHP?requestType=ApplicationRH&actionVal=refreshCaptcha', {
      method: 'POST', credentials: 'same-origin', headers: headers()
    });
    var data = await resp.json();
    setCaptcha(form, { id: data.captchaId, src: '/CP/SimpleCaptcha?id=' + encodeURIComponent(data.captchaId) });
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form.hasAttribute('data-login')) return;
    e.preventDefault();
    login(form);
  });

  document.addEventListener('click', function (e) {
    var button = e.target.closest('[data-login-captcha-refresh]');
    if (button) refreshCaptcha(button);
  });

  /* A refusal the server drew into the page (a login posted without this script). */
  document.addEventListener('DOMContentLoaded', function () {
    var form = document.querySelector('form[data-login][data-popup]');
    if (form) popup(form.getAttribute('data-popup'));
  });
})();
