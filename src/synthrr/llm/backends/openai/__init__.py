"""The ``openai`` backend: any OpenAI-compatible server, with its wire format, retries and rate limits."""
