"""A case after its first decision: recording events, re-assessing, overrides, what is due."""
