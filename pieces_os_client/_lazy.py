"""Names a package resolves on first access (PEP 562), for the generated ``__init__`` modules.

``import pieces_os_client`` loads no model and no client: each public name is imported from its
module the first time it is asked for, then kept in the package's namespace.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Collection, List, Mapping, Tuple

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, names: Mapping[str, str], submodules: Collection[str] = ()
) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``.

    :param names: public name -> the module that defines it.
    :param submodules: modules of the package reachable as attributes before they are imported
        (``pieces_os_client.rest`` after a bare ``import pieces_os_client``).
    """

    def get_attribute(name: str) -> Any:
        module = names.get(name)
        if module is not None:
            value = getattr(importlib.import_module(module), name)
        elif name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def list_attributes() -> List[str]:
        return sorted(set(vars(sys.modules[package])) | set(names) | set(submodules))

    return get_attribute, list_attributes
