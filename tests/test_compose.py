"""Quote composition on plain strings: definitions lead, lists keep their lead-in, antecedents come along,
vendors are named first. Similarities are given, so each test says exactly what composition decides."""

from __future__ import annotations

from assistant import answering
from assistant.answering import Context
from assistant.questions import Query, analyse
from assistant.types import Chunk


def passage(text: str, n: int = 1, section: str = "Section", vendor: str | None = None) -> Chunk:
    doc_type = "brochure" if vendor else "guidance"
    return Chunk(f"id{n}", text, f"doc{n}.md", f"Doc {n}", doc_type, vendor, None, section, "sha", n)


def run(
    query: Query, chunks: list[Chunk], sims: dict[str, float] | None = None, headed: tuple[int, ...] = (), **ctx: object
) -> list[str]:
    units = answering.units_of(chunks, headed=headed)
    given = sims or {}
    similarity = [given.get(u.text, 0.5) for u in units]
    context = Context(chunks, [1.0] * len(chunks), **ctx)  # type: ignore[arg-type]
    if query.kind == "vendors":
        context.shape = "survey"
    return [p.text for p in answering.compose(query, units, similarity, context).pieces]


def test_a_definition_leads_with_the_defining_sentence_not_the_most_similar_one() -> None:
    chunks = [
        passage("The CMO's disposition is necessary but is not the final market release.", 1),
        passage(
            "A contract manufacturing organization, or CMO, makes drug product for another company under a contract. "
            "A CMO works to the client's process.",
            2,
            "What CMOs are > Contract manufacturing organization (CMO)",
        ),
    ]
    sims = {"The CMO's disposition is necessary but is not the final market release.": 0.8}
    pieces = run(analyse("What is a CMO?"), chunks, sims)
    assert pieces[0].startswith("A contract manufacturing organization, or CMO, makes")
    assert "disposition" not in " ".join(pieces)


def test_a_synonym_statement_is_not_the_definition_an_expansion_is() -> None:
    chunks = [
        passage("OAI is synonymous with the definition of a Situation I inspection in the compliance program.", 1),
        passage("- Official Action Indicated (OAI): one or more major deficiencies were found.", 2, "Definitions"),
    ]
    sims = {chunks[0].text: 0.9}
    assert run(analyse("What does OAI mean?"), chunks, sims)[0].startswith("Official Action Indicated (OAI)")


def test_a_glossary_entry_defines_its_heading() -> None:
    chunks = [passage("A test result outside the approved specification. It triggers an investigation.", 1, "O > OOS")]
    assert run(analyse("What is OOS?"), chunks)[0] == "A test result outside the approved specification."


def test_a_difference_gives_one_definition_per_term() -> None:
    chunks = [
        passage("A contract manufacturing organization, or CMO, makes drug product for another company.", 1),
        passage("A contract development and manufacturing organization, or CDMO, adds development work.", 2),
    ]
    pieces = run(analyse("What is the difference between a CMO and a CDMO?"), chunks)
    assert [p.split(",")[0] for p in pieces] == [
        "A contract manufacturing organization",
        "A contract development and manufacturing organization",
    ]


def test_a_list_question_gets_the_lead_in_with_its_items() -> None:
    chunks = [passage("A quality agreement must cover:\n- change control;\n- complaints;\n- audits.", 1)]
    pieces = run(analyse("What must a quality agreement cover?"), chunks)
    assert pieces == ["A quality agreement must cover:", "change control;", "complaints;", "audits."]


def test_a_section_intro_with_subsections_becomes_an_outline_list() -> None:
    intro = passage("Companies outsource for several reasons.", 1, "Why outsource")
    cost = passage("Outsourcing turns fixed cost into variable cost.", 2, "Why outsource > Capital and running costs")
    speed = passage("A provider can start work sooner.", 3, "Why outsource > Speed to market")
    pieces = run(analyse("Why do companies outsource?"), [intro, cost, speed], outlines={0: [1, 2]})
    assert pieces == [
        "Companies outsource for several reasons.",
        "Capital and running costs: Outsourcing turns fixed cost into variable cost.",
        "Speed to market: A provider can start work sooner.",
    ]


