// The library page: documents with ingest status, upload, the postmortem form, delete, job progress.
import { el, errorDetail, typeLabel } from "./dom.js";
import { t } from "./i18n.js";

const $ = (id) => document.getElementById(id);
const signedIn = $("library").dataset.signedIn === "true";
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
let polling = null;

/** fetch for writes: the CSRF token rides in a header a foreign page cannot set. */
function write(url, options) {
  return fetch(url, { ...options, headers: { ...(options.headers || {}), "X-CSRF-Token": csrf } });
}

function statusCell(doc) {
  const label = el("span", { class: `status status-${doc.status}` }, t(`status_${doc.status}`));
  return el("td", { "data-label": t("col_status") }, label, doc.reason ? el("div", { class: "error small" }, doc.reason) : null);
}

function row(doc) {
  const title = doc.doc_id && doc.status === "indexed"
    ? el("a", { href: `/sources/${encodeURIComponent(doc.doc_id)}` }, doc.title) : el("span", {}, doc.title);
  const cells = [
    el("td", { class: "title-cell" }, title, el("div", { class: "muted small" }, doc.path)),
    el("td", { "data-label": t("col_type") }, typeLabel(doc.doc_type)),
    el("td", { "data-label": t("col_date") }, doc.date || ""),
    el("td", { "data-label": t("col_tags") }, ...doc.tags.map((tag) => el("span", { class: "tag" }, tag))),
    el("td", { "data-label": t("col_chunks"), class: "num" }, String(doc.chunks)),
    statusCell(doc),
  ];
  if (signedIn) {
    cells.push(el("td", {}, doc.status !== "removing" ? el("button", {
      type: "button", class: "link-button danger delete-doc", dataset: { docId: doc.doc_id || "", path: doc.path },
      onclick: () => removeDocument(doc),
    }, t("delete")) : null));
  }
  return el("tr", { dataset: { docId: doc.doc_id || "", path: doc.path, status: doc.status } }, ...cells);
}

function jobItem(job) {
  return el("li", { class: `job job-${job.state}`, dataset: { jobId: job.id, state: job.state } },
    el("span", { class: "job-state" }, t(`job_${job.state}`)), " ",
    el("span", { class: "job-target" }, `${job.action}: ${job.target}`), " — ",
    el("span", { class: "job-message" }, job.message));
}

async function refresh() {
  const response = await fetch("/api/library");
  if (!response.ok) {
    $("library-rows").replaceChildren(el("tr", {}, el("td", { colspan: "7", class: "error" }, await errorDetail(response))));
    return;
  }
  const listing = await response.json();
  $("library-rows").replaceChildren(...listing.documents.map(row));
  $("jobs-section").hidden = !listing.jobs.length;
  $("jobs").replaceChildren(...listing.jobs.map(jobItem));
  for (const box of document.querySelectorAll(".form-status[data-job-id]")) {
    const job = listing.jobs.find((j) => j.id === box.dataset.jobId);
    if (!job) continue;
    box.textContent = `${t(`job_${job.state}`)}: ${job.target} — ${job.message}`;
    box.classList.toggle("error", job.state === "failed");
  }
  const busy = listing.jobs.some((j) => j.state === "queued" || j.state === "running");
  if (busy && !polling) polling = setInterval(refresh, 700);
  if (!busy && polling) {
    clearInterval(polling);
    polling = null;
  }
}

async function submitJob(statusBox, request) {
  statusBox.className = "form-status";
  delete statusBox.dataset.jobId;
  statusBox.textContent = t("job_queued");
  const response = await request();
  if (!response.ok) {
    statusBox.classList.add("error");
    statusBox.textContent = `${t("error")}: ${await errorDetail(response)}`;
    return false;
  }
  const job = await response.json();
  statusBox.textContent = `${t("job_queued")}: ${job.target}`;
  statusBox.dataset.jobId = job.id;
  await refresh();
  return true;
}

async function removeDocument(doc) {
  if (!window.confirm(`${t("confirm_delete_document")}\n${doc.title}`)) return;
  const url = `/api/library/files?${new URLSearchParams({ path: doc.path })}`;
  const response = await write(url, { method: "DELETE" });
  if (!response.ok) window.alert(await errorDetail(response));
  await refresh();
}

function postmortemBody(form) {
  const data = Object.fromEntries(new FormData(form).entries());
  data.tags = String(data.tags || "").split(/[,，、]/).map((s) => s.trim()).filter(Boolean);
  return JSON.stringify(data);
}

function wireForms() {
  const upload = $("upload-form");
  upload.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ok = await submitJob($("upload-status"), () => write("/api/library/documents", {
      method: "POST", body: new FormData(upload),
    }));
    if (ok) upload.reset();
  });
  const form = $("postmortem-form");
  $("postmortem-preview").addEventListener("click", async () => {
    const response = await fetch("/api/library/postmortems/preview", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: postmortemBody(form),
    });
    const box = $("postmortem-rendered");
    const status = $("postmortem-status");
    if (!response.ok) {
      status.className = "form-status error";
      status.textContent = await errorDetail(response);
      box.hidden = true;
      return;
    }
    const preview = await response.json();
    status.className = "form-status";
    status.textContent = preview.path;
    // Server-rendered by markdown-it with raw HTML disabled: every text is already escaped.
    box.replaceChildren(...new DOMParser().parseFromString(preview.html, "text/html").body.childNodes);
    box.hidden = false;
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ok = await submitJob($("postmortem-status"), () => write("/api/library/postmortems", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: postmortemBody(form),
    }));
    if (ok) {
      form.reset();
      $("postmortem-rendered").hidden = true;
    }
  });
}

if (signedIn) {
  wireForms();
  $("postmortem-form").elements.date.valueAsDate = new Date();
}
refresh();
