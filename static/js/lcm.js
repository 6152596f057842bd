// Keep the <details> a user opened or closed as they were when htmx swaps in a fresh timeline
// (the task page polls every second while the task runs).
(function () {
  let states = {};
  document.addEventListener("htmx:beforeSwap", function (event) {
    states = {};
    event.detail.target.querySelectorAll("details[id]").forEach(function (details) {
      states[details.id] = details.open;
    });
  });
  document.addEventListener("htmx:afterSettle", function () {
    Object.entries(states).forEach(function ([id, open]) {
      const details = document.getElementById(id);
      if (details) details.open = open;
    });
  });
})();
