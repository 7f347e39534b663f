"""The decision: loading and checking ``rules/``, the facts the rules read, the durable-rules
adapter, the decider, scenarios and the taxonomy."""
