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
        // What the person did in the list while this answer was on its way stays done: the repository
        // they chose stays chosen, and the control they were on keeps the focus (by its id in the fresh list).
        var chosen = results.querySelector("input[name=repo_id]:checked");
        // null: the focus was elsewhere (the search box); "" an element without an id (a link, the button).
        var focused = results.contains(document.activeElement) ? document.activeElement.id : null;
        results.replaceChildren.apply(results, Array.from(fresh.childNodes));
        var again = chosen && document.getElementById(chosen.id);
        if (again && results.contains(again) && !again.disabled) again.checked = true;
        var refocus = focused && document.getElementById(focused);
        if (refocus && results.contains(refocus)) refocus.focus();
        else if (focused !== null && !results.contains(document.activeElement)) results.focus();
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