def test_the_steps_of_a_whole_document_come_from_its_key_points_and_its_types_from_its_sections() -> None:
    intro = passage("Moving a process to a CMO takes several workstreams.", 1, "")
    team = passage("A transfer needs a named team on both sides.", 2, "Project team")
    gaps = passage("A gap analysis compares what the process needs with what the site has.", 3, "Gap analysis")
    summary = passage(
        "- Start with a joint team and an approved protocol.\n- Gap analysis drives actions.", 4, "Key points"
    )
    chunks = [intro, team, gaps, summary]
    assert answering.is_summary(summary, intro) and not answering.is_summary(gaps, intro)

    def answer(question: str) -> list[str]:
        return run(analyse(question), chunks, outlines={0: [1, 2]}, summaries={0: [3]})

    assert answer("What are the main stages of a transfer to a CMO?") == [
        "Key points of Doc 4:",
        "Start with a joint team and an approved protocol.",
        "Gap analysis drives actions.",
    ]
    assert answer("What types of work does a transfer to a CMO involve?")[1:] == [
        "Project team: A transfer needs a named team on both sides.",
        "Gap analysis: A gap analysis compares what the process needs with what the site has.",
    ]


def test_an_outline_does_not_answer_when_its_intro_scores_well_below_the_best_unit() -> None:
    intro = passage("Every filling line was built as an isolator line.", 1, "Inside an isolator line")
    ports = passage("Components enter through transfer ports.", 2, "Inside an isolator line > Closed transfers")
    lyo = passage("Stoppering happens inside the chamber.", 3, "Inside an isolator line > Lyophilisation")
    limits = passage("We do not fill cytotoxic products or beta-lactams.", 4, "Products we fill")
    sims = {"Every filling line was built as an isolator line.": 0.7, limits.text: 0.9}
    pieces = run(
        analyse("What kinds of products won't they fill?"), [intro, ports, lyo, limits], sims, outlines={0: [1, 2]}
    )
    assert pieces == [limits.text]


def test_a_procedure_gets_an_outline_only_from_a_section_named_for_what_it_asks() -> None:
    def outline_for(heading: str) -> list[str]:
        intro = passage("Work passed on to another company needs control.", 1, heading)
        kids = [
            passage("List every approved subcontractor.", 2, f"{heading} > In the agreement"),
            passage("ICH Q7 requires approval.", 3, f"{heading} > What the rules require"),
        ]
        return run(analyse("How should we deal with subcontracting?"), [intro, *kids], outlines={0: [1, 2]})

    assert outline_for("Subcontracting rules")[1:] == [
        "In the agreement: List every approved subcontractor.",
        "What the rules require: ICH Q7 requires approval.",
    ]
    assert not any(": " in piece for piece in outline_for("Filling lines"))


def test_a_list_right_under_its_heading_has_the_heading_as_its_lead_in() -> None:
    contents = passage(
        "- Scope of the transfer.\n- Acceptance criteria.", 1, "The protocol > Typical protocol contents"
    )
    intro = passage("The protocol is the approved plan for the transfer.", 2, "The protocol > What the protocol is for")
    units = answering.units_of([contents, intro], headed=(0,))
    assert (units[0].text, units[0].form, units[0].heading, units[0].items) == (
        "Typical protocol contents:",
        "lead",
        True,
        (1, 2),
    )
    pieces = answering.compose(
        analyse("What should a tech transfer protocol contain?"),
        units,
        [0.6, 0.5, 0.5, 0.7],
        Context([contents, intro], [1.0, 1.0]),
    ).pieces
    assert [(p.text, p.frame, p.item) for p in pieces] == [
        ("Typical protocol contents:", True, False),
        ("Scope of the transfer.", False, True),
        ("Acceptance criteria.", False, True),
    ]
    assert answering.units_of([contents])[0].form == "item"  # a chunk not known to open its section: no heading


def test_an_item_quoted_alone_does_not_bring_a_heading_made_lead_in() -> None:
    rules = passage(
        "- 21 CFR 211.22(a) gives the quality unit the final say.\n- 21 CFR 200.10(b) covers contract sites.",
        1,
        "What the rules say",
    )
    sims = {"21 CFR 211.22(a) gives the quality unit the final say.": 0.9}
    assert run(
        analyse("Under which regulation does the quality unit keep the final say?"), [rules], sims, headed=(0,)
    ) == ["21 CFR 211.22(a) gives the quality unit the final say."]


