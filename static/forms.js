// One press of each button that posts, on every page: a double click on "Connect with GitHub" would start
// a second grant at GitHub (and a second walk of the person's list); on "Link repository" it would send the
// choice twice, saved (and audited) again while the first is still being checked with GitHub; on "Refresh
// list" it would walk the whole list at GitHub twice. An enhancement only: the server copes with each.
(function () {
  "use strict";
  function enableAll() {
    document.querySelectorAll("form[method=post] button[disabled]").forEach(function (button) {
      button.disabled = false;
    });
  }
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || event.defaultPrevented || event.target.method !== "post") return;
    // After this event: the form's data is gathered first, with the button still enabled. If the
    // page is still here 10 s later (the person pressed Stop), the button works again.
    setTimeout(function () { button.disabled = true; }, 0);
    setTimeout(enableAll, 10000);
  });
  // Back to this page (from the back/forward cache, or a form state the browser restored): usable again.
  window.addEventListener("pageshow", enableAll);
})();
