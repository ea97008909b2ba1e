"""Question analysis and fact detectors, on plain strings."""

from __future__ import annotations

import pytest

from assistant import facts
from assistant.questions import analyse, aspects_of, main_clause

VENDORS = ["Aseptix Fill Solutions", "CellForge Biologics", "Meridian CDMO"]


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is a CMO?", "definition"),
        ("What does OAI mean on an FDA inspection?", "definition"),
        ("What is the difference between a CMO and a CDMO?", "difference"),
        ("Why do pharmaceutical companies choose CMOs?", "list"),
        ("What types of services do CMOs offer?", "list"),
        ("What must a quality agreement cover?", "list"),
        ("Which CMOs can fill sterile injectables?", "vendors"),
        ("Which of these CMOs can fill sterile injectables?", "vendors"),
        ("Who releases batches made by a CMO?", "who"),
        ("How long do we keep the PSMF after we shut down a PV system?", "figure"),
        ("Can our head of Production also be the head of Quality Control?", "yesno"),
        ("How do we qualify a new CMO?", "procedure"),
        ("What does Aseptix fill?", "other"),
        ("The vendor won't allow an audit. How else can the vendor be evaluated?", "list"),
        ("How would FDA's guidance rate the risk of that feature?", "other"),
        ("How would we qualify a second site?", "procedure"),
        ("What should I check when reviewing an executed batch record?", "list"),
        ("Walk me through how a batch made at a CMO gets released.", "procedure"),
        ("What usually happens during an on-site audit?", "procedure"),
        ("Our CMO reported a deviation. What should happen now, and who does what?", "procedure"),
        ("Who does what in an OOS investigation at a CMO?", "procedure"),
        ("What are the steps of a tech transfer?", "list"),
        ("What are the responsibilities of the QP?", "list"),
    ],
)
def test_kinds(question: str, kind: str) -> None:
    assert analyse(question, VENDORS).kind == kind


def test_terms_action_and_superlative() -> None:
    assert analyse("What is tech transfer?").terms == ("tech transfer",)
    assert analyse("what's data integrity mean for a contract lab").terms == ("data integrity",)  # typed casually
    reworking = "What's the difference between reprocessing and reworking an out-of-spec API batch?"
    assert analyse(reworking).terms == ("reprocessing", "reworking")  # the batch is what both act on
    assert analyse("What is the difference between a CMO and a CDMO?").terms == ("CMO", "CDMO")
    assert analyse("Who releases batches made by a CMO?").action == "releases"
    assert analyse("Under EU GMP, whose job is it to approve our contract manufacturers?").action == "approve"
    largest = analyse("Which CMO has the largest bioreactor?", VENDORS)
    assert (largest.kind, largest.superlative, largest.target) == ("vendors", "max", "bioreactor")


@pytest.mark.parametrize(
    ("question", "wants"),
    [
        ("Roughly how much does a CMO charge per batch for aseptic fill-finish?", ("price",)),
        ("What does Aseptix charge for filling one vial?", ("price",)),
        ("How long do we keep the PSMF?", ("duration",)),
        ("When was FDA's quality agreement guidance finalised?", ("date",)),
        ("How often do we test incoming crude heparin?", ("frequency",)),
        ("What is the maximum number of MAHs one QPPV may work for?", ("number",)),
        ("Which Chinese crude heparin suppliers has FDA approved?", ("companies",)),
        ("What must a quality agreement cover?", ()),
        # the asking word asks a time or a party: a fee the question names is its subject
        ("When should the fee for a re-audit be paid?", ()),
        ("Who pays the fee for a re-audit?", ()),
        ("What is the fee for a re-audit?", ("price",)),
        # a document's title asks for nothing
        ("According to Guidance on the Fee for a Supplier Audit, what must an audit report hold?", ()),
        ("How will the merger change the annual fee for a site?", ()),  # how it changes, not how much
        ("What level of detail should a deviation report hold?", ()),  # an extent of description
        ("When will the CMO receive the signed agreement?", ()),  # an event may answer it: no date needed
        ("When does Aseptix's EU GMP certificate expire?", ("date",)),
    ],
)
def test_wants(question: str, wants: tuple[str, ...]) -> None:
    assert analyse(question, VENDORS).wants == wants