def test_a_negated_question_is_answered_by_the_negated_sentence() -> None:
    chunks = [
        passage("Aseptix turns your formulated bulk into sterile, labelled units.", 1, vendor="Aseptix"),
        passage("We do not fill cytotoxic drugs or beta-lactams.", 2, "Products we do not handle", "Aseptix"),
    ]
    sims = {chunks[0].text: 0.7, chunks[1].text: 0.4}
    assert run(analyse("What kinds of products won't they fill?"), chunks, sims)[0] == chunks[1].text
    assert run(analyse("What kinds of products do they fill?"), chunks, sims)[0] == chunks[0].text


def test_an_other_heading_continues_the_list_of_its_siblings() -> None:
    other = passage("- Capacity competition.\n- Hidden subcontracting.", 1, "Risks of outsourcing > Other risks")
    lead = answering.units_of([other], headed=(0,))[0]
    assert (lead.text, lead.heading, lead.anaphoric) == ("Other risks:", True, True)


def test_a_heading_made_lead_in_never_joins_an_answer_as_a_runner_up() -> None:
    text = (
        "- A kick-off meeting with the project lead.\n- A feasibility review.\n"
        "Potentia does not subcontract any GMP step without written approval."
    )
    sims = {
        "Potentia does not subcontract any GMP step without written approval.": 0.7,
        "How a project starts:": 0.65,
        "A kick-off meeting with the project lead.": 0.1,
        "A feasibility review.": 0.1,
    }
    question = analyse("What does Potentia commit to regarding subcontracting?")
    pieces = run(question, [passage(text, 1, "How a project starts")], sims, headed=(0,))
    assert pieces == ["Potentia does not subcontract any GMP step without written approval."]


def test_a_sentence_announcing_a_table_is_the_lead_in_of_its_rows() -> None:
    text = (
        "The table shows a common split. The actual division is in the quality agreement.\n"
        "Step: 1. Batch execution | Usually done by: CMO production\n"
        "Step: 2. QC testing | Usually done by: CMO QC"
    )
    units = answering.units_of([passage(text, 1)])
    lead = next(u for u in units if u.form == "lead")
    assert lead.text == "The table shows a common split."
    assert [units[i].text.split(" | ")[0] for i in lead.items] == ["Step: 1. Batch execution", "Step: 2. QC testing"]


def test_an_answer_that_is_a_list_takes_no_items_of_another_list() -> None:
    audit = passage("An on-site audit typically includes:\n- an opening meeting;\n- a tour of the plant.", 1)
    release = passage("Release runs in steps:\n- CMO quality disposition;\n- owner review.", 2)
    sims = {
        "An on-site audit typically includes:": 0.75,
        "an opening meeting;": 0.3,
        "a tour of the plant.": 0.3,
        "Release runs in steps:": 0.1,
        "CMO quality disposition;": 1.0,
        "owner review.": 0.1,
    }
    question = analyse("What does an on-site audit involve?")
    assert question.kind == "other"  # not a list question: the best unit and its runners-up
    pieces = run(question, [audit, release], sims)
    assert pieces == ["An on-site audit typically includes:", "an opening meeting;", "a tour of the plant."]


def test_a_brochure_opening_line_does_not_join_an_answer_about_something_else() -> None:
    inspection = passage(
        "The FDA investigators cited cleaning validation records at Hyderabad.", 1, "Inspections", "Potentia"
    )
    opening = passage("For twenty-five years Potentia has made molecules for others.", 2, "About", "Potentia")
    sims = {inspection.text: 0.7, opening.text: 0.95}
    pieces = run(
        analyse("What did the FDA investigators cite at Potentia's Hyderabad plant?"),
        [inspection, opening],
        sims,
        vendors=("Potentia",),
    )
    assert pieces == [inspection.text]


def test_another_vendors_figure_does_not_join_an_answer_about_one_vendor() -> None:
    granula = passage("Deviation closure: 85% closed within 30 days in 2025.", 1, "Quality facts", "Granula")
    meridian = passage("Meridian shut 91% of its deviations within 30 days over 2025.", 2, "Quality facts", "Meridian")
    sims = {granula.text: 0.8, meridian.text: 0.8}
    question = analyse("What share of deviations did Granula close within 30 days in 2025?")
    assert run(question, [granula, meridian], sims, vendors=("Granula", "Meridian")) == [granula.text]


