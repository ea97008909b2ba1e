"""Named answer rules: every hand-written rule that changes an answer has a name and can be switched off.

A rule is a question-kind pattern, a score adjustment, a composition strategy, a refusal gate or a retrieval
extra. Its site asks `rules.on("name")` right where the rule would act, after the rule's own condition, so that
`on` is asked only when the rule fires; a `Rules` made with `tracking()` records the names that fired for one
answer (the evals re-ask, for an ablation, only the questions where the ablated rule fired).

`Rules` travels explicitly: Settings.disabled_rules -> Assistant -> the per-answer `Rules` handed to question
analysis, retrieval extras, composition and the refusal gates. There is no module-level mutable state.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Rule:
    """One switchable rule: its name, what sort of rule it is, what it does, and where it acts."""

    name: str
    sort: str
    """question | score | strategy | refusal | retrieval | check"""
    does: str
    site: str
    tracked: bool = True
    """False for rules whose site cannot record firing (the shared retriever): an ablation re-asks every question."""


RULES: tuple[Rule, ...] = (
    # the question's words (service.stream, spelling.py): before search, routing and the refusal gates
    Rule(
        "question.spelling",
        "question",
        "misspelt words are corrected into the library's words before search and the gates",
        "service",
    ),
    # question kinds (questions._analyse): the kind decides which strategy, bonuses and gates apply
    Rule("kind.difference", "question", "'difference between X and Y' questions quote both definitions", "questions"),
    Rule("kind.definition", "question", "'what is X' questions lead with the unit that defines X", "questions"),
    Rule("kind.vendors", "question", "'which CMOs ...' questions survey every vendor", "questions"),
    Rule("kind.who", "question", "'who ...' questions favour units naming a party", "questions"),
    Rule("kind.figure", "question", "questions asking for a quantity become figure questions", "questions"),
    Rule("kind.list", "question", "'what are the ...' questions are answered with a list", "questions"),
    Rule("kind.procedure", "question", "'how do we ...' questions are answered with steps", "questions"),
    Rule(
        "question.wants", "question", "the kind of fact asked for (price, duration, number ...) is noted", "questions"
    ),
    Rule(
        "question.source_frame",
        "question",
        "a frame naming a document ('According to <title>, what ...') is left out of searching, scoring and the kind",
        "retrieval",
        tracked=False,
    ),
    # score adjustments (the registry in assistant/answering/adjustments.py), each with its ComposeTuning field
    Rule("score.definition", "score", "bonus for a unit defining the asked term (COMPOSE.definition)", "answering"),
    Rule("score.figure", "score", "bonus/penalty for holding the quantity asked for (COMPOSE.figure)", "answering"),
    Rule("score.party", "score", "bonus for naming a party in a who question (COMPOSE.party)", "answering"),
    Rule(
        "score.negation",
        "score",
        "bonus for a negated unit when the question is negated (COMPOSE.negation)",
        "answering",
    ),
    Rule("score.list_lead", "score", "bonus for a lead-in with its list (COMPOSE.list_lead)", "answering"),
    Rule("score.list_topic", "score", "a list's term overlap averaged with its lead-in and headings", "answering"),
    Rule("score.asking_sentence", "score", "a list's overlap averaged with the asking sentence's", "answering"),
    Rule(
        "score.answers_asked", "score", "bonus after a question the document asks (COMPOSE.answers_asked)", "answering"
    ),
    Rule("score.anaphor", "score", "penalty for 'This ...' without its antecedent (COMPOSE.anaphor)", "answering"),
    Rule("score.notice", "score", "penalty for a notice about the document (COMPOSE.notice)", "answering"),
    Rule("score.footnote", "score", "penalty for a unit from a page's footnotes (COMPOSE.footnote)", "answering"),
    # answer strategies (assistant/answering/strategies) and their steps
    Rule("strategy.difference", "strategy", "a difference answer quotes each term's definition", "answering"),
    Rule("strategy.definition", "strategy", "a definition answer leads with the defining unit", "answering"),
    Rule("strategy.list", "strategy", "a list or procedure answer quotes a lead-in with its items", "answering"),
    Rule("strategy.outline", "strategy", "a list answer may be a section intro with its subsections", "answering"),
    Rule("strategy.summary", "strategy", "a sequence question quotes a section's 'Key points' list", "answering"),
    Rule("strategy.figure_first", "strategy", "a figure answer starts at the unit stating the figure", "answering"),
    Rule(
        "strategy.yesno",
        "strategy",
        "a yes/no answer leads with its passage's own reply ('No.') when it quotes the sentence the reply opens",
        "answering",
    ),
    Rule(
        "strategy.continuation",
        "strategy",
        "a plain answer's best sentence brings the sentences after it in its passage",
        "answering",
    ),
    Rule(
        "strategy.runner_up_filter", "strategy", "runners-up from other passages must add to the question", "answering"
    ),
    Rule("strategy.asides", "strategy", "notices, footnotes and examples never join as runners-up", "answering"),
    Rule(
        "survey.region",
        "strategy",
        "a region in a vendor survey ('in Europe') matches the countries and cities the documents name",
        "answering",
    ),
    # refusal gates (service.stream, evidence)
    Rule("refuse.unknown_name", "refusal", "refuse when the question names what no passage mentions", "service"),
    Rule(
        "refuse.asked_names_only",
        "refusal",
        "an unknown name refuses only in the main clause, outside brackets, and never a clause number or month",
        "service",
    ),
    Rule("refuse.absent_document", "refusal", "refuse when the question names a document not held", "service"),
    Rule("refuse.off_topic", "refusal", "refuse when term coverage or similarity is too low", "service"),
    Rule("refuse.weak_evidence", "refusal", "refuse a loosely similar question without strong evidence", "service"),
    Rule("refuse.never_mentioned", "refusal", "refuse a fact question whose specific term no passage has", "service"),
    Rule(
        "refuse.word_family",
        "refusal",
        "a never-mentioned term whose word family the passages use ('notice'/'notify') is mentioned",
        "service",
    ),
    Rule("refuse.evidence_lacks", "refusal", "refuse when no chosen unit holds the kind of fact asked", "evidence"),
    Rule(
        "figure.asked_unit",
        "refusal",
        "a figure in the unit a 'how many' question counts, beside a term of the question, answers it",
        "answering",
    ),
    Rule(
        "figure.chosen_passage",
        "refusal",
        "before a figure refusal, a quoted passage's sentence stating the figure joins the answer",
        "evidence",
    ),
    Rule("refuse.low_score", "refusal", "refuse when the best unit scores under min_answer_score", "service"),
    # checks of written answers (writing.SentenceChecker)
    Rule(
        "writing.meaning",
        "check",
        "a written sentence changing a party, number, negation, scope or thing of its passage is dropped",
        "writing",
    ),
    # retrieval extras
    Rule("retrieval.definitions", "retrieval", "a definition question also searches each term's definition", "service"),
    Rule("retrieval.routing", "retrieval", "a named document or clause leads the results", "retrieval", tracked=False),
    Rule(
        "retrieval.list_continuation", "retrieval", "chunks continuing a list cut at a chunk edge are read", "evidence"
    ),
    Rule("retrieval.outlines", "retrieval", "list questions also read the subsections of the passages", "evidence"),
    Rule(
        "retrieval.rare_names",
        "retrieval",
        "a rare name in the question restricts the answer to passages naming it",
        "evidence",
    ),
)
KNOWN: dict[str, Rule] = {rule.name: rule for rule in RULES}


def parse_names(text: str | Iterable[str]) -> frozenset[str]:
    """Rule names from "a,b" or an iterable; an unknown name raises ConfigError listing the known ones."""
    names = [n.strip() for n in (text.split(",") if isinstance(text, str) else text) if n.strip()]
    unknown = sorted(set(names) - set(KNOWN))
    if unknown:
        raise ConfigError(f"Unknown rule name(s): {', '.join(unknown)}.", f"Choose from: {', '.join(sorted(KNOWN))}.")
    return frozenset(names)


@dataclass(frozen=True, slots=True)
class Rules:
    """Which rules are off; with `fired`, also a record of the rules asked about (that is, that fired)."""

    disabled: frozenset[str] = frozenset()
    fired: set[str] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        parse_names(self.disabled)

    def on(self, name: str) -> bool:
        """True unless the rule is switched off; records that it fired when tracking."""
        if name not in KNOWN:
            raise KeyError(f"No rule named {name!r} in assistant/rules.py")
        if self.fired is not None:
            self.fired.add(name)
        return name not in self.disabled

    def tracking(self) -> Rules:
        """The same switches with a fresh record of the rules that fire (one per answer)."""
        return Rules(self.disabled, set())


ALL_ON = Rules()
