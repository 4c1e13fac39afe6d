// Copy buttons (a new API token): copies the named field's value and says so. No inline script: CSP.
(function () {
  'use strict';
  document.addEventListener('click', function (ev) {
    var btn = ev.target.closest && ev.target.closest('button[data-copy]');
    if (!btn) return;
    var field = document.getElementById(btn.getAttribute('data-copy'));
    var note = document.getElementById(btn.getAttribute('aria-describedby') || '');
    if (!field) return;
    var say = function (text) {
      if (note) note.textContent = text;
    };
    var fallback = function () {
      // Older browsers, or a page not served over HTTPS or localhost: select it for Ctrl-C.
      field.focus();
      field.select();
      say('Selected: press Ctrl-C (⌘-C) to copy.');
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { say('Copied to the clipboard.'); }, fallback);
    } else fallback();
  });
})();