def test_a_who_answer_names_the_parties_and_takes_no_runner_up_that_names_nobody() -> None:
    protocol = passage(
        "The transfer protocol says what will be transferred and how. It is approved by both parties, including "
        "both quality units, before GMP work starts.",
        1,
    )
    report = passage("The transfer report summarises what was done against the protocol.", 2)
    sims = {"The transfer protocol says what will be transferred and how.": 0.8, report.text: 0.75}
    pieces = run(analyse("Who has to approve the transfer protocol?"), [protocol, report], sims)
    assert pieces == [
        "The transfer protocol says what will be transferred and how.",
        "It is approved by both parties, including both quality units, before GMP work starts.",
    ]


def test_what_a_question_sets_aside_does_not_make_a_runner_up_relevant() -> None:
    other = passage("Our software also supports the schemes of Saudi Arabia and Brazil.", 1, "Other markets", "Pack")
    release = passage(
        "Release to the US market stays with the client; in the EU our QP certifies.", 2, "Release", "Pack"
    )
    sims = {other.text: 0.8, release.text: 0.78}
    question = analyse("Apart from the US and the EU, which countries' serialization schemes does Pack support?")
    assert run(question, [other, release], sims, vendors=("Pack",)) == [other.text]


def test_a_sentence_cut_at_a_chunk_edge_is_not_quoted() -> None:
    text = (
        "The heads of Production and Quality Control must be independent from each other. Some of the duties "
        "described in 2.7 and 2.8 are shared with the Head of Quality Control and"
    )
    assert [u.text for u in answering.units_of([passage(text, 1)])] == [
        "The heads of Production and Quality Control must be independent from each other."
    ]
    legal = "The record should include:\n- the intended use of the software; and\n- the result of the risk analysis."
    assert [u.text for u in answering.units_of([passage(legal, 1)])][1] == "the intended use of the software; and"


def test_a_sentence_wrapped_onto_the_next_line_is_quoted_whole() -> None:
    text = "Granula avoids sterile products of any\nkind. We also do not make Phase 1 supplies.\n- tablets\n- pills"
    units = answering.units_of([passage(text, 1)])
    assert [u.text for u in units][:2] == [
        "Granula avoids sterile products of any kind.",
        "We also do not make Phase 1 supplies.",
    ]
    assert [u.form for u in units][2:] == ["item", "item"]


def test_a_worked_example_answers_alone_but_never_joins_as_a_runner_up() -> None:
    rule = passage("The owner's quality unit makes the final decision to release or reject the batch.", 1, "Roles")
    story = passage(
        "Even if the CMO released the batch, the owner should not release it until the discrepancy is explained.",
        2,
        "Review > Example",
    )
    sims = {rule.text: 0.8, story.text: 0.78}
    assert run(analyse("Who releases batches made by a CMO?"), [rule, story], sims) == [rule.text]
    assert run(analyse("Who releases batches made by a CMO?"), [story], {story.text: 0.8}) == [story.text]


def test_rows_without_their_lead_in_do_not_read_as_items_of_the_list_before_them() -> None:
    package = passage(
        "A release package often contains:\n- a certificate of analysis;\n- a certificate of conformance.", 1
    )
    rows = passage("Step: 5 | Done by: CMO QA approves the batch\nStep: 6 | Done by: CMO QA issues certificates", 2)
    units = answering.units_of([package, rows])
    sims = [0.9 if u.form == "lead" or u.passage == 1 else 0.1 for u in units]
    context = Context([package, rows], [1.0, 1.0])
    question = analyse("Can we release the batch on those two certificates?")
    pieces = answering.compose(question, units, sims, context).pieces
    assert [(p.text, p.item) for p in pieces] == [
        ("A release package often contains:", False),
        ("a certificate of analysis;", True),
        ("a certificate of conformance.", True),
        ("Step: 5 | Done by: CMO QA approves the batch", False),
        ("Step: 6 | Done by: CMO QA issues certificates", False),
    ]


def test_the_asking_sentence_picks_the_list_not_the_scene_set_before_it() -> None:
    uses = passage(
        "Software with the following intended uses is not used in production:\n- email for production staff;\n"
        "- accounting software.",
        1,
    )
    record = passage("FDA recommends the record include the following:\n- the intended use;\n- a conclusion.", 2)
    sims = {"Software with the following intended uses is not used in production:": 0.5}
    sims["FDA recommends the record include the following:"] = 0.45
    question = analyse("I'm reviewing software our CMO uses in production. What should the record contain?")
    assert run(question, [uses, record], sims)[0] == "FDA recommends the record include the following:"


