"""The evaluation maths on hand-made rows: matching rule, recall/MRR, citations, refusals, gate."""

from __future__ import annotations

from typing import Any

import pytest

from evals import metrics
from evals.metrics import GoldSource, Question

GUIDE = "corpus/guidance/04-quality-agreements.md"
PDF = "corpus/brochures/meridian-cdmo.pdf"


def item(source: str = GUIDE, page: int | None = None, section: str = "", chunk_id: str = "c") -> dict[str, Any]:
    return {"source": source, "page": page, "section": section, "chunk_id": chunk_id}


def row(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "q",
        "kind": "fact",
        "expect": "answer",
        "gold": [{"source": GUIDE, "page": None, "section": "Why it is required"}],
        "retrieved": [],
        "citations": [],
        "refused": False,
        "must_include": [],
        "must_found": [],
        "sentences_total": 0,
        "sentences_supported": 0,
        "lexical_total": 0,
        "lexical_supported": 0,
        "latency_s": 1.0,
    }
    base.update(fields)
    return base


# --- matching rule ---------------------------------------------------------------------------


def test_match_needs_the_same_source() -> None:
    assert metrics.matches(item(GUIDE), GoldSource(GUIDE))
    assert not metrics.matches(item(PDF), GoldSource(GUIDE))


def test_match_page_only_when_gold_names_one() -> None:
    assert metrics.matches(item(PDF, page=3), GoldSource(PDF, page=3))
    assert not metrics.matches(item(PDF, page=4), GoldSource(PDF, page=3))
    assert metrics.matches(item(PDF, page=4), GoldSource(PDF, page=None))
    assert not metrics.matches(item(PDF, page=None), GoldSource(PDF, page=3))


def test_match_section_is_a_case_insensitive_substring() -> None:
    chunk = item(GUIDE, section="What a quality agreement is > Why it is required")
    assert metrics.matches(chunk, GoldSource(GUIDE, section="why IT is required"))
    assert metrics.matches(chunk, GoldSource(GUIDE, section=None))
    assert not metrics.matches(chunk, GoldSource(GUIDE, section="Subcontracting"))
    assert not metrics.matches(item(GUIDE, section=""), GoldSource(GUIDE, section="Why"))


def test_match_accepts_dicts_and_absolute_paths() -> None:
    gold = {"source": GUIDE, "page": None, "section": ""}
    assert metrics.matches(item("/tmp/x/" + GUIDE), gold)
    assert metrics.matches(item("./" + GUIDE), gold)
    assert not metrics.matches(item("corpus/guidance/x04-quality-agreements.md"), gold)


def test_first_match_rank_is_one_based_and_cut_at_k() -> None:
    golds = [GoldSource(PDF, page=2)]
    retrieved = [item(GUIDE), item(PDF, page=1), item(PDF, page=2)]
    assert metrics.first_match_rank(retrieved, golds) == 3
    assert metrics.first_match_rank(retrieved, golds, k=2) is None
    assert metrics.first_match_rank([], golds) is None


# --- retrieval -----------------------------------------------------------------------------------


def test_recall_and_mrr() -> None:
    hit_first = row(retrieved=[item(section="Why it is required")])
    hit_third = row(retrieved=[item(PDF), item(PDF), item(section="x > Why it is required")])
    hit_sixth = row(retrieved=[item(PDF)] * 5 + [item(section="Why it is required")])
    miss = row(retrieved=[item(PDF)])
    refuse = row(expect="refuse", gold=[], retrieved=[item(PDF)])
    rows = [hit_first, hit_third, hit_sixth, miss, refuse]
    assert metrics.recall_at_k(rows) == pytest.approx(2 / 4)
    assert metrics.mrr(rows) == pytest.approx((1 + 1 / 3) / 4)
    assert metrics.recall_at_k(rows, k=6) == pytest.approx(3 / 4)


def test_retrieval_metrics_are_none_without_answerable_questions() -> None:
    rows = [row(expect="refuse", gold=[])]
    assert metrics.recall_at_k(rows) is None
    assert metrics.mrr(rows) is None


