// Live log of a running run: appends each line the server streams (Server-Sent Events) to the
// <pre id="log">. EventSource sends Last-Event-ID itself when it reconnects, so nothing repeats.
// Lines go in as text nodes: a log line is never parsed as HTML. The state label follows: a
// queued run is running once it prints, and finished when its log ends (its outcome is known to
// the queue a moment later, so the page says to reload for it rather than guess).
"use strict";
(function () {
  var log = document.getElementById("log");
  var status = document.getElementById("log-status");
  var state = document.getElementById("run-state");
  if (!log || !log.dataset.stream || typeof EventSource === "undefined") return;
  var url = log.dataset.stream;
  if (log.dataset.lastId) url += (url.indexOf("?") < 0 ? "?" : "&") + "after=" + encodeURIComponent(log.dataset.lastId);
  var source = new EventSource(url);
  var running = "Running: new lines appear below as they are printed.";
  function showState(name) {
    if (!state) return;
    state.textContent = name;
    state.className = "state state-" + name;
  }
  function append(text) {
    if (state && state.textContent === "queued") showState("running");
    if (status && status.dataset.waiting) {
      delete status.dataset.waiting;
      status.textContent = running;
    }
    var line = document.createElement("span");
    line.className = "line";
    line.textContent = text;
    log.appendChild(line);
    log.appendChild(document.createTextNode("\n"));
    log.scrollTop = log.scrollHeight;
  }
  source.onmessage = function (event) {
    var text = event.data;
    try {
      var parsed = JSON.parse(event.data);
      if (parsed && typeof parsed.line === "string") text = parsed.line;
    } catch (_notJson) {
      // plain text data: shown as is
    }
    append(text);
  };
  source.addEventListener("end", function () {
    source.close();
    showState("finished");
    if (status)
      status.textContent = (log.querySelector(".line") ? "Complete." : "Finished without printing a log.") + " Reload the page for its outcome and duration.";
  });
})();
