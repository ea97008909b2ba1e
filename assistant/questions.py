"""Pure question analysis: what kind of answer a question asks for, and what the evidence must hold.

The kind steers composition (a definition leads with the defining sentence, a list question gets the
list, "which vendors" names vendors); `wants` drives refusal (a question asking for a number is refused
when the chosen evidence holds none).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from assistant.rules import ALL_ON, Rules
from assistant.tuning import QUESTION

Kind = Literal["definition", "difference", "list", "vendors", "figure", "who", "yesno", "procedure", "other"]
Want = Literal["number", "duration", "date", "price", "frequency", "companies", "person"]

_ARTICLE = r"(?:an?|the)\s+"
_TAIL = r"(?:\s*,?\s+(?:and|or)\s+[^?]{1,80})?(?:\s+(?:on|in|for|under|at|when|within)\s+[^?]{1,60})?\s*[?.]?$"
"""What may follow the term: "..., and how is it related to an OEL?", "... on an FDA inspection?"."""
_DEFINITION = [
    re.compile(  # "what's X mean" is "what does X mean" typed casually
        rf"^what(?:\s+(?:does|do)|['\u2019]s)\s+(?:the\s+(?:acronym|abbreviation|term)\s+)?(?P<term>[^?]{{1,60}}?)\s+"
        rf"(?:mean|stand\s+for){_TAIL}",
        re.I,
    ),
    re.compile(
        rf"^what(?:\s+exactly)?(?:'s|\s+is|\s+are|\s+was)\s+(?:exactly\s+)?(?:{_ARTICLE})?(?P<term>[^?,]{{1,60}}?){_TAIL}",
        re.I,
    ),
    re.compile(rf"^what\s+(?:is|do\s+\w+)\s+meant\s+by\s+(?P<term>[^?]{{1,60}}?){_TAIL}", re.I),
    re.compile(rf"^what\s+do\s+(?:people|we|you|they|staff)\s+mean\s+by\s+(?P<term>[^?]{{1,60}}?){_TAIL}", re.I),
    re.compile(
        rf"^(?:can\s+you\s+|could\s+you\s+|please\s+)?(?:define|explain)\s+(?:what\s+)?(?:the\s+term\s+)?"
        rf"(?:{_ARTICLE})?(?P<term>[^?]{{1,60}}?)(?:\s+(?:is|are|means))?{_TAIL}",
        re.I,
    ),
    re.compile(rf"^(?:what\s+is\s+)?the\s+(?:meaning|definition)\s+of\s+(?P<term>[^?]{{1,60}}?){_TAIL}", re.I),
    re.compile(
        r"""^what\s+(?:does|makes|is)\b.*?['"\u2018\u201c](?P<term>[^'"\u2019\u201d]{1,60})['"\u2019\u201d]""", re.I
    ),
]
_SECOND_TERM = re.compile(
    r"\b(?:related\s+to|differ(?:s|ent)?\s+from|compared?\s+(?:to|with)|versus|vs\.?)\s+(?:an?\s+|the\s+)?"
    r"(?P<term>[\w\-/ ]{1,40}?)\s*[?.]?$",
    re.I,
)
_DIFFERENCE = [
    re.compile(
        r"\bwho\s+is\s+(?:the\s+|an?\s+)?(?P<a>[\w\- ]{2,40}?)\s+and\s+who\s+is\s+"
        r"(?:the\s+|an?\s+)?(?P<b>[\w\- ]{2,40}?)\s*\??$",
        re.I,
    ),
    re.compile(r"difference\s+between\s+(?:an?\s+|the\s+)?(?P<a>.+?)\s+and\s+(?:an?\s+|the\s+)?(?P<b>[^?.,;]+)", re.I),
    re.compile(
        r"how\s+(?:does|do|is|are)\s+(?:an?\s+|the\s+)?(?P<a>.+?)\s+differ(?:ent)?\s+from\s+(?:an?\s+|the\s+)?(?P<b>[^?.,;]+)",
        re.I,
    ),
    re.compile(r"^(?:an?\s+)?(?P<a>[\w\- ]{2,40}?)\s+(?:vs\.?|versus)\s+(?:an?\s+)?(?P<b>[\w\- ]{2,40})\??$", re.I),
]
_LIST = re.compile(
    r"^why\b|\bwhat\s+(?:types?|kinds?|sorts?|categories|forms)\s+of\b"
    r"|\bwhat\s+(?:must|should|does|do|will|can|shall)\b.{0,80}?\b(?:cover|include|contain|address|list|go\s+into|state|specify|say\s+about)\b"
    r"|\bwhat\s+(?:are|were)\s+(?:the\s+)?(?:main\s+|key\s+|typical\s+|usual\s+|common\s+|different\s+)?"
    r"(?:reasons|steps|stages|phases|elements|types|kinds|responsibilities|duties|requirements|contents|components|"
    r"parts|services|options|benefits|advantages|risks|criteria|factors|principles|sections|topics|documents|records|"
    r"examples|tasks|roles)\b"
    r"|\b(?:list|name)\s+(?:the\s+|all\s+)?\w+|\bwhich\s+(?:steps|elements|documents|records|topics|sections)\b"
    r"|\b(?:how|what)\s+else\b|\bwhat\s+(?:should|must|do)\s+(?:i|we|you)\s+(?:check|look\s+(?:for|at)|verify|"
    r"consider|ask(?:\s+for)?)\b|\bwhat\s+(?:goes|go)\s+(?:into|in)\b|\bwhat(?:'s|\s+is)\s+(?:usually\s+|typically\s+)?in\s+(?:an?|the)\b",
    re.I,
)
_VENDOR_WORDS = (
    r"(?:cmos|cdmos|vendors|suppliers|manufacturers|companies|partners|providers|brochures|sites|labs|laboratories|"
    r"cmo|cdmo|vendor|supplier|provider|manufacturer|company|partner|lab|laboratory|site)"
)
_VENDORS = re.compile(
    rf"\bwhich\b(?:\s+(?:of\s+)?(?:the|these|those|our|your|all)?\s*)?(?:\w+\s+){{0,3}}?{_VENDOR_WORDS}\b"
    rf"|\b(?:what|any|list|name|compare)\s+(?:of\s+)?(?:the\s+|these\s+|those\s+|our\s+|all\s+)?{_VENDOR_WORDS}\b"
    r"|\bwhich\s+of\s+(?:them|these|those)\b",
    re.I,
)
_SUPERLATIVE = re.compile(
    r"\b(?P<word>largest|biggest|greatest|highest|most|maximum|max|longest|smallest|lowest|least|fewest|minimum|min|"
    r"shortest|fastest|earliest|latest|newest|oldest)\b",
    re.I,
)
_TARGET_SKIP = {"single", "total", "working", "one", "a", "an", "the", "gmp", "commercial", "available", "stated"}
_SMALLEST = {"smallest", "lowest", "least", "fewest", "minimum", "min", "shortest", "earliest", "oldest"}
_FIGURE = re.compile(
    r"\bhow\s+(?:many|much|long|large|big|often|soon|fast|far|old|frequently|high|low)\b"
    r"|\bwhat\s+(?:size|capacity|volume|scale|number|percentage|share|temperature|year|date|day|month|price|cost|fee)\b"
    r"|\bwhen\s+(?:was|were|is|did|does|do|will|should|must|can|are)\b|\bsince\s+when\b|\bwithin\s+how\b",
    re.I,
)
_WHO = re.compile(
    r"^(?:who|whom|whose)\b|\bwho\s+(?:is|are|must|should|does|do|can|may|signs?|releases?|decides?)\b"
    r"|\bwhose\s+(?:job|responsibility|duty|role|task)\b"
    r"|\bwhich\s+(?:party|parties|person|people|department|unit|role|function|team|body|authority)\b",
    re.I,
)
_SPLIT_OF_ROLES = re.compile(r"\bwho\s+does\s+what\b", re.I)
_YESNO = re.compile(r"^(?:is|are|can|could|does|do|did|must|should|may|might|will|would|has|have|shall)\b", re.I)
_PROCEDURE = re.compile(
    r"^how\s+(?:do|does|should|can|must|to|is|are)\b|^how\s+(?:would|could)\s+(?:we|i|you)\b|\bwhat\s+(?:do|should|must)\s+(?:we|i|you|they)\s+do\b"
    r"|\b(?:walk|take|talk)\s+(?:me|us)\s+through\b|\bwhat\s+(?:steps|actions)\b|\bprocess\s+for\b|\bwhat\s+(?:usually\s+|typically\s+|normally\s+)?happens\b"
    r"|\bwhat\s+(?:should|must|will|needs?\s+to|has\s+to)\s+happen\b|\bwho\s+does\s+what\b",
    re.I,
)
_WANT_PRICE = re.compile(
    r"\bhow\s+much\b.{0,60}\b(?:cost|costs|charge|charges|pay|price|fee|fees|fine|fines)\b"
    r"|\bwhat\s+(?:is|are|was|were|would\s+be)\s+(?:the\s+|their\s+|its\s+)?(?:\w+\s+){0,2}?(?:price|prices|fee|fees|"
    r"cost|costs)\b|\b(?:price|prices|fee|fees|cost)\s+(?:of|per|for)\s+(?:a|an|one|each|the)\b|\bcost\s+per\b"
    r"|\b(?:realistic|rough|typical|ballpark|average)\s+(?:price|cost|fee|quote)\b"
    r"|\bhow\s+large\s+a\s+fine\b|\bfine\s+of\b|\b(?:charges?|charged|charging)\s+(?:for|per|to)\b",
    re.I,
)
_WANT_DURATION = re.compile(
    r"\bhow\s+(?:long|soon|quickly|fast|far\s+ahead|far\s+in\s+advance|much\s+notice)\b|\bwithin\s+how\s+many\b"
    r"|\bwhat\s+(?:is|are)\s+the\s+(?:\w+\s+)?(?:deadline|timeline|time\s+limit|retention\s+period|lead\s+time|shelf[\s-]life|"
    r"turnaround(?:\s+time)?)s?\b|\bwhat\s+(?:shelf[\s-]life|lead\s+time|turnaround|retention\s+period|deadline)s?\b",
    re.I,
)
_WANT_DATE = re.compile(
    r"\bwhen\s+(?:was|were|did)\b|\bwhat\s+(?:year|date|day|month)\b|\bsince\s+when\b"
    r"|\bwhen\s+(?:does|do|is|will)\b[^?]{0,60}\b(?:expire|expires|end|ends|start|starts|open|opens)\b",
    re.I,
)
_DECIDE = re.compile(
    r"\b(?:decid(?:e|es|ed|ing)|determin(?:e|es|ed|ing)|set(?:s|ting)?|choos(?:e|es|ing)|agree(?:s|d|ing)?|"
    r"defin(?:e|es|ed|ing)|work(?:s|ing)?\s+out|calculat(?:e|es|ed|ing)|judg(?:e|es|ed|ing)|prioriti[sz](?:e|es|ing))"
    r"\s+(?:on\s+)?(?:how\s+(?:often|long|many|much|soon)|when|what|which)\b[^?.;]*",
    re.I,
)
"""An embedded question ("... for deciding which of our suppliers to audit first", "how do we decide how often
..."): what it names is what the decision is about, not the fact the question asks for."""
_WANT_FREQUENCY = re.compile(r"\bhow\s+(?:often|frequently)\b|\bhow\s+many\s+times\b", re.I)
_WANT_NUMBER = re.compile(
    r"\bhow\s+(?:many|much|large|big|high|low)\b|\b(?:maximum|minimum|max|min)\s+number\b"
    r"|\bwhat\s+(?:[\w'\u2019-]+\s+){0,4}?(?:size|capacity|volume|number|percentage|share|temperature|value|rate|yield|level|"
    r"concentration|amount|class|grade)\b(?!\s+of\s+(?:detail|information|documentation|evidence|oversight|scrutiny|"
    r"rigou?r|formality|effort)\b)|\bnumber\s+of\b",
    re.I,
)
"""A figure asked for; an extent of description ("What level of detail ...", "what amount of documentation") is
not one."""
_WANT_PERSON = re.compile(
    r"\bwho\s+(?:is|was|are)\s+(?:the\s+|their\s+|its\s+)?(?:\w+\s+){0,2}?(?:ceo|cfo|coo|cto|president|founder|chair\w*|"
    r"director|manager|head|owner|contact\s+person|qp|qppv)\b"
    r"|\bnames?\s+of\s+(?:the\s+|their\s+|its\s+)?(?:\w+\s+){0,2}?(?:ceo|head|director|manager|persons?|qps?|qppv|officer|"
    r"contact)\b",
    re.I,
)
_MONEY_WORDS = re.compile(
    r"\b(?:revenue|revenues|turnover|profit|profits|sales\s+figures?|budget|salary|salaries|hourly\s+rate|day\s+rate|"
    r"daily\s+rate|fine|fines)\b",
    re.I,
)
_WANT_COMPANIES = re.compile(
    r"\bwhich\s+(?:\w+\s+){0,4}?(?:companies|suppliers|manufacturers|firms|vendors|cmos|cdmos|"
    r"providers|sites)\b",
    re.I,
)
_ASPECTS = re.compile(r"\b(?:on|in\s+terms\s+of|regarding|about|for|by)\s+(?P<list>[\w ,/&\-]+?)\s*[?.]?$", re.I)
_ASPECT_SPLIT = re.compile(r"\s*(?:,|\band\b|/|&|\bor\b)\s*", re.I)


@dataclass(frozen=True, slots=True)
class Query:
    """What a question asks for."""

    text: str
    kind: Kind
    terms: tuple[str, ...] = ()
    """The asked term(s): one for a definition, two for a difference."""
    wants: tuple[Want, ...] = ()
    """Kinds of fact the evidence must hold for an answer (else refuse)."""
    superlative: Literal["max", "min"] | None = None
    """For questions such as "which CMO has the largest bioreactor": which end of the figures answers."""
    target: str = ""
    """The thing a superlative measures ("bioreactor" in "the largest bioreactor")."""
    action: str = ""
    """For "who" questions, what the party does ("releases" in "Who releases batches made by a CMO?")."""
    counted: str = ""
    """For "how many X" questions, the X counted ("people")."""
    aspects: tuple[str, ...] = ()
    """What a comparison compares ("capacity", "certifications")."""

    @property
    def negative(self) -> bool:
        """True when what is asked is negated ("what kinds of products won't they fill?")."""
        return bool(NEGATION.search(main_clause(self.text)))

    @property
    def asks_list(self) -> bool:
        """True when a list may answer it: list questions, and procedures (their steps)."""
        return self.kind in ("list", "procedure")


def _clean_term(term: str) -> str:
    term = re.sub(r"^(?:an?|the)\s+", "", term.strip(" '\"\u2018\u2019\u201c\u201d"), flags=re.I)
    term = re.sub(r"\s+(?:in|under|according\s+to|as\s+defined\s+in|per)\s+[A-Z][\w .()/-]*$", "", term)
    term = re.sub(r"^(\w+ing)\s+(?:an?|the)\s+.*$", r"\1", term, flags=re.I)  # "reworking [an OOS batch]": its object
    return re.sub(r"\s+", " ", term).strip(" ,.;:'\"\u2018\u2019\u201c\u201d")


_QUOTED = re.compile(r"['\"\u2018\u201c](?P<term>[^'\"\u2019\u201d]{2,60})['\"\u2019\u201d]")


def _is_short_term(term: str) -> bool:
    """A noun phrase worth defining: a few words, no verb-like question continuation."""
    words = term.split()
    if re.match(
        r"^(?:role|purpose|responsibilit\w*|difference|meaning|aim|scope|function|job|duty|duties|task)s?\b", term, re.I
    ):
        return False
    if _SUPERLATIVE.search(term) or re.match(r"^(?:in|on|at|for|to|of|with|from|by|into|inside)\s", term, re.I):
        return False  # "what's in a quality agreement" asks for contents, not a definition
    return 0 < len(words) <= QUESTION.term_words and not re.search(
        r"\b(?:the\s+(?:role|purpose|difference|responsibility)|required|needed|done|used|responsible|allowed|if|when|"
        r"should|must|can|do|does|did|have|has|our|we|my|i)\b",
        term,
        re.I,
    )


def aspects_of(question: str) -> tuple[str, ...]:
    """Aspects a comparison names: "Compare them on capacity and certifications" -> (capacity, certifications)."""
    match = _ASPECTS.search(question.strip())
    if not match:
        return ()
    parts = [p.strip() for p in _ASPECT_SPLIT.split(match.group("list")) if p.strip()]
    parts = [re.sub(r"^(?:their|its|the)\s+", "", p, flags=re.I) for p in parts]
    return tuple(p for p in parts if 0 < len(p.split()) <= QUESTION.aspect_words)


_ASKS_OTHER = re.compile(
    r"^\s*(?:when|where|why|who|whom|how(?!\s+(?:much|many|large|big|high|low)\b))\b(?![^?]*\bhow\s+much\b)", re.I
)
"""A question whose asking word asks a time, place, reason, party or manner ("When should the fee for a resubmission
be paid?", "How do CMOs charge for a transfer?"): a fee it names is its subject, not the fact asked for."""


def wants_of(question: str) -> tuple[Want, ...]:
    """The kinds of fact a question cannot be answered without ("how do we decide how often ..." asks for a
    method, not a frequency: the asking words must open a clause)."""
    found: list[Want] = []
    question = _DECIDE.sub(" ", question)
    if (_WANT_PRICE.search(question) or _MONEY_WORDS.search(question)) and not _ASKS_OTHER.match(question):
        found.append("price")
    if _WANT_DURATION.search(question):
        found.append("duration")
    if _WANT_DATE.search(question):
        found.append("date")
    if _WANT_FREQUENCY.search(question):
        found.append("frequency")
    if not found and _WANT_NUMBER.search(question):
        found.append("number")
    if _WANT_COMPANIES.search(question):
        found.append("companies")
    if _WANT_PERSON.search(question):
        found.append("person")
    return tuple(found)


_SUBORDINATE = re.compile(
    r"\s(?:after|before|once|until|unless|since|because|while|whereas|although|though|if|when|where|which|that)\s",
    re.I,
)


NEGATION = re.compile(
    r"\b(?:not|never|no|none|cannot|can't|won't|wont|don't|doesn't|didn't|isn't|aren't|shouldn't|mustn't|"
    r"without|excludes?|excluded|outside)\b|n['\u2019]t\b",
    re.I,
)
"""A negated statement or question: embeddings hardly tell "we fill X" from "we do not fill X"."""


def main_clause(question: str) -> str:
    """The asking sentence up to its first subordinate clause ("How long must we store the data | after it has
    been withdrawn?"); a question that opens with "When"/"If" keeps that opening. A frame naming the document
    ("According to <title>, ...") is not part of it: it says where to look, not what is asked."""
    asked = last_question(without_source(" ".join(question.split())))
    match = _SUBORDINATE.search(asked, 1)
    return asked[: match.start()] if match else asked


def analyse(question: str, vendors: Sequence[str] = (), rules: Rules = ALL_ON) -> Query:
    """Classify a (standalone) question; each kind's pattern is a named rule ("kind.who", ...)."""
    return replace(_analyse(question, vendors, rules), counted=_counted(question))


def _counted(question: str) -> str:
    """The head noun after "how many" ("people" in "How many people work at ...", "lines" in "How many
    isolator lines does Aseptix run?"): the last word before the verb."""
    match = re.search(
        r"\bhow\s+many\s+(?P<phrase>(?:[A-Za-z-]+\s+){0,3}?[A-Za-z-]+?)(?=\s+(?:do|does|did|are|is|"
        r"were|was|can|could|will|would|should|must|may|have|has|had|work|works|worked|per|in|at|on|"
        r"for|of|does)\b|\s*[?.]|$)",
        question,
        re.I,
    )
    if not match:
        return ""
    words = match.group("phrase").split()
    return words[-1] if words else ""


def _analyse(question: str, vendors: Sequence[str] = (), rules: Rules = ALL_ON) -> Query:
    """Classify a (standalone) question, without the counted noun."""
    text = " ".join(question.split())
    bare = re.sub(r"^(?:(?:ok|okay|so|and|also|please|hi|hello)[,\s]+)+", "", text, flags=re.I).strip()
    bare = re.sub(r"^(?:new\s+hire\s+question|quick\s+question|question)\s*:\s*", "", bare, flags=re.I)
    unframed = without_source(bare)  # a title's words ("... User Fee Amendments") ask for nothing
    if unframed != bare and rules.on("question.source_frame"):
        bare = unframed  # "According to <title> Should all ...?" asks "Should all ...?"
    last = last_question(bare)
    wants = wants_of(unframed)
    if wants and not rules.on("question.wants"):
        wants = ()
    superlative: Literal["max", "min"] | None = None
    target = ""
    sup = _SUPERLATIVE.search(last)
    if sup and (_VENDORS.search(last) or _FIGURE.search(last) or re.search(r"\bwhich\b", last, re.I)):
        superlative = "min" if sup.group("word").lower() in _SMALLEST else "max"
        after = re.findall(r"[A-Za-z][\w-]+", last[sup.end() :])
        target = next((w for w in after if w.lower() not in _TARGET_SKIP), "")
    for asked in _asked_sentences(bare):  # "What does X mean? Is it just Y?": the first question defines
        found = _definition_of(asked, wants, rules)
        if found is not None and found.terms and found.terms[0].lower() in ("that", "it", "this", "these", "those"):
            quoted = _QUOTED.search(bare)  # "GVP says the QPPV must be a 'natural person'. What does that mean?"
            found = replace(found, terms=(quoted.group("term"),)) if quoted else None
        if found is not None:
            return replace(found, text=text)
    named_vendor = any(v.lower() in last.lower() or v.split()[0].lower() in last.lower().split() for v in vendors)
    if _VENDORS.search(_DECIDE.sub(" ", last)) and not named_vendor and rules.on("kind.vendors"):
        return Query(text, "vendors", wants=wants, superlative=superlative, target=target, aspects=aspects_of(last))
    # "who does what" asks how the work is split
    if _WHO.search(last) and not _SPLIT_OF_ROLES.search(last) and rules.on("kind.who"):
        return Query(text, "who", wants=wants, action=_action_of(last))
    if (superlative or (_FIGURE.search(last) and wants)) and rules.on("kind.figure"):
        return Query(text, "figure", wants=wants, superlative=superlative, target=target)
    if _LIST.search(last) and rules.on("kind.list"):
        return Query(text, "list", (), wants)
    if _PROCEDURE.search(last) and rules.on("kind.procedure"):
        return Query(text, "procedure", (), wants)
    if _YESNO.search(last):
        return Query(text, "yesno", (), wants)
    return Query(text, "other", wants=wants, superlative=superlative, target=target, aspects=aspects_of(last))


_AUXILIARY = frozenset(
    "is are was were be been can could must should shall will would may might does do did has have had it "
    "the a an our their its to in charge of responsible allowed able required supposed meant going job "
    "duty role task responsibility signs sign".split()
)


def _action_of(question: str) -> str:
    """The verb a "who" question asks about: the first word after who/whose ... to that is not an auxiliary."""
    match = re.search(r"\b(?:who|whom|whose|which\s+\w+)\b(?P<rest>.*)$", question, re.I)
    if not match:
        return ""
    rest = match.group("rest")
    to = re.search(r"\bto\s+(?P<after>.*)$", rest)
    if re.match(r"^\s*(?:job|duty|role|task|responsibility)\b", rest.strip(), re.I) and to:
        rest = to.group("after")
    if re.search(r"\bsigns?\s+off\b", question, re.I):
        return "sign"
    for word in re.findall(r"[A-Za-z][\w-]*", rest):
        if word.lower() not in _AUXILIARY:
            return word
    return ""


_PARTS_OF = re.compile(
    r"^(?:main\s+|key\s+|typical\s+|usual\s+|different\s+)?(?:steps|stages|phases|parts|elements|types|kinds|"
    r"components|contents|requirements|responsibilities|criteria|reasons|benefits|risks)\s+(?:of|in|for)\b",
    re.I,
)


def _definition_of(sentence: str, wants: tuple[Want, ...], rules: Rules = ALL_ON) -> Query | None:
    """A difference or definition question, when the sentence is one."""
    for pattern in _DIFFERENCE:
        match = pattern.search(sentence)
        if match:
            a, b = _clean_term(match.group("a")), _clean_term(match.group("b"))
            if _is_short_term(a) and _is_short_term(b) and rules.on("kind.difference"):
                return Query(sentence, "difference", (a, b), wants)
    for pattern in _DEFINITION:
        match = pattern.search(sentence)
        if match:
            term = _clean_term(match.group("term"))
            if _PARTS_OF.match(term):
                return None  # "What are the steps of a tech transfer?" asks for a list, not a definition
            if _is_short_term(term) and not _FIGURE.search(sentence) and not wants:
                second = _SECOND_TERM.search(sentence)
                other = _clean_term(second.group("term")) if second else ""
                if other and _is_short_term(other) and other.lower() != term.lower() and rules.on("kind.difference"):
                    return Query(sentence, "difference", (term, other), wants)
                if rules.on("kind.definition"):
                    return Query(sentence, "definition", (term,), wants)
                return None
    return None


def _asked_sentences(text: str) -> list[str]:
    """The sentences of a message that ask something, in order (the whole text when none ends in '?')."""
    pieces = [p.strip() for p in re.split(r"(?<=[.?!])\s+(?=[A-Z])", text) if p.strip()]
    asked = [p for p in pieces if p.endswith("?")]
    return asked or [last_question(text)]


def last_question(text: str) -> str:
    """The sentence that asks: a message may set context first ("We use X. Where do we record it?")."""
    pieces = [p.strip() for p in re.split(r"(?<=[.?!])\s+(?=[A-Z])", text) if p.strip()]
    asked = [p for p in pieces if p.endswith("?")]
    return asked[-1] if asked else (pieces[-1] if pieces else text)


_ASKING = (
    r"(?:what|which|who|whom|whose|when|where|why|how|is|are|was|were|do|does|did|can|could|may|might|must|shall|"
    r"should|will|would|has|have|had)(?:['\u2019]s)?"
)
_FRAME_AT = re.compile(rf",\s+(?={_ASKING}\s)|\s(?=(?=(?-i:[A-Z])){_ASKING}\s)", re.I)
_NO_FRAME = re.compile(rf"^(?:{_ASKING}|if|once|after|before|unless|until|while|since|because|although|though)\b", re.I)
"""A sentence opening with its asking word, or with a condition ("If the CMO confirms an OOS, who decides?"), whose
words are part of what is asked."""


_SENTENCES = re.compile(r"(?<=[.?!])\s+(?=[A-Z])")
_TITLE_WORD = re.compile(r"^(?:[A-Z0-9#]|[a-z]+[A-Z0-9])")
_SMALL_WORDS = frozenset(
    "a an the of to in on for by with as at from per and or under according based this that these those its it "
    "is are be about into upon after before given having when while".split()
)


_WORD_EDGES = "\"'()[],.;:_-\u2018\u2019\u201c\u201d"
"""Punctuation stripped from a word's ends before it is judged title-cased or small."""


def is_source_frame(frame: str) -> bool:
    """A frame that names a document rather than a case: after its first word, its title-cased words and codes
    ("Annex 11", "Q9", "Labeling OTC Human Drug Products") outnumber its lower-case words ("For a drug
    labelling recall" names a case)."""
    words = [w.strip(_WORD_EDGES) for w in frame.split()[1:]]
    words = [w for w in words if w and w.lower() not in _SMALL_WORDS]
    titled = sum(bool(_TITLE_WORD.match(w)) for w in words)
    return titled > 0 and titled >= len(words) - titled


def without_source(question: str) -> str:
    """The question without the frames that name where to look ("According to <a guidance title>, what ...?"):
    what searching and scoring should match, as a title's words say nothing about which passage answers."""
    sentences = _SENTENCES.split(" ".join(question.split()))
    out = [_without_source_frame(s) for s in sentences]
    return question if out == sentences else " ".join(out)


def _without_source_frame(sentence: str) -> str:
    """The sentence without an opening frame that names a document, else the whole sentence.

    The frame runs over the comma-separated parts that read as a title (a title may hold commas: "Chemistry,
    Manufacturing, and Controls") and ends before the first part that reads as a sentence, so a condition after it
    stays ("Per <title>, if a wholesaler has ADR status, is it ...?"). A frame of one or two title words ("In
    Europe") goes only before an asking word or a condition. Without such commas, the sentence from its asking word
    on ("As per <a guidance title> Can a ...?")."""
    parts = sentence.split(", ")
    if len(parts) >= 2 and is_source_frame(parts[0]) and asked_part(parts[0]) == parts[0]:
        long = _long_source_frame(parts[0])
        end = 1
        while end < len(parts) - 1 and _titled(parts[end]):
            end += 1
        rest = ", ".join(parts[end:])
        inner = asked_part(rest)  # the title's last part runs into the question: "... Animal Drugs Should all ...?"
        if inner != rest and _titled(rest[: len(rest) - len(inner)]):
            rest = inner
        if (long or not _NO_FRAME.match(sentence)) and (long or _NO_FRAME.match(rest)):
            return rest
    asked = asked_part(sentence)
    return asked if asked != sentence and is_source_frame(sentence[: len(sentence) - len(asked)]) else sentence


def _long_source_frame(frame: str) -> bool:
    """A frame naming a document by a title of at least three title-cased words or codes, which runs to its end
    ("Upon checking the information in CVM GFI #156 Comparability Protocols")."""
    words = [w.strip(_WORD_EDGES) for w in frame.split()[1:]]
    title = next(
        (words[n:] for n, w in enumerate(words) if w and _TITLE_WORD.match(w) and _titled(" ".join(words[n:]))), []
    )
    return is_source_frame(frame) and sum(bool(w and _TITLE_WORD.match(w)) for w in title) >= 3


def _titled(part: str) -> bool:
    """A comma-separated part of a title ("Manufacturing", "and Controls Information for New Animal Drugs"): every
    word but the small ones title-cased."""
    words = [w.strip(_WORD_EDGES) for w in part.split()]
    words = [w for w in words if w and w.lower() not in _SMALL_WORDS]
    return bool(words) and all(_TITLE_WORD.match(w) for w in words)


def asked_part(sentence: str) -> str:
    """The question proper of a sentence that first says where to look: "According to ICH Q7, what ...?", "In Q9
    language, what's ...?", "As per <a guidance title> Can a ...?" give the part from the asking word on. A
    sentence opening with a condition keeps it, unless the condition names a document by a long title ("After
    reviewing <title>, does ...?")."""
    if _NO_FRAME.match(sentence) and not _long_source_frame(sentence.split(", ")[0]):
        return sentence
    for match in _FRAME_AT.finditer(sentence):
        frame = sentence[: match.start()]
        if len(frame.split()) >= 2 and "?" not in frame:
            return sentence[match.end() :].strip()
    return sentence


_NAME = re.compile(
    r"(?<![\w.-])(?:[A-Z][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)+|[A-Z][A-Za-z]*[A-Z][A-Za-z0-9]*|[A-Z][a-z]{2,}"
    r"|[A-Z]{1,3}\d{1,4}[A-Za-z]?|\d{2,4}\.\d{1,4}[a-z]?)(?:'s)?(?![\w-])"
)
_COMMON_CAPITALISED = frozenset(
    "I I'm I've What Who Which When Where Why How Does Do Did Is Are Was Were Can Could Should Would Will "
    "Shall May Might Must Has Have Had Tell Please Compare List Describe Explain Give Show And But Or The "
    "A An Our We Their They It Its This That These Those Also So Then Ok Okay Hi Hello Thanks Just New "
    "Quick Question Under In On For Since If As At By From With About According Roughly Across Apart "
    "Before After Walk Let Here There My Your Yes No Not Any Some All Each Every Both Either Neither "
    "Other Another Such Same Us US EU UK".split()
)


def names_in(question: str, proper_only: bool = False) -> list[str]:
    """Proper names, acronyms and clause numbers a question mentions ("Lonza", "NMPA", "211.67"), in order.

    Capitalised words count only away from a sentence's start; common function words never count. With
    `proper_only`, acronyms are left out (documents often spell them out: "Qualified Person" for QP) and so
    are names after "our"/"my" (the asker's own "Singapore office").
    """
    out: list[str] = []
    for sentence in re.split(r"(?<=[.?!:;])\s+", question.strip()):
        for match in _NAME.finditer(sentence):
            word = match.group(0)
            if word.endswith("'s"):
                word = word[:-2]
            if match.start() == 0 and not (word.isupper() or any(c.isdigit() for c in word)):
                continue
            if word in _COMMON_CAPITALISED or word.lower() in ("the",):
                continue
            if proper_only and (_is_acronym(word) or _OWN.search(sentence[: match.start()])):
                continue
            if word not in out:
                out.append(word)
    return out


_OWN = re.compile(r"\b(?:our|my|your|their|its)\s+$", re.I)


def _is_acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return bool(letters) and sum(c.isupper() for c in letters) >= 2 and not any(c.isdigit() for c in word[-1:])
