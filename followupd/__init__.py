"""followupd: follows up quotation and proforma-invoice threads by email."""

__version__ = "0.1.0"
