"""impostor: find account names that impersonate official bodies.

    >>> from impostor import Detector
    >>> Detector().check("入民日报").target
    '人民日报'
"""

from .decide import Verdict
from .detector import Detector
from .lexicon import LexiconError

__all__ = ["Detector", "Verdict", "LexiconError"]
__version__ = "0.1.0"
