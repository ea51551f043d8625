"""The "flow of the memory" explorer: one sequence walked through a trained model, gate by gate.

``lstmlab explain`` records every gate of a trained Simple RNN, LSTM or GRU on one input window
(:mod:`.walk` for a forecasting run, :mod:`.adding` for the adding problem), attributes its
output to the input steps with integrated gradients (:mod:`.attribution`), and writes a
self-contained interactive page (:mod:`.page`, from the Jinja2 template in ``templates/``).
Importing this package is light; its modules import PyTorch themselves when used.
"""
