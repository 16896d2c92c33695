"""The job engine: the outbox written with its cause, publish after commit, claim, lease,
retry, dead letter and sweeper."""
