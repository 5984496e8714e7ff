"""imap package."""
