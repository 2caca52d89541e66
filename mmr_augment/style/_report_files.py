"""Report-style file header and presets (see :class:`~._files.StyleFiles`)."""

from ._files import StyleFiles

HEADER = """\
# A report style for mmr_augment.ReportStyle: how one department writes the same findings.
# Copy this file, edit it, and load it with ReportStyle.from_yaml(path).
#
# Word-valued fields (the first option, keep, leaves that aspect of the text alone):
#   headers        keep | upper (FINDINGS:) | title (Findings:) | lower (findings:) |
#                  line (FINDINGS on its own line) | dash (findings -) | none (no headers)
#   header_set     keep | standard | conclusion | opinion | summary   (IMPRESSION's word)
#   section_order  keep | findings_first | impression_first
#   numbering      keep | numbered (1. ... 2. ... in the impression) | plain
#   normals        keep | templated ("No acute cardiopulmonary process.") |
#                  narrative ("Heart size is normal. Lungs are clear.")
#   negation       keep | no ("No X.") | not_seen ("X is not seen.") | negative_for |
#                  no_evidence ("There is no evidence of X.") | mixed
#   hedging        keep | may (may represent, possible, ...) | could (could represent,
#                  questionable, ...) | mixed
#   laterality     keep | word (L -> left) | letter (left -> L) | sided (left -> left-sided)
#   measurement    keep | cm | mm   (sizes converted: 2.5 cm <-> 25 mm)
# Each is one option or {choice: [a, b, ...]}, drawn per sample.
# Numbers in [0, 1], each fixed, a [lo, hi] range or {choice: [...]}, drawn per sample:
#   expand / contract  chance that each abbreviation is expanded / each long form contracted
#   join               chance that two short neighbouring sentences are joined with "; "
#   strength           chance that each of the style's aspects is applied to a sample
#   p                  chance that a sample is styled at all
# Rewrites touch only what they recognise and never change what the report labeler reads.
"""


REPORT_FILES = StyleFiles("report", "ReportStyle", HEADER, "fields")
