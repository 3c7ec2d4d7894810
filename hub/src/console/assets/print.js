// The print stations page: says whether its live updates are connected (app.js keeps the
// state in the live section's data-live-state).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const section = document.querySelector("section[data-live]");
  const status = document.getElementById("live-status");
  if (!section || !status) return;
  const show = () => {
    status.textContent = section.dataset.liveState === "connected"
      ? "Live: cards update as stations change."
      : "Reconnecting to live updates…";
  };
  new MutationObserver(show).observe(section, { attributes: true, attributeFilter: ["data-live-state"] });
  show();
});
