// The console's shell: checks the session, shows the sign-in form or the page the
// path names, and moves between pages without reloading (history API).

import { currentSession, sessionGone, signOut } from "./api.js";
import { clear, errorText, notice } from "./dom.js";
import { renderSignIn } from "./page-signin.js";

const PAGES = {
  overview: () => import("./page-overview.js"),
  keys: () => import("./page-keys.js"),
  models: () => import("./page-models.js"),
  components: () => import("./page-components.js"),
  requests: () => import("./page-requests.js"),
  spend: () => import("./page-spend.js"),
  conversations: () => import("./page-conversations.js"),
  responses: () => import("./page-responses.js"),
  playground: () => import("./page-playground.js"),
};

const view = document.getElementById("view");
const nav = document.getElementById("nav");
const signOutButton = document.getElementById("signout");
let signedIn = false;
/** Aborted when the page changes, so a slow answer never lands on another page. */
let pageScope = new AbortController();

function pageName() {
  const name = location.pathname.replace(/^\/ui\/?/, "").split("/")[0];
  return PAGES[name] ? name : "overview";
}

function markNav(name) {
  for (const link of nav.querySelectorAll("a")) {
    if (link.getAttribute("href") === `/ui/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function showSignedIn(yes) {
  signedIn = yes;
  nav.hidden = !yes;
  signOutButton.hidden = !yes;
}

async function show() {
  pageScope.abort();
  pageScope = new AbortController();
  const scope = pageScope.signal;
  clear(view);
  if (!signedIn) {
    renderSignIn(view, async () => {
      showSignedIn(true);
      await show();
    });
    return;
  }
  const name = pageName();
  markNav(name);
  try {
    const module = await PAGES[name]();
    if (scope.aborted) return;
    await module.render(view, { scope, params: new URLSearchParams(location.search) });
    document.title = `${view.querySelector("h1")?.textContent || "Console"} · Switchyard`;
  } catch (error) {
    if (scope.aborted || sessionGone(error)) return;
    notice(errorText(error), "error");
  }
}

/** Goes to a console path without reloading. */
export function go(path) {
  history.pushState(null, "", path);
  notice(null);
  show().then(() => view.focus());
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-nav]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  go(link.getAttribute("href"));
});

window.addEventListener("popstate", () => show());

window.addEventListener("session-gone", (event) => {
  if (!signedIn) return;
  showSignedIn(false);
  notice(`${event.detail.message}`, "error");
  show();
});

signOutButton.addEventListener("click", async () => {
  try {
    await signOut();
  } catch (error) {
    if (!sessionGone(error)) notice(errorText(error), "error");
  }
  showSignedIn(false);
  notice("Signed out.");
  show();
});

async function start() {
  try {
    showSignedIn((await currentSession()) !== null);
  } catch (error) {
    notice(errorText(error), "error");
  }
  await show();
}

start();
