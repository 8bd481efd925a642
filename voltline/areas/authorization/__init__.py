"""The authorization area: see `manifest.py` for what it contributes."""
