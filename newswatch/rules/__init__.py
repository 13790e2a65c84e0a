"""Keyword rules: the rule language (`language`), text folding (`textfold`) and the compiled matcher (`engine`)."""
