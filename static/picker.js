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
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("not ok");
        return response.text();
      })
      .then(function (html) {
        if (ticket !== latest) return;
        var page = new DOMParser().parseFromString(html, "text/html");
        var fresh = page.getElementById("results");
        if (!fresh) throw new Error("no results");
        results.replaceChildren.apply(results, Array.from(fresh.childNodes));
        // Screen readers hear the short count (a status region), not the whole list read out again.
        count.textContent = page.getElementById("result-count").textContent;
        history.replaceState(null, "", url);
      })
      .catch(function () {
        // The session expired, the server failed, or the network: the page itself explains what happened.
        if (ticket === latest) form.submit();
      });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
})();
