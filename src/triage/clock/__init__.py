"""Working days and deadlines: the calendar, the deadlines of a decision, a case's timeline."""
