"""The local lists area: see `manifest.py` for what it contributes."""
