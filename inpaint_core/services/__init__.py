"""Services under the tabs: plain Python, no gradio; each tab only lays out and adapts."""
