"""The answer engine as strategies: each composition names the strategy that composed it and the score adjustments
behind the units it quotes; a strategy that is not confident gives way, and the plain answer stands last."""

from __future__ import annotations

import ast
from pathlib import Path

from assistant import answering
from assistant.answering import Context
from assistant.answering.adjustments import ADJUSTMENTS
from assistant.questions import Query, analyse
from assistant.rules import KNOWN, Rules
from assistant.types import Chunk

PACKAGE = Path(__file__).resolve().parent.parent / "assistant" / "answering"


def passage(text: str, n: int = 1, section: str = "Section", vendor: str | None = None) -> Chunk:
    doc_type = "brochure" if vendor else "guidance"
    return Chunk(f"id{n}", text, f"doc{n}.md", f"Doc {n}", doc_type, vendor, None, section, "sha", n)


def composed(
    query: Query, chunks: list[Chunk], sims: dict[str, float] | None = None, **ctx: object
) -> answering.Composition:
    units = answering.units_of(chunks)
    similarity = [(sims or {}).get(u.text, 0.5) for u in units]
    return answering.compose(query, units, similarity, Context(chunks, [1.0] * len(chunks), **ctx))  # type: ignore[arg-type]


AGREEMENT = passage("A quality agreement must cover:\n- change control;\n- complaints;\n- audits.", 1)
DEFINED = passage(
    "A contract manufacturing organization, or CMO, makes drug product for another company under a contract.",
    2,
    "What CMOs are > Contract manufacturing organization (CMO)",
)
RELEASE = passage(
    "The owner's quality unit releases each batch for sale. Release follows review of the batch record.", 3
)


def test_each_answer_names_the_strategy_that_composed_it() -> None:
    assert composed(analyse("What must a quality agreement cover?"), [AGREEMENT]).strategy == "list"
    assert composed(analyse("What is a CMO?"), [DEFINED, RELEASE]).strategy == "definition"
    assert composed(analyse("Who releases a batch made by a CMO?"), [RELEASE]).strategy == "who"
    assert composed(analyse("How many days notice before a change?"), [RELEASE]).strategy == "figure"
    assert composed(Query("batch release", "other"), [RELEASE]).strategy == "plain"
    assert composed(Query("batch release", "other"), [RELEASE], shape="cell").strategy == "cell"
    vendors = ["Aseptix", "Granula"]
    fill = passage("Aseptic fill-finish for vials and prefilled syringes.", 4, "Sterile", "Aseptix")
    survey = composed(analyse("Which CMOs can fill vials?", vendors), [fill], vendors=vendors, shape="survey")
    assert survey.strategy == "survey"


def test_a_strategy_that_is_not_confident_gives_way_to_the_plain_answer() -> None:
    # a list question over passages that hold no list: the list strategy composes nothing, plain answers
    plain = composed(analyse("What must a quality agreement cover?"), [RELEASE])
    assert plain.strategy == "plain" and plain.pieces[0].text.startswith("The owner's quality unit releases")
    # switched off by its rule, the definition strategy does not apply either
    off = composed(analyse("What is a CMO?"), [DEFINED, RELEASE], rules=Rules(frozenset({"strategy.definition"})))
    assert off.strategy == "plain"


def test_an_answer_names_the_adjustments_that_changed_its_quoted_units_only() -> None:
    # the who question: the quoted unit names a party and does what is asked; the anaphor penalty fired on no
    # quoted unit ("This ..." opens the other passage) and is not named
    other = passage("This is reviewed once a year.", 5)
    who = composed(analyse("Who releases a batch made by a CMO?"), [RELEASE, other], {other.text: 0.9})
    assert who.pieces[0].text == "The owner's quality unit releases each batch for sale."
    assert "score.party" in who.adjustments and "score.anaphor" not in who.adjustments
    definition = composed(analyse("What is a CMO?"), [DEFINED, RELEASE])
    assert definition.adjustments == ("score.definition",)
    assert set(definition.adjustments) <= {a.name for a in ADJUSTMENTS}


def test_every_adjustment_is_a_named_score_rule_and_no_strategy_imports_the_registry() -> None:
    assert all(KNOWN[a.name].sort == "score" for a in ADJUSTMENTS)
    assert {a.name for a in ADJUSTMENTS} == {name for name, rule in KNOWN.items() if rule.sort == "score"}
    for path in (PACKAGE / "strategies").glob("*.py"):
        imported = {
            node.module
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.ImportFrom) and node.module
        }
        imported |= {
            alias.name
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        assert "assistant.answering.adjustments" not in imported, path.name


def test_the_passages_a_strategy_needs_are_read_only_for_questions_it_applies_to() -> None:
    assert "outlines" in answering.needs(analyse("What must a quality agreement cover?"))
    assert "definitions" in answering.needs(analyse("What is a CMO?"))
    assert answering.needs(analyse("Who releases a batch made by a CMO?")) == frozenset()
    assert answering.needs(Query("capacity", "other"), shape="cell") == frozenset()


def test_a_yes_no_answer_leads_with_the_documents_own_reply_only_before_the_sentence_it_opens() -> None:
    question = analyse("According to the GLP Questions and Answers, do the GLPs apply to studies on cosmetics?")
    assert question.kind == "yesno"  # the frame naming the document is not the question
    cosmetics = passage(
        "No. Such studies on cosmetics are not carried out in support of a marketing permit. However, the GLPs "
        "represent good quality control.",
        1,
        "Answer 1",
    )
    answer = composed(
        question, [cosmetics], {"Such studies on cosmetics are not carried out in support of a marketing permit.": 0.8}
    )
    assert answer.strategy == "yesno"
    assert (
        answer.pieces[0].text == "No. Such studies on cosmetics are not carried out in support of a marketing permit."
    )
    # the best sentence is not the one the reply opens: the reply is not quoted, and the plain answer stands
    other = passage(
        "Yes. Toxicology studies need a written protocol. Studies on cosmetics are reviewed by the sponsor's "
        "toxicologist.",
        2,
        "Answer 2",
    )
    sims = {"Studies on cosmetics are reviewed by the sponsor's toxicologist.": 0.9}
    sims["Toxicology studies need a written protocol."] = 0.05
    later = composed(question, [other], sims)
    assert later.strategy == "plain"
    assert [p.text for p in later.pieces] == ["Studies on cosmetics are reviewed by the sponsor's toxicologist."]
