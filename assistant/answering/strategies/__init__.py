"""One module per answer shape; the engine (assistant.answering.engine) orders them."""
