// The buy form (/console/shipments/new): live rates from POST /v1/rates as the form is filled
// in (ranked by the chosen strategy), then POST /v1/shipments with the picked quote and the
// form's Idempotency-Key, landing on the new shipment's page. Field names are the API's JSON
// paths (`from.street.0`, `parcels.0.weight.value`), so a problem's pointers land beside them.
"use strict";

(() => {
  const form = document.getElementById("buy");
  if (!form) return;
  const rates = document.getElementById("rates");
  let quotes = [];
  let asked = 0;
  let timer = null;

  // Sets a.b.0.c in obj; a numeric key makes an array.
  function put(obj, path, value) {
    const keys = path.split(".");
    let o = obj;
    keys.slice(0, -1).forEach((k, i) => { o = o[k] ??= /^\d+$/.test(keys[i + 1]) ? [] : {}; });
    o[keys[keys.length - 1]] = value;
  }

  // The form's fields for a rate request (`rate`) or a purchase (`buy`).
  function body(use) {
    const out = {};
    const strategy = form.elements.strategy.value;
    for (const el of form.elements) {
      if (!el.name || el.type === "radio" || el.closest("[hidden]")) continue;
      if (use === "rate" && el.dataset.buyOnly !== undefined) continue;
      if (use === "buy" && el.dataset.rateOnly !== undefined) continue;
      const v = el.value.trim();
      if (v === "") continue;
      put(out, el.name, el.dataset.kind === "number" ? Number(v) : v);
    }
    for (const side of [out.from, out.to]) if (side?.country) side.country = side.country.toUpperCase();
    // Dimensions count only when all three are given.
    const p = out.parcels?.[0];
    if (p?.dimensions && !(p.dimensions.length && p.dimensions.width && p.dimensions.height)) delete p.dimensions;
    if (use === "rate" && strategy !== "deliver_by") delete out.deliver_by;
    if (use === "rate" && strategy !== "on_time") delete out.on_time;
    return out;
  }

  function ready() {
    return [...form.querySelectorAll("[required]")].every((el) => el.value.trim() !== "");
  }

  function text(tag, content, cls) {
    const e = document.createElement(tag);
    e.textContent = content;
    if (cls) e.className = cls;
    return e;
  }

  function showState(msg) {
    rates.replaceChildren(text("p", msg, "muted"));
    rates.lastChild.id = "rates-state";
  }

  function showQuotes(answer) {
    quotes = answer.quotes || [];
    const box = document.createElement("div");
    box.setAttribute("role", "radiogroup");
    box.setAttribute("aria-label", "Rates");
    box.className = "stack";
    quotes.forEach((q, i) => {
      const label = document.createElement("label");
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "rate";
      radio.value = String(i);
      if (i === 0 && q.qualifies) radio.checked = true;
      const days = q.transit_days != null ? ` · ${q.transit_days} business day${q.transit_days === 1 ? "" : "s"}` : "";
      const what = `${q.carrier} · ${q.service?.name || q.service?.code} — ${q.total.amount} ${q.total.currency}${days}`;
      // One grid cell for the radio and its words (a label lays its children out in rows).
      const line = document.createElement("span");
      line.append(radio, " ", what);
      label.append(line);
      if (q.rank_reason) label.append(text("span", q.rank_reason, "hint"));
      box.append(label);
    });
    const parts = [];
    if (quotes.length) parts.push(box);
    else parts.push(text("p", "No carrier quoted this parcel.", "muted"));
    for (const e of answer.errors || []) parts.push(text("p", `${e.carrier}: ${e.detail}`, "field-error"));
    rates.replaceChildren(...parts);
  }

  async function rate() {
    const mine = ++asked;
    shiphub.clearErrors(form);
    if (!ready()) { quotes = []; showState("Rates appear once both addresses and the weight are filled in."); return; }
    showState("Asking the carriers…");
    rates.setAttribute("aria-busy", "true");
    try {
      const r = await shiphub.call("POST", "/v1/rates", body("rate"));
      if (mine !== asked) return; // a newer request is on its way
      if (r.ok) showQuotes(r.json);
      else { quotes = []; showState("No rates for this parcel yet."); shiphub.showProblem(form, r.status, r.json || { title: r.text }); }
    } catch (e) {
      if (mine === asked) showState(`The hub could not be reached: ${e}`);
    } finally {
      if (mine === asked) rates.removeAttribute("aria-busy");
    }
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(rate, 400);
  }

  function showStrategy() {
    const s = form.elements.strategy.value;
    form.querySelectorAll("[data-strategy]").forEach((el) => { el.hidden = el.dataset.strategy !== s; });
  }

  form.addEventListener("input", (e) => {
    if (e.target.name === "rate" || e.target.dataset.buyOnly !== undefined) return;
    if (e.target.name === "strategy") showStrategy();
    soon();
  });
  form.addEventListener("change", (e) => {
    if (e.target.name === "strategy") { showStrategy(); soon(); }
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    shiphub.clearErrors(form);
    const picked = form.querySelector("input[name=rate]:checked");
    const q = picked && quotes[Number(picked.value)];
    if (!q) {
      shiphub.showProblem(form, 0, { title: "Pick a rate", detail: "fill in the parcel and choose one of the rates shown" });
      return;
    }
    const purchase = { ...body("buy"), carrier_account: q.carrier_account, service: q.service.code };
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    try {
      const r = await shiphub.call("POST", "/v1/shipments", purchase, form.dataset.idem);
      if (r.ok && r.json?.id) { location.assign(`/console/shipments/${encodeURIComponent(r.json.id)}`); return; }
      // Refused (a 4xx other than 409, in progress): nothing was bought, so a corrected form
      // is a new request. A 5xx or a 409 keeps the key: retrying it must not buy twice.
      if (r.status >= 400 && r.status < 500 && r.status !== 409) form.dataset.idem = shiphub.newKey();
      shiphub.showProblem(form, r.status, r.json || { title: r.text });
    } catch (err) {
      shiphub.showProblem(form, 0, { title: "The hub could not be reached", detail: String(err) });
    } finally {
      button.disabled = false;
      form.removeAttribute("aria-busy");
    }
  });

  showStrategy();
  if (ready()) soon();
})();
