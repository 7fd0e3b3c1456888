"""Question analysis: what kind of answer is asked for, in which language and script.

The type comes from cue words of ordinary language (simplified, traditional and English);
traditional questions are matched after folding to simplified. The first matching type in
TYPE_CUES order wins, so "有哪些原因" is a why-question and "哪些项目" a list-question.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from assistant.retrieve.glossary import Glossary
from assistant.text import (
    CJK,
    ZH_STOP,
    chinese_question,
    jieba_tokens,
    jieba_words,
    normalize,
    reads_as_latin,
)

QUESTION_TYPES = ("compare", "agree", "why", "list", "number", "who", "how", "when", "yesno", "what")

# "Which company won the deal?" asks for one name, not a list: "which" + a singular noun for an
# organisation or a person is a who-question ("Which projects …?" stays a list).
ONE_OF = r"(company|vendor|firm|competitor|provider|customer|client|bank|person|team|department)\b"

# (type, cues in folded simplified Chinese, English cue pattern). Hong Kong users type Cantonese (round-15
# trial): 点解 why, 几多 how much, 边个 / 边间 who / which one, 点样 / 点算 how, 系咪 / 有冇 yes-no.
TYPE_CUES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("compare", ("区别", "差异", "异同", "相比", "对比", "比较", "有何不同", "有什么不同", "哪个更"),
     r"\b(compare[sd]?|comparison|contrast(s|ed|ing)?|differ(ence|ent)?s?|versus|vs\.?)\b|\b[\w-]+\s+and\s+[\w-]+\b.*\bdifferently\b"),
    ("agree", ("一致吗", "是否一致", "看法一致", "观点一致", "同意", "矛盾", "分歧", "看法相同", "说法一样"),
     r"\b(agree|disagree|consistent|contradict\w*)\b"),
    # 为啥 / 咋会 are how people type 为什么 / 怎么会 into a chat (round 8).
    # "是怎么产生的" asks where something came from, not how to do it (round 19). 怎么 before an adverb
    # of an outcome already seen asks "how come" (round 20: "合同怎么就卡住签不下来？", "需求怎么越加越多？"
    # were read as asking what to do, and answered with lessons). So does 怎么 before a verb of an outcome
    # gone wrong (round 21: "原计划10月底上线，怎么拖到1月才上？" was answered with what to do next time).
    ("why", ("为什么", "为何", "原因", "怎么会", "何以", "根因", "导致", "为啥", "咋会", "怎么被", "点解",
             "怎么产生的", "如何产生的", "怎么形成的", "如何形成的", "怎么来的", "从何而来",
             "怎么就", "怎么又", "怎么越", "怎么老是", "怎么总是", "怎么突然", "怎么一直", "怎么竟", "怎么居然", "怎么反而",
             "怎么拖", "怎么变成", "怎么变得", "怎么成了", "怎么搞成", "怎么弄成", "怎么闹到", "怎么落到", "怎么沦"),
     # "What went wrong with …?" asks for the cause (round-22 trial: led with phase one's success)
     r"\b(why|reasons?|causes?|caused)\b|\b(went|go(es)?|going) wrong\b"),
    # asked as a request ("列一下 To B 大模型早期适合落地的场景", round-22 trial: read as a what-question)
    ("list", ("哪些", "哪几", "列举", "列出", "都有什么", "有几种", "列一下", "列下", "罗列", "盘点"),
     rf"\b(which(?!\s+{ONE_OF})|list|name the|what are the)\b"),
    ("number", ("多少", "几个", "几次", "几家", "几人", "几周", "几个月", "比例", "金额", "百分之", "几多"),
     r"\b(how (many|much|large|big|often|expensive)|what percentage|what share)\b"),
    # who before how (round 7c): "是谁点名要排产建议的？" asks for a person; 建议 there is a noun.
    ("who", ("谁", "哪家", "哪个公司", "哪个团队", "哪个部门", "哪位", "边个", "边间"), rf"\b(who(m|se)?|which\s+{ONE_OF})"),
    # Round 8, how PMs type: 咋 (咋办/咋整/咋弄) is a colloquial 怎么; "要注意什么 / 注意事项" asks what
    # to watch for; a request for an artefact to act on (清单/checklist/模板/步骤/to-do) asks what
    # to do, so lessons and action items answer it, as they answer a how-question.
    ("how", ("怎么", "如何", "怎样", "应该", "建议", "做法", "办法", "避免", "应对", "要不要", "该不该",
             "需不需要", "有没有必要", "值不值得", "是否需要", "咋", "注意什么", "注意哪些", "注意事项",
             "要注意", "需要注意", "清单", "检查表", "模板", "步骤", "点样", "点算"),
     # "how" before a measure asks for a figure or a time, not what to do ("How big was the chain,
     # and how much …?" read its first ask as advice; round 19)
     r"\b(how(?!\s+(long|many|much|large|big|often|expensive|early|late|soon|far|old|small)\b)|should|advice|advise|recommend\w*|avoid|steps?|"
     r"check-?lists?|to-?do|templates?|playbook|watch out)\b"),
    # a day or a month asked for (round-22 trial: "……新范围是哪天上线的？" was read as a what-question)
    ("when", ("什么时候", "何时", "哪年", "哪一年", "多久", "多长时间", "哪天", "哪一天", "几号", "哪个月", "哪月",
              "几月份"), r"\b(when|how (long|early|late|soon))\b"),
    ("yesno", ("是否", "是不是", "有没有", "能不能", "会不会", "吗", "系咪", "系唔系", "有冇"),
     r"^(is|are|does|do|did|can|could|was|were|has|have|will)\b"),
)


# The two sides of a compare question: "B端和C端的商业模式有什么区别？" → (B端, C端), "SaaS 与大模型
# 项目在交付上有何不同" → (SaaS, 大模型项目), "Compare trials and pilots" → (trials, pilots), "the
# difference between X and Y" → (X, Y). A side stops at 的/在/之间/… or punctuation. 同 joins two
# sides, not when it is the end of a word (合同, 共同, 相同: "试用合同里违约金……" names no sides).
# A side may hold one space before a Latin word ("零售 POC").
_SIDE_ZH = r"[\w\u3400-\u9fff](?:[\w\u3400-\u9fff]| (?=[A-Za-z0-9])){0,11}?"
SIDES_ZH = re.compile(
    rf"(?:^|[，,。？?\s的])({_SIDE_ZH})\s*(?:和|与|跟|(?<![合共相协不如等认赞])同|及|还是|相比于|相比|对比|vs\.?)\s*({_SIDE_ZH})"
    r"\s*(?=的|在|之间|相比|比较|对比|有什么|有何|有哪些|区别|差异|异同|哪个|谁|各自|分别|做|搞|[，,？?：:；;。]|$)"
)  # a side ends before what is done with it: "To B和To C做大模型产品……" compares To B and To C
OPENING = re.compile(r"(请)?(对比|比较)?(一下)?")
SIDES_EN = re.compile(
    r"(?:between|compare|comparing)\s+(?:the\s+)?([\w-]+(?:\s[\w-]+)?)\s+(?:and|with|to|vs\.?|versus)\s+(?:the\s+)?([\w-]+(?:\s[\w-]+)?)"
    r"|([\w-]+)\s+(?:vs\.?|versus)\s+([\w-]+)", re.I,
)
# "How do B2B and B2C businesses make money differently?": the subject's two names, each a name or an
# acronym (a capital or a digit in it), joined by "and" (round-14 trial: the answer quoted one side).
SIDES_EN_NAMES = re.compile(r"\b([A-Za-z]*[A-Z0-9][\w-]*)\s+and\s+([A-Za-z]*[A-Z0-9][\w-]*)\b")

# The unit a number question counts in: "How many weeks …?", "延期了几周？". A figure in that unit
# answers it (select.type_bonus, extractive._quotable); any digit ("420 家门店", "35 万元") does not.
# (English words, Chinese unit after a numeral); "月" and "日" alone name dates, not durations.
MEASURES: tuple[tuple[str, str], ...] = (
    (r"weeks?", r"周|个星期"), (r"days?", r"天"), (r"months?", r"个月"), (r"years?", r"年"),
    (r"hours?", r"小时"), (r"people|persons?|staff|employees|engineers", r"人|名"),
    (r"stores?|shops?|companies|customers|clients|firms|vendors", r"家"), (r"times", r"次"),
)
# A question asked across sources names them in the plural ("三个复盘有哪些共同的教训？", "几篇文章怎么看",
# "across our three postmortems", "do the articles agree"): passages from several documents are
# what it asks for, so answerability does not read their spread as "no source is about it", and
# the answer quotes each source under its title (round 16, QuestionAnalysis.across).
# 各文章 / 各份资料 are the sources too (round 17: "生態與合作夥伴：各文章怎麼看？" was answered unlabelled).
# The sources themselves, not 分别/各自/each, which distribute over anything plural ("下调了几次，分别
# 调到多少？" asks for figures of one article).
ACROSS_SOURCES = re.compile(r"各篇|各(?:个|份)?(?:文章|资料|来源|复盘)|两篇|几篇|(?<![\d一二三四五六七八九十百千万])多篇|[几多]份(?:资料|文档|文章|复盘)|[两三几多]个复盘|不同(?:的)?(?:文章|资料|来源|复盘)"
                            r"|(?:文章|资料|复盘)(?:之间|们)|\b(across|sources|articles|postmortems|documents)\b"
                            # an article and one of our postmortems, named side by side (round 21: "外部实践文章里……的
                            # 漏斗，和我们复盘里……的经历，能对应上吗？" quoted the article alone)
                            r"|文章.*复盘|复盘.*文章|\barticle\b.*\bpostmortem\b|\bpostmortem\b.*\barticle\b"
                            # one source set against another ("一篇當成趨勢，一篇當成負擔": round 23, the
                            # multidoc probe's dev half quoted one article for it)
                            r"|一篇.*(?:另|一)(?:一)?篇|\bone (?:article|source|postmortem|piece)\b.*\b(?:another|the other)\b")
# A who-question's answer names someone: an alias (化名“天穹云”), an organisation (…公司/集团/
# 银行/厂商/云) or a role (副总/总监/负责人/CTO…). Not any quoted phrase: "“先做个 Demo”" is none.
# Read in folded text by the choice of points (select.TYPE_CUES) and by answerability (a name question
# whose passages name no one, answerability.VALUES), so both read one definition.
NAMES_SOMEONE = re.compile(r"化名|[\u4e00-\u9fff]{2,}(?:公司|集团|银行|厂商|大厂|云)(?![\u4e00-\u9fff]{0,1}计算)"
                           r"|副总|总监|总裁|董事长|创始人|负责人|老板|ceo|cto|cio")
MEASURE_EN = re.compile(r"\bhow many\s+(?:more\s+|fewer\s+)?(" + "|".join(en for en, _ in MEASURES) + r")\b", re.I)
# "几个人" counts people as "几人" does: an optional classifier 个 before the unit (not 个月).
MEASURE_ZH = re.compile(r"(?:几|多少)\s*个?\s*(周|个星期|天|个月|年|小时|人|名|家|次)")


# A question asking what something cost ("试用合同多少钱？", "How much was the pilot contract?") is
# answered in money: "金额 28 万元", not the customer's "11 个生产基地" (round-23 trial).
MONEY_ASK = re.compile(r"多少钱|(?:金额|价格|报价|费用|预算|合同额|收入|营收)[^，。？?]{0,4}(?:多少|几)"
                       r"|\bhow much\b[^?]*\b(?:cost|pay|paid|charge|worth|price|contract|deal|budget|revenue)", re.I)
MONEY = r"万|亿|元"


def measure(question: str) -> str:
    """The Chinese unit pattern of the quantity a question asks for ("周|个星期"), or ""."""
    if MONEY_ASK.search(normalize(question)):
        return MONEY
    if (match := MEASURE_EN.search(question)) is not None:
        word = match.group(1).lower()
        return next(zh for en, zh in MEASURES if re.fullmatch(en, word))
    if (match := MEASURE_ZH.search(normalize(question))) is not None:
        return next((zh for _, zh in MEASURES if re.fullmatch(zh, match.group(1))), match.group(1))
    return ""


# "延期了多久？", "How long was the POC delayed?": a when-question that asks for a length of time,
# answered by a figure in a duration unit ("比原计划晚 12 周"), not by the month a thing happened.
DURATION_ASK = re.compile(r"多久|多长时间|\bhow long\b", re.I)
DURATION = "周|个星期|天|个月|年|小时"


def duration(question: str) -> str:
    """The duration units' pattern when the question asks how long, else ""."""
    return DURATION if DURATION_ASK.search(normalize(question)) else ""


