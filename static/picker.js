// Filter as you type: an enhancement only; the search form works without JavaScript.
(function () {
  "use strict";
  var form = document.getElementById("repo-search");
  var results = document.getElementById("results");
  var count = document.getElementById("result-count");
  if (!form || !results || !count || !window.fetch) return;
  var timer = null;
  var latest = 0;
  function update() {
    var url = "?" + new URLSearchParams(new FormData(form)).toString();
    var ticket = ++latest;
    var refused = false;  // the server answered, but not with a picker page
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        refused = !response.ok;
        return response.text();
      })
      .then(function (html) {
        if (ticket !== latest) return;
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("results");
        var freshCount = page.getElementById("result-count");
        if (refused || !fresh || !freshCount) {
          // e.g. the GitHub connection expired: the server's own page explains what to do.
          form.submit();
          return;
        }
        results.replaceChildren.apply(results, Array.from(fresh.childNodes));
        // Screen readers hear the short count (a status region), not the whole list read out again.
        count.textContent = freshCount.textContent;
        history.replaceState(null, "", url);
      })
      .catch(function () { /* the network: the Search button still works */ });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
})();

// One press of each button that posts ("Link repository", "Refresh list", ...): a double click on "Link
// repository" would send the choice twice, saved (and audited) again while the first is still being
// checked with GitHub; on "Refresh list" it would walk the person's whole list at GitHub twice.
(function () {
  "use strict";
  function enableAll() {
    document.querySelectorAll("form[method=post] button[disabled]").forEach(function (button) {
      button.disabled = false;
    });
  }
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || event.target.method !== "post") return;
    // After this event: the form's data is gathered first, with the button still enabled. If the
    // page is still here 10 s later (the person pressed Stop), the button works again.
    setTimeout(function () { button.disabled = true; }, 0);
    setTimeout(enableAll, 10000);
  });
  // Back to this page (from the back/forward cache, or a form state the browser restored): usable again.
  window.addEventListener("pageshow", enableAll);
})();
