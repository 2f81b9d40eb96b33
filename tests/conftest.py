import pytest

from impostor import Detector


@pytest.fixture(scope="session")
def detector() -> Detector:
    return Detector()
