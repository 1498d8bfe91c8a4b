"""Names a package resolves on first access (PEP 562), for the ``__init__`` modules.

``import pieces_os_client`` loads no model and no client: each public name is imported from its
module the first time it is asked for, then kept in the package's namespace.
"""
from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Collection, Dict, FrozenSet, List, Mapping, Tuple

__all__ = ["lazy_attributes"]


def lazy_attributes(
    package: str, names: Mapping[str, str], submodules: Collection[str] = (), reexports: Collection[str] = ()
) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``.

    :param names: public name -> the module that defines it.
    :param submodules: modules of the package reachable as attributes before they are imported
        (``pieces_os_client.rest`` after a bare ``import pieces_os_client``).
    :param reexports: packages whose ``__all__`` this one exports too, each name resolved through
        its package. ``package.__all__`` (``names``, then theirs) is built when first read, as
        ``from package import *`` does.
    """
    exported: Dict[str, FrozenSet[str]] = {}  # a package of ``reexports`` -> its __all__

    def load(module: str) -> Any:
        return importlib.import_module(module)

    def exported_by(other: str) -> FrozenSet[str]:
        found = exported.get(other)
        if found is None:
            found = exported[other] = frozenset(load(other).__all__)
        return found

    def public_names() -> List[str]:
        return [*names, *(name for other in reexports for name in load(other).__all__)]

    def get_attribute(name: str) -> Any:
        module = names.get(name)
        if module is not None:
            value = getattr(load(module), name)
        elif name == "__all__":
            value = public_names()
        elif name in submodules:
            value = load(f"{package}.{name}")
        elif name.startswith("__"):  # a tool probing for a special name: no package need be loaded for it
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        else:
            owner = next((other for other in reexports if name in exported_by(other)), None)
            if owner is None:
                raise AttributeError(f"module {package!r} has no attribute {name!r}")
            value = getattr(load(owner), name)
        setattr(sys.modules[package], name, value)
        return value

    def list_attributes() -> List[str]:
        return sorted(set(vars(sys.modules[package])) | set(public_names()) | set(submodules))

    return get_attribute, list_attributes
