"""Long-memory lab: adding and copy-memory tasks, vanishing gradients, gate heatmaps.

Importing this package is light; its modules import PyTorch themselves when used.
"""
