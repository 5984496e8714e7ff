"""classify package."""