@lru_cache(maxsize=32)
def figure(unit: str) -> re.Pattern[str]:
    """A numeral followed by the unit: "12 周", "三个月"; not the "024" of "2024 年", nor a rate
    ("两天一小会", "三个月一次": every two days, not two days; round-18 trial, where "拖了多少天？"
    led with a team's meeting rhythm)."""
    return re.compile(rf"(?<![\d.])(?:\d{{1,3}}(?:\.\d+)?|[一二三四五六七八九十两百千]+)\s*(?:{unit})(?!\s*一)")


# A question about what was learned, whatever its type: postmortems answer it in their lessons.
LESSON_CUES = re.compile(r"教训|经验|启示|学到|收获|\b(lessons?|learn(ed|t|ing)?|takeaways?)\b")
# A request for something to work through ("给我一个试点验收的 checklist", "列个立项前要问客户的问题
# 清单"): its items are steps to take, which is what a postmortem's action items and an article's
# numbered advice are; the best of each source belongs in it (round 8 trial: two lessons of one
# postmortem, with its "试用期每周向客户决策人发送验收指标周报" action item left out).
# A list question asking for all of its items wants more than the usual six (round-15 trial: "把所有复盘里的
# 行动项都列出来" got six of nine).
EXHAUSTIVE = re.compile(r"所有|全部|一共|完整|每一?[个条项]|都(?:列|写|给|找)|\b(all|every|each|complete|full list)\b")
# Who does an action and by when: the owner and date of an action item, otherwise cut from its quote.
OWNERS = re.compile(r"负责人|责任人|谁负责|由谁|截止|期限|时间节点|deadline|\b(owners?|due|responsible)\b")
# A question asking which source says something ("哪个复盘的项目最后延期交付了？", "哪些资料提到了……？",
# "Which postmortem ended with the contract stalled?") is answered by naming the sources: each one's
# title, then what it says (round 16; they were quoted with no word of which document held them).
NAMES_SOURCE = re.compile(r"哪(?:个|篇|份|些|几个|几篇|几份|一个|一篇|一份)?(?:复盘|文章|资料|来源|案例|报告|报道)"
                          r"|\bwhich\s+(?:of\s+(?:the|our)\s+)?(?:post-?mortems?|retrospectives?|articles?|sources?"
                          r"|documents?|docs?|pieces?|reports?|case studies|cases?)\b"
                          r"|\bin which (?:article|post-?mortem|source|document)\b", re.I)