def test_aspects_of_a_comparison() -> None:
    assert aspects_of("Compare them on capacity and certifications") == ("capacity", "certifications")
    assert aspects_of("Compare their capacity, certifications and inspection history?") == ()
    assert aspects_of("Compare Aseptix and Meridian in terms of inspection history") == ("inspection history",)


def test_fact_detectors_ignore_references() -> None:
    assert facts.has_number("The site has 3 isolator lines.")
    assert not facts.has_number("See section 2.7 and Article 104 of Directive 2001/83/EC.")
    assert facts.has_duration("Keep it for at least 5 years after the authorisation ends.")
    assert facts.has_duration("within 30 days")
    assert not facts.has_duration("The QPPV must reside in the EU.")
    assert facts.has_price("The fee is EUR 4,500 per batch.") and facts.has_price("$2.40 per vial")
    assert not facts.has_price("No prices are quoted in this document.")
    assert facts.has_date("finalised in November 2016")
    assert facts.has_date("due on the first business day on or after October 1 of each year")
    assert facts.has_date("by 2 May") and not facts.has_date("we may 5 times") and not facts.has_date("2 mg")
    assert facts.names_companies("Supplied by Acme Pharma GmbH.") and facts.names_companies(
        "Aseptix fills", ["Aseptix"]
    )
    assert not facts.names_companies("FDA approves no supplier.")
    assert facts.has_frequency("Test each lot of every shipment.") and facts.has_frequency("3 audits per year")
    assert not facts.has_frequency("from 50 capsules per batch")  # an amount per batch, not how often
    assert facts.has_frequency("The owner updates the list on a continuing basis.")


def test_an_acronym_is_spelled_out_by_the_initials_of_a_phrase_the_texts_repeat() -> None:
    from assistant.textmatch import spelled_out

    texts = ["The Qualified Person certifies.", "A Qualified Person(s) may delegate.", "Our Quality Policy."]
    assert spelled_out("QP", texts) == "Qualified Person"
    assert spelled_out("QP", texts[:1]) is None  # once is not enough
    assert spelled_out("Annex", texts) is None  # not an acronym


def test_quantities_compare_within_a_unit_family() -> None:
    found = facts.quantities("Three 2,000 L bioreactors and a 500 L one; fermenters up to 1.5 m3.")
    assert [(q.value, q.unit) for q in found] == [(2000.0, "l"), (500.0, "l"), (1500.0, "l")]


def test_the_main_clause_is_what_a_question_asks_about() -> None:
    asked = "How long must we keep the data after the product has been withdrawn from the market?"
    assert main_clause(asked) == "How long must we keep the data"
    assert main_clause("When does the certificate expire?") == "When does the certificate expire?"
    assert (
        main_clause("Background first. If the CMO confirms an OOS, who decides?")
        == "If the CMO confirms an OOS, who decides?"
    )


def test_a_count_can_be_a_labelled_value() -> None:
    assert facts.counts("Qualified Persons: 5, all based in Cork", "persons")
    assert facts.counts("Plant: Wroclaw | Tablets per year: 3.5 billion", "tablets")
    assert not facts.counts("Blister lines: 4", "tablets")


def test_a_person_or_a_rate_is_what_these_questions_ask_for() -> None:
    assert analyse("What is the name of the Qualified Person at the Cork site?").wants == ("person",)
    assert analyse("What is PackSure's on-time-in-full delivery rate?").wants == ("number",)


