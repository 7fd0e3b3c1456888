// UI strings in the page's language (chosen by the server from Accept-Language).
const node = document.getElementById("ui-strings");
const table = node ? JSON.parse(node.textContent) : {};

/** The string for key in the page language; the key itself when missing. */
export function t(key) {
  return table[key] ?? key;
}