ARTEFACT = re.compile(r"清单|检查表|核对表|模板|步骤|待办|\b(check-?lists?|to-?dos?|templates?|playbooks?|steps)\b")


@dataclass(frozen=True)
class QuestionAnalysis:
    """The question, its type, its language ("zh" | "en") and script ("hans" | "hant" | "latin")."""

    question: str
    qtype: str
    language: str
    script: str
    also: tuple[str, ...] = ()  # the other parts' types of a compound question ("…延期了多久？为什么？")
    lessons: bool = False  # asks what was learned ("学到了什么", "What did we learn about …?")
    sides: tuple[str, ...] = ()  # the two things a compare question sets side by side, as written
    measure: str = ""  # a number question's unit, as a Chinese pattern ("周|个星期"), see MEASURES
    asked_for: str = ""  # the noun a what-question asks for ("…最大的障碍是什么？" → 障碍), folded
    presumed: str = ""  # what a why-question takes as given ("…为什么转投大厂？" → 转投大厂), folded
    latest: bool = False  # asks for the end of a story ("最后被哪家公司拿走", "finally go live")
    event: str = ""  # what a when/who-question asks the date or the doer of ("…是什么时候上线的？" → 上线的),
    # or a yes-no question asks to confirm ("一期的费用结算了吗？" → 一期的费用结算了)
    summary: bool = False  # asks what one source says ("复盘里那个项目讲了什么？", "总结一下《…》")
    artefact: bool = False  # asks for a checklist, template or steps to work through (ARTEFACT)
    exhaustive: bool = False  # a list question asking for every item ("把所有……都列出来", "list all …")
    owners: bool = False  # asks who owns an action and by when ("带上负责人和截止时间", "with owners and due dates")
    due_by: str = ""  # the last due date a list of actions asks for ("2024年底之前到期的" → 2024-12-31), ISO
    names_source: bool = False  # asks which source says it (NAMES_SOURCE): the answer names each one
    across: bool = False  # asked across the sources (ACROSS_SOURCES): each source's quotes under its title
    told: bool = False  # a how-question that also asks what happened or was said (asks_what_was)
    # its two asks, in its order, when it asks why and how or what happened and how (two_asks)
    two_asks: tuple[str, str] | None = None

    @property
    def english(self) -> bool:
        return self.language == "en"

    def wants(self, qtype: str) -> bool:
        """Does the question ask this type of answer, as its type or one of its other asks? "What
        causes scope creep, and how can we prevent it?" asks why and how, and its answer needs the
        root cause and the lessons (round-18 trial)."""
        return qtype in (self.qtype, *self.also)

    @property
    def synthesis(self) -> bool:
        """Questions whose answer should draw on several sources."""
        return self.qtype in ("list", "compare", "agree") or self.artefact or self.names_source

    def speaks(self, text: str) -> bool:
        """Is the quote in the question's language? A Chinese question is not answered in English
        prose: a sentence read as Latin-script prose (reads_as_latin) is in another language."""
        return self.english or not reads_as_latin(text)


