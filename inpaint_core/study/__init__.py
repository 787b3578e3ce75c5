"""The human-preference study: pair sampling, vote storage, statistics (never imports gradio)."""
