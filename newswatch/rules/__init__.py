"""Keyword rules: the rule language (`language`) and the compiled matcher (`engine`)."""