def analyse(question: str) -> QuestionAnalysis:
    """Type, language and script of a question."""
    language = "zh" if chinese_question(question) else "en"
    script = detect_script(question) if language == "zh" else "latin"
    qtype = question_type(question)
    folded = normalize(question)  # the cue patterns read the folded question
    sides = compared_sides(question) if qtype == "compare" else ()
    unit = measure(question) if "number" in (qtype, *also_asked(question, qtype)) else duration(question)
    head = asked_for(question) if qtype == "what" else ""
    given = presumed(question) if qtype == "why" else ""
    happened = event(question, qtype) if qtype in ("when", "who", "yesno") else ""
    also, told = also_asked(question, qtype), qtype == "how" and asks_what_was(question)
    return QuestionAnalysis(question, qtype, language, script, also,
                            bool(LESSON_CUES.search(folded)), sides, unit, head,
                            given, asks_latest(question, qtype), happened,
                            qtype == "what" and bool(SUMMARY.search(folded)) and not SEVERAL.search(folded),
                            bool(ARTEFACT.search(folded)),
                            qtype == "list" and bool(EXHAUSTIVE.search(folded)),
                            bool(OWNERS.search(folded)),
                            due_by(question) if qtype == "list" else "",
                            bool(NAMES_SOURCE.search(folded)),
                            bool(ACROSS_SOURCES.search(folded)),
                            told, two_asks(question, (qtype, *also), told))


# "复盘里那个零售项目讲了什么？ / 总结一下《…》这篇 / summary of the … postmortem" asks what one
# source says (round 8): its quotes should all come from that source (extractive._one_source), not
# from whichever other document shares a word.
SUMMARY = re.compile(r"总结|概括|概述|摘要|梗概|(?:讲|说|写|谈)(?:了|的)?(?:些)?(?:什么|啥)|主要内容|大意"
                     r"|\b(summar(y|ise|ize)|tl;?dr|gist|overview|what does (?:the|this|that) \w+ say)\b")
# ... unless it asks it of several ("外部文章和我们的复盘分别讲了什么？", dev: one source lost a key fact).
SEVERAL = re.compile(r"分别|各自|各篇|各个|两篇|几篇|多篇|这些|所有|\b(each|both|all|sources|articles|postmortems)\b")


