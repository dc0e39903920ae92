// Filter as you type: an enhancement only; the search form works without JavaScript.
(function () {
  "use strict";
  var form = document.getElementById("repo-search");
  var results = document.getElementById("results");
  if (!form || !results || !window.fetch) return;
  var timer = null;
  var latest = 0;
  function update() {
    var url = "?" + new URLSearchParams(new FormData(form)).toString();
    var ticket = ++latest;
    fetch(url, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || ticket !== latest) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("results");
        if (fresh) {
          // The contents only: screen readers announce changes inside the live region already on the page.
          results.replaceChildren.apply(results, Array.from(fresh.childNodes));
          history.replaceState(null, "", url);
        }
      })
      .catch(function () { /* the Search button still works */ });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
})();
