// The finance pages' own behaviour, beside app.js:
//  - <form data-card-upload="/v1/rate-cards/">: PUTs the chosen TOML file under the typed
//    card name, and lists a refused card's problems as "line N, field X: …" in place.
"use strict";

function cardProblems(form, problem) {
  const list = form.querySelector(".card-errors");
  list.replaceChildren();
  for (const e of problem.errors || []) {
    const m = /^line (\d+), column (\d+): (.*)$/s.exec(e.detail || "");
    const field = (e.pointer || "/").replace(/^\//, "").replace(/\//g, ".") || "(card)";
    const li = document.createElement("li");
    li.textContent = m ? `line ${m[1]}, field ${field}: ${m[3]} (column ${m[2]})` : `field ${field}: ${e.detail}`;
    list.appendChild(li);
  }
}

async function uploadCard(form) {
  const { call, showProblem, clearErrors } = window.shiphub;
  clearErrors(form);
  form.querySelector(".card-errors").replaceChildren();
  const done = form.querySelector("[data-result]");
  done.textContent = "";
  const name = form.elements.card_name.value.trim();
  const file = form.elements.card_file.files[0];
  if (!file) return;
  const button = form.querySelector("[type=submit]");
  button.disabled = true;
  try {
    const r = await call("PUT", form.dataset.cardUpload + encodeURIComponent(name), file, undefined,
      { "Content-Type": "application/toml" });
    if (r.ok) {
      done.textContent = `Stored ${r.json.name}: ${r.json.versions.length} version(s).`;
      setTimeout(() => location.reload(), 800);
    } else {
      const p = r.json || { title: r.text };
      showProblem(form, r.status, { ...p, errors: [] });
      cardProblems(form, p);
    }
  } finally {
    button.disabled = false;
  }
}

document.addEventListener("submit", (e) => {
  const form = e.target;
  if (form.dataset.cardUpload !== undefined) { e.preventDefault(); uploadCard(form); }
});

// A report still being made: look again shortly (the server renders the finished report).
document.addEventListener("DOMContentLoaded", () => {
  if (document.querySelector('[data-refresh-while="running"]')) setTimeout(() => location.reload(), 1000);
});