# A bound on when a listed action is due ("把2024年底之前到期的行动项列出来", "due before the end of 2024";
# round-15 trial: every item was listed). As the last date the question allows, inclusive.
DUE_BOUNDS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], date]], ...] = (
    (re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*(?:之前|以前|前)"),
     lambda m: date(int(m[1]), int(m[2]), int(m[3]))),
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(?:底|末)\s*(?:之前|以前|前)"),
     lambda m: _month_end(int(m[1]), int(m[2]))),
    (re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(?:之前|以前|前)"),
     lambda m: date(int(m[1]), int(m[2]), 1) - timedelta(days=1)),
    (re.compile(r"(\d{4})\s*年\s*(?:底|末)\s*(?:之前|以前|前)|(?:by|before) (?:the )?end of (\d{4})"),
     lambda m: date(int(m[1] or m[2]), 12, 31)),
    (re.compile(r"(\d{4})\s*年\s*(?:之前|以前|前)|before (\d{4})\b"),
     lambda m: date(int(m[1] or m[2]) - 1, 12, 31)),
)


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)  # the day before next month's first


def due_by(question: str) -> str:
    """The last due date (ISO) a list question allows, or "" when it names no bound."""
    folded = normalize(question)
    for pattern, bound in DUE_BOUNDS:
        if match := pattern.search(folded):
            try:
                return bound(match).isoformat()
            except ValueError:  # "2024-13-40": no such date, no bound
                return ""
    return ""


# A when-question asks the date of the event its words after the when-word name: "信贷审核项目一期
# 是什么时候上线的？" asks when it went live, and "2024 年 3 月，对方提出用大模型审核……信贷……" (the
# project's start, which shares the subject's words) does not answer it (select.LEAD_DATE).
# A who-question likewise asks who did what its words after the who-word say: "蜀川银行那边是谁发来
# 的合同草稿？" asks who sent the draft, and the customer's introduction ("某西南城商行（化名“蜀川银行”）
# 是我们的老客户", which names someone and shares the subject's words) does not answer it.
EVENT = re.compile(r"(?:什么时候|何时|哪一?年|哪个月|几月|几号|哪天|哪一天)(?P<after>[^？?。！!，,]+)")
DOER = re.compile(r"(?:谁|哪家(?:公司|厂商|银行|企业|机构|云厂商)?|哪个(?:公司|团队|部门|厂商)|哪位)(?P<after>[^？?。！!，,]+)")


# What a yes-no question asks to be confirmed: the clause after 是否 / 有没有 …, or the one ending in 吗
# ("蜀川银行那个项目，一期的费用结算了吗？" → 一期的费用结算了; round-15 trial: the lead was the project's
# background, the sentence saying the fee was not settled came second).
CLAIM = re.compile(r"(?:是否|是不是|有没有|能不能|会不会|有冇|系咪)(?P<after>[^？?。！!，,]+)"
                   r"|(?P<before>[^？?。！!，,]+?)(?:吗|么|嘛)\s*[？?]?\s*$")


# A yes-no question answered by a sentence that denies what it asks ("一期的费用结算了吗？" → "…一期费用也
# 未结算。") gets the short answer first (round-15 trial: "it never says no"). Only a denial is said: a
# sentence holding the asked words without a negation may still not confirm them. The negation must
# stand right before an asked word, past an adverb (也未, 仍未, 不再, 尚未); 不仅 / 不但 … do not deny.
DENIAL = re.compile(r"(?:未|没有|没|不|无法|无)(?:再|曾|能|会|被|需|用|得)?$")
# ... or the word is the topic its comment denies: "合同仍未签署" (the contract is still not signed).
DENIED_AFTER = re.compile(r"(?:仍|还|尚|都|也|至今)(?:未|没有|没)")
SHORT_NO = (  # the question's own verb answers it: 结算了吗 → 没有, 会……吗 → 不会
    (re.compile(r"了[吗么]|过[吗么]|有没有|有冇"), "没有。"),
    (re.compile(r"会不会|会[^，。？?]*[吗么]"), "不会。"),
    (re.compile(r"能不能|能否|可不可以|可以[^，。？?]*[吗么]|能[^，。？?]*[吗么]"), "不能。"),
    (re.compile(r"有[^，。？?]*[吗么]"), "没有。"),
    (re.compile(r"是不是|是否|是[^，。？?]*[吗么]|系咪|系唔系"), "不是。"),
)


def denial(analysis: QuestionAnalysis, lead: str, glossary: Glossary | None = None) -> str:
    """"没有。" / "不会。" / "不是。" … (or "No.") when the lead denies what a yes-no question asks ("" otherwise):
    it holds at least a third of the asked clause's words (the clause also names its subject: "鲜达超市那个
    POC最后上线的版本还会自动生成补货单") and one of them right after a negation. An English question's
    words are the glossary's Chinese for its phrases (round-22 trial: "Did 蜀川银行 end up signing the
    contract?" was answered "截至 11 月底合同仍未签署" and never said no)."""
    words = _claimed(analysis, glossary) if analysis.qtype == "yesno" else []
    text = normalize(lead)
    # a compound the question glues ("签合同") is held by its words too ("合同仍未签署")
    held = [[f for f in forms if f in text] for forms in words]
    if not words or 3 * sum(map(bool, held)) < len(words):
        return ""
    denied = any(DENIAL.search(text[max(0, m.start() - 3) : m.start()]) or DENIED_AFTER.match(text, m.end())
                 for forms in held for f in forms for m in re.finditer(re.escape(f), text))
    if not denied:
        return ""
    if analysis.english:
        return "No."
    folded = normalize(analysis.question)
    short = next((no for pattern, no in SHORT_NO if pattern.search(folded)), "否。")
    return to_script(short, analysis.script)


