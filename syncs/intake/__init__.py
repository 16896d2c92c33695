"""Intake: the chatbot vendors' API, idempotency, validation and normalisation of what a
chatbot captured, and the review queue."""
