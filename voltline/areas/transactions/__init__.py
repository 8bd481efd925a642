"""The transactions area: see `manifest.py` for what it contributes."""
