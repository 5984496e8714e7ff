"""templating package."""
