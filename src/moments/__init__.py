"""defining-moments: find, measure and manage the defining moments of customer journeys."""

from moments.errors import InputError, MomentsError, NotFound, Problem, StoreError
from moments.settings import Settings
from moments.workspace import Workspace, open

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "MomentsError",
    "NotFound",
    "Problem",
    "Settings",
    "StoreError",
    "Workspace",
    "__version__",
    "open",
]