def _claimed(analysis: QuestionAnalysis, glossary: Glossary | None) -> list[tuple[str, ...]]:
    """What a yes-no question asks to confirm, as groups of forms a sentence may hold it in: a Chinese
    question's words (and a compound's words), an English one's glossary phrases in Chinese."""
    if analysis.english:
        phrases = glossary.translations(analysis.question) if glossary is not None else []
        return [tuple(dict.fromkeys(normalize(t) for t in terms)) for _, _, terms in phrases]
    words = [w for w in dict.fromkeys(jieba_words(analysis.event)) if len(w) >= 2 and w not in ZH_STOP]
    return [tuple(f for f in (w, *jieba_tokens(w)) if len(f) >= 2) for w in words]


def event(question: str, qtype: str = "when") -> str:
    """The event a Chinese when-question asks the date of (a who-question: who did it; a yes-no
    question: what it asks to confirm), folded; "" when none is found."""
    pattern = DOER if qtype == "who" else CLAIM if qtype == "yesno" else EVENT
    match = pattern.search(normalize(question))
    return (match.group("after") or match.group("before") or "").strip() if match else ""


# A why-question takes its outcome as given: "试用期结束后客户为什么转投大厂？" presumes the customer
# went to a big vendor, and asks for the cause. A sentence that only tells that outcome ("…然而客户
# 还是在试用期结束后便接洽了服务更为成熟的大厂") restates the question; it should not lead
# (select.LEAD_RESTATE). The outcome is what follows the why-word, or precedes "的原因".
PRESUMED = re.compile(r"(?:为什么|为何|怎么会|何以|为啥|咋会)(?:说)?(?P<after>[^？?。！!，,]+)"
                      r"|(?P<before>[^？?。！!，,]+?)的(?:根本)?原因"
                      # a keyword query "试用期 丢单 原因" (round 8): the words before a last 原因
                      r"|^(?P<keywords>[^？?。！!，,]+?)\s+(?:根本原因|原因|为啥|为什么)\s*[？?]?\s*$")


def presumed(question: str) -> str:
    """The outcome a Chinese why-question presumes, folded; "" when none is found."""
    match = PRESUMED.search(normalize(question))
    if not match:
        return ""
    return (match.group("after") or match.group("before") or match.group("keywords") or "").strip()


# "最后 / 最终 / finally / in the end" asks for how a story ended: of the dated sentences of the
# account, the last one answers ("finally go live": the actual go-live, not the plan nor the Demo).
# "计划/原计划/planned" asks for the plan, so it is not such a question.
LATEST = re.compile(r"最后|最终|终于|到头来|\b(finally|eventually|ultimately|in the end|at last|ended up)\b")
PLANNED = re.compile(r"计划|预计|打算|\b(plan(ned)?|scheduled|expected)\b")


# "Who won / took / signed the deal?" asks for the party at the end of the story too: the customer,
# named in a postmortem's background, is not who won it ("Which company won the … deal instead of
# us?" led with the customer's background).
WON = re.compile(r"拿走|抢走|抢了|赢得|赢下|中标|签下|签给|选择了|选了|\b(won|wins?|took|taken|chose|chosen|picked|"
                 r"signed with|went with|lost to|awarded)\b")


# "后来呢？ / 结果怎么样？ / What happened next?" asks what happened after what was said, whatever the
# type of the question it follows (a follow-up prefixed with "…为什么延期了？" is a why-question): the
# end of the story too.
# Only the bare follow-up ("后来呢？"): a question that tells a story and asks "后来怎么样了" may be
# answered by an undated sentence ("好说歹说才劝住他"); with 后来/结果 + 怎么样/如何 a dev answer led
# with a dated survey instead and lost its key fact.
NEXT = re.compile(r"(?:后来|然后|之后)呢|\bwhat happened (?:next|then)\?")


# A yes-no question about how things stand now ("正式合同到现在签下来了吗？", "一个亿的目标到年底做到了吗？",
# "Is the contract still unsigned?") is answered by the latest state of the story, not by its start
# ("双方只签了保密协议，约定……再签正式合同" led; round 21, the yes-no probe).
NOW = re.compile(r"现在|目前|至今|如今|眼下|到年底|到年末|\b(now|still|so far|to date|as of)\b")


def asks_latest(question: str, qtype: str = "") -> bool:
    """Does the question ask how the story ended (its latest event)?"""
    folded = normalize(question)
    if PLANNED.search(folded):
        return False
    return (bool(LATEST.search(folded) or NEXT.search(folded)) or (qtype == "who" and bool(WON.search(folded)))
            or (qtype == "yesno" and bool(NOW.search(folded))))


