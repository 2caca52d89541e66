"""The report stack is the ``text`` extra: fail at import with the command that installs it.

Checked without importing spaCy (it loads on the first parse), so importing the text ops stays
cheap.
"""

from ..extras import require

require("text", "spacy", "scispacy", "nltk")
