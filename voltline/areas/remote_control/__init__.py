"""The remote control area: see `manifest.py` for what it contributes."""
