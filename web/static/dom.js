// DOM building without HTML strings: corpus and model text only ever become text nodes.
import { t } from "./i18n.js";

/** el("a", {class: "x", href: "/"}, "text", child) — attributes set one by one, children appended. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false).map(
    (c) => (c instanceof Node ? c : document.createTextNode(String(c)))));
  return node;
}

/** The URL if it is http(s), else null (javascript:, data: and friends are never linked). */
export function safeUrl(url) {
  if (typeof url !== "string") return null;
  try {
    const parsed = new URL(url, window.location.href);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** Human label for a doc_type, in the page language. */
export function typeLabel(type) {
  if (!type) return "";
  const label = t(`type_${type}`);
  return label === `type_${type}` ? type : label;
}

/** The error message of a failed fetch response ({detail} from FastAPI, or the status). */
export async function errorDetail(response) {
  const body = await response.json().catch(() => null);
  const detail = body && body.detail;
  if (Array.isArray(detail)) return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  return detail || `HTTP ${response.status}`;
}
