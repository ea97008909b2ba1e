"""List and steps answers: "What must a quality agreement cover?", "How do we qualify a CMO?" are answered with a
lead-in and its items, or with a section's intro and its subsections (or the section's own "Key points" list, for
the steps of what the whole section covers)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answering.base import Context, Rescore, Strategy
from assistant.answering.terms import weighted_overlap
from assistant.answering.units import ANAPHOR, BULLET, Piece, Unit, pieces_of, with_items_text
from assistant.chunking import split_sentences
from assistant.questions import NEGATION, Query, main_clause
from assistant.textmatch import content_terms
from assistant.tuning import QuoteTuning
from assistant.types import Chunk


class Listing(Strategy):
    """A lead-in with its items, or a section intro with its subsections, when one scores near the best unit."""

    shape = "list"
    rule = "strategy.list"
    needs = frozenset({"outlines"})

    def applies(self, query: Query, ctx: Context) -> bool:
        return query.asks_list

    def compose(
        self, query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context, rescore: Rescore
    ) -> list[Piece]:
        return _list_answer(query, units, scores, ctx)


def _list_answer(query: Query, units: Sequence[Unit], scores: Sequence[float], ctx: Context) -> list[Piece]:
    """A lead-in with its items, or a section intro with its subsections, when one beats the best plain unit."""
    best_plain = max((scores[i] for i, u in enumerate(units) if u.form != "lead"), default=0.0)
    leads = [i for i, u in enumerate(units) if u.form == "lead"]
    best_lead = max(leads, key=lambda i: scores[i], default=None)
    outline = _best_outline(units, scores, ctx)
    options: list[tuple[float, str, int]] = []
    if best_lead is not None:
        options.append((scores[best_lead], "lead", best_lead))
    if (
        outline is not None
        and _outline_answers(query, units[outline], scores[outline], best_plain, ctx)
        and ctx.rules.on("strategy.outline")
    ):
        options.append((scores[outline] + ctx.compose.outline, "outline", outline))
    if not options:
        return []
    score, how, index = max(options)
    lead_continues = how == "lead" and units[index].anaphoric and units[index].previous is None
    if lead_continues and ctx.rules.on("strategy.outline"):
        # "Beyond the elements above, ... also cover:" continues a list given earlier: the outline of the section
        # it belongs to is that list
        parent = next((root for root, kids in ctx.outlines.items() if units[index].passage in kids), None)
        first = next((i for i, u in enumerate(units) if u.passage == parent and u.form == "sentence"), None)
        if first is None:
            return []
        score, how, index = scores[first] + ctx.compose.outline, "outline", first
    if score < best_plain * ctx.quote.ratio:
        return []
    if query.negative and not NEGATION.search(with_items_text(units[index], units)):
        return []  # "What won't they fill?" is not answered by a list of what they do
    unit = units[index]
    if how == "lead":
        antecedent = [unit.previous] if unit.anaphoric and unit.previous is not None else []
        return pieces_of(units, [*antecedent, index], ctx.quote.list_items)
    if unit.passage in ctx.summaries and _SEQUENCE.search(main_clause(query.text)) and ctx.rules.on("strategy.summary"):
        return _summary(ctx.summaries[unit.passage], ctx)
    pieces = [Piece(unit.text, (unit.passage,), unit=index)]
    root = ctx.passages[unit.passage].section
    depth = len(root.split(" > ")) if root else 0
    children = [(c, ctx.passages[c].section.split(" > ")[depth].strip()) for c in ctx.outlines.get(unit.passage, [])]
    children = [(c, heading) for c, heading in children if not _BACK_MATTER.match(heading)]
    for child, heading in children[: ctx.quote.list_items]:
        pieces.append(_outline_item(ctx.passages[child], child, ctx.quote, query.text, heading))
    return pieces


def _outline_answers(query: Query, unit: Unit, score: float, best: float, ctx: Context) -> bool:
    """Whether a section's subsections may answer: its intro scores near the best unit, and a procedure ("How
    should we deal with subcontracting ...?") must name what the section heading names."""
    if score < best * ctx.compose.outline_share:
        return False
    if query.kind == "list":
        return True
    chunk = ctx.passages[unit.passage]
    heading = chunk.section.split(" > ")[-1] if chunk.section else chunk.title
    named = {t for v in ctx.vendors for t in content_terms(v)}
    return bool((set(content_terms(main_clause(query.text))) - named) & set(content_terms(heading)))


