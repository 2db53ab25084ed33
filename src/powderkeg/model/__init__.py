"""The model: pure array code, one module per subsystem, composed by :mod:`powderkeg.model.step`."""
