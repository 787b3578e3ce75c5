"""Inpaint Lab's Gradio front end: one module per tab, plain handlers outside the layout."""
