"""Evaluation suite: gold questions, retrieval/citation/refusal metrics, a LangChain baseline and a CI gate."""
