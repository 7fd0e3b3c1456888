// The conversation list: full titles (tooltip), search by text, rename and delete in place.
import { el, errorDetail } from "./dom.js";
import { t } from "./i18n.js";

const list = () => document.getElementById("conversations");
let handlers = { open: () => {}, deleted: () => {}, current: () => null, api: fetch };
let query = "";

function markActive() {
  for (const item of list().querySelectorAll(".conversation-item")) {
    const button = item.querySelector(".conversation");
    if (item.dataset.id === handlers.current()) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
}

function startRename(item, c) {
  const input = el("input", { type: "text", class: "rename-input", maxlength: "200", value: c.title || "",
    "aria-label": t("rename") });
  const form = el("form", { class: "rename-form" }, input,
    el("button", { type: "submit", class: "link-button" }, t("save")),
    el("button", { type: "button", class: "link-button", onclick: () => loadConversations() }, t("cancel")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const title = input.value.trim();
    if (!title) return;
    const response = await handlers.api(`/api/conversations/${encodeURIComponent(c.id)}`, {
      method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ title }),
    });
    if (!response.ok) window.alert(await errorDetail(response));
    await loadConversations();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      loadConversations();
    }
  });
  item.replaceChildren(form);
  input.focus();
  input.select();
}

async function remove(c) {
  if (!window.confirm(`${t("confirm_delete_conversation")}\n${c.title || ""}`)) return;
  const response = await handlers.api(`/api/conversations/${encodeURIComponent(c.id)}`, { method: "DELETE" });
  if (!response.ok && response.status !== 404) {
    window.alert(await errorDetail(response));
    return;
  }
  if (handlers.current() === c.id) handlers.deleted();
  await loadConversations();
}

function item(c) {
  const title = c.title || t("untitled");
  const node = el("li", { class: "conversation-item", dataset: { id: c.id } });
  node.append(
    el("button", { type: "button", class: "conversation", dataset: { id: c.id }, title,
      onclick: () => handlers.open(c.id) },
    el("span", { class: "conversation-title" }, title),
    el("time", { class: "conversation-date" }, new Date(c.updated_at).toLocaleString())),
    el("span", { class: "conversation-actions" },
      el("button", { type: "button", class: "icon-button small rename", title: t("rename"), "aria-label": `${t("rename")}: ${title}`,
        onclick: () => startRename(node, c) }, "✎"),
      el("button", { type: "button", class: "icon-button small delete", title: t("delete"), "aria-label": `${t("delete")}: ${title}`,
        onclick: () => remove(c) }, "✕")));
  return node;
}

/** Reload the list (filtered by the search box). */
export async function loadConversations() {
  const params = new URLSearchParams({ limit: "100" });
  if (query) params.set("q", query);
  const response = await handlers.api(`/api/conversations?${params}`);
  if (!response.ok) return;
  const items = (await response.json()).map(item);
  const empty = el("li", { class: "muted" }, query ? t("no_matches") : t("no_conversations"));
  list().replaceChildren(...(items.length ? items : [empty]));
  markActive();
}

/** Wire the list: open(id) shows one, deleted() resets when the open one is deleted. */
export function initConversations(options) {
  handlers = { ...handlers, ...options };
  let timer = null;
  document.getElementById("conversation-search").addEventListener("input", (event) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      query = event.target.value.trim();
      loadConversations();
    }, 200);
  });
  return { reload: loadConversations, markActive };
}
