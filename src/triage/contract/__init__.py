"""The public shapes: input and output models, validation, vocabulary and errors."""