@pytest.mark.parametrize(
    ("question", "asked"),
    [
        ("Under Annex 11, who is responsible for the system?", "who is responsible for the system?"),
        ("According to ICH Q7, what is a batch?", "what is a batch?"),
        (
            "As per the details in Labeling OTC Human Drug Products Using a Column Format "
            "How do I present the warnings?",
            "How do I present the warnings?",
        ),
        ("If the CMO confirms an OOS, who decides?", "If the CMO confirms an OOS, who decides?"),
        ("What does ICH Q7 say, and how do we apply it?", "What does ICH Q7 say, and how do we apply it?"),
    ],
)
def test_a_frame_before_the_asking_word_is_not_the_question(question: str, asked: str) -> None:
    from assistant.questions import asked_part

    assert asked_part(question) == asked


def test_a_frame_naming_a_document_is_not_searched_a_frame_naming_a_case_is() -> None:
    from assistant.questions import without_source

    titled = "As explained in Labeling OTC Human Drug Products Using a Column Format, Do I need a table?"
    assert without_source(titled) == "Do I need a table?"
    assert without_source("Under Annex 11, who owns the system?") == "who owns the system?"
    case = "For a drug labelling recall, can we ask our wholesalers to relabel?"
    assert without_source(case) == case


def test_a_frame_naming_a_scope_or_a_case_is_searched_and_a_question_without_a_frame_is_kept_as_typed() -> None:
    from assistant.questions import without_source

    scope = "Across the vendor brochures, who reports the best and the worst deviation closure rate?"
    assert without_source(scope) == scope
    assert without_source("Without a quality agreement, who releases the batch?").startswith("Without")
    typed = "  What   is a CMO?\n"
    assert without_source(typed) == typed  # no frame: nothing to leave out, whitespace included


@pytest.mark.parametrize(
    ("question", "searched"),
    [
        (  # a title holding commas, then an instruction rather than an asking word
            "As set out in Sterile Products - Cleaning, Holding, and Transport of Containers, Describe the hold times.",
            "Describe the hold times.",
        ),
        (  # a condition after the title stays part of the question
            "Per the Guide to Contract Testing Laboratories, if the lab subcontracts a test, who approves it?",
            "if the lab subcontracts a test, who approves it?",
        ),
        (  # a lead-in that opens like a condition, naming a document by a long title
            "After reviewing Supplier Qualification for Drug Substance Makers, does the owner audit the site?",
            "does the owner audit the site?",
        ),
        (  # the title runs into the question without a comma
            "Based on Sterile Products - Cleaning, Holding, and Transport of Containers Must vials be washed?",
            "Must vials be washed?",
        ),
    ],
)
def test_a_frame_naming_a_document_goes_whatever_follows_it(question: str, searched: str) -> None:
    from assistant.questions import without_source

    assert without_source(question) == searched


def test_a_frame_naming_a_place_or_a_case_stays_before_an_instruction() -> None:
    from assistant.questions import without_source

    for kept in (
        "In Europe, list the CMOs that fill vials.",
        "For sterile products, describe the gowning.",
        "If the CMO confirms an OOS, who decides?",
        "Per the quality agreement, the CMO reports deviations, doesn't it?",
    ):
        assert without_source(kept) == kept


def test_what_a_figure_question_measures_leaves_out_the_document_it_names() -> None:
    from assistant.answering import measured

    question = "From what I've read in Assessing Audit Fees Under the Supplier Act of 2022, when are fees due?"
    about = measured(question, [])
    assert about and not about & {"assess", "audit", "act", "2022", "read", "supplier"}


def test_an_embedded_question_names_what_is_decided_not_the_fact_asked_for() -> None:
    tool = analyse("Which Q9 tool is the best fit for deciding which of our 40 suppliers and CMOs to audit first?")
    assert tool.kind != "vendors" and "companies" not in tool.wants  # it asks for a tool, not for companies
    assert analyse("how do we decide how often to audit our CMOs?").wants == ()
    assert analyse("Which CMOs can fill vials?").wants == ("companies",)  # asked in the main clause, it is wanted
