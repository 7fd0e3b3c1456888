"""The library: GET /library (page) and /api/library/* (list, upload, postmortem form, delete, jobs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse

from assistant.store.build_store import IndexUnavailable, LoadedIndex
from assistant.surfaces.admin import WriterDep, csrf_token, signed_in
from assistant.surfaces.deps import PipelineDep, SettingsDep
from assistant.surfaces.doc_render import render_markdown
from assistant.surfaces.library_models import (
    Job,
    LibraryDocument,
    LibraryListing,
    PostmortemPreview,
)
from assistant.surfaces.openapi import errors
from assistant.surfaces.routes.api import DOC_ID_PATTERN
from assistant.surfaces.routes.web import language, render
from hindsight.library.jobs import IngestJob, IngestJobs
from hindsight.library.service import Library, list_library
from ingest.corpus_files import (
    AlreadyExists,
    CorpusWriteError,
    TooLarge,
    UnsupportedType,
    UploadType,
)
from ingest.postmortem_form import PostmortemForm

router = APIRouter()


def get_library(request: Request) -> Library:
    library: Library = request.app.state.library
    return library


def get_jobs(request: Request) -> IngestJobs:
    jobs: IngestJobs = request.app.state.jobs
    return jobs


LibraryDep = Annotated[Library, Depends(get_library)]
JobsDep = Annotated[IngestJobs, Depends(get_jobs)]


def _index(pipeline: PipelineDep) -> LoadedIndex | None:
    try:
        return pipeline.holder.get()
    except IndexUnavailable:
        return None


def _job(job: IngestJob) -> Job:
    return Job.model_validate(job.to_json())


REFUSALS: tuple[tuple[type[CorpusWriteError], int], ...] = (
    (AlreadyExists, 409), (TooLarge, 413), (UnsupportedType, 415),
)
# Every write: no admin token on the server or a failed CSRF check (403), a body over the limit
# (413), the job store unavailable (503).
WRITE_ERRORS = (401, 403, 413, 422, 503)


def _refused(exc: CorpusWriteError) -> HTTPException:
    """The status that says why a corpus write was refused (422: the content itself is unusable)."""
    status = next((code for kind, code in REFUSALS if isinstance(exc, kind)), 422)
    return HTTPException(status, str(exc))


@router.get("/library", response_class=HTMLResponse, include_in_schema=False)
def library_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    """Documents with their ingest status; upload, postmortem form and delete for a signed-in admin."""
    admin = signed_in(request, settings)
    return render("library.html", lang=language(request), writable=settings.admin_token is not None, signed_in=admin,
                  csrf=csrf_token(settings) if admin else "", max_upload_bytes=settings.max_upload_bytes)


@router.get("/api/library", response_model=LibraryListing, responses=errors(401, 503))
def library(request: Request, pipeline: PipelineDep, settings: SettingsDep, jobs: JobsDep) -> LibraryListing:
    """Every corpus document (type, date, tags, chunks, ingest status) and the recent jobs."""
    entries = list_library(pipeline.settings, _index(pipeline))
    return LibraryListing(
        writable=settings.admin_token is not None, signed_in=signed_in(request, settings),
        documents=[LibraryDocument.model_validate(e.to_json()) for e in entries],
        jobs=[_job(j) for j in jobs.recent()],
    )


@router.post("/api/library/documents", response_model=Job, status_code=202,
             responses=errors(400, *WRITE_ERRORS, 409, 415))
async def upload(
    _: WriterDep, library: LibraryDep, settings: SettingsDep,
    file: Annotated[UploadFile, File(description=".md .txt .html .pdf .docx")],
    doc_type: Annotated[UploadType, Form()] = "document",
) -> Job:
    """Add an uploaded file to the corpus and ingest it in the background (poll the job)."""
    data = await file.read(settings.max_upload_bytes + 1)
    try:
        return _job(library.upload(file.filename or "", data, doc_type))
    except CorpusWriteError as exc:
        raise _refused(exc) from exc


@router.post("/api/library/postmortems/preview", response_model=PostmortemPreview,
             responses=errors(401, 413, 422))
def preview_postmortem(form: PostmortemForm) -> PostmortemPreview:
    """The file the form would write, and how the source view will show it."""
    text = form.to_markdown()
    body = text.split("\n---\n", 1)[-1]
    return PostmortemPreview(path=form.relpath, markdown=text, html=render_markdown(body))


@router.post("/api/library/postmortems", response_model=Job, status_code=202,
             responses=errors(*WRITE_ERRORS, 409))
def add_postmortem(_: WriterDep, form: PostmortemForm, library: LibraryDep) -> Job:
    """Write the postmortem into corpus/postmortems/<id>.md and ingest it."""
    try:
        return _job(library.add_postmortem(form))
    except CorpusWriteError as exc:
        raise _refused(exc) from exc


@router.delete("/api/library/documents/{doc_id}", response_model=Job, status_code=202,
               responses=errors(*WRITE_ERRORS, 404))
def delete_document(
    _: WriterDep, library: LibraryDep, pipeline: PipelineDep,
    doc_id: str = Path(max_length=128, pattern=DOC_ID_PATTERN),
) -> Job:
    """Move the document's file to the trash and ingest without it."""
    index = _index(pipeline)
    entry = index.manifest.get("documents", {}).get(doc_id) if index else None
    if entry is None:
        raise HTTPException(404, f"no indexed document {doc_id!r}")
    try:
        return _job(library.delete(entry["path"]))
    except CorpusWriteError as exc:  # indexed, but its file is gone already
        raise HTTPException(404, str(exc)) from exc


@router.delete("/api/library/files", response_model=Job, status_code=202,
               responses=errors(*WRITE_ERRORS, 404))
def delete_file(
    _: WriterDep, library: LibraryDep, path: str = Query(max_length=1000, description="path inside the corpus"),
) -> Job:
    """Move a corpus file to the trash by path (also one that failed to ingest) and re-ingest."""
    try:
        return _job(library.delete(path))
    except CorpusWriteError as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/api/library/jobs/{job_id}", response_model=Job, responses=errors(401, 404, 422, 503))
def job(jobs: JobsDep, job_id: str = Path(max_length=32, pattern=r"^[a-f0-9]+$")) -> Job:
    found = jobs.get(job_id)
    if found is None:
        raise HTTPException(404, f"no job {job_id}")
    return _job(found)
