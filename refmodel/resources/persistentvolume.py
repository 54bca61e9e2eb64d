"""PersistentVolume and PersistentVolumeClaim: defaulting and validation."""

from __future__ import annotations

from . import REGISTRY, KindInfo

REGISTRY["PersistentVolume"] = KindInfo("PersistentVolume", ("v1",), False, "persistentvolumes", ("pv",))
REGISTRY["PersistentVolumeClaim"] = KindInfo(
    "PersistentVolumeClaim", ("v1",), True, "persistentvolumeclaims", ("pvc",)
)
