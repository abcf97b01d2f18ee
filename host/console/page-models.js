// Models: every public model with its deployments, each with its adapter and version,
// where it goes, its share of traffic and its health (breaker state).

import { get } from "./api.js";
import { badge, h, heading, num, table } from "./dom.js";

function health(d) {
  if (d.missing_key) return badge("off", `no key: set ${d.missing_key}`);
  if (!d.adapter_loaded) return badge("bad", "adapter not loaded");
  if (d.state === "open") return badge("bad", `open (out), ${d.consecutive_failures} failures`);
  if (d.state === "half_open") return badge("warn", "half open (probing)");
  if (d.consecutive_failures) return badge("warn", `closed, ${d.consecutive_failures} failures`);
  return badge("ok", "closed (serving)");
}

export async function render(view) {
  const models = (await get("/admin/models")).data;
  view.append(heading("Models"));
  if (!models.length) {
    view.append(h("p.panel", "No models are configured: add [[models]] to config.toml."));
    return;
  }
  for (const model of models) {
    view.append(
      h(
        "section.panel.model",
        { "aria-labelledby": `model-${model.name}` },
        h(
          "div.model-head",
          h("h2", { id: `model-${model.name}` }, model.name),
          model.servable ? badge("ok", "servable") : badge("off", `not servable: set ${model.unset_key}`),
        ),
        h(
          "p.muted",
          `Up to ${model.max_attempts} attempts. `,
          model.fallbacks.length ? `Falls back to ${model.fallbacks.join(", ")}.` : "No fallbacks.",
          ` Timeouts: first byte ${num(model.timeouts_ms.first_byte / 1000)} s, whole call ${num(model.timeouts_ms.total / 1000)} s.`,
        ),
        table(
          [
            { label: "Deployment", cell: (d) => d.deployment },
            { label: "Health", cell: health },
            { label: "Adapter", cell: (d) => `${d.adapter}${d.adapter_version ? ` ${d.adapter_version}` : ""}` },
            { label: "Upstream model", cell: (d) => h("code", d.upstream_model) },
            { label: "Base URL", cell: (d) => (d.base_url ? h("code", d.base_url) : "adapter default") },
            { label: "Priority", cell: (d) => num(d.priority), class: "num" },
            { label: "Weight", cell: (d) => num(d.weight), class: "num" },
          ],
          model.deployments,
        ),
      ),
    );
  }
}
