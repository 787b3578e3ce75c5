"""Learned inpainting: networks, their weights (with checksums) and the training command.

Importing this package does not import torch: ``nets`` and ``train`` do, and are only
imported when a model is trained or run.
"""
