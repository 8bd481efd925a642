"""The live events area: see `manifest.py` for what it contributes."""
