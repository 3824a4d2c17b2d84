"""devorg: an emulated Salesforce org for SIVO's development and tests.

See ``devorg/README.md``. Tests start it in-process with :func:`devorg.testing.running_devorg`.
"""

import logging

from .app import DevorgServer, create_app, create_scrt_app
from .settings import DevorgSettings
from .state import Devorg

__all__ = ["Devorg", "DevorgServer", "DevorgSettings", "create_app", "create_scrt_app"]

logging.getLogger(__name__).addHandler(logging.NullHandler())
