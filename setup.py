"""Ships the top-level ``lexicons/`` folder inside the wheel as ``impostor/lexicons``.

The lexicons live at the repository root so that people (and their review tools) find them beside the code;
the installed package needs them as package data, so they are copied in at build time.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).parent


class BuildPyWithLexicons(build_py):
    def run(self) -> None:
        super().run()
        target = Path(self.build_lib) / "impostor" / "lexicons"
        if target.exists():
            shutil.rmtree(target)
        # The generator scripts stay in the source tree; only data ships.
        shutil.copytree(ROOT / "lexicons", target, ignore=shutil.ignore_patterns("*.py", "*.sh", "__pycache__"))


setup(cmdclass={"build_py": BuildPyWithLexicons})
