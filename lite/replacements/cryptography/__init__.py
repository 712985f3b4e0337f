"""Stand-in for ``cryptography`` in the browser edition (no wasm build of it on PyPI or npm).

Every module and name of the real package can be imported, so moto imports as it does on the desktop; *using* one
(calling it, or reading an attribute of something it made) raises :class:`BrowserEditionError`, which says in plain
words that this needs the desktop edition. In the course that is what AWS does with certificates and keys: ACM, ACM
PCA, IAM server certificates, KMS, Cognito, EC2 key pairs. Lambda, S3, SQS, SNS, DynamoDB, EventBridge, API Gateway,
CloudWatch and IAM roles and policies do not use it.
"""

import importlib.abc
import importlib.machinery
import sys

__version__ = "47.0.0+lite"
__all__ = ["BrowserEditionError", "__version__"]

_MESSAGE = ("{name} needs the `cryptography` package, which has no build for the browser: run this in the desktop "
            "edition of the course (`make lab`, see docs/lite.md)")


class BrowserEditionError(NotImplementedError):
    """Raised when code uses ``cryptography`` in the browser edition."""


class _Missing(type):
    """A class standing for any name of ``cryptography``: its attributes are more such classes; making one refuses."""

    def __getattr__(cls, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _placeholder(f"{cls.__qualname__}.{name}", cls.__module__)

    def __call__(cls, *args, **kwargs):
        if cls.__dict__.get("_lite_placeholder"):
            raise BrowserEditionError(_MESSAGE.format(name=f"{cls.__module__}.{cls.__qualname__}"))
        return super().__call__(*args, **kwargs)  # a subclass the caller defined is theirs to make


def _placeholder(qualname, module):
    cls = _Missing(qualname.rsplit(".", 1)[-1], (), {"_lite_placeholder": True, "__module__": module})
    cls.__qualname__ = qualname
    return cls


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _placeholder(name, __name__)


class _AnySubmodule(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Makes ``import cryptography.<anything>`` work: each submodule answers every name with a placeholder."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname.startswith(__name__ + "."):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        module.__path__ = []
        module.__getattr__ = lambda name, _m=module.__name__: _module_attribute(_m, name)


def _module_attribute(module, name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _placeholder(name, module)


sys.meta_path.append(_AnySubmodule())
