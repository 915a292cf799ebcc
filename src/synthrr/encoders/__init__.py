"""Sentence encoders shared by dense retrieval, metrics and students: MiniLM through sentence-transformers,
and the fast CPU encoders built offline from it (``static``, ``minilm-onnx``)."""
