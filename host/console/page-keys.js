// Keys: search and page through client keys (on the server: /admin/keys?search=&
// status=&after=), create one (its secret shown once), rotate, edit limits, models
// and expiry, enable or disable, revoke.

import { ApiError, call, get } from "./api.js";
import { badge, clear, errorText, field, h, heading, notice, num, table, when } from "./dom.js";

const PAGE = 25;
const STATUSES = [
  ["live", "Not revoked"],
  ["active", "Active"],
  ["disabled", "Disabled"],
  ["expired", "Expired"],
  ["revoked", "Revoked"],
  ["all", "All"],
];

function status(key) {
  const now = Date.now() / 1000;
  if (key.revoked_at) return badge("off", "revoked");
  if (!key.enabled) return badge("warn", "disabled");
  if (key.expires_at && key.expires_at <= now) return badge("bad", "expired");
  return badge("ok", "active");
}

function limits(key) {
  const l = key.limits || {};
  const parts = [];
  if (l.requests_per_minute) parts.push(`${num(l.requests_per_minute)} req/min`);
  if (l.tokens_per_minute) parts.push(`${num(l.tokens_per_minute)} tok/min`);
  if (l.max_concurrent) parts.push(`${num(l.max_concurrent)} at once`);
  return parts.length ? parts.join(", ") : "none";
}

const optionalNumber = (input) => (input.value.trim() === "" ? null : Number(input.value));

