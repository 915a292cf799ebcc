"""Synthesis: methods (SynthesizRR, FewGen, ZeroGen), prompts, parsing, filters, quotas and runs."""
