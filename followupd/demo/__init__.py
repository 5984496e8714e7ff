"""The self-contained demo: embedded mail servers, a simulated clock, a scripted rep and buyer."""
