"""The configuration area: see `manifest.py` for what it contributes."""
