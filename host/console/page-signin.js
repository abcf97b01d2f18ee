// Sign-in: the admin key, once, for a session cookie. The key is sent to the gateway
// and dropped; nothing is stored in the browser but the HttpOnly cookie.

import { ApiError, signIn } from "./api.js";
import { field, h, notice } from "./dom.js";

export function renderSignIn(view, done) {
  const input = h("input", {
    type: "password",
    name: "admin_key",
    autocomplete: "current-password",
    required: true,
    spellcheck: "false",
  });
  const error = h("p.form-error", { id: "signin-error", role: "alert" });
  const button = h("button.primary", { type: "submit" }, "Sign in");
  const form = h(
    "form.panel.signin",
    { "aria-describedby": "signin-help" },
    h("h1", "Sign in"),
    h("p", { id: "signin-help" }, "Use the gateway's admin key (", h("code", "auth.admin_key"), " or ", h("code", "ADMIN_KEY"), "). The session lasts a working day and ends when you sign out."),
    field("Admin key", input),
    error,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    button.disabled = true;
    try {
      await signIn(input.value);
      input.value = "";
      notice(null);
      await done();
    } catch (failure) {
      error.textContent =
        failure instanceof ApiError && failure.status === 401
          ? "Incorrect admin key."
          : failure.message || "Signing in failed.";
      input.select();
    } finally {
      button.disabled = false;
    }
  });
  view.append(form);
  input.focus();
}