def test_refused_answerable_questions_still_count_for_recall() -> None:
    rows = [row(refused=True, retrieved=[item(section="Why it is required")])]
    assert metrics.recall_at_k(rows) == 1.0


# --- citations -------------------------------------------------------------------------------------


def test_citation_precision_pools_citations_of_answered_questions() -> None:
    good = item(section="Why it is required", chunk_id="a")
    bad = item(PDF, chunk_id="b")
    rows = [
        row(citations=[good, bad, good]),
        row(citations=[bad]),
        row(refused=True, citations=[bad]),  # refusals show no citations; ignored if any slipped in
        row(expect="refuse", gold=[], citations=[bad]),  # wrongly answered unanswerable: refusal recall's job
    ]
    assert metrics.citation_precision(rows) == pytest.approx(2 / 4)
    assert metrics.citation_precision([row()]) is None


def test_citation_validity_checks_ids_against_retrieved() -> None:
    rows = [
        row(retrieved=[item(chunk_id="a"), item(chunk_id="b")], citations=[item(chunk_id="a"), item(chunk_id="b")]),
        row(retrieved=[item(chunk_id="a")], citations=[item(chunk_id="z")]),
        row(expect="refuse", gold=[], retrieved=[item(chunk_id="k")], citations=[item(chunk_id="k")]),
    ]
    assert metrics.citation_validity(rows) == pytest.approx(3 / 4)
    assert metrics.citation_validity([row()]) is None


# --- answers ---------------------------------------------------------------------------------------


def test_found_terms_is_case_and_space_insensitive() -> None:
    text = "Approved under 21 CFR 211.22(a) in  November\n2016."
    assert metrics.found_terms(text, ["211.22", "november 2016", "200.10(b)"]) == ["211.22", "november 2016"]


def test_must_include_coverage_counts_terms_over_answerable_questions() -> None:
    rows = [
        row(must_include=["a", "b"], must_found=["a"]),
        row(must_include=["c"], must_found=[], refused=True),
        row(must_include=[], must_found=[]),
        row(expect="refuse", gold=[], must_include=["x"], must_found=["x"]),
    ]
    assert metrics.must_include_coverage(rows) == pytest.approx(1 / 3)


def test_refusal_precision_and_recall() -> None:
    rows = [
        row(expect="refuse", gold=[], refused=True),  # true positive
        row(expect="refuse", gold=[], refused=True),  # true positive
        row(expect="refuse", gold=[], refused=False),  # missed refusal
        row(expect="answer", refused=True),  # false refusal
        row(expect="answer", refused=False),
    ]
    assert metrics.refusal_precision(rows) == pytest.approx(2 / 3)
    assert metrics.refusal_recall(rows) == pytest.approx(2 / 3)
    assert metrics.answer_rate(rows) == pytest.approx(1 / 2)
    assert metrics.refusal_precision([row()]) is None
    assert metrics.refusal_recall([row()]) is None


def test_faithfulness_sums_sentences_over_answered_questions() -> None:
    rows = [
        row(sentences_total=4, sentences_supported=3, lexical_total=3, lexical_supported=3),
        row(sentences_total=2, sentences_supported=2, lexical_total=2, lexical_supported=1),
        row(refused=True, sentences_total=5, sentences_supported=0, lexical_total=5),
    ]
    assert metrics.faithfulness(rows) == pytest.approx(5 / 6)
    assert metrics.lexical_faithfulness(rows) == pytest.approx(4 / 5)


def test_lexical_support_needs_sixty_percent_of_content_words() -> None:
    passage = "The owner's quality unit approves or rejects products made under contract (21 CFR 211.22(a))."
    assert metrics.lexical_support("The quality unit approves products made under contract.", [passage])
    assert not metrics.lexical_support("Sterile fill lines need isolators and media fills.", [passage])
    assert metrics.lexical_support("It is.", [passage])  # no content words: nothing to contradict


def test_lexical_counts_use_the_cited_passages() -> None:
    passages = {1: "Spray dryer processing up to 25 kg of solution per hour.", 2: "Meridian was founded in 2011."}
    sentences = [("A spray dryer processes 25 kg of solution per hour.", (1,)), ("Meridian was founded in 2011.", (1,))]
    assert metrics.lexical_counts(sentences, passages) == (2, 1)
    assert metrics.lexical_counts([("Meridian was founded in 2011.", ())], passages) == (1, 1)


