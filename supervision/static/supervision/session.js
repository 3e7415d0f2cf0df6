/* Warns before the sign-in session ends and lets the user extend it.
 *
 * The session lasts data-session-seconds from its last save on the server, which was
 * data-session-idle seconds before this page (a request extends it at most once a minute). A few
 * minutes before the end (data-warn-seconds) the #session-notice (role=alert) says so, with a
 * "继续工作" button that POSTs to data-keepalive-url; after the end it says the session ended.
 * Tabs share the time of the last request through localStorage, so working in one tab does not
 * make another warn. Needs no network except for the button; its texts come from the page.
 */
(function () {
  "use strict";

  var notice = document.getElementById("session-notice");
  if (!notice) {
    return;
  }
  var seconds = parseInt(notice.getAttribute("data-session-seconds"), 10);
  var warnSeconds = parseInt(notice.getAttribute("data-warn-seconds"), 10) || 180;
  if (!(seconds > 0)) {
    return;
  }
  var text = notice.querySelector("[data-session-text]");
  var button = notice.querySelector("[data-session-keepalive]");
  var STORE = "supervision.session.last";
  var timer = null;

  function now() {
    return Date.now();
  }

  function lastRequest() {
    var own = parseInt(notice.getAttribute("data-loaded-at"), 10);
    var shared = NaN;
    try {
      shared = parseInt(window.localStorage.getItem(STORE), 10);
    } catch (e) {
      /* storage unavailable (private mode): this tab's own time */
    }
    return Math.max(own || 0, shared || 0);
  }

  function touched(at) {
    notice.setAttribute("data-loaded-at", String(at));
    try {
      var shared = parseInt(window.localStorage.getItem(STORE), 10);
      if (shared > at) {
        return; /* another tab has seen a later save */
      }
      window.localStorage.setItem(STORE, String(at));
    } catch (e) {
      /* see lastRequest */
    }
  }

  function say(message, showButton) {
    if (text.textContent !== message) {
      text.textContent = message;
    }
    button.hidden = !showButton;
    notice.hidden = false;
  }

  function check() {
    var left = Math.round((lastRequest() + seconds * 1000 - now()) / 1000);
    if (left <= 0) {
      say(notice.getAttribute("data-text-ended"), false);
      notice.classList.add("session-ended");
      return; /* no more checks: the session is over */
    }
    if (left <= warnSeconds) {
      var minutes = String(Math.ceil(left / 60));
      say(notice.getAttribute("data-text-ending").replace("{minutes}", minutes), true);
    } else if (!notice.hidden) {
      notice.hidden = true;
    }
    schedule();
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 5000);
  }

  function keepAlive() {
    button.disabled = true;
    var body = new FormData();
    body.append("csrfmiddlewaretoken", notice.getAttribute("data-csrf-token"));
    window
      .fetch(notice.getAttribute("data-keepalive-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        redirect: "manual",
        headers: { Accept: "application/json" },
      })
      .then(function (response) {
        if (response.status !== 204) {
          throw new Error("session not extended");
        }
        touched(now());
        notice.hidden = true;
        check();
      })
      .catch(function () {
        say(notice.getAttribute("data-text-failed"), true);
      })
      .then(function () {
        button.disabled = false;
      });
  }

  touched(now() - (parseInt(notice.getAttribute("data-session-idle"), 10) || 0) * 1000);
  button.addEventListener("click", keepAlive);
  window.addEventListener("storage", function (event) {
    if (event.key === STORE) {
      check();
    }
  });
  check();
})();
