"""Adapters: parse each wire format into a CoverageRequest and render determinations back."""
