"""Alert delivery: the outbox, the channels (email, webhooks) and digests."""
