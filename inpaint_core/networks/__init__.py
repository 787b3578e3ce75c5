"""The networks behind the learned methods (:mod:`inpaint_core.methods.learned`): their layers,
checksummed weights, model cards and the training command.

Importing this package does not import torch: ``nets`` and ``train`` do, and are only
imported when a model is trained or run.
"""
