"""Written sentences checked for meaning: a sentence whose words its passage holds but whose meaning it changes
(another party, number, negation, scope or thing) is dropped; faithful paraphrases are kept. Plain strings, the
real embedder (the check before `assistant.meaning` kept every changed sentence below)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.chunking import split_sentences
from assistant.config import Settings
from assistant.embeddings import Embedder
from assistant.index import Index
from assistant.meaning import conflicts
from assistant.rules import Rules
from assistant.types import Sentence
from assistant.writing import SentenceChecker

Case = tuple[str, str, str]
"""(passage, a faithful paraphrase that must be kept, the same claim changed in one respect, to be dropped)"""

CASES: dict[str, list[Case]] = {
    "party": [
        (
            "The owner's quality unit must approve or reject drug products manufactured by the CMO.",
            "Drug products manufactured by the CMO must be approved or rejected by the product owner's quality unit.",
            "The quality control unit of the CMO must approve or reject the drug products manufactured by the CMO.",
        ),
        (
            (
                "The contract giver is responsible for assessing the competence of the contract acceptor to carry out"
                " the work successfully."
            ),
            (
                "Assessing whether the contract acceptor is competent to carry out the work successfully is the "
                "responsibility of the contract giver."
            ),
            (
                "The contract acceptor is responsible for assessing the competence of the contract giver to carry out"
                " the work successfully."
            ),
        ),
        (
            "The sponsor must notify FDA of any change to the approved application.",
            "Any change to the approved application must be notified to FDA by the sponsor.",
            "FDA must notify the sponsor of any change to the approved application.",
        ),
        (
            "The supplier must notify the quality unit 60 days before any change of raw material source.",
            "Sixty days before any change of raw material source, the supplier must notify the quality unit.",
            "The quality unit must notify the supplier 60 days before any change of raw material source.",
        ),
        (
            "Under the quality agreement, the CMO performs the stability testing and the owner reviews the results.",
            "The owner reviews the results of the stability testing that the CMO performs under the quality agreement.",
            "Under the quality agreement, the owner performs the stability testing and the CMO reviews the results.",
        ),
    ],
    "negation": [
        (
            (
                "The contract acceptor may not subcontract to a third party any of the work entrusted to him under "
                "the contract without the contract giver's prior evaluation and approval of the arrangements."
            ),
            (
                "The contract acceptor is not permitted to subcontract work entrusted under the contract to a third "
                "party without the contract giver's prior evaluation and approval."
            ),
            (
                "The contract acceptor may subcontract work entrusted under the contract to a third party without the"
                " contract giver's prior evaluation and approval."
            ),
        ),
        (
            "Batches must not be released for sale before the Qualified Person has certified them.",
            "A batch may not be released for sale until the Qualified Person has certified it.",
            "Batches may be released for sale before the Qualified Person has certified them.",
        ),
        (
            "Rejected materials must never be reused in production.",
            "Materials that were rejected must not be reused in production.",
            "Rejected materials may be reused in production.",
        ),
        (
            "The owner is not permitted to delegate its responsibility for batch release to the CMO.",
            "The owner may not delegate its responsibility for batch release to the CMO.",
            "The owner is permitted to delegate its responsibility for batch release to the CMO.",
        ),
        (
            "No batch may be shipped to the market before its release by the Qualified Person.",
            "A batch must not be shipped to the market before its release by the Qualified Person.",
            "A batch may be shipped to the market before its release by the Qualified Person.",
        ),
    ],
    "number": [
        (
            "The supplier must notify the quality unit 60 days before any change of raw material source.",
            "The supplier must notify the quality unit sixty days before any change of raw material source.",
            "The supplier must notify the quality unit 30 days before any change of raw material source.",
        ),
        (
            "Two production batches must be placed on stability each year.",
            "Each year, two production batches must be placed on stability.",
            "Three production batches must be placed on stability each year.",
        ),
        (
            "Records must be retained for at least one year after the expiry date of the batch.",
            "Records of a batch must be retained for at least a year after its expiry date.",
            "Records must be retained for at least five years after the expiry date of the batch.",
        ),
        (
            "The CMO must report a critical deviation to the owner within 24 hours of discovery.",
            "A critical deviation must be reported to the owner by the CMO within 24 hours of its discovery.",
            "The CMO must report a critical deviation to the owner within 48 hours of discovery.",
        ),
        (
            "The annual product review covers all batches manufactured during the previous twelve months.",
            "All batches manufactured during the previous 12 months are covered by the annual product review.",
            "The annual product review covers all batches manufactured during the previous six months.",
        ),
    ],
    "scope": [
        (
            "Data integrity controls are assessed at the site level during the pre-approval inspection.",
            "During the pre-approval inspection, data integrity controls are assessed at site level.",
            "Data integrity controls are assessed at the process level during the pre-approval inspection.",
        ),
        (
            "Each batch must be tested against its specification before release.",
            "Every batch must be tested against its specification before release.",
            "Some batches must be tested against their specification before release.",
        ),
        (
            "Suppliers of starting materials are qualified on a material-by-material basis.",
            "Starting material suppliers are qualified on a material-by-material basis.",
            "Suppliers of starting materials are qualified on a site-by-site basis.",
        ),
        (
            "The stability programme covers all strengths and all container closure systems.",
            "All strengths and all container closure systems are covered by the stability programme.",
            "The stability programme covers some strengths and all container closure systems.",
        ),
        (
            "Cleaning validation is required at the product level for dedicated equipment.",
            "For dedicated equipment, cleaning validation is required at the product level.",
            "Cleaning validation is required at the equipment level for dedicated equipment.",
        ),
    ],
    "thing": [
        (
            "The quality agreement should describe how the computerized system is validated and maintained.",
            "How the computerized system is validated and maintained should be described in the quality agreement.",
            "The quality agreement should describe how the computerized operating system is validated and maintained.",
        ),
        (
            "The CMO keeps the executed batch record for each lot.",
            "For each lot, the executed batch record is kept by the CMO.",
            "The CMO keeps the executed master batch record for each lot.",
        ),
        (
            "The owner approves any change of raw material supplier.",
            "Any change of raw material supplier is approved by the owner.",
            "The owner approves any change of packaging material supplier.",
        ),
        (
            "Environmental monitoring of the aseptic filling area is performed during every shift.",
            "During every shift, environmental monitoring of the aseptic filling area is performed.",
            "Environmental monitoring of the aseptic packaging area is performed during every shift.",
        ),
        (
            "The release specification for the drug substance is agreed in the quality agreement.",
            "The quality agreement sets out the agreed release specification for the drug substance.",
            "The stability specification for the drug substance is agreed in the quality agreement.",
        ),
    ],
}


def keeps(embedder: Embedder, passage: str, text: str, rules: Rules | None = None) -> tuple[bool, list[str]]:
    """Whether a fresh checker keeps the sentence citing the passage, and the meaning conflicts it found."""
    checker = SentenceChecker(
        [passage], lambda texts: np.asarray(embedder.embed_documents(texts), dtype=np.float32), rules=rules or Rules()
    )
    kept = checker.check(Sentence(text, (1,)))
    return kept is not None, checker.state.conflicts.get(text, [])


def run(embedder: Embedder, kind: str, case: Case) -> None:
    passage, faithful, changed = case
    assert keeps(embedder, passage, faithful) == (True, [])
    kept, reasons = keeps(embedder, passage, changed)
    assert not kept and any(r.startswith(kind) for r in reasons), reasons


@pytest.mark.parametrize("case", CASES["party"])
def test_a_sentence_giving_the_act_to_another_party_is_dropped(embedder: Embedder, case: Case) -> None:
    run(embedder, "party", case)


@pytest.mark.parametrize("case", CASES["negation"])
def test_a_sentence_dropping_a_negation_is_dropped(embedder: Embedder, case: Case) -> None:
    run(embedder, "negation", case)


@pytest.mark.parametrize("case", CASES["number"])
def test_a_sentence_changing_a_number_is_dropped(embedder: Embedder, case: Case) -> None:
    run(embedder, "number", case)


@pytest.mark.parametrize("case", CASES["scope"])
def test_a_sentence_changing_a_level_or_scope_is_dropped(embedder: Embedder, case: Case) -> None:
    run(embedder, "scope", case)


@pytest.mark.parametrize("case", CASES["thing"])
def test_a_sentence_turning_the_thing_into_another_is_dropped(embedder: Embedder, case: Case) -> None:
    run(embedder, "thing", case)


def test_the_meaning_check_is_a_named_rule_that_can_be_switched_off(embedder: Embedder) -> None:
    passage, _, changed = CASES["number"][0]
    tracked = Rules().tracking()
    assert keeps(embedder, passage, changed, tracked)[0] is False and tracked.fired == {"writing.meaning"}
    assert keeps(embedder, passage, changed, Rules(frozenset({"writing.meaning"})))[0] is True


def test_a_sentence_taking_one_clause_keeps_that_clauses_polarity(embedder: Embedder) -> None:
    passage = "The CMO manufactures the batch, but the owner does not release it before the review."
    assert keeps(embedder, passage, "The CMO manufactures the batch.") == (True, [])
    kept, reasons = keeps(
        embedder, passage, "The CMO manufactures the batch and the owner releases it before the review."
    )
    assert not kept and reasons == ["negation: the sentence is positive, the passage is not"]


def test_every_sentence_of_the_shipped_documents_agrees_with_its_own_passage(
    corpus_index: tuple[Index, Settings],
) -> None:
    index, _ = corpus_index
    found = {}
    for chunk in index.iter_chunks():
        for sentence in split_sentences(" ".join(chunk.text.split())):
            if conflicts(sentence, chunk.text):
                found[sentence] = conflicts(sentence, chunk.text)
    assert found == {}  # a quote is never a change of meaning (1,192 sentences)


def test_a_modifier_naming_what_the_whole_document_is_about_is_no_other_thing(embedder: Embedder) -> None:
    passage = "The quality control unit has the authority to approve or reject products made under contract."
    written = "The quality control unit has the authority to approve or reject drug products made under contract."
    embed = lambda texts: np.asarray(embedder.embed_documents(texts), dtype=np.float32)  # noqa: E731
    about_drugs = SentenceChecker([passage], embed, titles=["Contract Manufacturing Arrangements for Drugs"])
    assert about_drugs.check(Sentence(written, (1,))) is not None  # a guidance on drugs: its products are drugs
    # without a title naming drugs, the inserted word still reads as another thing
    assert keeps(embedder, passage, written)[0] is False
    other = SentenceChecker([passage], embed, titles=["Computerised Systems"])
    operating = (
        "The quality control unit has the authority to approve or reject operating products made under contract."
    )
    assert other.check(Sentence(operating, (1,))) is None