def test_a_sentence_opening_with_a_connective_needs_what_came_before() -> None:
    unit = answering.units_of([passage("On the other hand, email software is not validated.", 1)])[0]
    assert unit.anaphoric


def test_a_difference_names_an_acronym_the_documents_only_write_out() -> None:
    chunks = [
        passage("The QPPV is a natural person who runs the pharmacovigilance system.", 1, "QPPV"),
        passage(
            "Guidance on the role of the Qualified Person is in Annex 16. The Qualified Person must certify that "
            "each production batch satisfies Article 51.",
            2,
            "Key Personnel",
        ),
    ]
    pieces = run(analyse("What is the difference between the QP and the QPPV?"), chunks)
    assert pieces == [
        "The Qualified Person must certify that each production batch satisfies Article 51.",
        "The QPPV is a natural person who runs the pharmacovigilance system.",
    ]


def test_a_negated_list_question_is_not_answered_by_a_list_of_what_is_done() -> None:
    steps = passage("Moving a product to us takes:\n- a feasibility review;\n- a transfer plan.", 1, vendor="Aseptix")
    limits = passage("We do not fill cytotoxic drugs or beta-lactams.", 2, vendor="Aseptix")
    sims = {"Moving a product to us takes:": 0.6, limits.text: 0.5}
    question = analyse("What kinds of products won't Aseptix fill?")
    assert question.kind == "list"
    assert run(question, [steps, limits], sims, vendors=("Aseptix",))[0] == limits.text


def test_a_term_matches_with_one_word_between_its_words() -> None:
    chunks = [passage("- FDA Form 483 (Inspectional Observations): the list of observations given at the end.", 1)]
    units = answering.units_of(chunks)
    assert answering.defines(units[0], ["FDA 483"], chunks[0], True) > 0


def test_a_sentence_opening_with_this_brings_its_antecedent() -> None:
    text = "The CMO's quality unit makes its own disposition. This confirms that the batch was made to GMP."
    sims = {
        "This confirms that the batch was made to GMP.": 0.9,
        "The CMO's quality unit makes its own disposition.": 0.2,
    }
    pieces = run(analyse("What does the CMO's disposition confirm?"), [passage(text)], sims)
    assert pieces == [
        "The CMO's quality unit makes its own disposition.",
        "This confirms that the batch was made to GMP.",
    ]


def test_a_survey_names_the_vendors_first_and_says_who_is_silent() -> None:
    chunks = [
        passage(
            "Aseptic fill-finish for vials and prefilled syringes.", 1, "Sterile injectables", "Aseptix Fill Solutions"
        ),
        passage("Tablets and capsules in high volume.", 2, "Services", "Granula Oral Solids"),
    ]
    sims = {"Aseptic fill-finish for vials and prefilled syringes.": 0.7, "Tablets and capsules in high volume.": 0.1}
    vendors = ["Aseptix Fill Solutions", "Granula Oral Solids"]
    query = analyse("Which CMOs can fill sterile injectables?", vendors)
    pieces = run(query, chunks, sims, vendors=vendors)
    assert pieces[0] == "Aseptix Fill Solutions:"
    assert pieces[1].startswith("Aseptic fill-finish")
    assert pieces[-1] == "The documents of Granula Oral Solids say nothing about this."


INSPECTIONS = [
    passage("Authority: US FDA | Site: Cork | Outcome: No Form 483 observations issued", 1, "Inspections", "Aseptix"),
    passage("Authority: US FDA | Site: Basel | Outcome: No Form 483 observations issued", 2, "Inspections", "Potentia"),
    passage("In 2023 the FDA investigators issued a Form 483 with three observations.", 3, "Form 483", "Potentia"),
]


def _common_fda(term: str) -> float:
    return 0.2 if term == "fda" else 2.0


def test_a_survey_names_no_vendor_whose_evidence_lacks_what_is_asked() -> None:
    query = analyse("Which vendors have had an FDA warning letter?", ["Aseptix", "Potentia"])
    sims = {c.text: 0.8 for c in INSPECTIONS}
    assert run(query, INSPECTIONS, sims, vendors=("Aseptix", "Potentia"), idf=_common_fda) == []