# "什么是X？" / "X是什么（意思）？": the noun X a what-question asks for, the words after the last 的
# ("大模型厂商做 To B 最大的障碍是什么？" → 障碍). A lead that names it answers the question; one that
# only shares its other words ("To B业务没有大力出奇迹……") does not (select.LEAD_ASKED).
WHAT_IS = re.compile(r"^\s*什么是\s*(?P<a>.+?)\s*[？?。]?\s*$|^(?P<b>.+?)\s*(?:是什么|是啥|指什么)(?:意思)?\s*[？?。]?\s*$")
QUOTES = "“”\"'「」『』《》 "


def asked_for(question: str) -> str:
    """The noun a Chinese "what is" question asks for, folded; "" for any other question."""
    match = WHAT_IS.match(normalize(question))
    if not match:
        return ""
    noun = (match.group("a") or match.group("b").rsplit("的", 1)[-1]).strip(QUOTES)
    return noun if 2 <= len(noun) <= 12 and CJK.search(noun) else ""


def compared_sides(question: str) -> tuple[str, ...]:
    """The two sides a compare question names, as written, or () when it names none."""
    text = unicodedata.normalize("NFKC", question).strip()
    simplified = _convert("t2s", text)
    if len(simplified) != len(text):  # matched on the simplified form, shown as the question writes it
        text = simplified
    start = len(OPENING.match(simplified).group(0))  # type: ignore[union-attr]
    text, simplified = text[start:], simplified[start:]
    match = SIDES_ZH.search(simplified) or SIDES_EN.search(simplified) or SIDES_EN_NAMES.search(simplified)
    if not match:
        return ()
    sides = tuple(text[match.start(i):match.end(i)].strip() for i in range(1, len(match.groups()) + 1)
                  if match.group(i))
    return sides if len(sides) == 2 and sides[0] != sides[1] else ()


# Where a compound question divides into its asks: a question mark or semicolon inside it, a comma
# before an interrogative ("延期了多久，为什么？"), or an English "and" that starts a new
# interrogative ("How long … and why?").
PARTS = re.compile(
    r"[？?；;]\s*(?=\S)|[，,]\s*(?=为什么|为何|為什麼|怎么|怎麼|如何|多久|多少|哪些)"
    r"|,?\s+and\s+(?=(?:why|how|what|when|which|who)\b)",
    re.I,
)


def asks(question: str) -> list[str]:
    """A question's asks: its parts between PARTS ("…做到多少？当初的目标是多少？" has two)."""
    return [p for p in PARTS.split(question.strip()) if p.strip()]


# A question asking both why and how ("……的原因是什么？又该如何预防？"): its answer keeps a unit for
# each ask and shows the second ask's points under their own label (select._must_keep, compose.by_ask).
CAUSE_AND_CURE = ("why", "how")


def two_asks(question: str, asked: tuple[str, ...], told: bool) -> tuple[str, str] | None:
    """The two asks of a question asking why and how ("……的原因是什么？又该如何预防？") or what happened
    and how ("当时条款是怎么写的？以后该怎么谈？", asks_what_was), in the question's order."""
    if set(CAUSE_AND_CURE) <= set(asked):
        pair = CAUSE_AND_CURE
    elif told:
        pair = ("what", "how")
    else:
        return None
    order = [question_type(part) for part in asks(question)]
    at = {t: order.index(t) if t in order else len(order) for t in pair}
    return pair if at[pair[0]] <= at[pair[1]] else (pair[1], pair[0])


ASKED_APART = re.compile(r"[？?]\s*(?=\S)|,?\s+and\s+(?=(?:why|how|what|when|which|who)\b)", re.I)


def asks_what_was(question: str) -> bool:
    """A question mark closes an ask of its own that no type cue marks: "当时条款具体是怎么写的？以后
    该怎么谈？" asks what the clause said, then what to do (round-19 trial). Only a part closed by a
    question mark counts: a statement before the ask ("……谈试点；对方想先免费做三个月，要注意什么？")
    is context, not an ask."""
    parts = [p for p in ASKED_APART.split(question.strip()) if p.strip()]
    return len(parts) > 1 and any(question_type(p) == "what" for p in parts[:-1])


def also_asked(question: str, qtype: str) -> tuple[str, ...]:
    """The types of a compound question's other asks, in order, without the main type or "what"."""
    parts = asks(question)
    if len(parts) < 2:
        return ()
    found = [question_type(p) for p in parts]
    return tuple(dict.fromkeys(t for t in found if t not in (qtype, "what")))


