"""The stations area: see `manifest.py` for what it contributes."""
