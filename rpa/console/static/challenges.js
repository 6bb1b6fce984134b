// The challenges inbox, live: every 2 s the waiting list is fetched again; new challenges
// are added, answered or expired ones removed, and what a person is typing is left alone.
// The time left counts down each second. Without this script the page works with a reload.
(function () {
  "use strict";
  var list = document.getElementById("challenge-list");
  if (!list) return;
  var url = list.getAttribute("data-poll");

  function tick() {
    var now = Date.now() / 1000;
    list.querySelectorAll(".left[data-expires]").forEach(function (el) {
      var expires = parseFloat(el.getAttribute("data-expires"));
      if (!expires) return;
      var left = Math.max(0, Math.round(expires - now));
      var m = Math.floor(left / 60), s = left % 60;
      el.textContent = m ? m + " min " + (s < 10 ? "0" : "") + s + " s" : s + " s";
    });
  }

  function merge(html) {
    var fresh = document.createElement("div");
    fresh.innerHTML = html;
    var wanted = {};
    fresh.querySelectorAll("article.challenge").forEach(function (a) { wanted[a.id] = a; });
    list.querySelectorAll("article.challenge").forEach(function (a) {
      if (!wanted[a.id]) { a.remove(); } else {
        // keep the article (and its typed answer); refresh the refusal note and relay state
        var note = wanted[a.id].querySelector("[role=alert]");
        var old = a.querySelector("[role=alert]");
        if (note && !old) a.insertBefore(note, a.children[1]);
        delete wanted[a.id];
      }
    });
    Object.keys(wanted).forEach(function (id) { list.appendChild(wanted[id]); });
    var empty = list.querySelector("#nothing-waiting");
    var any = list.querySelector("article.challenge");
    if (any && empty) empty.remove();
    if (!any && !empty) {
      var p = fresh.querySelector("#nothing-waiting");
      if (p) list.insertBefore(p, list.firstChild);
    }
    tick();
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) merge(html); })
      .catch(function () {})
      .then(function () { setTimeout(poll, 2000); });
  }

  setInterval(tick, 1000);
  setTimeout(poll, 2000);
})();
