"""The data transfer area: see `manifest.py` for what it contributes."""