def test_percentile_interpolates() -> None:
    assert metrics.percentile([], 50) is None
    assert metrics.percentile([3.0], 95) == 3.0
    assert metrics.percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert metrics.percentile(list(map(float, range(1, 101))), 95) == pytest.approx(95.05)


def test_aggregate_and_by_kind() -> None:
    rows = [
        row(kind="fact", retrieved=[item(section="Why it is required")], latency_s=1.0),
        row(kind="definition", retrieved=[item(PDF)], latency_s=3.0),
        row(kind="unanswerable", expect="refuse", gold=[], refused=True, latency_s=0.5),
    ]
    overall = metrics.aggregate(rows)
    assert overall["questions"] == 3
    assert overall["recall_at_5"] == pytest.approx(0.5)
    assert overall["refusal_recall"] == 1.0
    assert overall["latency_p50_s"] == pytest.approx(1.0)
    kinds = metrics.by_kind(rows)
    assert list(kinds) == ["fact", "definition", "unanswerable"]
    assert kinds["fact"]["recall_at_5"] == 1.0
    assert kinds["unanswerable"]["recall_at_5"] is None


# --- questions and gate --------------------------------------------------------------------------


def test_question_parsing() -> None:
    q = Question.from_dict(
        {
            "id": "f-1",
            "question": "Q?",
            "kind": "vendor_filtered",
            "must_include": ["x"],
            "sources": [{"source": PDF, "page": 2, "section": None}],
            "filters": {"vendor": "Meridian CDMO"},
            "history": [{"role": "user", "content": "hi"}],
        }
    )
    assert q.expect == "answer"
    assert q.sources == (GoldSource(PDF, 2, None),)
    assert q.filters == {"vendor": "Meridian CDMO"}
    with pytest.raises(ValueError, match="expect"):
        Question.from_dict({"id": "a", "question": "b", "kind": "fact", "expect": "maybe"})
    with pytest.raises(ValueError, match="question"):
        Question.from_dict({"id": "a", "kind": "fact"})


def test_gate_lists_each_figure_under_its_threshold() -> None:
    figures = {"recall_at_5": 0.80, "mrr": 0.70, "citation_validity": 1.0, "refusal_recall": None}
    limits = {"recall_at_5": 0.85, "mrr": 0.70, "citation_validity": 1.0, "refusal_recall": 0.9, "nope": 0.1}
    failures = metrics.gate_failures(figures, limits)
    assert failures == ["recall_at_5: 0.800 < 0.850", "nope: unknown figure (threshold 0.100)"]
    assert metrics.gate_failures(figures, {"mrr": 0.7}) == []


def test_question_problems_explain_failures() -> None:
    assert metrics.question_problems(row(expect="refuse", gold=[], refused=False)) == ["answered; should refuse"]
    problems = metrics.question_problems(
        row(retrieved=[item(PDF)], citations=[item(PDF)], must_include=["211.22"], must_found=[])
    )
    assert problems == ["no gold source in top 5", "1/1 citations off-gold", "missing '211.22'"]


def test_baseline_section_is_every_heading_path_the_chunk_spans() -> None:
    from evals.baseline import section_of

    marks = [(0, "Intro"), (100, "Intro > Scope"), (400, "Roles")]
    assert section_of(marks, 0, 50) == "Intro"
    assert section_of(marks, 120, 300) == "Intro > Scope"
    assert section_of(marks, 50, 450) == "Intro; Intro > Scope; Roles"
    assert section_of([(0, "")], 0, 10) == ""


# --- halves --------------------------------------------------------------------------------------


def test_halves_are_fixed_by_the_id_alone() -> None:
    # computed once: a change of rule or salt moves questions between halves, which must never happen
    assert [metrics.half_of(i) for i in ("cli-1", "q1", "fact-001", "rd2-01", "rd2-12")] == [
        "tuning", "tuning", "tuning", "tuning", "check"
    ]  # fmt: skip
    ids = [f"x-{n}" for n in range(200)]
    halves = metrics.split_halves([{"id": i} for i in ids])
    assert set(halves) == {"tuning", "check"}
    assert sorted(r["id"] for part in halves.values() for r in part) == sorted(ids)
    assert 70 < len(halves["tuning"]) < 130  # a hash, not a sort order
    assert all(metrics.half_of(str(r["id"])) == "check" for r in halves["check"])


