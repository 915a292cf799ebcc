"""Synthesis building blocks: the methods registered in :data:`synthrr.synth.methods.METHODS` (SynthesizRR,
its FewGen and ZeroGen baselines, and SuperGen, AttrPrompt, ProGen and ReGen), demonstration decks, prompts,
parsing, filters, the label verifier and quotas. The loop that runs them is :mod:`synthrr.stages.generate`."""
