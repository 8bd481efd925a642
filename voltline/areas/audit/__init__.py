"""The audit area: see `manifest.py` for what it contributes."""
