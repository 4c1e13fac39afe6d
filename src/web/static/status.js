// Status page: a day's figures under its bars on a tap, a click or keyboard focus (not only in a
// tooltip, which touch screens never show); the arrow keys, Home and End move between days.
// Listeners sit on the document, so they keep working after htmx swaps the list in.
(function () {
  'use strict';

  function show(bar) {
    var card = bar.closest('li.monitor') || bar.parentNode.parentNode;
    var detail = card.querySelector('.day-detail');
    if (detail) detail.textContent = bar.getAttribute('data-detail') || '';
    var sel = bar.parentNode.querySelectorAll('.bar.selected');
    for (var i = 0; i < sel.length; i++) sel[i].classList.remove('selected');
    bar.classList.add('selected');
  }

  // Bars hidden on a narrow screen are skipped.
  function visibleBars(group) {
    return Array.prototype.filter.call(group.querySelectorAll('.bar'), function (b) {
      return b.offsetParent !== null;
    });
  }

  function move(bar, to) {
    var bars = Array.prototype.slice.call(bar.parentNode.querySelectorAll('.bar'));
    bars.forEach(function (b) { b.setAttribute('tabindex', b === to ? '0' : '-1'); });
    to.focus();
  }

  document.addEventListener('click', function (ev) {
    var bar = ev.target.closest && ev.target.closest('.bars .bar');
    if (bar) show(bar);
  });
  document.addEventListener('focusin', function (ev) {
    var bar = ev.target.closest && ev.target.closest('.bars .bar');
    if (bar) show(bar);
  });
  document.addEventListener('keydown', function (ev) {
    var bar = ev.target.closest && ev.target.closest('.bars .bar');
    if (!bar) return;
    var bars = visibleBars(bar.parentNode);
    var i = bars.indexOf(bar);
    var next = null;
    if (ev.key === 'ArrowLeft' || ev.key === 'ArrowDown') next = bars[Math.max(0, i - 1)];
    else if (ev.key === 'ArrowRight' || ev.key === 'ArrowUp') next = bars[Math.min(bars.length - 1, i + 1)];
    else if (ev.key === 'Home') next = bars[0];
    else if (ev.key === 'End') next = bars[bars.length - 1];
    if (!next) return;
    ev.preventDefault();
    move(bar, next);
  });
})();