def test_a_survey_lists_a_denial_as_a_limit_and_prefers_a_vendors_own_affirming_evidence() -> None:
    query = analyse("Which vendors have had a Form 483?", ["Aseptix", "Potentia"])
    sims = {INSPECTIONS[0].text: 0.8, INSPECTIONS[1].text: 0.8, INSPECTIONS[2].text: 0.6}
    pieces = run(query, INSPECTIONS, sims, vendors=("Aseptix", "Potentia"), idf=_common_fda)
    assert pieces == [
        "Potentia:",
        INSPECTIONS[2].text,
        "Limits the documents state:",
        INSPECTIONS[0].text,
    ]


def test_a_superlative_compares_the_stated_figures_of_the_thing_asked() -> None:
    chunks = [
        passage("Single-use bioreactors up to 2,000 L.", 1, "Capacity", "CellForge Biologics"),
        passage("Single-use bioreactors of 500 L for clinical supply.", 2, "Capacity", "Meridian CDMO"),
        passage("Glass-lined reactors up to 8,000 L.", 3, "Capacity", "Potentia API Sciences"),
    ]
    vendors = ["CellForge Biologics", "Meridian CDMO", "Potentia API Sciences"]
    sims = {c.text: 0.7 for c in chunks}
    pieces = run(analyse("Which CMO has the largest bioreactor?", vendors), chunks, sims, vendors=vendors)
    assert pieces[0].startswith("CellForge Biologics")
    assert pieces[1:3] == [
        "Single-use bioreactors up to 2,000 L.",
        "Single-use bioreactors of 500 L for clinical supply.",
    ]
    assert "Potentia API Sciences" in pieces[-1]


def test_evidence_without_the_asked_kind_of_fact_is_flagged() -> None:
    chunks = [passage("Aseptix fills vials on five isolator lines. No prices are quoted in this document.")]
    query = analyse("How much does Aseptix charge per vial?")
    composed = answering.compose(query, answering.units_of(chunks), [0.6, 0.5], Context(chunks, [1.0]))
    assert answering.evidence_lacks(query, composed.pieces, chunks, []) == "price"


def test_an_item_brings_its_lead_in_and_the_sentence_the_lead_in_refers_to() -> None:
    chunks = [
        passage(
            "2.9 The heads of Production and Quality Control have some shared responsibilities relating to quality. "
            "These may include:\ni. Plant hygiene;\nii. The approval and monitoring of contract manufacturers;",
            1,
        )
    ]
    sims = {"The approval and monitoring of contract manufacturers;": 0.9}
    pieces = run(analyse("Whose job is it to approve contract manufacturers?"), chunks, sims)
    assert pieces[0].startswith("2.9 The heads of Production and Quality Control")
    assert pieces[1] == "These may include:"
    assert "The approval and monitoring of contract manufacturers;" in pieces


def test_a_list_cut_at_a_chunk_boundary_keeps_its_lead_in() -> None:
    chunks = [
        passage(
            "2.8 The head of Quality Control has the following responsibilities:\ni. To approve specifications;", 1
        ),
        passage("ii. To approve and monitor any contract analysts;\niii. To ensure validations are done;", 2),
    ]
    units = answering.units_of(chunks, continues={1: 0})
    lead = next(u for u in units if u.form == "lead")
    assert [units[i].text for i in lead.items] == [
        "To approve specifications;",
        "To approve and monitor any contract analysts;",
        "To ensure validations are done;",
    ]
    alone = answering.units_of(chunks)  # not stitched: the second chunk's items have no lead-in
    assert [len(u.items) for u in alone if u.form == "lead"] == [1]


def test_a_key_figure_line_is_a_statement_not_a_caption() -> None:
    chunks = [passage("Table 1. Sites and staff\n1,150 employees in Switzerland and India\nOur people", 1)]
    assert [u.text for u in answering.units_of(chunks)] == ["1,150 employees in Switzerland and India"]


