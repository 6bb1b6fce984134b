/*
 * A tiny stand-in for bootbox.js (no CDN, no jQuery): the real DGFT pages report errors with
 * bootbox.alert("Please enter correct captcha.") [S, PORTAL.md section 6]. This draws the
 * same markup bootbox 4/5 draws, so the same selectors find it:
 *
 *   <div class="bootbox modal fade bootbox-alert show" role="dialog" aria-modal="true" ...>
 *     <div class="modal-dialog"><div class="modal-content">
 *       <div class="modal-body">
 *         <button class="bootbox-close-button close" aria-hidden="true">x</button>
 *         <div class="bootbox-body">MESSAGE</div>
 *       </div>
 *       <div class="modal-footer"><button class="btn btn-primary bootbox-accept">OK</button></div>
 *     </div></div>
 *   </div>
 *   <div class="modal-backdrop fade show bootbox-backdrop"></div>
 *
 * A real modal: the backdrop covers the page until OK (or the close button, or Escape)
 * closes it; the OK button has the focus. bootbox.alert(message [, callback]) and
 * bootbox.alert({message, callback}) are supported; the message is text, never HTML.
 */
(function () {
  'use strict';

  var CSS = [
    '.bootbox.modal { position: fixed; inset: 0; z-index: 9600; display: flex;',
    '  align-items: flex-start; justify-content: center; overflow-y: auto; max-width: none;',
    '  background: transparent; padding: 0; border-radius: 0; }',
    '.bootbox .modal-dialog { margin: 80px 12px; width: min(480px, 94vw); }',
    '.bootbox .modal-content { background: #fff; border-radius: 6px;',
    '  box-shadow: 0 6px 24px rgba(0,0,0,.35); }',
    '.bootbox .modal-body { position: relative; padding: 20px 40px 16px 20px; }',
    '.bootbox .bootbox-close-button { position: absolute; top: 6px; right: 10px; border: 0;',
    '  background: none; font-size: 1.4rem; line-height: 1; cursor: pointer; color: #555; }',
    '.bootbox .modal-footer { padding: 10px 16px; border-top: 1px solid #e3e3e3;',
    '  text-align: right; }',
    '.modal-backdrop.bootbox-backdrop { z-index: 9550; }',
    'body.modal-open { overflow: hidden; }'
  ].join('\n');

  function ensureStyle() {
    if (document.getElementById('bootboxStyle')) return;
    var style = document.createElement('style');
    style.id = 'bootboxStyle';
    style.textContent = CSS;
    document.head.appendChild(style);
  }

  function el(tag, className, attrs) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  function alert(options, callback) {
    var message = options;
    if (options && typeof options === 'object') {
      message = options.message;
      callback = options.callback || callback;
    }
    ensureStyle();
    var box = el('div', 'bootbox modal fade bootbox-alert show',
      { tabindex: '-1', role: 'dialog', 'aria-modal': 'true' });
    box.style.display = 'flex';
    var dialog = el('div', 'modal-dialog');
    var content = el('div', 'modal-content');
    var body = el('div', 'modal-body');
    var close = el('button', 'bootbox-close-button close',
      { type: 'button', 'aria-hidden': 'true', tabindex: '-1' });
    close.textContent = '\u00d7';
    var text = el('div', 'bootbox-body');
    text.textContent = String(message == null ? '' : message);
    var footer = el('div', 'modal-footer');
    var ok = el('button', 'btn btn-primary bootbox-accept', { type: 'button', 'data-bb-handler': 'ok' });
    ok.textContent = 'OK';
    body.appendChild(close);
    body.appendChild(text);
    footer.appendChild(ok);
    content.appendChild(body);
    content.appendChild(footer);
    dialog.appendChild(content);
    box.appendChild(dialog);
    var backdrop = el('div', 'modal-backdrop fade show bootbox-backdrop');

    var closed = false;
    function hide() {
      if (closed) return;
      closed = true;
      document.removeEventListener('keydown', onKey, true);
      box.remove();
      backdrop.remove();
      if (!document.querySelector('.bootbox.modal')) document.body.classList.remove('modal-open');
      if (typeof callback === 'function') callback();
    }
    function onKey(e) {
      if (e.key === 'Escape' && box === topmost()) { e.preventDefault(); hide(); }
    }
    ok.addEventListener('click', hide);
    close.addEventListener('click', hide);
    document.addEventListener('keydown', onKey, true);

    document.body.appendChild(box);
    document.body.appendChild(backdrop);
    document.body.classList.add('modal-open');
    ok.focus();
    return box;
  }

  function topmost() {
    var boxes = document.querySelectorAll('.bootbox.modal');
    return boxes.length ? boxes[boxes.length - 1] : null;
  }

  window.bootbox = { alert: alert };
})();
