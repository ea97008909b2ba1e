"""One module per family of answer shapes; the engine (assistant.answering.engine) orders them."""