# A yes-no question about a course of action asks for advice and is answered like a how-question
# (a lesson leads, not a root cause): "要不要先签框架协议？", and "能不能/可不可以" with an adverb of
# manner or sequence ("能不能直接上 POC？", "可不可以先做 Demo？"). A bare "能不能" asks what is
# possible ("定制化项目能不能赚钱？"): read as how, it cost a dev lead (round 7), so it stays yes-no.
ADVICE = re.compile(r"(?:能不能|可不可以|能否|可否|是否可以|是否能)\s*(?:直接|先|马上|立刻|立即|提前)"
                    # "A不A" of a verb of doing ending the question ("POC 还做不做", "签不签？") asks
                    # whether to do it (round 8); of 能/会/是/对/好/行/可 it asks what is possible or
                    # true; inside a clause ("决定投不投一个项目之前会看什么？", dev) it is not the ask.
                    r"|([^\W\d能会是对好行可])不\1(?=\s*(?:呢|啊|吗)?\s*[？?]?\s*$)"
                    # What we should do, asked as "what": a modal and a verb of doing before 什么 ("我们该拿
                    # 什么回应？", "我们可以端出什么替代方案？"), and a means wanted for a purpose ("有什么收费
                    # 方式能降低他们的顾虑？"). Round 22, the how probe's dev half: these were read as what-
                    # questions and led with the account the question retells. "大模型能做什么？" asks what
                    # is possible: 能/可以 count only after a first person.
                    r"|(?:该|应|得|要|(?:我们|我|咱们|咱)(?:能|可以))(?:拿|用|做|采取|采用|端出|给出|提出|准备|拿出)什么"
                    r"|什么[^，,。？?]{0,6}(?:方式|方法|方案|手段|模式|策略|对策|措施)(?:能|可以|才能|来)")


# "好几个部门 / 这几个项目" say "several / these", they do not ask for a number (round 8: "客户好几个
# 部门都在提新需求。我现在该怎么办？" was read as a number question); nor do "没几个人 / 没多少人" ("hardly
# anyone": "一大堆人来咨询却没几个人真买单" asks what the funnel means, round 15).
NOT_COUNTING = re.compile(r"[好这那前后头没]几|没多少")
# 比较 before an evaluative word is an adverb ("fairly"), not a comparison: "……什么时候介入项目比较好？",
# "人数配比多少比较合理" ask when or how much (round 11; both had been typed compare, and their
# "A和B" read as two sides).
FAIRLY = re.compile(r"比较(?=好|合理|合适|稳妥|妥当|靠谱|常见|多|少|大|小|高|低|快|慢|重要|容易|难|有效|划算|理想)")
# "怎么理解 / 如何解读 X" asks what X means, not what to do (round 15: "……这个漏斗应该怎么理解？" gathered
# advice); English "how to read / interpret" is left to the English cues.
# "……是怎么写的 / 怎么说的 / 怎么描述的" asks what a text says, not what to do (round 19).
EXPLAIN = re.compile(r"(?:怎么|如何|怎样|应该怎么|该怎么)(?=理解|解释|解读|看待|写的|说的|描述的|规定的|约定的)")
# Where a message that gives context first ("我们下周要跟一家银行谈试点，对方想先免费做三个月。这种
# 情况要注意什么？") ends a statement: the ask is the last sentence, after the last 。/！/. .
STATEMENT_END = re.compile(r"(?<=[。！!])|(?<=\.)\s+")


def asking_sentence(question: str) -> str:
    """The sentence of a message that asks: its last one when statements come first, else all of it."""
    parts = [p for p in STATEMENT_END.split(question.strip()) if p.strip()]
    return parts[-1].strip() if len(parts) > 1 else question


def question_type(question: str) -> str:
    """The first type whose cue occurs in the question; "what" when none does.

    A message that states its context first is typed by its asking sentence when that one has a
    cue (round 8): the context's words ("合同12周", "好几个部门", "原因是……") are not the ask.
    """
    asked = asking_sentence(question)
    if asked != question and (qtype := _cued_type(asked)) != "what":
        return qtype
    return _cued_type(question)


def _cued_type(question: str) -> str:
    folded = normalize(question)
    for qtype, cues, english in TYPE_CUES:
        text = (NOT_COUNTING.sub("", folded) if qtype == "number" else FAIRLY.sub("", folded) if qtype == "compare"
                else EXPLAIN.sub("", folded) if qtype == "how" else folded)
        if any(cue in text for cue in cues) or re.search(english, text.strip()):
            return qtype
        if qtype == "how" and ADVICE.search(folded):
            return qtype
    return "what"


def detect_script(text: str) -> str:
    """"hant" when more characters change under traditional→simplified than the reverse."""
    to_simplified = sum(a != b for a, b in zip(text, _convert("t2s", text), strict=False))
    to_traditional = sum(a != b for a, b in zip(text, _convert("s2t", text), strict=False))
    return "hant" if to_simplified > 0 and to_simplified >= to_traditional else "hans"


# OpenCC turns 签 with no phrase around it ("签 POC", "签合同") into 籤 (a lot, a label), where these
# sources mean 簽 (to sign); only 標籤 / 書籤 / 抽籤 / 牙籤 / 竹籤 / 求籤 / 中籤 keep it.
SIGN_SLIP = re.compile(r"(?<![標書抽牙竹求中])籤")


def to_script(text: str, script: str) -> str:
    """Text in the given script (OpenCC); Latin questions leave quotes as they are."""
    if script == "hant":
        # Taiwan-standard characters (為, 裡), the forms traditional readers type; OpenCC's plain s2t
        # gives the older 爲 / 裏, which the round-9 trial flagged.
        return SIGN_SLIP.sub("簽", _convert("s2tw", text))
    if script == "hans":
        return _convert("t2s", text)
    return text


def _convert(config: str, text: str) -> str:
    return _converter(config)(text)


@lru_cache(maxsize=4)
def _converter(config: str) -> Callable[[str], str]:
    import opencc  # lazy: OpenCC loads its dictionaries on first use

    return opencc.OpenCC(config).convert