def test_half_matches_the_documented_rule() -> None:
    import hashlib

    for qid in ("fact-005", "rd2-44", "gdufa-user-fee-qa-010"):
        byte = hashlib.sha256(("split:" + qid).encode()).digest()[0]
        assert metrics.half_of(qid) == ("tuning" if byte % 2 == 0 else "check")


# --- FDA Q&A suite -------------------------------------------------------------------------------


def test_fdaqa_words_drop_stop_words_and_punctuation() -> None:
    from evals import fdaqa

    assert fdaqa.words("The CMO's QA unit: release (21 CFR 211.22)!") == [
        "cmo",
        "s",
        "qa",
        "unit",
        "release",
        "21",
        "cfr",
        "211",
        "22",
    ]
    assert fdaqa.words("ﬁle") == ["file"]  # NFKC folds ligatures


def test_fdaqa_recall_counts_repeats_of_the_reference() -> None:
    from evals import fdaqa

    assert fdaqa.word_recall("batch batch record", "the record of a batch") == 1.0
    assert fdaqa.word_recall("batch release record", "batch record") == pytest.approx(2 / 3)
    assert fdaqa.word_recall("", "anything") == 0.0
    assert fdaqa.word_recall("the of and", "the") == 0.0


def test_fdaqa_f1_uses_word_counts() -> None:
    from evals import fdaqa

    # reference: batch x2, record; answer: batch, record, owner -> shared 2, precision 2/3, recall 2/3
    assert fdaqa.word_f1("batch batch record", "batch record owner") == pytest.approx(2 / 3)
    assert fdaqa.word_f1("batch", "owner") == 0.0
    assert fdaqa.word_f1("batch", "") == 0.0


def test_fdaqa_passage_hit_by_section_end_or_half_the_words() -> None:
    from evals import fdaqa

    gold = fdaqa.FdaGold("gdufa.md", "Answer 2", "Fees are due on the first business day of October each year.")
    by_section = [{"source": "/tmp/x/docs/gdufa.md", "section": "GDUFA Q&A > Answer 2", "text": "unrelated"}]
    wrong_number = [{"source": "docs/gdufa.md", "section": "GDUFA Q&A > Answer 12", "text": "unrelated"}]
    by_words = [{"source": "docs/gdufa.md", "section": "Answer 7", "text": "fees due first business day"}]
    other_doc = [{"source": "docs/glp.md", "section": "Answer 2", "text": gold.answer}]
    assert fdaqa.score(gold, by_section, "x", False)["passage_hit"]
    assert not fdaqa.score(gold, wrong_number, "x", False)["passage_hit"]
    assert fdaqa.score(gold, wrong_number, "x", False)["doc_hit"]
    assert fdaqa.score(gold, by_words, "x", False)["passage_hit"]  # 5 of 8 content words
    hit = fdaqa.score(gold, other_doc, gold.answer, False)
    assert not hit["doc_hit"] and not hit["passage_hit"] and hit["answer_recall"] == 1.0


def test_fdaqa_refusal_scores_nothing_and_figures_average_over_all_questions() -> None:
    from evals import fdaqa

    gold = fdaqa.FdaGold("a.md", "Answer 1", "Keep records for two years.")
    refused = fdaqa.score(gold, [], "Keep records for two years.", True)
    assert refused == {"doc_hit": False, "passage_hit": False, "answer_recall": 0.0, "answer_f1": 0.0}
    answered = fdaqa.score(
        gold, [{"source": "a.md", "section": "Answer 1", "text": ""}], "Keep records two years.", False
    )
    rows = [
        {"id": "1", "refused": False, "fdaqa": answered},
        {"id": "2", "refused": True, "fdaqa": refused},
        {"id": "3", "refused": True, "error": "StoreError: down"},
        {"id": "4", "refused": False, "fdaqa": refused},
    ]
    figures = fdaqa.figures(rows)
    assert figures["passage_right"] == figures["doc_hit"] == 0.25
    assert figures["answer_recall"] == 0.25 and figures["answer_f1"] == 0.25
    assert figures["false_refusal"] == 0.25 and figures["refused"] == 1  # the error is not a refusal
    assert fdaqa.figures([])["passage_right"] is None


