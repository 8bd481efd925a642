"""The message log area: see `manifest.py` for what it contributes."""