def test_a_notice_about_the_document_is_not_an_answer() -> None:
    chunks = [
        passage(
            "Acme Fill is a fictional company and this brochure is a demonstration document; its sites and "
            "inspection history are invented.\n"
            "Date: March 2024 | Authority: HPRA | Site: Cork | Outcome: Satisfactory",
            1,
            vendor="Acme Fill",
        )
    ]
    sims = {
        "Acme Fill is a fictional company and this brochure is a demonstration document; its sites and "
        "inspection history are invented.": 0.8
    }
    pieces = run(analyse("Has Acme Fill been inspected, and with what outcome?"), chunks, sims)
    assert pieces[0].startswith("Date: March 2024")
    assert run(analyse("Is Acme Fill a real company?"), chunks, sims)[0].startswith("Acme Fill is a fictional company")


def test_a_lead_in_that_answers_brings_its_whole_list() -> None:
    lead = "A release package from a CMO often contains:"
    chunks = [passage(f"{lead}\n- certificate of analysis;\n- list of deviations;\n- reconciliation data.", 1)]
    sims = {lead: 0.9, "reconciliation data.": 0.7}
    pieces = run(analyse("Tell me about a release package from a CMO."), chunks, sims)
    assert pieces == [lead, "certificate of analysis;", "list of deviations;", "reconciliation data."]


def test_a_table_after_a_lead_in_is_its_list() -> None:
    chunks = [
        passage(
            "Standard storage conditions are:\nStudy type: Long-term | Condition: 25 °C\n"
            "Study type: Accelerated | Condition: 40 °C / 75% RH",
            1,
        )
    ]
    lead = next(u for u in answering.units_of(chunks) if u.form == "lead")
    assert len(lead.items) == 2


def test_a_brochure_fact_line_is_not_a_definition() -> None:
    chunks = [
        passage("Media fills: Every line is requalified by a media fill twice a year.", 1, vendor="Acme Fill"),
        passage(
            "Also called aseptic process simulation: filling sterile growth medium in place of product.",
            2,
            "M > Media fill",
        ),
    ]
    sims = {"Media fills: Every line is requalified by a media fill twice a year.": 0.8}
    assert run(analyse("What is a media fill?"), chunks, sims)[0].startswith("Also called aseptic process simulation")


def test_a_figure_about_something_else_or_from_another_vendor_does_not_answer() -> None:
    pieces = [answering.Piece("Serialized packs shipped: 212 million", (0,))]
    chunks = [passage("Serialized packs shipped: 212 million", 1, "Quality facts", vendor="PackSure")]
    query = analyse("What is PackSure's on-time-in-full delivery rate?")
    about = answering.measured(query.text, ["PackSure"])
    assert answering.evidence_lacks(query, pieces, chunks, ["PackSure"], owners=["PackSure"], about=about) == "number"
    rate = [answering.Piece("On-time-in-full delivery: 97% in 2025", (0,))]
    guide = [passage("On-time-in-full delivery: 97% in 2025", 1, "KPIs")]
    assert answering.evidence_lacks(query, rate, guide, ["PackSure"], owners=["PackSure"], about=about) == "number"
    own = [passage("On-time-in-full delivery: 97% in 2025", 1, "KPIs", vendor="PackSure")]
    assert answering.evidence_lacks(query, rate, own, ["PackSure"], owners=["PackSure"], about=about) is None


def test_the_best_sentence_brings_the_detail_that_follows_it_in_its_passage() -> None:
    answer = "The system should allow only Qualified Persons to certify the release of the batches."
    detail = "Where the system is used, it should record the person releasing the batch with an electronic signature."
    chunks = [
        passage(f"Computerised systems need a supplier audit. {answer} {detail}", 1),
        passage("Batch release procedures are written by the quality unit and reviewed yearly.", 2),
    ]
    sims = {answer: 0.9, detail: 0.2, chunks[1].text: 0.3, "Computerised systems need a supplier audit.": 0.2}
    pieces = run(analyse("Who may the ERP system allow to release batches?"), chunks, sims)
    assert pieces[:2] == [answer, detail]
    assert "Computerised systems need a supplier audit." not in pieces


def test_who_signs_off_is_answered_by_the_party_holding_the_decision_not_by_shared_words() -> None:
    mismatch = passage("Registration mismatch: the CMO makes the batch correctly by its own standards.", 1)
    decision = passage("The owner's quality unit makes the final decision to release or reject the batch.", 2)
    sims = {mismatch.text: 0.62, decision.text: 0.55}
    pieces = run(analyse("who signs off on batches the cmo makes?"), [mismatch, decision], sims)
    assert pieces[0] == decision.text
