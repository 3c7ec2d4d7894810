// The console's behaviour, on top of server-rendered pages that read without it:
//  - <form data-api="/v1/…" [data-method] [data-then]>: sends the form as JSON to the API
//    with the session's CSRF token and the form's Idempotency-Key (rendered with the page, so
//    a double click is one purchase); a problem's field errors are shown next to the fields
//    (`errors[].pointer` /body/a/b ↔ input name "a.b").
//  - <button data-api="/v1/…" [data-body='{…}'] [data-confirm] [data-then]>: the same for
//    one-click actions (reprint, void, resend …).
//  - <form data-upload="/v1/…">: sends the chosen file as the body, with upload progress.
//  - <section data-live="/console/…/stream">: server-sent events replace elements by id.
// data-then: "reload", or a path where {field} is filled from the answer's JSON.
"use strict";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

function newKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

// Sets a.b.c in obj.
function put(obj, path, value) {
  const keys = path.split(".");
  let o = obj;
  keys.slice(0, -1).forEach((k) => { o = o[k] ??= {}; });
  o[keys[keys.length - 1]] = value;
}

// A form's fields as JSON: data-kind says how a value is typed (number, bool, json, list).
function formJson(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || el.disabled || el.dataset.skip !== undefined) continue;
    if ((el.type === "checkbox" || el.type === "radio") && !el.checked && el.dataset.kind !== "bool") continue;
    let v = el.value;
    const kind = el.dataset.kind;
    if (kind === "bool") v = el.checked;
    else if (v === "" && el.dataset.keepEmpty === undefined) continue;
    else if (kind === "number") v = Number(v);
    else if (kind === "json") { try { v = JSON.parse(v); } catch { v = undefined; showFieldError(el, "not valid JSON"); throw new Error("bad json"); } }
    else if (kind === "list") v = v.split(",").map((s) => s.trim()).filter(Boolean);
    put(out, el.name, v);
  }
  return out;
}

function clearErrors(root) {
  root.querySelectorAll(".field-error[data-for]").forEach((e) => e.remove());
  root.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
  const fe = root.querySelector(".form-error");
  if (fe) fe.textContent = "";
}

function showFieldError(el, text) {
  el.setAttribute("aria-invalid", "true");
  const id = (el.id || el.name.replace(/\W/g, "_")) + "-error";
  const p = document.createElement("p");
  p.className = "field-error";
  p.id = id;
  p.dataset.for = el.name;
  p.textContent = text;
  el.setAttribute("aria-describedby", id);
  (el.closest("label") || el).after(p);
}

// Shows a problem document in `root`: each field error beside its field, the rest on top.
function showProblem(root, status, problem) {
  const fe = root.querySelector(".form-error") || root.appendChild(Object.assign(document.createElement("p"), { className: "form-error" }));
  fe.setAttribute("role", "alert");
  const unplaced = [];
  for (const e of problem.errors || []) {
    const name = (e.pointer || "").replace(/^\/((body|query)\/)?/, "").replace(/\//g, ".");
    const el = name && root.querySelector(`[name="${CSS.escape(name)}"]`);
    if (el) showFieldError(el, e.detail);
    else unplaced.push(`${e.pointer}: ${e.detail}`);
  }
  const head = problem.title ? `${problem.title}${problem.detail ? ": " + problem.detail : ""}` : `The hub answered ${status}`;
  fe.textContent = [head, ...unplaced].join(" — ");
  const first = root.querySelector("[aria-invalid]");
  if (first) first.focus();
}

function then(el, answer) {
  const to = el.dataset.then;
  if (!to) return;
  if (to === "reload") { location.reload(); return; }
  location.assign(to.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(answer?.[k] ?? "")));
}

async function call(method, url, body, idem, extraHeaders) {
  const headers = { "X-CSRF-Token": csrf(), Accept: "application/json", ...extraHeaders };
  if (body !== undefined && !(body instanceof Blob)) headers["Content-Type"] = "application/json";
  if (idem) headers["Idempotency-Key"] = idem;
  const res = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : body instanceof Blob ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { ok: res.ok, status: res.status, json, text };
}

// Shows a short success message in the element's [data-result] region, when it has one.
function notice(root, answer) {
  const out = root.querySelector("[data-result]") || document.querySelector(root.dataset.resultIn || "#none");
  if (!out) return;
  const tpl = root.dataset.done || "Done.";
  out.textContent = tpl.replace(/\{(\w+)\}/g, (_, k) => answer?.[k] ?? "");
}

const renewsKey = (status) => status >= 400 && status < 500 && status !== 409 && status !== 429;