def test_fdaqa_load_reads_the_suite_format(tmp_path: Any) -> None:
    import json

    from evals import fdaqa

    line = {"id": "a-001", "question": "Q?", "doc": "a.md", "section": "Answer 1", "answer": "A."}
    (tmp_path / "questions.jsonl").write_text(json.dumps(line) + "\n\n")
    questions, golds = fdaqa.load(tmp_path)
    assert questions[0].expect == "answer" and questions[0].sources == (GoldSource("docs/a.md"),)
    assert golds["a-001"] == fdaqa.FdaGold("a.md", "Answer 1", "A.")
    (tmp_path / "questions.jsonl").write_text(json.dumps(line) + "\n" + json.dumps(line) + "\n")
    with pytest.raises(ValueError, match=r"questions\.jsonl:2: duplicate id"):
        fdaqa.load(tmp_path)


# --- real-document suites' locators --------------------------------------------------------------


def test_realdocs2_locators_with_page_ranges_and_statute_subsections() -> None:
    from evals.realdocs import Locator, clause_forms, locator_right, parse_locator

    span = parse_locator("q7.pdf", "§11.55 Stability Monitoring (runs over); PDF p.30-31 (printed p.24-25)")
    assert span == Locator("q7.pdf", "11.55", 30, "pdf", 31)
    statute = parse_locator("usc.md", "§356c(h)(2) Definitions; no page (statute text)")
    assert statute == Locator("usc.md", "356c(h)(2)", None, "pdf")
    assert clause_forms("356c(h)(2)") == {"356c(h)(2)", "356c(h)", "(h)(2)", "(h)"}
    assert clause_forms("2.9(vii)") == {"2.9(vii)", "2.9"}
    assert parse_locator("usc.md", "§356c Statutory Notes; no page").clause == "356c"

    def cited(page: int | None, section_id: str = "", source: str = "docs/q7.pdf") -> dict[str, Any]:
        return {"source": source, "page": page, "section_id": section_id}

    assert [locator_right(cited(p), span) for p in (28, 29, 30, 31, 32, 33)] == [False, True, True, True, True, False]
    assert locator_right(cited(None, "(h)"), Locator("usc.md", "356c(h)(2)", None, "pdf")) is False  # other doc
    assert locator_right(cited(None, "(h)(2)", "docs/usc.md"), statute)
    assert locator_right(cited(None, "356c(h)", "docs/usc.md"), statute)
    assert not locator_right(cited(None, "(b)", "docs/usc.md"), statute)


# --- ablation ------------------------------------------------------------------------------------


def test_ablation_deltas_net_and_harmless_removal() -> None:
    from evals.ablation import deltas, net, removal_harmless

    reference = {"must_include": 0.80, "citation_precision": 0.90, "false_refusal": 0.10, "refusal_recall": None}
    worse = {"must_include": 0.75, "citation_precision": 0.95, "false_refusal": 0.05, "refusal_recall": 0.5}
    delta = deltas(reference, worse, "gold")
    assert delta["must_include"] == pytest.approx(-0.05) and delta["false_refusal"] == pytest.approx(-0.05)
    assert delta["refusal_recall"] is None
    assert net(delta, "gold") == pytest.approx(-0.05 + 0.05 + 0.05)  # fewer false refusals count as better
    assert not removal_harmless(delta, "gold")
    assert removal_harmless(deltas(reference, {**reference, "false_refusal": 0.0}, "gold"), "gold")


def test_an_unknown_rule_name_stops_the_run_before_any_ingest(tmp_path: Any, capsys: Any) -> None:
    from evals.run import main

    assert main(["--disable", "kind.nope", "--out", str(tmp_path)]) == 2
    assert "Unknown rule name(s): kind.nope" in capsys.readouterr().err