/** The settings form shared by create and edit; `key` fills it for an edit. */
function settingsForm(models, key, onSubmit, submitLabel) {
  const name = h("input", { name: "name", required: true, maxlength: 200, value: key?.name || "" });
  const allModels = h("input", { type: "checkbox", name: "all_models", checked: !key?.models });
  const boxes = models.map((m) =>
    h("label.check", h("input", { type: "checkbox", name: "model", value: m, checked: key?.models?.includes(m) }), ` ${m}`),
  );
  const modelSet = h("fieldset.models", h("legend", "Models"), h("label.check", allModels, " Every model"), h("div.model-list", boxes));
  const syncModels = () => {
    for (const box of modelSet.querySelectorAll("input[name=model]")) box.disabled = allModels.checked;
  };
  allModels.addEventListener("change", syncModels);
  syncModels();
  const l = key?.limits || {};
  const rpm = h("input", { type: "number", min: 1, name: "rpm", value: l.requests_per_minute ?? "" });
  const tpm = h("input", { type: "number", min: 1, name: "tpm", value: l.tokens_per_minute ?? "" });
  const concurrent = h("input", { type: "number", min: 1, name: "max_concurrent", value: l.max_concurrent ?? "" });
  const expiry = h("input", {
    type: "datetime-local",
    name: "expires_at",
    value: key?.expires_at ? new Date(key.expires_at * 1000 - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16) : "",
  });
  const team = h("input", { name: "team", maxlength: 100, value: key?.team || "", autocomplete: "off" });
  const error = h("p.form-error", { role: "alert" });
  const submit = h("button.primary", { type: "submit" }, submitLabel);
  const form = h(
    "form.panel.key-form",
    field("Name", name),
    modelSet,
    h("div.row", field("Requests per minute", rpm, "empty: unlimited"), field("Tokens per minute", tpm), field("In flight at once", concurrent)),
    field("Expires", expiry, "empty: never"),
    field("Team", team, "a team's budgets cover all of its keys; empty: none"),
    error,
    h("div.actions", submit, h("button.quiet", { type: "button", "data-cancel": true }, "Cancel")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const chosen = [...modelSet.querySelectorAll("input[name=model]:checked")].map((b) => b.value);
    const settings = {
      name: name.value.trim(),
      models: allModels.checked ? null : chosen,
      limits: { requests_per_minute: optionalNumber(rpm), tokens_per_minute: optionalNumber(tpm), max_concurrent: optionalNumber(concurrent) },
      expires_at: expiry.value ? Math.floor(new Date(expiry.value).getTime() / 1000) : null,
      team: team.value.trim() || null,
    };
    submit.disabled = true;
    try {
      await onSubmit(settings);
    } catch (failure) {
      error.textContent = errorText(failure);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

/** The once-only secret, with a copy button. */
function secretPanel(title, issued, onClose) {
  const value = h("code.secret", { id: "new-secret" }, issued.secret);
  const copy = h("button", { type: "button" }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(issued.secret);
      copy.textContent = "Copied";
    } catch {
      copy.textContent = "Select and copy by hand";
    }
  });
  const close = h("button.primary", { type: "button" }, "I have stored it");
  close.addEventListener("click", onClose);
  return h(
    "section.panel.secret-panel",
    { role: "region", "aria-label": title },
    h("h2", title),
    h("p", h("strong", "This secret is shown once."), " Store it now; the gateway keeps only its hash."),
    h("div.secret-row", value, copy),
    close,
  );
}

export async function render(view, { scope, params }) {
  const models = (await get("/admin/models")).data.map((m) => m.name);
  const search = h("input", { type: "search", id: "key-search", name: "search", placeholder: "Name, id, prefix or whole secret", value: params.get("search") || "" });
  const statusSelect = h("select", { id: "key-status" }, STATUSES.map(([v, label]) => h("option", { value: v }, label)));
  const create = h("button.primary", { type: "button", id: "new-key" }, "New key");
  const above = h("div", { id: "key-panel" });
  const list = h("div", { id: "key-list" });
  const pager = h("div.pager");
  view.append(
    heading("Keys", create),
    h("form.filters", { role: "search", onsubmit: (e) => e.preventDefault() }, field("Search", search), field("Status", statusSelect)),
    above,
    list,
    pager,
  );

  let cursors = [null];
  async function load(page = cursors.length - 1) {
    const after = cursors[page];
    const result = await get("/admin/keys", { search: search.value.trim(), status: statusSelect.value, limit: PAGE, after });
    if (scope.aborted) return;
    cursors = cursors.slice(0, page + 1);
    if (result.has_more) cursors.push(result.last_id);
    clear(list).append(
      table(
        [
          { label: "Name", cell: (k) => h("span", h("strong", k.name), h("br"), h("small.mono", k.id)) },
          { label: "Status", cell: status },
          { label: "Prefix", cell: (k) => h("code", `${k.prefix}…`) },
          { label: "Models", cell: (k) => (k.models ? k.models.join(", ") || "none" : "all") },
          { label: "Limits", cell: limits },
          { label: "Created", cell: (k) => when(k.created_at) },
          { label: "Last used", cell: (k) => when(k.last_used_at) },
          { label: "Expires", cell: (k) => (k.expires_at ? when(k.expires_at) : "never") },
          { label: "Actions", cell: actions, class: "actions-cell" },
        ],
        result.data,
        { id: "keys-table", empty: search.value ? "No key matches." : "No keys yet." },
      ),
    );
    clear(pager);
    const previous = h("button", { type: "button", disabled: page === 0 }, "← Newer");
    const next = h("button", { type: "button", id: "next-page", disabled: !result.has_more }, "Older →");
    previous.addEventListener("click", () => load(page - 1).catch(fail));
    next.addEventListener("click", () => load(page + 1).catch(fail));
    pager.append(previous, h("span.muted", `Page ${page + 1}`), next);
  }
  const fail = (error) => notice(errorText(error), "error");
  const reload = () => load().catch(fail);
  const restart = () => {
    cursors = [null];
    return load(0).catch(fail);
  };

  function showSecret(title, issued) {
    clear(above).append(secretPanel(title, issued, () => clear(above)));
    above.querySelector("button")?.focus();
  }

  function actions(key) {
    if (key.revoked_at) return h("span.muted", `revoked ${when(key.revoked_at)}`);
    const button = (label, handler, extra) => {
      const b = h("button.small", { type: "button", "data-action": label.toLowerCase(), "aria-label": `${label} ${key.name}`, ...extra }, label);
      b.addEventListener("click", () => handler().catch(fail));
      return b;
    };
    return h(
      "div.row-actions",
      button("Edit", async () => {
        const form = settingsForm(models, key, async (settings) => {
          await call("PATCH", `/admin/keys/${key.id}`, settings);
          clear(above);
          notice(`Key “${settings.name}” saved.`);
          await reload();
        }, "Save");
        form.querySelector("[data-cancel]").addEventListener("click", () => clear(above));
        clear(above).append(h("h2", `Edit “${key.name}”`), form);
        form.querySelector("input").focus();
      }),
      button(key.enabled ? "Disable" : "Enable", async () => {
        await call("PATCH", `/admin/keys/${key.id}`, { enabled: !key.enabled });
        notice(`Key “${key.name}” ${key.enabled ? "disabled" : "enabled"}.`);
        await reload();
      }),
      button("Rotate", async () => {
        if (!confirm(`Give “${key.name}” a new secret? The current one stops working now.`)) return;
        const issued = await call("POST", `/admin/keys/${key.id}/rotate`, {});
        showSecret(`New secret for “${key.name}”`, issued);
        await reload();
      }),
      h("a.button.small", { href: `/ui/spend?key_id=${encodeURIComponent(key.id)}#new-budget`, "data-nav": true, "aria-label": `Budget for ${key.name}` }, "Budget"),
      button("Revoke", async () => {
        if (!confirm(`Revoke “${key.name}” for good? Calls with it are refused at once.`)) return;
        await call("DELETE", `/admin/keys/${key.id}`);
        notice(`Key “${key.name}” revoked.`);
        await reload();
      }, { class: "small danger" }),
    );
  }

  create.addEventListener("click", () => {
    const form = settingsForm(models, null, async (settings) => {
      const body = { name: settings.name, limits: settings.limits };
      if (settings.models) body.models = settings.models;
      if (settings.expires_at) body.expires_at = settings.expires_at;
      if (settings.team) body.team = settings.team;
      const issued = await call("POST", "/admin/keys", body);
      showSecret(`Key “${issued.name || settings.name}” created`, issued);
      await restart();
    }, "Create key");
    form.querySelector("[data-cancel]").addEventListener("click", () => clear(above));
    clear(above).append(h("h2", "New key"), form);
    form.querySelector("input").focus();
  });

  let typing;
  search.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(restart, 250);
  });
  statusSelect.addEventListener("change", restart);
  try {
    await load(0);
  } catch (error) {
    if (error instanceof ApiError) fail(error);
    else throw error;
  }
}