async function submitApiForm(form) {
  clearErrors(form);
  let body;
  try { body = formJson(form); } catch { return; }
  const button = form.querySelector("[type=submit]");
  if (button) button.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    const r = await call(form.dataset.method || "POST", form.dataset.api, body, form.dataset.idem);
    if (r.ok) {
      // A new key for a next, different request from the same form.
      form.dataset.idem = newKey();
      notice(form, r.json);
      form.dispatchEvent(new CustomEvent("api:done", { detail: r.json, bubbles: true }));
      then(form, r.json);
    } else {
      // A refusal is final for this request: the corrected form is a new one. A 5xx, a 409
      // (still in progress) or no answer keeps the key, so sending again cannot act twice.
      if (renewsKey(r.status)) form.dataset.idem = newKey();
      showProblem(form, r.status, r.json || { title: r.text });
    }
  } catch (e) {
    showProblem(form, 0, { title: "The hub could not be reached", detail: String(e) });
  } finally {
    if (button) button.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

async function clickApiButton(btn) {
  if (btn.dataset.confirm && !confirm(btn.dataset.confirm)) return;
  const region = btn.closest("[data-region]") || btn.parentElement;
  clearErrors(region);
  btn.disabled = true;
  try {
    const body = btn.dataset.body ? JSON.parse(btn.dataset.body) : undefined;
    const r = await call(btn.dataset.method || "POST", btn.dataset.api, body, btn.dataset.idem || newKey());
    if (r.ok) {
      btn.dataset.idem = newKey();
      notice(btn.closest("[data-result-in]") || region, r.json);
      btn.dispatchEvent(new CustomEvent("api:done", { detail: r.json, bubbles: true }));
      then(btn, r.json);
    } else {
      showProblem(region, r.status, r.json || { title: r.text });
    }
  } catch (e) {
    showProblem(region, 0, { title: "The hub could not be reached", detail: String(e) });
  } finally {
    btn.disabled = false;
  }
}

// Sends a file as the request body, showing progress in the form's <progress>.
function upload(form) {
  clearErrors(form);
  const input = form.querySelector("input[type=file]");
  const file = input?.files?.[0];
  if (!file) { showFieldError(input, "choose a file"); return; }
  const bar = form.querySelector("progress");
  const xhr = new XMLHttpRequest();
  let url = form.dataset.upload;
  const params = new URLSearchParams();
  for (const el of form.elements) {
    if (el.name && el.type !== "file" && el.value !== "" && el.dataset.skip === undefined) params.set(el.name, el.value);
  }
  if ([...params].length) url += (url.includes("?") ? "&" : "?") + params;
  xhr.open(form.dataset.method || "POST", url);
  xhr.setRequestHeader("X-CSRF-Token", csrf());
  xhr.setRequestHeader("Content-Type", form.dataset.type || file.type || "application/octet-stream");
  xhr.setRequestHeader("Idempotency-Key", form.dataset.idem || newKey());
  xhr.upload.onprogress = (e) => { if (bar && e.lengthComputable) { bar.max = e.total; bar.value = e.loaded; } };
  const button = form.querySelector("[type=submit]");
  if (button) button.disabled = true;
  xhr.onloadend = () => {
    if (button) button.disabled = false;
    let json = null;
    try { json = JSON.parse(xhr.responseText); } catch { json = null; }
    if (xhr.status >= 200 && xhr.status < 300) {
      form.dataset.idem = newKey();
      if (bar) bar.value = bar.max;
      notice(form, json);
      form.dispatchEvent(new CustomEvent("api:done", { detail: json, bubbles: true }));
      then(form, json);
    } else {
      if (renewsKey(xhr.status)) form.dataset.idem = newKey();
      showProblem(form, xhr.status, json || { title: xhr.status ? xhr.responseText : "The hub could not be reached" });
    }
  };
  xhr.send(file);
}

// Server-sent events: each `replace` event's data is an element's new HTML, which replaces the
// element with the same id.
function live(el) {
  const src = new EventSource(el.dataset.live);
  src.addEventListener("replace", (e) => {
    const tpl = document.createElement("template");
    tpl.innerHTML = e.data.trim();
    const next = tpl.content.firstElementChild;
    const old = next && document.getElementById(next.id);
    if (old) old.replaceWith(next);
  });
  el.dataset.liveState = "connected";
  src.onerror = () => { el.dataset.liveState = "reconnecting"; };
  src.onopen = () => { el.dataset.liveState = "connected"; };
}

document.addEventListener("submit", (e) => {
  const form = e.target;
  if (form.dataset.api) { e.preventDefault(); submitApiForm(form); }
  else if (form.dataset.upload) { e.preventDefault(); upload(form); }
});

document.addEventListener("click", (e) => {
  const btn = e.target.closest("button[data-api]");
  if (btn && !btn.form?.dataset.api) { e.preventDefault(); clickApiButton(btn); }
});

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form[data-api], form[data-upload]").forEach((f) => { f.dataset.idem ||= newKey(); });
  document.querySelectorAll("[data-live]").forEach(live);
});

window.shiphub = { call, showProblem, clearErrors, formJson, newKey, csrf };
