"""The machinery: inbound processing, outbound steps, the scheduler."""
