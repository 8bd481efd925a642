"""The access area: see `manifest.py` for what it contributes."""
