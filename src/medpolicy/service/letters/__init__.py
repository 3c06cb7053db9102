"""Letters to providers and members, as PDF made with typst.

- ``approval``: a reviewer approved the request.
- ``information``: a reviewer asks for what is missing (questions, documents, by when).
- ``adverse``: a physician denied or partially approved; the specific reason, each
  criterion in plain words with its source, the physician's name, peer-to-peer and appeal
  rights. Letters are stored with the case, never changed, and their SHA-256 is recorded.
"""

from medpolicy.service.letters.press import TypstLetters
from medpolicy.service.letters.wording import KINDS, letter_data

__all__ = ["KINDS", "TypstLetters", "letter_data"]
