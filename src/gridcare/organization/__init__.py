"""Org units: the supply company tree 省公司 → 地市公司 → 县公司 → 供电所."""