def _best_outline(units: Sequence[Unit], scores: Sequence[float], ctx: Context) -> int | None:
    """The best-scoring first unit of a passage that opens a section with two or more subsections."""
    best: int | None = None
    for passage, children in ctx.outlines.items():
        if len(children) < 2:
            continue
        firsts = [i for i, u in enumerate(units) if u.passage == passage and u.form == "sentence"]
        if not firsts:
            continue
        first = firsts[0]
        if best is None or scores[first] > scores[best]:
            best = first
    return best


_BACK_MATTER = re.compile(
    r"^(?:key\s+points|summary|in\s+summary|conclusions?|references?|see\s+also|further\s+reading|contacts?|"
    r"contact\s+us|glossary|abbreviations|acronyms|annex(?:es)?|appendix|appendices|footnotes?|notes?)\b",
    re.I,
)


_SUMMARY = re.compile(
    r"^(?:key\s+(?:points|messages|takeaways|facts)|(?:in\s+)?summary|at\s+a\s+glance|in\s+brief|main\s+points)\s*$",
    re.I,
)


def summary_items(chunk: Chunk) -> list[str]:
    """The list items of a chunk, without their bullets (empty when its text is not a list)."""
    lines = [ln for ln in chunk.text.splitlines() if ln.strip()]
    items = [BULLET.sub("", ln).strip() for ln in lines if BULLET.match(ln)]
    return items if items and len(items) >= len(lines) - 1 else []


def is_summary(chunk: Chunk, root: Chunk) -> bool:
    """Whether a chunk opens the summary subsection ("Key points", "Summary") of the section the root opens, and
    that summary is a list."""
    prefix = f"{root.section} > " if root.section else ""
    if not chunk.section.startswith(prefix):
        return False
    heading = chunk.section[len(prefix) :].split(" > ")[0].strip()
    last = chunk.section.split(" > ")[-1].strip()
    return bool(_SUMMARY.match(heading)) and heading == last and len(summary_items(chunk)) >= 2


def _summary(indexes: Sequence[int], ctx: Context) -> list[Piece]:
    """A section's own summary list as the answer to a question about the steps of what the whole section covers:
    a document organised by stage names its stages in headings, while its "Key points" say what each one does
    (for "what types ...", the headings are the types, and the outline stays)."""
    first = ctx.passages[indexes[0]]
    heading = first.section.split(" > ")[-1].strip()
    items: dict[str, int] = {}  # overlapping chunks repeat items
    for i in indexes:
        for text in summary_items(ctx.passages[i]):
            items.setdefault(text, i)
    chosen = list(items.items())[: ctx.quote.list_items]
    frame = Piece(f"{heading} of {first.title}:" if first.title else f"{heading}:", (indexes[0],), frame=True)
    return [frame, *(Piece(text, (i,), item=True) for text, i in chosen)]


_SEQUENCE = re.compile(r"\b(?:steps?|stages?|phases?|process|procedure|path|workflow|lifecycle|milestones?)\b", re.I)


def _outline_item(chunk: Chunk, index: int, tuning: QuoteTuning, question: str, heading: str) -> Piece:
    """A subsection as a list item: "Heading: sentence", the sentence being the one of its first three
    (`item_sentences`) that shares most with the question (short and not opening with "This"), or the heading
    alone."""
    lines = [BULLET.sub("", ln.strip()) for ln in chunk.text.splitlines() if ln.strip()]
    first = tuning.item_sentences
    sentences = [s for line in lines[:first] for s in split_sentences(line)][:first]
    usable = [
        s
        for s in sentences
        if len(s.split()) <= tuning.item_words and not ANAPHOR.match(s) and not s.rstrip().endswith(("?", ":"))
    ]
    if not usable:
        return Piece(heading, (index,), item=True)
    best = max(usable, key=lambda s: (weighted_overlap(question, s, heading), -sentences.index(s)))
    return Piece(f"{heading}: {best}", (index,), item=True)
